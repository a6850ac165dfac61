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


def find_header(rows: list[list[str]], spec: Spec) -> tuple[int, list[str]]:
    """The header row (0-based) and its column titles, merged headers resolved.

    The header is the row among the first ones whose cells name the most fields. Where the row above
    it holds group titles (a merged cell spans its children: only the first cell has the text), each
    child is tried alone, then as group + child, then the group alone for a blank child.
    """
    best, best_score = -1, 0
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = sum(1 for cell in row if cell and spec.match(cell))
        if score > best_score:
            best, best_score = index, score
    if best < 0:
        # No title names a field: the first row with several cells is the header, mapped by hand.
        best = next((i for i, row in enumerate(rows[:HEADER_SCAN_ROWS]) if sum(1 for c in row if c) > 1), -1)
        if best < 0:
            raise ImportError_(
                _("The file has no header row: no row among the first %(n)s has two or more cells.")
                % {"n": HEADER_SCAN_ROWS}
            )
        return best, list(rows[best])
    headers = list(rows[best])
    if best > 0:
        above = rows[best - 1]
        # A title row (one cell of text) is not a group header.
        if sum(1 for c in above if c) > 1:
            group = ""
            for i in range(len(headers)):
                group = above[i] if i < len(above) and above[i] else group
                child = headers[i]
                if child and spec.match(child):
                    continue
                if not group:
                    continue
                if child and spec.match(group + child):
                    headers[i] = group + child
                elif not child:
                    headers[i] = group
    return best, headers
