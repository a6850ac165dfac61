"""Export exactly what a list shows (its filters and sort, every page, in the user's scope) as CSV or XLSX.

Numbers stay numbers, their unit in the heading (产值（元）; chainboard/formatting.py); dates and times
are in local time, ISO 8601 text in a CSV and date cells (``yyyy-mm-dd``, ``yyyy-mm-dd hh:mm:ss``) in an
XLSX; a model with the 示例数据 flag gets a column saying which rows are sample.

An export reads its rows with ``values_list``, not as model instances (:class:`_ValuesPlan`): each column
is worked out once per export from the model's fields (a choice's labels, a measure, a related row's
name, the value's kind); a column with a ``render`` reads what its ``Column.reads`` names, a model's
own display, property or method what its ``@reads`` names (chainboard/tables.py). A table with a
column that cannot be read that way (a path across a to-many relation, a measure the row picks, a
render or computed attribute that declares nothing) is exported from model instances, the same cells
either way (docs/exports.md).

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
import inspect
import io
import math
import re
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from functools import partial, partialmethod
from itertools import islice
from keyword import iskeyword
from operator import itemgetter
from typing import Any

from django.core.exceptions import FieldDoesNotExist, FieldError, ImproperlyConfigured
from django.db import connections, models
from django.db.models import F, Func
from django.db.models.expressions import OrderBy
from django.db.models.query_utils import DeferredAttribute
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.html import strip_tags
from django.utils.http import content_disposition_header

from chainboard import formatting

CHUNK = 2000
MAX_CELL_TEXT = 32767  # Excel's limit on a cell's text
# Excel's limit on a sheet's rows, the header row included. XlsxWriter does not fail past it: each write
# returns -1 and the row is dropped, so a longer export would arrive cut short without a word.
XLSX_MAX_ROWS = 1_048_576
DATE_FORMAT, DATETIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"  # an XLSX date cell's number format
# Characters an XML worksheet cannot hold (XlsxWriter would write them as _xHHHH_ escapes).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ALWAYS_RUN = ("=", "@", "\t", "\r")
_MAY_RUN = "=@\t\r+-"  # a cell starting with one of these may need csv_safe's apostrophe
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


def xlsx_value(value: Any) -> Any:
    """A table cell as an XLSX export holds it: :func:`cell_value`, but a date or a time stays one (in
    local time, without its zone, which a worksheet cannot hold), for a date cell."""
    if isinstance(value, dt.datetime):
        return _local(value)
    if isinstance(value, dt.date):
        return value
    return cell_value(value)


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


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
    """The rows from model instances (a table :class:`_ValuesPlan` cannot read from values)."""
    # In chunks, prefetches included (one prefetch query per chunk): memory stays flat, and no query
    # carries more ids than SQLite allows variables (250,000), whatever the size of the export.
    model = queryset.model
    flag = table.has_sample_flag(model)
    for obj in queryset.iterator(chunk_size=CHUNK):
        yield [cell(value) for value in table.export_row(model, obj, flag)]


# ---- rows read as values -------------------------------------------------------------------------------
#
# Building a model instance per row and walking each column's path on it (``Column.value``) took twice
# the time of the query itself in a 100,000-row export (bench/README.md, "Issue 13: lists, facets, API,
# export"). A :class:`_ValuesPlan` reads the same values with ``values_list`` and turns each into its
# cell with a function chosen once per export and column. ``test_scope_exports_search.py`` holds its
# files equal to those built from instances (``Table.export_row``) for every registered list and role,
# ``test_exports.py`` to the files written before the plan existed (docs/exports.md).


class _Unplanned(Exception):
    """A column the plan cannot read from values: the export reads model instances."""


_ABSENT = object()  # a related row that is not there


def _exported(value: Any) -> Any:
    """What ``Table.export_row`` makes of a column's value without a measure (``formatting.shown``)."""
    if value is None or value == "":
        return None
    if isinstance(value, formatting.Quantity):
        return value.number
    if isinstance(value, Decimal):
        return formatting.PLAIN.number(value)
    return value


