"""Counts kept on write: per value of a column, the distinct values of another, read without counting.

A model declares them beside its foreign key: ``Membership.kept = {"enterprise": ("role", "chain")}``
says that the enterprises per role and per chain are kept (for each role, how many enterprises have a
membership with it). Database triggers keep them on every write (``chainboard.schema.kept_count``, in
the model's migration); :func:`counts` reads them. A facet over every row of a list (no filter, a reader
whose scope is everything) is then read from a few rows instead of grouping the whole far table: the role
facet over 931,000 memberships took 150 ms on PostgreSQL (docs/lists.md, "Counts kept on write").
"""

from __future__ import annotations

from django.db import connection, models, transaction

from chainboard.models import KeptCount


def kept_name(table: str, group: str, distinct: str) -> str:
    """The name the count of distinct ``distinct`` per ``group`` of ``table`` (columns) is kept under."""
    return f"{table}.{group}.{distinct}"


def kept(model: type[models.Model], key: str, group: str) -> str | None:
    """The kept count's name when ``model`` keeps, per value of its field ``group``, the number of
    distinct rows its foreign key ``key`` points at (its ``kept``); None otherwise."""
    if group not in getattr(model, "kept", {}).get(key, ()):
        return None
    meta = model._meta
    return kept_name(meta.db_table, meta.get_field(group).column, meta.get_field(key).column)


def counts(model: type[models.Model], key: str, group: str) -> list[tuple] | None:
    """[(value, count)] for every value of ``group`` that has rows, the value as the field holds it (a
    chain's key, a role), when ``model`` keeps that count; None when it does not. One indexed read of a
    few rows (on PostgreSQL, those of the changes not folded yet too)."""
    name = kept(model, key, group)
    if name is None:
        return None
    field = model._meta.get_field(group)
    target = field.target_field if field.is_relation else field
    rows = (
        KeptCount.objects.filter(name=name)
        .values_list("value")
        .annotate(total=models.Sum("n"))
        .filter(total__gt=0)
        .order_by()
    )
    return [(target.to_python(value), total) for value, total in rows]


def fold() -> int:
    """PostgreSQL: each count's rows of changes folded into one row per value, in one statement per count
    (a writer adding changes meanwhile is not waited for: its rows are not yet visible, and stay); the
    number of rows removed. Nothing on SQLite, which keeps one row per value."""
    if connection.vendor != "postgresql":
        return 0
    table = connection.ops.quote_name(KeptCount._meta.db_table)
    removed = 0
    names = list(KeptCount.objects.values_list("name", flat=True).distinct().order_by("name"))
    for name in names:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"WITH gone AS (DELETE FROM {table} WHERE name = %s RETURNING value, n), "  # noqa: S608
                f"kept AS (INSERT INTO {table} (name, value, n) SELECT %s, value, SUM(n) FROM gone "
                "GROUP BY value HAVING SUM(n) <> 0 RETURNING 1) "
                "SELECT (SELECT COUNT(*) FROM gone) - (SELECT COUNT(*) FROM kept)",
                [name, name],
            )
            removed += cursor.fetchone()[0]
    return removed
