"""The importer: one file's rows checked, then written all or nothing."""

from __future__ import annotations

import gc
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from chainboard.imports.checking import Checking
from chainboard.imports.headers import UNITS, normalise_header
from chainboard.imports.mapping import Spec
from chainboard.imports.outcome import MAX_ERRORS, MAX_SKIPPED, Outcome, RowError, _Rollback
from chainboard.imports.related import FilePeriod
from chainboard.imports.relatedrows import RelatedRows
from chainboard.imports.rows import _Row, data_rows, skip_reasons
from chainboard.imports.writing import Writing


class Importer(Checking, Writing):
    """Check and write the rows of one file. ``rows`` are the file's rows as strings."""

    def __init__(
        self,
        viewset,
        user,
        rows: list[list[str]],
        header_row: int,
        mapping: dict[str, str],
        *,
        headers: list[str] | None = None,
        origins: list[tuple[str, int]] | None = None,
        progress: Callable[[int, int], None] | None = None,
        on_phase: Callable[[str], None] | None = None,
        period: FilePeriod | None = None,
    ):
        self.viewset = viewset
        self.model = viewset.model
        self.user = user
        self.spec = Spec(viewset, user)
        self.header_row = header_row
        self.headers = headers if headers is not None else list(rows[header_row])
        self.mapping = {int(k): v for k, v in mapping.items() if v and v in self.spec.columns}
        self.rows = rows
        # Each row's sheet and number there, when several sheets are read as one table (reading.py);
        # a row is otherwise numbered as the spreadsheet numbers it.
        self.origins = origins
        self.progress = progress
        self.on_phase = on_phase
        self.outcome = Outcome()
        # Columns mapped to related entities (a wide ledger's 产值, 联系人…): imports/related.py.
        self.wide = RelatedRows(self, mapping, period or FilePeriod())
        self.units = {}
        for index, name in self.mapping.items():
            header = self.headers[index] if index < len(self.headers) else ""
            self.units[index] = UNITS.get(normalise_header(header)[1], 1)

    # -- errors -----------------------------------------------------------------------------------
    def _column_title(self, name: str) -> str:
        for index, mapped in self.mapping.items():
            if mapped == name:
                return self.headers[index] if index < len(self.headers) else name
        return ""

    def error(self, row: int, name: str, message: str, value: str = "") -> None:
        column = self.spec.columns.get(name)
        title, label = (self._column_title(name), column.label) if column else ("", "")
        self._record(RowError(row, title, label, value[:100], message))

    def _record(self, error: RowError) -> None:
        self.outcome.error_count += 1
        if len(self.outcome.errors) < MAX_ERRORS:
            error.order = error.row
            error.sheet, error.row = self.where(error.row)
            self.outcome.errors.append(error)

    def where(self, number: int) -> tuple[str, int]:
        """(sheet, row number in it) of the file's row ``number`` ("" for the only sheet)."""
        if self.origins is None or not 0 < number <= len(self.origins):
            return "", number
        return self.origins[number - 1]

    def row_name(self, number: int) -> str:
        """A row as a message names it: "12", or "高平市 12" when several sheets are read."""
        sheet, row = self.where(number)
        return f"{sheet} {row}" if sheet else str(row)

    # -- reading ----------------------------------------------------------------------------------
    def _data_rows(self) -> list[_Row]:
        rows, skipped = data_rows(
            self.rows, self.header_row, {**self.mapping, **self.wide.mapping}, self.headers
        )
        self.wide.take(rows)
        reasons = skip_reasons()
        self.outcome.skipped_count = len(skipped)
        for number, reason in skipped[:MAX_SKIPPED]:
            sheet, row = self.where(number)
            self.outcome.skipped.append({"sheet": sheet, "row": row, "reason": reasons[reason]})
        return rows

    # -- writing ----------------------------------------------------------------------------------
    def run(self, *, commit: bool, versions: dict[str, int] | None = None) -> Outcome:
        """Check every row, then write them all in one transaction, or nothing.

        ``commit=False`` is the dry run behind the preview: rows are written and checked against scope
        and the database's constraints, then rolled back. ``versions`` are those the preview saw: a
        record changed since stops the import.
        """
        # The rows and their instances live until the import ends, and the check makes a million such
        # objects at 100,000 rows: each full garbage collection would walk all of them again (a quarter
        # of the check's time). They are frozen as they are made (gc.freeze) and thawed here at the end.
        try:
            rows = self.check()
            self.wide.check()
            if not self.outcome.ok:
                return self.outcome
            if self.on_phase:
                self.on_phase("writing")
            try:
                with transaction.atomic():
                    written = self._write(rows, commit=commit, versions=versions)
                    if self.outcome.ok:
                        self.wide.write(commit=commit)
                    if not self.outcome.ok or not commit:
                        raise _Rollback
                    # The search index changes with the rows, in their transaction (chainboard.search):
                    # nothing is left to do after the commit, nothing half-done if the process dies.
                    self._index(*written)
            except _Rollback:
                return self.outcome
            except IntegrityError as exc:
                self.error(0, "", _("The database refused the rows: %(error)s") % {"error": exc})
                return self.outcome
        finally:
            gc.unfreeze()
        return self.outcome
