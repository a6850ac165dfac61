"""A file as the importer reads it: its sheet (or all its county sheets as one table), its header.

The file is checked first (``chainboard.tabular.check``: size, zip bomb, XML entities) and read as what
its content is, whatever its name says; a workbook renamed .csv, or CSV text renamed .xlsx, is read
and the user told so (:attr:`Table.notes`). The sheet is the first one unless the user names another.
With ``all_sheets`` every visible sheet whose header reads the same as the first's is read, one after
another, as one table; a summary sheet (汇总, 合计, 总表…) is left out, and so is a sheet whose header
differs; the notes say which. Each row then keeps its sheet and its number there
(:attr:`Table.origins`), which errors, the preview and the skipped rows name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from chainboard import tabular
from chainboard.imports.headers import find_header, normalise_header
from chainboard.imports.mapping import Spec
from chainboard.imports.outcome import ImportError_

SUMMARY_SHEET = re.compile(r"汇总|合计|总计|总表|summary|total", re.IGNORECASE)


@dataclass
class Table:
    rows: list[list[str]]
    header_row: int  # the header's last row (0-based); the data start below it
    headers: list[str]
    sheets: list[str] = field(default_factory=list)  # the workbook's visible sheets ([] for CSV)
    sheet: str = ""  # the sheet read ("" for CSV, or when all sheets are read)
    origins: list[tuple[str, int]] | None = None  # per row of ``rows``: (sheet, row number there)
    notes: list[str] = field(default_factory=list)  # how the file was read, for the user


def read_table(
    path: str,
    name: str,
    spec: Spec,
    *,
    sheet: str | None = None,
    header_at: int | None = None,
    all_sheets: bool = False,
    checked: bool = False,
) -> Table:
    """Read ``path`` (named ``name`` by the user) for ``spec``'s entity. ``header_at``: the header's
    first row as the user chose it (0-based), else it is found. ``checked``: the file passed
    ``tabular.check`` already (a job's stored file). Raises ``tabular.FileProblem`` or ImportError_."""
    notes = []
    kind = tabular.sniff(path) if checked else tabular.check(path, name)
    if note := tabular.kind_note(name, kind):
        notes.append(note)
    sheets = tabular.sheet_names(path, name) if kind != "csv" else []
    if not all_sheets or len(sheets) < 2:
        rows = tabular.read(path, name, sheet or None)
        header_row, headers = find_header(rows, spec, header_at)
        return Table(rows, header_row, headers, sheets, sheet or (sheets[0] if sheets else ""), None, notes)
    return _all_sheets(path, name, spec, sheets, header_at, notes)


def _all_sheets(path, name, spec, sheets: list[str], header_at: int | None, notes: list[str]) -> Table:
    rows: list[list[str]] = []
    origins: list[tuple[str, int]] = []
    headers: list[str] | None = None
    keys: list[str] = []
    read = []
    for sheet in sheets:
        if SUMMARY_SHEET.search(sheet):
            notes.append(_("Sheet %(sheet)s was left out: it is a summary sheet.") % {"sheet": sheet})
            continue
        table = tabular.read(path, name, sheet)
        try:
            header_row, found = find_header(table, spec, header_at)
        except ImportError_:
            notes.append(_("Sheet %(sheet)s was left out: it has no header.") % {"sheet": sheet})
            continue
        found_keys = _keys(found)
        if headers is None:
            headers, keys = found, found_keys
            rows.append(found)
            origins.append((sheet, header_row + 1))
        elif found_keys != keys:
            notes.append(
                _("Sheet %(sheet)s was left out: its header differs from sheet %(first)s's.")
                % {"sheet": sheet, "first": read[0]}
            )
            continue
        read.append(sheet)
        for offset, row in enumerate(table[header_row + 1 :]):
            rows.append(row)
            origins.append((sheet, header_row + 2 + offset))
        if len(rows) > settings.IMPORT_MAX_ROWS + tabular.HEADER_ALLOWANCE:
            raise tabular.FileProblem(
                _("%(name)s has more than %(max)s rows in its sheets; up to %(max)s can be imported at once.")
                % {"name": name, "max": settings.IMPORT_MAX_ROWS}
            )
    if headers is None:
        raise ImportError_(_("No sheet of %(name)s has a header row.") % {"name": name})
    notes.append(_("Sheets read as one table: %(sheets)s.") % {"sheets": "、".join(read)})
    return Table(rows, 0, headers, sheets, "", origins, notes)


def _keys(headers: list[str]) -> list[str]:
    keys = [normalise_header(h)[0] for h in headers]
    while keys and not keys[-1]:
        keys.pop()
    return keys