def _csv_text(value):
    if not value:  # None or ""
        return ""
    if "<" in value:
        value = strip_tags(value)
    return csv_safe(value) if value and value[0] in _MAY_RUN else value


def _xlsx_text(value):
    if not value:
        return None
    return strip_tags(value) if "<" in value else value


def _csv_any(value):
    if type(value) is str:
        return _csv_text(value)
    return neutralise(_exported(value))


def _xlsx_any(value):
    if type(value) is str:
        return _xlsx_text(value)
    return xlsx_value(_exported(value))


def _number(value):  # an integer or a float field: the number itself, blank when unknown
    return "" if value is None else value


def _decimal(value):
    return "" if value is None else formatting.PLAIN.number(value)


def _csv_bool(value):
    return "" if value is None else ("是" if value else "否")


def _csv_date(value):
    return "" if value is None else formatting.iso(value)


def _xlsx_datetime(value):
    return None if value is None else _local(value)


def _identity(value):
    return value


# A value's cell by the kind of its field, per format (CSV text, XLSX typed).
_CELLS = {
    "csv": {
        "any": _csv_any,
        "text": _csv_text,
        "number": _number,
        "decimal": _decimal,
        "bool": _csv_bool,
        "date": _csv_date,
        "datetime": _csv_date,
    },
    "xlsx": {
        "any": _xlsx_any,
        "text": _xlsx_text,
        "number": _number,
        "decimal": _decimal,
        "bool": _csv_bool,
        "date": _identity,
        "datetime": _xlsx_datetime,
    },
}


def _kind(field) -> str:
    """How a field's values become cells: by their Python type, known from the field's class (any type
    for a field that converts what the database gives it: a JSON field, a field of a project's own)."""
    if hasattr(field, "from_db_value"):
        return "any"
    if isinstance(field, models.ForeignKey):  # its column: the value of the field it refers to
        return _kind(field.target_field)
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.DecimalField):
        return "decimal"
    if isinstance(field, models.IntegerField | models.FloatField):
        return "number"
    if isinstance(field, models.CharField | models.TextField):
        return "text"
    return "any"


class _Related:
    """The rows a foreign key refers to, read a chunk of rows at a time by their keys (one query per
    chunk, ``in_bulk``), each kept once for the export: what ``made`` makes of it (the related row's
    ``str()`` as a cell, or the row itself for a render that reads it). A related table with more rows
    than :attr:`KEEP` is read again as needed rather than kept whole."""

    KEEP = 20_000

    def __init__(self, field, index: int, database: str, made: Callable):
        self.index, self.made, self.kept = index, made, {}
        target = field.target_field
        self.rows = field.related_model._base_manager.using(database)
        self.key = "pk" if target.primary_key else target.name

    def load(self, chunk: list[tuple]) -> None:
        keys = {row[self.index] for row in chunk} - self.kept.keys()
        keys.discard(None)
        if keys:
            if len(self.kept) + len(keys) > self.KEEP:
                self.kept = {}
                keys = {row[self.index] for row in chunk} - {None}
            found = self.rows.in_bulk(keys, field_name=self.key)
            for key in keys:
                self.kept[key] = self.made(found.get(key))

    def __call__(self, key):
        return self.kept[key] if key is not None else self.made(None)


