"""Export exactly what a list shows (its filters and sort, every page, in the user's scope) as CSV or XLSX.

Numbers stay numbers, their unit in the heading (产值（元）; chainboard/formatting.py); dates and times
are ISO 8601 in local time; a model with the 示例数据 flag gets a column saying which rows are sample.

Cells that start with ``= + - @`` are neutralised with a leading apostrophe so that a spreadsheet never
runs them as formulas. File names may be Chinese: Django's FileResponse/Content-Disposition handling
encodes them (RFC 6266 ``filename*``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterator
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
from lxml.etree import Element, SubElement
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from chainboard import formatting

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000
MAX_CELL_TEXT = 32767  # Excel's limit on a cell's text


def neutralise(value: Any) -> Any:
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
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _rows(table, queryset) -> Iterator[list[Any]]:
    # In chunks, prefetches included (one prefetch query per chunk): memory stays flat, and no query
    # carries more ids than SQLite allows variables (250,000), whatever the size of the export.
    model = queryset.model
    flag = table.has_sample_flag(model)
    for obj in queryset.iterator(chunk_size=CHUNK):
        yield [neutralise(value) for value in table.export_row(model, obj, flag)]


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


_PRESERVE = "{http://www.w3.org/XML/1998/namespace}space"


class _RowSheet(WriteOnlyWorksheet):
    """A write-only sheet whose rows are built as one lxml element each.

    openpyxl's own ``append`` makes a cell object per value, checks it, and writes it through a context
    manager per cell: 5.6 s for 100,000 rows of six cells, of an export's 8.7 s. Exports hold only text
    and numbers, already neutralised, so each row goes to the same stream as one ``<row>`` element of
    inline strings and numbers with their references, as openpyxl writes them: 2.8 s (bench/README.md).
    Control characters, which a worksheet cannot hold (openpyxl refuses them), are dropped. The workbook,
    styles and the package around the sheet are openpyxl's. ``test_exports`` reads the file back with
    openpyxl and python-calamine and compares it with what openpyxl's own ``append`` writes.
    """

    def _write_rows(self):  # the generator openpyxl's append sends each row to
        xf = self._writer.xf.send(True)
        with xf.element("sheetData"):
            index = 1
            try:
                while True:
                    values = yield
                    number = str(index)
                    row = Element("row", r=number)
                    for column, value in enumerate(values, 1):
                        if isinstance(value, str):
                            if not value:
                                continue
                            if ILLEGAL_CHARACTERS_RE.search(value):  # control characters
                                value = ILLEGAL_CHARACTERS_RE.sub("", value)
                            value = value[:MAX_CELL_TEXT]
                            cell = SubElement(row, "c", r=get_column_letter(column) + number, t="inlineStr")
                            text = SubElement(SubElement(cell, "is"), "t")
                            if value != value.strip():
                                text.set(_PRESERVE, "preserve")
                            text.text = value
                        elif value is not None and math.isfinite(value):  # as openpyxl formats numbers
                            cell = SubElement(row, "c", r=get_column_letter(column) + number)
                            SubElement(cell, "v").text = "%.16g" % value
                    xf.write(row)
                    index += 1
            except GeneratorExit:
                pass
        self._writer.xf.send(None)


def _xlsx_sheet(workbook, title: str) -> _RowSheet:
    sheet = _RowSheet(parent=workbook, title=title)
    workbook._sheets.append(sheet)
    return sheet


class _Echo:
    def write(self, value):
        return value


def export_response(fmt: str, title: str, table, queryset):
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    headers = table.export_labels(queryset.model)
    queryset = _sorted_not_walked(queryset)
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = _xlsx_sheet(workbook, title[:31])
        sheet.append(headers)
        for row in _rows(table, queryset):
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = content_disposition_header(True, f"{title}-{stamp}.xlsx")
        return response
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # BOM: Excel opens UTF-8 Chinese text correctly
        yield writer.writerow(headers)
        for row in _rows(table, queryset):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{title}-{stamp}.csv")
    return response
