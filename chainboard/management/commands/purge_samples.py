from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models, transaction

from chainboard import actions, audit
from chainboard.models.audit import AuditAction
from chainboard.scope import SystemActor


class Command(BaseCommand):
    help = (
        "Remove all sample data (示例数据: rows with is_sample set), each deletion audited with the row as it "
        "was, plus one summary audit row with the counts. Real records are never touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args, dry_run: bool, **options):
        actor = SystemActor("command:purge_samples")
        counts: dict[str, int] = {}
        with (
            audit.operation(user=actor, source=audit.Source.COMMAND, label="command:purge_samples") as op,
            transaction.atomic(),
        ):
            # Several passes: a sample row protected by another sample row goes once its dependant is gone.
            for _pass in range(5):
                left = 0
                for model in apps.get_models():
                    if not any(f.name == "is_sample" for f in model._meta.concrete_fields):
                        continue
                    for obj in model._base_manager.filter(is_sample=True):
                        if dry_run:
                            counts[model._meta.label] = counts.get(model._meta.label, 0) + 1
                            continue
                        try:
                            with transaction.atomic():
                                actions.delete(actor, obj)
                        except (actions.InvalidData, models.ProtectedError):
                            left += 1
                            continue
                        counts[model._meta.label] = counts.get(model._meta.label, 0) + 1
                if dry_run or not left:
                    break
            if not dry_run:
                from chainboard.models import AuditEntry

                # Count from the audit rows themselves: rows removed by cascade with a sample parent
                # were audited by actions.delete and are counted too.
                counts = {}
                for entry in AuditEntry.objects.filter(
                    operation_id=op.id, action=AuditAction.DELETE
                ).select_related("content_type"):
                    model = entry.content_type.model_class()
                    label = model._meta.label if model else entry.content_type.model
                    counts[label] = counts.get(label, 0) + 1
                audit.record(AuditAction.PURGE, model=AuditEntry, object_repr="sample data", after=counts)
        for label, n in sorted(counts.items()):
            self.stdout.write(f"  {label}: {n}")
        self.stdout.write(("would remove" if dry_run else "removed") + f" {sum(counts.values())} sample rows")
