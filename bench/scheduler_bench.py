"""What the scheduler's loop costs: a pass with nothing due, a pass that claims and enqueues, cron maths.

    CHAINBOARD_VAR_DIR=/tmp/schedbench .venv/bin/python bench/scheduler_bench.py          # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/schedbench .venv/bin/python bench/scheduler_bench.py

The database is migrated first and its job rows deleted; the jobs are the product's two plus ``--jobs``
more (each enqueueing the import-file purge, which the bench never runs: no worker). Enqueued through
django-tasks-db, as in production; the queued task rows are deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chainboard.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=48, help="jobs registered beside the product's two")
    parser.add_argument("--passes", type=int, default=200)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from chainboard import scheduler
    from chainboard.models import ScheduledJob

    call_command("migrate", verbosity=0)
    ScheduledJob.objects.all().delete()
    for i in range(args.jobs):
        scheduler.register(f"bench-{i}", "0 6 * * *", "chainboard.tasks.purge_import_files", f"bench {i}")
    now = timezone.localtime().replace(hour=5, minute=0, second=0, microsecond=0)
    scheduler.run_due(now)  # creates the rows; nothing due before 06:00

    def timed(fn) -> float:
        start = time.perf_counter()
        fn()
        return (time.perf_counter() - start) * 1000

    idle = [timed(lambda: scheduler.run_due(now)) for _ in range(args.passes)]
    with CaptureQueriesContext(connection) as idle_queries:
        scheduler.run_due(now)

    due = now.replace(hour=6)
    before = DBTaskResult.objects.count()
    with CaptureQueriesContext(connection) as due_queries:
        firing = timed(lambda: scheduler.run_due(due))
    fired = DBTaskResult.objects.count() - before
    DBTaskResult.objects.filter(task_path="chainboard.tasks.purge_import_files", status="READY").delete()

    start = time.perf_counter()
    moment = now
    for _ in range(10_000):
        moment = scheduler.next_after("*/5 * * * *", moment)
    cron_us = (time.perf_counter() - start) * 100  # µs per call over 10,000 calls

    jobs = len(scheduler.REGISTRY)
    print(f"database: {connection.vendor}; jobs: {jobs}")  # noqa: T201
    print(  # noqa: T201
        f"pass with nothing due: median {statistics.median(idle):.2f} ms, p95 "
        f"{sorted(idle)[int(len(idle) * 0.95)]:.2f} ms, {len(idle_queries)} queries"
    )
    print(  # noqa: T201
        f"pass with {fired} due (claimed and enqueued): {firing:.1f} ms ({firing / max(fired, 1):.2f} ms a "
        f"job), {len(due_queries)} queries"
    )
    print(f"next_after: {cron_us:.1f} µs a call")  # noqa: T201


if __name__ == "__main__":
    main()
