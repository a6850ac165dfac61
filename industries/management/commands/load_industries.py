import csv
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from chainboard import audit
from chainboard.models.audit import AuditAction
from industries.models import IndustryClass

DATA = Path(__file__).resolve().parents[2] / "data" / "gbt4754_2017.csv"


class Command(BaseCommand):
    help = "Load GB/T 4754-2017 industry classes (with amendment No. 1, 2019) from the committed data file."

    def handle(self, *args, **options):
        with DATA.open(encoding="utf-8", newline="") as handle:
            rows = sorted(csv.DictReader(handle), key=lambda r: int(r["level"]))
        existing = dict(IndustryClass.objects.values_list("code", "name"))
        new = [r for r in rows if r["code"] not in existing]
        renamed = [r for r in rows if r["code"] in existing and existing[r["code"]] != r["name"]]
        with (
            transaction.atomic(),
            audit.operation(source=audit.Source.COMMAND, label="command:load_industries"),
        ):
            IndustryClass.objects.bulk_create(
                [
                    IndustryClass(
                        code=r["code"], name=r["name"], level=int(r["level"]), parent_id=r["parent"] or None
                    )
                    for r in new
                ],
                batch_size=1000,
            )
            for r in renamed:
                IndustryClass.objects.filter(code=r["code"]).update(name=r["name"])
            audit.record(
                AuditAction.LOAD,
                model=IndustryClass,
                object_repr="GB/T 4754-2017",
                after={"added": len(new), "renamed": len(renamed)},
            )
        self.stdout.write(f"industry classes: {len(new)} added, {len(renamed)} renamed")
