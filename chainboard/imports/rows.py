"""The data rows below the header; what is skipped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext as _

from chainboard.imports.headers import _HEADER_SPACE, normalise_header

TOTAL_MARKERS = {"合计", "总计", "小计", "total"}
# A note below (or inside) the table: 注：…, 注1.…, 说明：…, 备注：…, 填报说明…
_NOTE = re.compile(r"^(注|说明|备注|附注|填报说明|填表说明)\s*([:：\d一二三四五六七八九十、.．(（]|$)")
# A signature line below the table: 填报人：…  审核人：…  联系电话：…
_SIGNATURE = re.compile(
    r"^(填报人|填表人|制表人|审核人|复核人|负责人|单位负责人|分管领导|联系人|联系电话|电话|填报日期|填表日期"
    r"|填报时间|日期|填报单位|报送单位)\s*([:：]|$)"
)


def skip_reasons() -> dict[str, str]:
    """What each reason for passing over a row says to the user."""
    return {
        "blank": _("blank row"),
        "unmapped": _("no value in the columns being imported"),
        "total": _("a subtotal or total row"),
        "note": _("a note"),
        "signature": _("a signature line (填报人, 审核人, 联系电话)"),
        "header": _("the header repeated"),
    }


def skip_reason(raw: list[str], header_keys: list[str] | None = None) -> str:
    """Why a row below the header is not a record, as a key of :func:`skip_reasons` ("" when it is
    one): a subtotal or total, a note, a signature line, or the header repeated (as a sheet printed
    on several pages repeats it)."""
    # Only the first three filled cells are read, and how many there are: a large file's rows are
    # mostly records, and this runs for each of them.
    filled = [c for c in raw if c and c.strip()]
    if not filled:
        return "blank"
    texts = [_HEADER_SPACE.sub("", c) for c in filled[:3]]
    first = texts[0].rstrip(":：").lower()
    if any(t.rstrip(":：").lower() in TOTAL_MARKERS for t in texts) or (
        len(first) <= 16 and first.endswith(("小计", "合计", "总计"))
    ):
        return "total"
    if _NOTE.match(first) and len(filled) <= 3:
        return "note"
    if _SIGNATURE.match(first) and len(filled) <= 10:
        return "signature"
    if (
        header_keys
        and len(raw) >= len(header_keys)
        and all(normalise_header(c)[0] == key for c, key in zip(raw, header_keys, strict=False))
    ):
        return "header"  # (compared cell by cell: a record differs at its first or second cell)
    return ""


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


def data_rows(
    rows: list[list[str]],
    header_row: int,
    mapping: dict[int, str],
    headers: list[str] | None = None,
) -> tuple[list[_Row], list[tuple[int, str]]]:
    """The records below the header, and the rows passed over: (row number, reason key). A blank row is
    listed only where records follow it (the blank rows a sheet ends with are no news)."""
    out: list[_Row] = []
    skipped: list[tuple[int, str]] = []
    blanks: list[tuple[int, str]] = []
    keys = [normalise_header(h)[0] for h in headers] if headers else None
    if keys:
        while keys and not keys[-1]:
            keys.pop()
    for offset, raw in enumerate(rows[header_row + 1 :]):
        number = header_row + 2 + offset  # as the spreadsheet numbers it (the place in the file, for sheets)
        reason = skip_reason(raw, keys)
        cells = {}
        for index, name in mapping.items():
            cells[name] = raw[index].strip() if index < len(raw) and raw[index] else ""
        if not reason and not any(cells.values()):
            reason = "unmapped"
        if reason in ("blank", "unmapped"):
            blanks.append((number, reason))
            continue
        if reason:
            skipped.append((number, reason))
            continue
        skipped += blanks
        blanks = []
        out.append(_Row(number, cells))
    skipped.sort()
    return out, skipped
