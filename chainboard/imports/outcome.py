"""What an import reports: its row errors, its counts and preview, the limits on them."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_ERRORS = 1_000
PREVIEW_ROWS = 20
MAX_SKIPPED = 500
CHUNK = 500
BATCH = 1_000


class ImportError_(Exception):
    """The import cannot go on (no header found, nothing mapped); the message is for the user."""


@dataclass
class RowError:
    row: int
    column: str
    field: str
    value: str
    message: str
    sheet: str = ""  # the row's sheet, when a file's sheets are imported together
    order: int = 0  # the row's place in the file, for listing errors in file order

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    preview: list[dict] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    total: int = 0
    notes: list[str] = field(default_factory=list)  # what the import decided for the user, said once
    # Related records a wide ledger fills (chainboard/imports/related.py): entity -> counts by action.
    related: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)  # {"sheet", "row", "reason"}, up to MAX_SKIPPED
    skipped_count: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0


class _Rollback(Exception):
    pass


class _Params(dict):
    def __missing__(self, key):
        return ""
