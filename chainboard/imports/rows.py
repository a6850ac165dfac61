"""The data rows below the header; what is skipped."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

from chainboard.imports.headers import _HEADER_SPACE

TOTAL_MARKERS = {"合计", "总计", "小计", "total"}


@dataclass
class _Row:
    number: int
    cells: dict[str, str]  # field name -> raw text
    instance: models.Model | None = None
    existing: bool = False
    before: dict | None = None
    related: dict[str, list] = field(default_factory=dict)  # m2m field -> objects
    changed: list[str] = field(default_factory=list)
    action: str = "create"
    label: str = ""  # the record's name before the file changed it


def data_rows(rows: list[list[str]], header_row: int, mapping: dict[int, str]) -> list[_Row]:
    """The rows below the header that hold something in a mapped column, 合计 rows left out."""
    out = []
    for offset, raw in enumerate(rows[header_row + 1 :]):
        number = header_row + 2 + offset  # as the spreadsheet numbers it
        cells = {}
        for index, name in mapping.items():
            cells[name] = raw[index].strip() if index < len(raw) and raw[index] else ""
        if not any(cells.values()):
            continue
        first = next((c for c in raw if c), "")
        if _HEADER_SPACE.sub("", first).lower() in TOTAL_MARKERS:
            continue
        out.append(_Row(number, cells))
    return out
