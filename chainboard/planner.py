"""SQLite's query planner statistics, kept current (docs/planner.md).

SQLite plans from the statistics ``ANALYZE`` writes to ``sqlite_stat1``, and nothing writes them but
``ANALYZE``: a deployment that never runs it plans every query on guesses (each index as selective as
any other with as many columns), and the lists' plans that depend on a good guess
(docs/lists.md) go wrong once the tables grow. PostgreSQL keeps its statistics itself (autovacuum
analyses a table once a tenth of its rows have changed); there is nothing to do there.

:func:`refresh` analyses each table whose statistics are missing or stale by the same rule autovacuum
follows: its row count moved by more than ``CHANGED_ROWS`` plus ``CHANGED_SHARE`` of the count the
statistics recorded (or an index has none). Each table is its own statement (and transaction), so a
writer waits for one table at most: at a million enterprises the whole file takes 1.7 s, its largest
table 0.63. Read whole, not sampled: ``PRAGMA analysis_limit``, which SQLite advises beside ``PRAGMA
optimize``, recorded one role's memberships as 1,001 rows where there are 310,404, the very figure the
lists' plans turn on (docs/planner.md). ``PRAGMA optimize`` itself cannot serve a job: before SQLite 3.46
it looks only at the tables its own connection queried. The scheduler runs it each night
(``planner-statistics``, chainboard/apps.py); a committed import (in the web's task and in ``chainboard
import-file``) and the demo's load run it for what they wrote (:func:`refresh_after`).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.db import connection as default_connection

logger = logging.getLogger(__name__)

CHANGED_SHARE = 0.1  # as PostgreSQL's autovacuum_analyze_scale_factor
CHANGED_ROWS = 50  # as PostgreSQL's autovacuum_analyze_threshold


def recorded(connection=None) -> tuple[dict[str, int], set[str]]:
    """What ``sqlite_stat1`` holds: each analysed table's row count as of its ``ANALYZE`` (the first
    number of its rows), and the indexes with statistics. A table missing was never analysed (or was
    empty when it was)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return {}, set()
        cursor.execute("SELECT tbl, idx, stat FROM sqlite_stat1")
        rows: dict[str, int] = {}
        indexes: set[str] = set()
        for table, index, stat in cursor.fetchall():
            first = (stat or "").split(" ", 1)[0]
            if first.isdigit():
                rows[table] = max(rows.get(table, 0), int(first))
            if index:
                indexes.add(index)
        return rows, indexes


def stale_tables(connection=None) -> dict[str, tuple[int, int]]:
    """The tables whose statistics are missing or stale: name → (rows recorded, rows now). Missing: a
    table with rows never analysed, however small. SQLite plans a table without statistics as a large
    one (about a million rows), so a small table left out beside analysed large ones is planned as the
    largest of all. Stale: the row count moved by more than ``CHANGED_ROWS`` plus ``CHANGED_SHARE`` of
    the recorded one, or an index has none (one added since: SQLite would plan it on a guess beside the
    others' figures). Ordinary tables only: a virtual table (the search index's FTS5 tables) has none."""
    connection = connection or default_connection
    counts, with_statistics = recorded(connection)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' "
            "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
        )
        tables = [name for (name,) in cursor.fetchall()]
        # Not counted: a partial index that no row matches (it has no statistics after ANALYZE either),
        # nor a primary key's (a WITHOUT ROWID table's statistics are filed under the table's name).
        cursor.execute(
            "SELECT m.name, i.name FROM sqlite_master AS m, pragma_index_list(m.name) AS i "
            "WHERE m.type = 'table' AND NOT i.partial AND i.origin != 'pk'"
        )
        unanalysed = {table for table, index in cursor.fetchall() if index not in with_statistics}
        stale = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {qn(table)}")  # noqa: S608
            (now,) = cursor.fetchone()
            before = counts.get(table)
            if before is None:  # never analysed: any rows at all (SQLite takes such a table for a large one)
                if now:
                    stale[table] = (0, now)
            elif abs(now - before) > CHANGED_ROWS + CHANGED_SHARE * before or (now and table in unanalysed):
                stale[table] = (before, now)
        return stale


def refresh(connection=None) -> dict[str, int]:
    """SQLite: ``ANALYZE`` each table whose statistics are missing or stale (:func:`stale_tables`), one
    statement each. Returns each analysed table's row count. Nothing on PostgreSQL (autovacuum analyses)."""
    connection = connection or default_connection
    if connection.vendor != "sqlite":
        return {}
    stale = stale_tables(connection)
    if not stale:
        return {}
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in stale:
            cursor.execute(f"ANALYZE {qn(table)}")
    return {table: now for table, (_before, now) in stale.items()}


def refresh_after(what: str) -> dict[str, int]:
    """:func:`refresh` after a bulk write (an import, the demo's load), so that its tables are planned
    with statistics from the first page that reads them, not from the next night. A failure (the file
    locked by another writer) is logged, not raised: the write stands, and the nightly job tries again."""
    try:
        return refresh()
    except DatabaseError:
        logger.exception("planner statistics after %s", what)
        return {}
