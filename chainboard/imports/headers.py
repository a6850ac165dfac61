"""Finding the header row and reading its titles (units, merged group titles)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from chainboard.imports.outcome import ImportError_

if TYPE_CHECKING:
    from chainboard.imports.mapping import Spec


UNITS = {"元": 1, "千元": 1_000, "万元": 10_000, "亿元": 100_000_000}
IGNORED_HEADERS = {"序号", "no", "no.", "#", "行号"}
HEADER_SCAN_ROWS = 20
_HEADER_SPACE = re.compile(r"[\s\u3000]+")
_UNIT = re.compile(r"^(.*?)[(（\[【]\s*(元|千元|万元|亿元)\s*[)）\]】]$")


def normalise_header(text: str) -> tuple[str, str]:
    """("总投资", "万元") for "总投资（万元）*"; lower-cased, spaces and required-markers removed."""
    text = _HEADER_SPACE.sub("", str(text or "")).strip("*＊")
    unit = ""
    match = _UNIT.match(text)
    if match:
        text, unit = match.group(1), match.group(2)
    return text.replace("（", "(").replace("）", ")").lower(), unit


def find_header(rows: list[list[str]], spec: Spec, at: int | None = None) -> tuple[int, list[str]]:
    """The header's last row (0-based; the data start below it) and one title per column.

    The header is found among the first rows (or, with ``at``, starts at row ``at``, as the user
    chose): it is the row whose titles name the most fields, or two rows read as one where that names
    more (a two-row merged header). In a two-row header a title over a blank cell spans both rows (a
    cell merged down); a title over titles is their group (a cell merged across: only its first cell
    holds the text), and each child becomes group + child where that names a field, else the child
    alone where that does, else group + child. A title row, a 填报单位 line or a blank row above the
    header names no field and is passed over.
    """
    candidates = [at] if at is not None else range(min(HEADER_SCAN_ROWS, len(rows)))
    best: tuple[int, int, list[str]] | None = None  # (score, last row, titles)
    for index in candidates:
        if index < 0 or index >= len(rows):
            raise ImportError_(
                _("Row %(row)s is not in the sheet, which has %(n)s rows.")
                % {"row": index + 1, "n": len(rows)}
            )
        options = [(index, list(rows[index]))]
        if index + 1 < len(rows) and sum(1 for c in rows[index] if c) > 1:
            # A row of one cell above the header is a title (merged across), not a group: two rows are
            # read as one only where the top row has titles of its own, and only where that names more
            # than the lower row alone (else a title would prefix every column it spans).
            merged = merge_header_rows(rows[index], rows[index + 1], spec)
            if _score(merged, spec) > _score(list(rows[index + 1]), spec):
                options.append((index + 1, merged))
        for last, titles in options:  # the single row first: two rows must name more to be taken
            score = _score(titles, spec)
            if score and (best is None or score > best[0]):
                best = (score, last, titles)
    if best is not None:
        return best[1], best[2]
    if at is not None:
        return at, list(rows[at])  # the user's row, mapped by hand
    # No title names a field: the first row with several cells is the header, mapped by hand.
    first = next((i for i, row in enumerate(rows[:HEADER_SCAN_ROWS]) if sum(1 for c in row if c) > 1), -1)
    if first < 0:
        raise ImportError_(
            _("The file has no header row: no row among the first %(n)s has two or more cells.")
            % {"n": HEADER_SCAN_ROWS}
        )
    return first, list(rows[first])


def _score(titles: list[str], spec: Spec) -> int:
    """How many fields the titles name (each field once)."""
    return len({spec.match(t) for t in titles if t} - {None})


def merge_header_rows(top: list[str], bottom: list[str], spec: Spec) -> list[str]:
    """Two header rows read as one title per column (see :func:`find_header`)."""
    titles, group = [], ""
    for i in range(max(len(top), len(bottom))):
        above = top[i] if i < len(top) else ""
        below = bottom[i] if i < len(bottom) else ""
        if above:
            group = above if below else ""  # over a blank cell it is a title merged down, not a group
        if not below:
            titles.append(above)
        elif not group:
            titles.append(below)
        elif spec.match(group + below) or not spec.match(below):
            titles.append(group + below)
        else:
            titles.append(below)
    return titles