class _ValuesPlan:
    """The columns of an export read from ``values_list`` rows: :attr:`names` to select (the primary key
    first, so that a ``DISTINCT`` keeps two rows that read alike), and per export column a reader of the
    selected tuple with the function that makes its cell, both chosen here, once. Raises
    :class:`_Unplanned` for a column it cannot read.

    A column's path is walked as ``Column.value`` walks it on an instance: through foreign keys; then
    Django's ``get_<name>_display`` of a field with choices (its labels, made once), a model's own
    ``get_<name>_display``, property or method that declares what it reads (``tables.reads``), a
    field, or one of the table's display values; a foreign key at the end is the related row's
    ``str()``."""

    def __init__(self, table, queryset, fmt: str):
        self.model = model = queryset.model
        self.database = queryset.db
        self.annotations = queryset.query.annotations
        self.cells = _CELLS[fmt]
        self.names: list[str] = ["pk"]
        # (reader of the selected tuple, its value's cell; None: the reader gives the cell)
        self.columns: list[tuple[Callable, Callable | None]] = []
        self.related: list[_Related] = []
        for column in table.columns:
            if len(column.measures(model)) > 1:  # a measure the row picks (formatting.PerRow)
                raise _Unplanned(column.name)
            if column.render is not None:
                if column.reads is None:
                    raise _Unplanned(column.name)
                who = f"Column {column.name!r}"
                self.columns.append(
                    (self._light(model, [], column.reads, column.render, self.cells["any"], who), None)
                )
            else:
                self.columns.append(self._path(column.name))
        if table.has_sample_flag(model):
            self.columns.append((itemgetter(self._select("is_sample")), self.cells["bool"]))

    def _select(self, lookup: str) -> int:
        if lookup not in self.names:
            self.names.append(lookup)
        return self.names.index(lookup)

    def _path(self, name: str) -> tuple[Callable, Callable]:
        owner, lookups = self.model, []
        *path, last = name.split(".")
        for part in path:  # only through foreign keys (a to-many relation has no one value)
            field = self._field(owner, part)
            if inspect.getattr_static(owner, f"get_{part}_display", None) is not None:
                raise _Unplanned(name)
            if not (field.many_to_one or field.one_to_one) or part != field.name:
                raise _Unplanned(name)
            owner = field.related_model
            lookups.append(part)
        measure = formatting.declared(owner, last)
        if isinstance(measure, formatting.PerRow):
            raise _Unplanned(name)
        display = inspect.getattr_static(owner, f"get_{last}_display", None)
        if isinstance(display, partialmethod):  # Django's, for a field with choices
            field = display.keywords.get("field")
            if field is None or field.name != last or measure is not None:
                raise _Unplanned(name)
            getter = itemgetter(self._select("__".join([*lookups, field.attname])))
            return self._guarded(lookups, getter, self._choices(field))
        attribute = inspect.getattr_static(owner, last, None)
        if display is not None or isinstance(attribute, property) or inspect.isfunction(attribute):
            # The model's own display, property or method: readable when it says what it reads.
            function = display if display is not None else attribute
            function = function.fget if isinstance(function, property) else function
            names = getattr(function, "reads", None)
            if names is None or not inspect.isfunction(function):
                raise _Unplanned(name)
            cell = self._measured(measure) if measure is not None else self.cells["any"]
            read = self._light(owner, lookups, names, function, cell, f"{owner.__name__}.{function.__name__}")
            return self._guarded(lookups, read, None)
        field = None
        if not path and last in self.annotations:  # Table.display_values
            lookup = last
            try:
                field = self.annotations[last].output_field
            except FieldError:  # no one type: each value as it comes
                pass
        else:
            field = self._field(owner, last)
            lookup = "__".join([*lookups, last])
            if field.is_relation and last == field.name:  # the related row's str()
                if not (field.many_to_one or field.one_to_one) or measure is not None:
                    raise _Unplanned(name)
                related = _Related(field, self._select(lookup), self.database, self.cells["any"])
                self.related.append(related)
                return itemgetter(related.index), related
            if field.descriptor_class is not DeferredAttribute and last == field.name:  # a file, say
                raise _Unplanned(name)
        getter = itemgetter(self._select(lookup))
        if measure is not None:
            return getter, self._measured(measure)
        return getter, self.cells[_kind(field) if field is not None else "any"]

    def _guarded(self, lookups: list[str], read: Callable, cell: Callable | None) -> tuple[Callable, Any]:
        """Through foreign keys, a blank cell where one of them is empty (``Column.value`` stops at the
        first None), not a choice's label for None nor a method's answer for empty fields."""
        if not lookups:
            return read, cell
        related, blank = itemgetter(self._select("__".join(lookups))), self.cells["any"](None)
        if cell is None:  # the reader gives the cell
            return (lambda row: read(row) if related(row) is not None else blank), None
        return (lambda row: read(row) if related(row) is not None else _ABSENT), (
            lambda value: blank if value is _ABSENT else cell(value)
        )

    @staticmethod
    def _field(model, name: str):
        try:
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        except FieldDoesNotExist:
            raise _Unplanned(name) from None  # an attribute the plan does not know
        if not field.concrete:  # a to-many relation, a generic foreign key
            raise _Unplanned(name)
        return field

    def _light(self, owner, lookups: list[str], names, call: Callable, cell: Callable, who: str) -> Callable:
        """A reader of the cell ``cell(call(row))`` for a light row (a named tuple) holding ``names`` of
        ``owner``: a field's value, or for a foreign key the related row (read a chunk at a time).

        ``call`` reads nothing but ``names`` (that is what declaring them says), so the same values give
        the same cell within one export: each cell is made once per distinct values (up to
        ``_Related.KEEP`` of them at a time; values that cannot be a key, such as a JSON field's, are
        not kept)."""
        names = tuple(names)
        if not names or not all(n.isidentifier() and not iskeyword(n) and n[0] != "_" for n in names):
            raise ImproperlyConfigured(f"{who}: reads must name attributes, not {names!r}")
        related_before = len(self.related)
        indexes, getters = [], []
        for name in names:
            lookup, field = self._readable(owner, lookups, name, who)
            index = self._select(lookup)
            indexes.append(index)
            if field is not None and field.is_relation and name == field.name:
                related = _Related(field, index, self.database, _identity)
                self.related.append(related)
                getters.append(lambda row, index=index, related=related: related(row[index]))
            else:
                getters.append(itemgetter(index))
        if len(getters) == 1:
            (get,) = getters

            def values(row):
                return (get(row),)

        elif len(self.related) == related_before:  # plain values only: one itemgetter for all
            values = itemgetter(*indexes)
        else:

            def values(row):
                return tuple([get(row) for get in getters])

        # The named tuple made straight from the values (what its _make does, without a Python call).
        make = partial(tuple.__new__, namedtuple(f"{owner.__name__}Values", names))
        made: dict = {}
        keep = True

        def read(row):
            nonlocal keep
            key = values(row)
            if keep:
                try:
                    return made[key]
                except KeyError:
                    result = made[key] = cell(call(make(key)))
                    if len(made) > _Related.KEEP:
                        made.clear()
                    return result
                except TypeError:  # a value that cannot be a key: make each cell
                    keep = False
            return cell(call(make(key)))

        return read

    def _readable(self, owner, lookups: list[str], name: str, who: str) -> tuple[str, Any]:
        """``name`` as ``values_list`` selects it, with its field: a concrete field, a foreign key (its
        key selected, the related row read by key), a foreign key's column (``region_id``) or, on the
        table's own model, an annotation (``Table.display_values``; no field)."""
        if not lookups and name in self.annotations:
            return name, None
        try:
            field = owner._meta.pk if name == "pk" else owner._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if field is None or not field.concrete:
            raise ImproperlyConfigured(
                f"{who} reads {name!r} of {owner.__name__}, which is not a field, a foreign key, a foreign "
                "key's column (…_id) or one of the table's display values"
            )
        return "__".join([*lookups, name]), field

    def _choices(self, field) -> Callable:
        """A field with choices: its label, as ``get_<name>_display`` gives it; a value outside the
        choices as it is. Each value's cell made once."""
        try:
            labels = {value: force_str(label, strings_only=True) for value, label in field.flatchoices}
        except TypeError:  # a choice that cannot be a key
            raise _Unplanned(field.name) from None
        any_cell = self.cells["any"]
        made: dict = {}

        def cell(value):
            try:
                return made[value]
            except KeyError:
                made[value] = result = any_cell(labels.get(value, value))
                return result
            except TypeError:  # a value that cannot be a key: not one of the choices
                return any_cell(value)

        return cell

    def _measured(self, measure) -> Callable:
        """A number with its measure: the plain number (``Quantity.number``), its unit in the heading."""
        number, any_cell = measure.number, self.cells["any"]

        def cell(value):
            if value is None or value == "":
                return any_cell(None)
            return any_cell(number(value))

        return cell

    def rows(self, queryset) -> Iterator[tuple]:
        """The cells, a chunk of rows at a time (each related row's name read once per chunk), made a
        column at a time: ``map`` and ``zip`` walk the chunk, so that no Python loop runs per row."""
        rows = queryset.prefetch_related(None).values_list(*self.names).iterator(chunk_size=CHUNK)
        columns = self.columns
        while chunk := list(islice(rows, CHUNK)):
            for related in self.related:
                related.load(chunk)
            cells = [
                map(read, chunk) if cell is None else map(cell, map(read, chunk)) for read, cell in columns
            ]
            yield from zip(*cells, strict=True)


