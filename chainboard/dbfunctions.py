"""Database functions the ORM lacks, the same on SQLite and PostgreSQL."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Aggregate, TextField


class StringJoin(Aggregate):
    """The values of a group joined into one string: ``GROUP_CONCAT`` on SQLite, ``STRING_AGG`` on
    PostgreSQL. ``StringJoin(expression, Value(separator))``; the order within the group is not defined."""

    function = "GROUP_CONCAT"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="STRING_AGG", **extra_context)


@contextmanager
def without_parallel_workers() -> Iterator[None]:
    """PostgreSQL: the block's statements are planned without parallel workers; nothing on SQLite.

    For a read that stops at a cap (a searched list's first 10,001 matches from the index): PostgreSQL
    plans it with two workers when it expects to read a good part of the matches, and starting them and
    passing every key through their queue cost more than they saved (at a million enterprises, the
    office's 纺织 42 → 25 ms, jc 35 → 27; bench/README.md, "A capped read without parallel workers").
    Not for every statement: grouped counts over many rows gain from the workers (with none at all, a
    county's facets took 147-157 ms instead of 82-98).

    ``SET LOCAL`` lasts to the end of a transaction: the block runs in one of its own, or in a savepoint
    of the caller's, after which the caller's setting is put back."""
    if connection.vendor != "postgresql":
        yield
        return
    nested = connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('max_parallel_workers_per_gather'),"
                " set_config('max_parallel_workers_per_gather', '0', true)"
            )
            before = cursor.fetchone()[0]
        yield
        if nested:  # the caller's transaction goes on: its setting again
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('max_parallel_workers_per_gather', %s, true)", [before])
