"""SQLite's planner statistics at province scale (docs/planner.md): what keeping them costs, against the
raw ``ANALYZE`` of every table, and the statistics sampled (``PRAGMA analysis_limit``) beside full ones.

    .venv/bin/python bench/planner_bench.py --n 1000000                # the costs, then full statistics left
    .venv/bin/python bench/planner_bench.py --n 1000000 --set none     # no statistics (a deployment before the job)
    .venv/bin/python bench/planner_bench.py --n 1000000 --set sampled  # ANALYZE with analysis_limit = 1000
    .venv/bin/python bench/planner_bench.py --n 1000000 --set full     # what the nightly job writes

Runs on ``province_bench``'s SQLite file (generate it first). With ``--set`` it only leaves the file's
statistics in that state, so that ``province_bench.py --only list,api`` and ``--only searched`` measure
the lists planned by each. Without it, on the same file in one run:

- the check alone (``planner.stale_tables``: a ``COUNT(*)`` of every table), statistics current;
- ``planner.refresh()`` from none: every table with rows analysed;
- the raw ``ANALYZE`` it stands on, table by table through ``sqlite3``, from none: the whole file, and
  its longest single table (how long a writer may wait for one statement of the job);
- the same sampled (``PRAGMA analysis_limit = 1000``, as SQLite advises beside ``PRAGMA optimize``), and
  the figures of the indexes the lists' plans turn on, sampled and full.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # province_bench, this folder's own

import province_bench  # noqa: E402

# The indexes whose figures decide the lists' plans (docs/lists.md); each printed sampled and full.
SHOWN = (
    "membership_region_role",
    "membership_role_enterprise",
    "membership_chain_region",
    "enterprise_region_name",
)


def statistics_rows(raw) -> list[tuple]:
    if not raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        return []
    return raw.execute("SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx").fetchall()


def drop_statistics(raw) -> None:
    if raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        raw.execute("DELETE FROM sqlite_stat1")
        raw.commit()
        raw.execute("ANALYZE sqlite_master")  # the planner rereads the (now empty) statistics


def seconds(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


SAMPLED = 1000  # rows per index


def full_analyse(raw, limit: int = 0) -> dict:
    raw.execute(f"PRAGMA analysis_limit = {int(limit)}")
    tables = [
        name
        for (name,) in raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' "
            "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
        )
    ]
    longest = ("", 0.0)
    started = time.perf_counter()
    for table in tables:
        took = seconds(lambda t=table: (raw.execute(f'ANALYZE "{t}"'), raw.commit()))
        if took > longest[1]:
            longest = (table, took)
    return {"seconds": time.perf_counter() - started, "longest": longest, "tables": len(tables)}


def shown(rows: list[tuple]) -> dict[str, str]:
    return {idx: stat for _tbl, idx, stat in rows if idx in SHOWN}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--set", choices=["none", "sampled", "full"], help="only leave the statistics so")
    args = parser.parse_args()
    target = province_bench.Target("sqlite", args.n, province_bench.PG_URL)
    if not target.path.exists():
        sys.exit(f"{target.path} is missing: run province_bench.py --n {args.n} --no-measure first")
    target.django()
    from django.db import connection

    from chainboard import planner

    raw = target.raw()
    if args.set:
        drop_statistics(raw)
        if args.set == "sampled":
            print(f"sampled: {full_analyse(raw, SAMPLED)['seconds']:.1f} s")
        elif args.set == "full":
            analysed: dict = {}
            took = seconds(lambda: analysed.update(planner.refresh()))
            print(f"planner.refresh(): {len(analysed)} tables in {took:.1f} s")
        connection.close()
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"{len(statistics_rows(raw))} rows of statistics")
        return

    print(f"{target.path} ({target.size()})")
    if not statistics_rows(raw):
        full_analyse(raw)
    check = min(seconds(planner.stale_tables) for _ in range(3))
    stale = planner.stale_tables()
    print(f"the check, statistics current: {check * 1000:.0f} ms (best of 3), {len(stale)} tables stale")

    drop_statistics(raw)
    analysed: dict = {}
    took = seconds(lambda: analysed.update(planner.refresh()))
    print(f"planner.refresh() from none: {took:.2f} s, {len(analysed)} tables")
    connection.close()

    drop_statistics(raw)
    full = full_analyse(raw)
    table, longest = full["longest"]
    print(
        f"raw ANALYZE, table by table, from none: {full['seconds']:.2f} s, {full['tables']} tables; "
        f"longest {table} {longest:.2f} s"
    )
    full_rows = statistics_rows(raw)
    drop_statistics(raw)
    sampled = full_analyse(raw, SAMPLED)
    table, longest = sampled["longest"]
    print(
        f"the same sampled ({SAMPLED} rows per index): {sampled['seconds']:.2f} s; longest {table} {longest:.2f} s"
    )
    s, f = shown(statistics_rows(raw)), shown(full_rows)
    print("\nindex | sampled | full")
    for idx in SHOWN:
        print(f"{idx} | {s.get(idx, '-')} | {f.get(idx, '-')}")
    drop_statistics(raw)
    full_analyse(raw)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print("\nleft with full statistics")


if __name__ == "__main__":
    main()
