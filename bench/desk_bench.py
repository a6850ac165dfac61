"""Desk benchmark: the home page (chainboard/desk.py) of each demo role over a large city.

    .venv/bin/python bench/desk_bench.py --n 100000 --audit 200000
    .venv/bin/python bench/desk_bench.py --database postgres --n 100000 --audit 200000

Builds the test world (chainboard.testing.build_world), then adds N enterprises (half on the silk chain,
spread over the two counties) and AUDIT audit entries (changes to random enterprises, newest last), raw
and not audited, in a database of its own (SQLite under bench/data/, or the PostgreSQL database
``desk_bench``; --fresh starts over, and is needed for the first run on PostgreSQL). Then times, warm, the median of --runs renderings of the home page
for each role, with its query count, and the recent-changes query alone.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = "postgres://postgres@127.0.0.1:5432"
ROLES = ("chief", "office", "county", "enterprise", "investment", "auditor", "admin")


def setup_django(args) -> None:
    if args.database == "postgres":
        os.environ["DATABASE_URL"] = f"{args.pg_url}/desk_bench"
    else:
        data = ROOT / "bench" / "data"
        data.mkdir(parents=True, exist_ok=True)
        os.environ["CHAINBOARD_SQLITE_PATH"] = str(data / "desk.sqlite3")
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chainboard.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django

    django.setup()


def fresh_database(args) -> None:
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(
            f"{args.pg_url}/postgres".replace("postgres://", "postgresql://"), autocommit=True
        ) as c:
            c.execute("DROP DATABASE IF EXISTS desk_bench")
            c.execute("CREATE DATABASE desk_bench")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(str(ROOT / "bench" / "data" / "desk.sqlite3") + suffix).unlink(missing_ok=True)


def generate(n: int, audit_rows: int, seed: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.utils import timezone

    from chainboard.models import AuditEntry
    from chainboard.testing import build_world
    from enterprises.models import Enterprise, Membership

    call_command("migrate", verbosity=0)
    world = build_world()
    rng = random.Random(seed)
    counties = [world.regions["140581"], world.regions["140525"]]
    silk, other = world.chains["silk"], world.chains["other"]
    batch = 20_000
    for start in range(0, n, batch):
        rows = Enterprise.objects.bulk_create(
            Enterprise(name=f"基准企业{i:07d}", region=rng.choice(counties))
            for i in range(start, min(n, start + batch))
        )
        Membership.objects.bulk_create(
            Membership(enterprise=e, chain=silk if rng.random() < 0.5 else other) for e in rows
        )
    ids = list(Enterprise.objects.values_list("pk", flat=True))
    ct = ContentType.objects.get_for_model(Enterprise)
    operation = uuid.uuid4()
    now = timezone.now()
    for start in range(0, audit_rows, batch):
        AuditEntry.objects.bulk_create(
            AuditEntry(
                time=now,
                user_name="bench",
                operation_id=operation,
                source="web",
                action="update",
                content_type=ct,
                object_id=str(pk),
                object_repr=f"基准企业{pk}",
                before={"address": ""},
                after={"address": "x"},
                hash="0" * 64,
            )
            for pk in (rng.choice(ids) for _ in range(start, min(audit_rows, start + batch)))
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's statistics, as a running database has them


def measure(runs: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from chainboard.models import AuditEntry
    from chainboard.recent import recent_changes
    from enterprises.models import Enterprise

    print(
        f"enterprises {Enterprise.objects.count():,}, audit entries {AuditEntry.objects.count():,}, {connection.vendor}"
    )
    print(f"{'role':<12}{'home ms':>10}{'queries':>9}{'recent ms':>11}{'changes':>9}")
    for role in ROLES:
        user = User.objects.get(username=role)
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        url = reverse("home")
        client.get(url)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            times.append((time.perf_counter() - started) * 1000)
        captured = []
        with connection.execute_wrapper(lambda execute, *args: captured.append(1) or execute(*args)):
            client.get(url)
        recent = []
        shown = None
        for _ in range(runs):
            user = User.objects.get(username=role)  # fresh: grants are cached on the instance
            started = time.perf_counter()
            shown = recent_changes(user)
            recent.append((time.perf_counter() - started) * 1000)
        print(
            f"{role:<12}{statistics.median(times):>10.1f}{len(captured):>9}"
            f"{statistics.median(recent):>11.1f}{len(shown or []):>9}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="enterprises")
    parser.add_argument("--audit", type=int, default=200_000, help="audit entries")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (trust auth), no database name")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="drop the data and generate it again")
    args = parser.parse_args()
    sqlite_missing = args.database == "sqlite" and not (ROOT / "bench" / "data" / "desk.sqlite3").exists()
    if args.fresh or sqlite_missing:
        fresh_database(args)
        setup_django(args)
        started = time.perf_counter()
        generate(args.n, args.audit, args.seed)
        print(f"generated in {time.perf_counter() - started:.0f} s")
    else:
        setup_django(args)
    measure(args.runs)


if __name__ == "__main__":
    main()
