import json

from django.core.management.base import BaseCommand, CommandError

from chainboard import audit
from chainboard.backup import BackupError, backup
from chainboard.scope import SystemActor


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite: online backup API; PostgreSQL: pg_dump --format=custom) and the media "
        "folder into chainboard-YYYYmmdd-HHMMSS.* in CHAINBOARD_BACKUP_DIR (var/backups by default), with a "
        "manifest of every table's row count, the audit trail's digest and the files' SHA-256. Safe while "
        "the site runs. Audited. See docs/backup.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            dest="directory",
            default=None,
            help="write the backup here instead of CHAINBOARD_BACKUP_DIR",
        )
        parser.add_argument("--database", default="default", help="the database to back up (an alias)")

    def handle(self, *args, directory: str | None, database: str, **options):
        label = "command:backup"
        with audit.operation(user=SystemActor(label), source=audit.Source.COMMAND, label=label):
            try:
                path = backup(directory, alias=database)
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
        manifest = json.loads(path.read_text(encoding="utf-8"))
        rows = sum(manifest["tables"].values())
        self.stdout.write(f"database: {path.with_name(manifest['database_file'])}")
        self.stdout.write(f"media:    {path.with_name(manifest['media_file'])}")
        self.stdout.write(
            f"{len(manifest['tables'])} tables, {rows} rows, {manifest['audit']['count']} audit entries"
        )
        self.stdout.write(str(path))  # the manifest, alone on the last line: what `restore` takes
