from django.core.management.base import BaseCommand, CommandError

from chainboard import audit
from chainboard.backup import BackupError, restore
from chainboard.scope import SystemActor


class Command(BaseCommand):
    help = (
        "Restore a backup written by `chainboard backup`: FILE is its manifest (.json) or any of its files. "
        "The files' SHA-256 are checked first; a database that holds data is replaced only with --force, and "
        "is backed up first. After the restore every table's row count and the audit trail are checked "
        "against the manifest, the schema is migrated to this version, and the restore is audited in the "
        "restored database. Stop the web server and the worker first. See docs/backup.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup's manifest (.json), or its .sqlite3/.pgdump/.media.tar")
        parser.add_argument("--force", action="store_true", help="replace a database that holds data")
        parser.add_argument("--database", default="default", help="the database to restore into (an alias)")

    def handle(self, *args, file: str, force: bool, database: str, **options):
        label = "command:restore"
        with audit.operation(user=SystemActor(label), source=audit.Source.COMMAND, label=label):
            try:
                result = restore(file, alias=database, force=force)
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
        if result.replaced_backup:
            self.stdout.write(f"the data replaced was backed up first: {result.replaced_backup}")
        if result.media_moved_to:
            self.stdout.write(f"the media folder replaced was moved to {result.media_moved_to}")
        self.stdout.write(f"restored {result.manifest}: every table's row count and the audit trail match")
