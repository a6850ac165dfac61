from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chainboard import audit, importlog


class Command(BaseCommand):
    help = (
        "Delete uploaded import files older than the retention period (CHAINBOARD_IMPORT_RETENTION_DAYS, "
        "default 30; the scheduled job purge-imports does this daily), each deletion audited. The import "
        "jobs themselves (counts, errors, messages) stay."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"keep files younger than this many days (default {settings.IMPORT_RETENTION_DAYS})",
        )

    def handle(self, *args, days, **options):
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more")
        count = importlog.purge_expired(days, source=audit.Source.COMMAND)
        self.stdout.write(f"deleted {count} uploaded import file(s)")
