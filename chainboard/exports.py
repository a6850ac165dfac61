"""Export exactly what a list shows (its filters and sort, every page, in the user's scope) as CSV or XLSX.

Numbers stay numbers, their unit in the heading (产值（元）; chainboard/formatting.py); dates and times
are ISO 8601 in local time; a model with the 示例数据 flag gets a column saying which rows are sample.

No value is ever run as a formula, and none is changed when nothing would run it:

- XLSX: text is written as text cells (``write_string``), which a spreadsheet shows as they are and never
  evaluates, whatever they start with; numbers as numbers. No apostrophe is added. The file is written by
  XlsxWriter in ``constant_memory`` mode (one row in memory at a time).
- CSV: a spreadsheet opening a CSV evaluates a cell that starts with ``=``, ``@``, ``+`` or ``-`` (and
  one that starts with a tab or a carriage return, which it strips first). :func:`csv_safe` prefixes
  ``'`` to a cell starting with ``=``, ``@``, tab or CR, and to one starting with ``+``/``-`` unless what
  follows is a number or a phone number (``-12.5``, ``+86 356 2021234``, a lone ``-``), which a
  spreadsheet reads as a value and which stay as typed.

File names may be Chinese: Django's FileResponse/Content-Disposition handling encodes them (RFC 6266
``filename*``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import F, Func
from django.db.models.expressions import OrderBy
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.html import strip_tags
from django.utils.http import content_disposition_header

from chainboard import formatting

CHUNK = 2000
MAX_CELL_TEXT = 32767  # Excel's limit on a cell's text
# Characters an XML worksheet cannot hold (XlsxWriter would write them as _xHHHH_ escapes).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ALWAYS_RUN = ("=", "@", "\t", "\r")
# After a leading + or -: a number (-12.5, +1,234, -3%) or a phone number (+86 356 2021234,
# +86 (356) 202-1234), or nothing but signs (a lone "-" for "none"). No letters, so no function, cell
# reference or DDE command can follow.
_SIGNED_VALUE = re.compile(r"[+-](?:[\d.][\d .,()\-]*%?|[+-]*)\Z")


def cell_value(value: Any) -> Any:
    """A table cell as an export holds it: a number stays a number, anything else becomes plain text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return value
    if isinstance(value, formatting.Quantity):
        value = value.number
        return "" if value is None else value
    if isinstance(value, Decimal):
        return formatting.PLAIN.number(value)
    if isinstance(value, dt.date):
        return formatting.iso(value)
    text = value if type(value) is str else force_str(value)
    if "<" in text:  # strip_tags is costly per cell and changes nothing without a "<"
        text = strip_tags(text)
    return text


def csv_safe(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet runs as a formula (numbers and safe text unchanged)."""
    if type(value) is not str or not value:
        return value
    first = value[0]
    if first in _ALWAYS_RUN or (first in "+-" and not _SIGNED_VALUE.match(value)):
        return "'" + value
    return value


def neutralise(value: Any) -> Any:
    """A table cell for a CSV file: :func:`cell_value`, then :func:`csv_safe`."""
    return csv_safe(cell_value(value))


def _rows(table, queryset, cell=cell_value) -> Iterator[list[Any]]:
    # In chunks, prefetches included (one prefetch query per chunk): memory stays flat, and no query
    # carries more ids than SQLite allows variables (250,000), whatever the size of the export.
    model = queryset.model
    flag = table.has_sample_flag(model)
    for obj in queryset.iterator(chunk_size=CHUNK):
        yield [cell(value) for value in table.export_row(model, obj, flag)]


class _Unindexed(Func):
    """SQLite's unary plus: the same value, compared with the same collation, but not one an index
    hands out in order."""

    template = "+%(expressions)s"


def _sorted_not_walked(queryset):
    """The same order, got by sorting the matching rows rather than by walking an index in order.

    Without statistics, SQLite's planner prefers walking the index of the first sort column over the
    whole table, reading each row at random, to sorting what the filters match: that suits a page of 25,
    but an export reads every match. A city's 100,000 enterprises of 1,000,000: 4.9 s walked, 1.4 s
    sorted (bench/README.md). Only plain fields of the model itself are rewritten; any other order is
    left as it is."""
    if connections[queryset.db].vendor != "sqlite":
        return queryset
    meta = queryset.model._meta
    local = {f.attname for f in meta.concrete_fields}  # a plain field's name, a foreign key's column
    terms = []
    for term in queryset.query.order_by or meta.ordering:
        name = term.lstrip("-") if isinstance(term, str) else None
        if name is None or (name != "pk" and name not in local):
            return queryset
        terms.append(OrderBy(_Unindexed(F(name)), descending=term.startswith("-")))
    return queryset.order_by(*terms) if terms else queryset


def write_xlsx(title: str, headers: list[str], rows: Iterable[list[Any]]) -> bytes:
    """One sheet named ``title``: the headers, then the rows; text as text cells, numbers as numbers.

    Control characters, which a worksheet cannot hold, are dropped; text is cut at Excel's 32,767
    characters; an empty cell, or a number that is not finite, is left blank."""
    import xlsxwriter

    buffer = io.BytesIO()
    # constant_memory: each row is written to a temporary file as soon as the next one starts.
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(title[:31])
    write_string, write_number = sheet.write_string, sheet.write_number
    for number, values in enumerate(_with_header(headers, rows)):
        for column, value in enumerate(values):
            if type(value) is str:
                if not value:
                    continue
                if _CONTROL.search(value):
                    value = _CONTROL.sub("", value)
                write_string(number, column, value[:MAX_CELL_TEXT])
            elif value is not None and math.isfinite(value):
                write_number(number, column, value)
    workbook.close()
    return buffer.getvalue()


def _with_header(headers, rows):
    yield headers
    yield from rows


class _Echo:
    def write(self, value):
        return value


def export_response(fmt: str, title: str, table, queryset):
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    headers = table.export_labels(queryset.model)
    queryset = _sorted_not_walked(queryset)
    if fmt == "xlsx":
        response = HttpResponse(
            write_xlsx(title, headers, _rows(table, queryset)),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = content_disposition_header(True, f"{title}-{stamp}.xlsx")
        return response
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # BOM: Excel opens UTF-8 Chinese text correctly
        yield writer.writerow([csv_safe(h) for h in headers])
        # A chunk of rows at a time: one chunk per row made the response's own iteration cost as much
        # as writing the rows.
        batch: list[str] = []
        for row in _rows(table, queryset, neutralise):
            batch.append(writer.writerow(row))
            if len(batch) == CHUNK:
                yield "".join(batch)
                batch.clear()
        if batch:
            yield "".join(batch)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{title}-{stamp}.csv")
    return response
