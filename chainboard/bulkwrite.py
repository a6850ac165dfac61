"""Insert many new rows fast: values prepared field by field and written with ``executemany``.

Django's ``bulk_create`` builds every value through the SQL compiler (about 30 µs a value here), which
is most of an import's write time at 100,000 rows. This writes the same values (``auto_now`` fields
are set; ``get_db_prep_save`` adapts them as ``save()`` would, column by column) with one statement
per batch. Ids are reserved first, so every object knows its id afterwards on both databases:

- PostgreSQL: ``nextval`` of the id column's sequence, N at once;
- SQLite: above the largest id ever used (the table's ``sqlite_sequence`` entry and ``MAX(id)``). The
  write transaction is ``BEGIN IMMEDIATE`` (settings), so no other writer can take those ids meanwhile.

Call inside ``transaction.atomic()``. No signals are sent (the application uses none).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import signals
from django.db.models.base import ModelState
from django.utils import timezone

BATCH = 2_000


class JsonText(str):
    """A JSON field's value already encoded as JSON text: :func:`insert_values` writes it as it is
    (the audit chain encodes an entry's before and after once, for its hash and the INSERT alike)."""

    __slots__ = ()


def builder(model: type[models.Model]) -> Callable[..., models.Model]:
    """A maker of new ``model`` instances from field values by attribute name (``region_id=...``), for
    many objects at once: it leaves what ``model(**values)`` leaves, without the constructor's checks of
    each field and argument (they cost more than the rest of an imported row's write). Fields not given
    take their defaults. A model with ``pre_init`` or ``post_init`` receivers is built the usual way."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return lambda **values: model(**values)
    fixed, computed = {}, []
    for f in model._meta.concrete_fields:
        if f.has_default() and callable(f.default):
            computed.append((f.attname, f.get_default))  # a new value (a dict, a time) per object
        else:
            fixed[f.attname] = f.get_default()

    def build(**values) -> models.Model:
        obj = model.__new__(model)
        obj._state = ModelState()
        attributes = obj.__dict__
        attributes.update(fixed)
        for attname, default in computed:
            attributes[attname] = default()
        attributes.update(values)
        return obj

    return build


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        qn = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({qn(column)}), 0) FROM {qn(table)}")  # noqa: S608
        largest = cursor.fetchone()[0]
        try:
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
        except Exception:  # noqa: BLE001 - no AUTOINCREMENT table yet
            row = None
        start = max(largest, row[0] if row else 0) + 1
    return list(range(start, start + count))


def insert_new(model: type[models.Model], objs: list[models.Model]) -> None:
    """INSERT ``objs`` (new instances of ``model`` with an auto id) and set their ids."""
    if not objs:
        return
    meta = model._meta
    pk = meta.pk
    if not isinstance(pk, models.AutoField | models.BigAutoField):
        model._base_manager.bulk_create(objs, batch_size=BATCH)
        return
    for obj, new_id in zip(objs, _reserve_ids(model, len(objs)), strict=True):
        setattr(obj, pk.attname, new_id)
    fields = list(meta.concrete_fields)
    # The wrapper itself, not the ``connection`` proxy: the proxy costs a thread-local lookup per value.
    conn = connections[DEFAULT_DB_ALIAS]
    now = timezone.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:  # one time for the whole insert, as one statement would have
                setattr(obj, f.attname, now)

    def rows():
        for start in range(0, len(objs), BATCH):
            batch = objs[start : start + BATCH]
            columns = [_prepare(f, conn, [getattr(obj, f.attname) for obj in batch]) for f in fields]
            yield from zip(*columns, strict=True)

    _executemany(model, fields, rows())
    for obj in objs:
        obj._state.adding = False
        obj._state.db = conn.alias


def insert_values(model: type[models.Model], rows: list[dict]) -> list[int]:
    """INSERT rows given as {attname: value} without building model instances (the audit rows of an
    import: 200,000 of them for 100,000 records); missing fields take their default, ``auto_now``
    fields the present time. Returns the new ids."""
    if not rows:
        return []
    meta = model._meta
    conn = connections[DEFAULT_DB_ALIAS]
    now = timezone.now()
    fields = list(meta.concrete_fields)
    ids = _reserve_ids(model, len(rows))
    pk_attname = meta.pk.attname

    def column(f, batch, batch_ids):
        attname = f.attname
        if attname == pk_attname:
            return batch_ids
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return _prepare(f, conn, [now] * len(batch))
        if f.has_default():
            default = f.get_default
            return _prepare(f, conn, [row[attname] if attname in row else default() for row in batch])
        return _prepare(f, conn, [row.get(attname) for row in batch])

    def prepared():
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            batch_ids = ids[start : start + BATCH]
            yield from zip(*(column(f, batch, batch_ids) for f in fields), strict=True)

    _executemany(model, fields, prepared())
    return ids


_PLAIN_TYPES = {
    models.CharField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.BooleanField: bool,
    models.AutoField: int,
    models.BigAutoField: int,
}


def _prepare(field, conn, values: list) -> list:
    """One column of values as ``field.get_db_prep_save`` gives them, prepared column by column.

    Values the database driver takes as they are (a str for a text field, an int for an integer or a
    foreign key to an integer id) are passed through: Django's layers of preparation cost several
    microseconds a value and change nothing for those."""
    target = field.target_field if field.is_relation else field
    plain = _PLAIN_TYPES.get(type(target)) if type(field) in _PLAIN_TYPES or field.is_relation else None
    prep = field.get_db_prep_save
    if plain is str:
        return [v if v is None or type(v) is str else prep(v, conn) for v in values]
    if plain is int:
        # bool is an int too; an int field given True is prepared properly by the slow path.
        return [v if v is None or type(v) is int else prep(v, conn) for v in values]
    if plain is bool:
        return [v if v is None or type(v) is bool else prep(v, conn) for v in values]
    if _plain_json(field, conn):
        # What JSONField and the backend do (json.dumps with the field's encoder), minus four layers of
        # calls a value: an import's 200,000 audit rows hold two JSON values each.
        encode = (field.encoder or json.JSONEncoder)().encode
        return [v if v is None or type(v) is JsonText else encode(v) for v in values]
    if isinstance(field, models.JSONField) and conn.vendor == "postgresql":
        # Text that is JSON already goes to jsonb as it is (COPY parses it); the rest through the field.
        return [v if v is None or type(v) is JsonText else prep(v, conn) for v in values]
    out = []
    last, prepared = object(), None
    for value in values:
        # Rows of one insert often share a value object (the operation id, a time): prepare it once.
        if value is not last:
            last, prepared = value, prep(value, conn)
        out.append(prepared)
    return out


def _plain_json(field, conn) -> bool:
    return (
        type(field) is models.JSONField
        and type(conn.ops).adapt_json_value is BaseDatabaseOperations.adapt_json_value
    )


def _executemany(model: type[models.Model], fields: list, rows) -> None:
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    batch = []
    with connection.cursor() as cursor:
        copy = getattr(cursor.cursor, "copy", None)  # psycopg 3
        if connection.vendor == "postgresql" and copy is not None:
            # COPY: several times faster than INSERTs on PostgreSQL, inside the same transaction.
            with copy(f"COPY {table} ({columns}) FROM STDIN") as stream:  # noqa: S608
                for row in rows:
                    stream.write_row(row)
            return
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
