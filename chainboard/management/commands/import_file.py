import os
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from chainboard import audit, importlog, imports, planner, tabular
from chainboard.imports.related import FilePeriod, RelatedSpec, column_plan, parse_period


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
        raise CommandError(
            _("There is no entity %(entity)s; one of: %(entities)s.")
            % {"entity": prefix, "entities": ", ".join(sorted(found))}
        )
    return found[prefix]


class Command(BaseCommand):
    help = (
        "Import a .xlsx, .xls or .csv file into an entity as USER would from the web: the same checks, "
        "scope, one transaction and audit. `import-file enterprises 企业.xlsx --user office`; "
        "--dry-run checks and reports without writing; --map '表头=field' overrides the column matching "
        "('表头=' ignores it; 'indicator.output_value' and the like fill related records of a wide ledger, "
        "whose figures take --period annual:2025); --sheet NAME reads that sheet, --all-sheets every sheet "
        "with the same header (not 汇总); --header-row N takes the header from row N (and N+1 when it is a "
        "two-row header). Prints where each column goes, which are ignored and which rows were skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("entity", help="the collection name, as in the API: enterprises, indicators, …")
        parser.add_argument("path")
        parser.add_argument("--user", required=True, help="the user the rows are written as (scope, audit)")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--map", action="append", default=[], metavar="HEADER=FIELD")
        parser.add_argument("--sheet", help="the sheet to read (default: the first)")
        parser.add_argument("--all-sheets", action="store_true", help="every sheet with the same header")
        parser.add_argument("--header-row", type=int, metavar="N", help="the header's first row (1, 2, …)")
        parser.add_argument(
            "--period",
            default="",
            metavar="TYPE:YEAR[-MONTH]",
            help="the period of a wide ledger's figures: annual:2025, month:2025-03, ytd:2025-06",
        )
        parser.add_argument(
            "--status-year",
            type=int,
            default=None,
            help="the year of a wide ledger's above-size status (default: the period's year)",
        )

    def handle(self, *args, entity, path, user, dry_run, map, sheet, all_sheets, header_row, **options):
        # Every refusal is a CommandError: a message and exit status 1, never a traceback.
        period, status_year = options["period"], options["status_year"]
        viewset = viewset_by_prefix(entity)
        account = get_user_model().objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(_("There is no active user named %(user)s.") % {"user": user})
        if header_row is not None and header_row < 1:
            raise CommandError(_("The header row is a row number: 1, 2, 3…"))
        if not os.path.isfile(path):
            raise CommandError(_("There is no file %(path)s.") % {"path": path})
        name = Path(path).name
        started = time.perf_counter()
        label = f"import:{name}"[:150]
        try:
            spec = imports.Spec(viewset, account)
            table = imports.read_table(
                path,
                name,
                spec,
                sheet=sheet,
                header_at=header_row - 1 if header_row else None,
                all_sheets=all_sheets,
            )
            chosen = parse_period(period, status_year) if period else FilePeriod(status_year=status_year)
            related = RelatedSpec(viewset, account)
            mapping = related.default_mapping(table.headers, imports.auto_mapping(spec, table.headers))
            for item in map:
                header, _sep, field = item.partition("=")
                key = imports.normalise_header(header)[0]
                for index, text in enumerate(table.headers):
                    if imports.normalise_header(text)[0] == key:
                        mapping[str(index)] = field
            for note in table.notes:
                self.stdout.write(note)
            with audit.operation(user=account, source=audit.Source.IMPORT, label=label):
                importer = imports.Importer(
                    viewset,
                    account,
                    table.rows,
                    table.header_row,
                    mapping,
                    headers=table.headers,
                    origins=table.origins,
                    period=chosen,
                )
                outcome = importer.run(commit=not dry_run)
                if not dry_run:
                    importlog.from_command(name, entity, outcome=outcome)
            if not dry_run and outcome.ok:
                planner.refresh_after(f"import-file {name}")  # SQLite's statistics (docs/planner.md)
        except (tabular.FileProblem, imports.ImportError_, PermissionDenied) as exc:
            with audit.operation(user=account, source=audit.Source.IMPORT, label=label):
                importlog.from_command(name, entity, refused=str(exc))
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(
                _("%(name)s could not be read: %(error)s") % {"name": name, "error": exc}
            ) from exc
        plan = column_plan(spec, related, table.headers, mapping, chosen)
        for column in plan:
            self.stdout.write(f"  {column['header']} → {column['destination'] or _('(ignored)')}")
        ignored = [c["header"] for c in plan if not c["destination"]]
        if ignored:
            self.stdout.write(_("Ignored columns: %(columns)s") % {"columns": "、".join(ignored)})
        for note in outcome.notes:
            self.stdout.write(note)
        for skipped in outcome.skipped:
            self.stdout.write(
                _("Skipped: %(where)s: %(reason)s") % {"where": _where(skipped), "reason": skipped["reason"]}
            )
        for error in outcome.errors:
            self.stderr.write(
                _("%(where)s %(column)s: %(message)s")
                % {
                    "where": _where(error.as_dict()),
                    "column": error.column or error.field,
                    "message": error.message,
                }
            )
        if not outcome.ok:
            raise CommandError(_("%(n)s error(s); nothing was written.") % {"n": outcome.error_count})
        self.stdout.write(
            (
                _(
                    "%(name)s: would add %(added)s, change %(changed)s, leave %(unchanged)s unchanged (%(seconds)s s)"
                )
                if dry_run
                else _(
                    "%(name)s: added %(added)s, changed %(changed)s, unchanged %(unchanged)s (%(seconds)s s)"
                )
            )
            % {
                "name": name,
                "added": outcome.created,
                "changed": outcome.updated,
                "unchanged": outcome.unchanged,
                "seconds": f"{time.perf_counter() - started:.1f}",
            }
        )
        for prefix, counts in outcome.related.items():
            entity_name = related.specs[prefix].model._meta.verbose_name_plural
            self.stdout.write(
                "  "
                + _("%(label)s: added %(added)s, changed %(changed)s, unchanged %(unchanged)s")
                % {
                    "label": entity_name,
                    "added": counts["created"],
                    "changed": counts["updated"],
                    "unchanged": counts["unchanged"],
                }
            )


def _where(row: dict) -> str:
    """ "Row 12", or "Sheet 高平市 row 12" when sheets are read together."""
    if row.get("sheet"):
        return _("Sheet %(sheet)s row %(row)s") % row
    return _("Row %(row)s") % row
