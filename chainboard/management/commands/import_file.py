import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from chainboard import audit, importlog, imports, tabular


def viewset_by_prefix(prefix: str):
    from chainboard.views.generic import ViewSet

    stack = list(ViewSet.__subclasses__())
    found = {}
    while stack:
        cls = stack.pop(0)
        stack.extend(cls.__subclasses__())
        if getattr(cls, "model", None) is not None and getattr(cls, "form_class", None) is not None:
            found[cls.url_prefix] = cls
    if prefix not in found:
        raise CommandError(f"unknown entity {prefix!r}; one of: {', '.join(sorted(found))}")
    return found[prefix]


class Command(BaseCommand):
    help = (
        "Import a .xlsx, .xls or .csv file into an entity as USER would from the web: the same checks, "
        "scope, one transaction and audit. `import-file enterprises 企业.xlsx --user office`; "
        "--dry-run checks and reports without writing; --map '表头=field' overrides the column matching."
    )

    def add_arguments(self, parser):
        parser.add_argument("entity", help="the collection name, as in the API: enterprises, indicators, …")
        parser.add_argument("path")
        parser.add_argument("--user", required=True, help="the user the rows are written as (scope, audit)")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--map", action="append", default=[], metavar="HEADER=FIELD")

    def handle(self, *args, entity, path, user, dry_run, map, **options):
        viewset = viewset_by_prefix(entity)
        account = get_user_model().objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(f"no active user named {user}")
        name = Path(path).name
        started = time.perf_counter()
        label = f"import:{name}"[:150]
        try:
            tabular.check(path, name)
            rows = tabular.read(path, name)
            spec = imports.Spec(viewset, account)
            header_row, headers = imports.find_header(rows, spec)
        except (tabular.FileProblem, imports.ImportError_) as exc:
            with audit.operation(user=account, source=audit.Source.IMPORT, label=label):
                importlog.from_command(name, entity, refused=str(exc))
            raise CommandError(str(exc)) from exc
        mapping = imports.auto_mapping(spec, headers)
        for item in map:
            header, _sep, field = item.partition("=")
            key = imports.normalise_header(header)[0]
            for index, text in enumerate(headers):
                if imports.normalise_header(text)[0] == key:
                    mapping[str(index)] = field
        with audit.operation(user=account, source=audit.Source.IMPORT, label=label):
            importer = imports.Importer(viewset, account, rows, header_row, mapping, headers=headers)
            outcome = importer.run(commit=not dry_run)
            if not dry_run:
                importlog.from_command(name, entity, outcome=outcome)
        for error in outcome.errors:
            self.stderr.write(f"row {error.row} {error.column or error.field}: {error.message}")
        if not outcome.ok:
            raise CommandError(f"{outcome.error_count} error(s); nothing was written")
        verb = "would add" if dry_run else "added"
        self.stdout.write(
            f"{name}: {verb} {outcome.created}, changed {outcome.updated}, unchanged {outcome.unchanged} "
            f"({time.perf_counter() - started:.1f} s)"
        )