def _plan(table, queryset, fmt: str) -> _ValuesPlan | None:
    """The table's plan for reading values, or None when one of its columns needs model instances."""
    try:
        return _ValuesPlan(table, queryset, fmt)
    except _Unplanned:
        return None


def export_rows(table, queryset, fmt: str) -> Iterator[list[Any]]:
    """Every row of ``queryset`` as the cells of a ``fmt`` ("csv": text, neutralised; "xlsx": typed)
    export, read as values when the table allows, else from model instances."""
    plan = _plan(table, queryset, fmt)
    if plan is not None:
        return plan.rows(queryset)
    return _rows(table, queryset, neutralise if fmt == "csv" else xlsx_value)


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


class TooManyRows(ValueError):
    """More rows than a worksheet holds (:data:`XLSX_MAX_ROWS`): the file would be cut short."""


def xlsx_too_long(count: int) -> bool:
    """Would ``count`` rows under a header row overflow a worksheet?"""
    return count + 1 > XLSX_MAX_ROWS


def write_xlsx(title: str, headers: list[str], rows: Iterable[list[Any]]) -> bytes:
    """One sheet named ``title``: the headers, then the rows; text as text cells, numbers as numbers,
    dates and times as date cells (``yyyy-mm-dd``, ``yyyy-mm-dd hh:mm:ss``; an aware time in local time).

    Control characters, which a worksheet cannot hold, are dropped; text is cut at Excel's 32,767
    characters; an empty cell, or a number that is not finite, is left blank. More rows than a worksheet
    holds raise :class:`TooManyRows` rather than write a file that silently lacks the rest (callers
    count first and tell the user; this is the last guard)."""
    import xlsxwriter

    buffer = io.BytesIO()
    # constant_memory: each row is written to a temporary file as soon as the next one starts (text
    # written in line, no shared-string table held in memory).
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(title[:31])
    date_format = workbook.add_format({"num_format": DATE_FORMAT})  # one format each, for every cell
    datetime_format = workbook.add_format({"num_format": DATETIME_FORMAT})
    write_string, write_number, write_datetime = sheet.write_string, sheet.write_number, sheet.write_datetime
    date, datetime, isfinite = dt.date, dt.datetime, math.isfinite
    for number, values in enumerate(_with_header(headers, rows)):
        if number >= XLSX_MAX_ROWS:
            workbook.close()
            raise TooManyRows(number)
        for column, value in enumerate(values):
            kind = type(value)
            if kind is str:
                if not value:
                    continue
                if _CONTROL.search(value):
                    value = _CONTROL.sub("", value)
                write_string(number, column, value[:MAX_CELL_TEXT])
            elif kind is int or kind is float:
                if isfinite(value):
                    write_number(number, column, value)
            elif value is None:
                continue
            elif isinstance(value, datetime):
                write_datetime(number, column, _local(value), datetime_format)
            elif isinstance(value, date):
                write_datetime(number, column, value, date_format)
            elif isfinite(value):
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
    rows = export_rows(table, queryset, fmt)
    if fmt == "xlsx":
        response = HttpResponse(
            write_xlsx(title, headers, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = content_disposition_header(True, f"{title}-{stamp}.xlsx")
        return response

    def stream():
        yield "\ufeff"  # BOM: Excel opens UTF-8 Chinese text correctly
        yield csv.writer(_Echo()).writerow([csv_safe(h) for h in headers])
        # A chunk of rows at a time: one chunk per row made the response's own iteration cost as much
        # as writing the rows.
        while chunk := list(islice(rows, CHUNK)):
            text = io.StringIO()
            csv.writer(text).writerows(chunk)
            yield text.getvalue()

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{title}-{stamp}.csv")
    return response
