"""Import benchmark: an .xlsx of N enterprise rows through the application's importer, beside the parsers
and the raw SQL it stands on, in the same run.

    .venv/bin/python bench/import_bench.py --n 100000                      # SQLite
    .venv/bin/python bench/import_bench.py --n 100000 --database postgres  # PostgreSQL
    .venv/bin/python bench/import_bench.py --n 10000 --wide                # a wide ledger
    .venv/bin/python bench/import_bench.py --n 10000 --wide --ignore-related   # the same file, as before

Each run starts from an empty database of its own (``bench/data/import-N.sqlite3`` or the PostgreSQL
database ``chainboard_import_bench``) with the regions, industries and the Jincheng set-up loaded, and an
office user on the silk chain. The file: a title row, the header (企业名称, 简称, 统一社会信用代码, 所在县区,
行业代码, 产业链, 地址), N rows of generated names with valid USCCs in Shanxi counties. With ``--wide`` the
file is a wide ledger: 产值（万元） with thousands separators, 规上 (是/否/√), 联系人, 电话 and 主要产品 (two or
three names separated by 、) as well, imported for the period annual:2025 into indicators, above-size
statuses, contacts and products (chainboard/imports/related.py); ``--ignore-related`` maps those columns
to "ignore", which is what the importer did with them before wide ledgers (it dropped them).

Printed, in seconds:
- openpyxl read-only and python-calamine reading the sheet (the parsers);
- the importer: the check of every row (the entity's form per row, relation columns resolved once,
  uniqueness in bulk), the write (one transaction: enterprises, memberships with the region they carry,
  one audit row each, the search keys, the scope check);
- raw SQL inserting the same enterprises and memberships in one transaction (``executemany``), without
  validation, audit or search keys: the floor any importer stands on.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
sys.path.insert(0, str(ROOT))

BRAND = "景柏潞安府绸金鑫源泰华丰盛达宏兴隆昌恒通瑞福祥德康宁和美嘉佳信诚鼎天地玉龙凤凰银河星光明辉新科技创汇聚博雅致远卓越精工匠心尚品优润泽沃鸿运亨利顺发晶晟"
TRADES = ["服饰", "纺织", "丝绸", "麻纺", "服装", "织造", "缫丝"]
SUFFIXES = ["有限公司", "有限责任公司", "股份有限公司"]
COUNTIES = ["140502", "140521", "140522", "140524", "140525", "140581"]
SILK = "丝麻纺织服装产业链"


def setup_database(kind: str, n: int, name: str = "import") -> None:
    """An empty database of its own (``bench/data/NAME-N.sqlite3`` or PostgreSQL's ``chainboard_NAME_bench``),
    with the regions, industries and the Jincheng set-up loaded."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chainboard.settings")
    if kind == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        path = DATA / f"{name}-{n}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["CHAINBOARD_SQLITE_PATH"] = str(path)
        os.environ.pop("DATABASE_URL", None)
    else:
        import psycopg

        # BENCH_DATABASE_NAME: a database of one's own when several people run benchmarks on one server.
        name = os.environ.get("BENCH_DATABASE_NAME", "chainboard_import_bench")
        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_regions", province="14", verbosity=0)
    call_command("load_industries", verbosity=0)
    call_command("setup", str(ROOT / "chains" / "cities" / "jincheng.yaml"), verbosity=0)


def office_user(chains: tuple[str, ...] = (SILK,)):
    from accounts.models import User
    from chainboard import actions, audit
    from chainboard.scope import SystemActor
    from chains.models import Chain, Position, PositionKind

    actor = SystemActor("bench")
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="bench:import"):
        user = User(username="bench_office", full_name="bench")
        user.set_unusable_password()
        user = actions.create_direct(actor, user)
        for chain in Chain.objects.filter(name__in=chains):
            actions.create_direct(actor, Position(chain=chain, kind=PositionKind.OFFICE_MEMBER, user=user))
    return user


def uscc(serial: int, county: str) -> str:
    from enterprises.uscc import check_character

    first = f"91{county}MA{serial:07d}"
    return first + check_character(first)


PRODUCTS = ["丝绸", "真丝围巾", "领带", "麻布", "衬衫", "蚕丝被", "西服", "丝巾", "睡衣", "桑蚕丝"]
WIDE_HEADER = ["产值（万元）", "规上", "联系人", "电话", "主要产品"]


def wide_cells(rng: random.Random) -> list[str]:
    return [
        f"{rng.randint(50, 900_000) / 10:,.1f}",
        rng.choice(["是", "否", "√", ""]),
        rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["伟", "芳", "敏", "静", "强", "磊", "洋"]),
        f"1{rng.randint(3, 9)}{rng.randint(0, 999_999_999):09d}",
        "、".join(rng.sample(PRODUCTS, rng.choice((1, 2, 3)))),
    ]


def make_rows(n: int, seed: int = 7, wide: bool = False) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        brand = "".join(rng.choice(BRAND) for _ in range(rng.choice((2, 3))))
        trade = rng.choice(TRADES)
        county = rng.choice(COUNTIES)
        rows.append(
            [
                f"晋城{brand}{trade}{i}{rng.choice(SUFFIXES)}",
                f"{brand}{trade}",
                uscc(i + 1, county),
                county,
                "C1751",
                SILK,
                f"晋城市{rng.choice(['建设路', '人民路', '工业路'])}{rng.randint(1, 999)}号",
                *(wide_cells(rng) if wide else []),
            ]
        )
    return rows


HEADER = ["企业名称", "简称", "统一社会信用代码", "所在县区", "行业代码", "产业链", "地址"]


def write_xlsx(rows: list[list[str]], path: Path, header: list[str] = HEADER) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("企业")
    sheet.append(["晋城市丝麻纺织服装产业链企业名单（示例数据）"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def raw_insert(rows: list[list[str]]) -> float:
    """The same enterprises and memberships with executemany in one transaction: no checks at all."""
    from django.db import connection, transaction
    from django.utils import timezone

    from chains.models import Chain

    chain = Chain.objects.get(name=SILK).pk
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO enterprises_enterprise (name, short_name, uscc, region_id, address, industry_class_id,"
            " description, created_at, updated_at, version, is_sample, source)"
            " VALUES (%s, %s, %s, %s, %s, %s, '', %s, %s, 1, false, '')",
            [(f"raw{r[0]}", r[1], "R" + r[2][1:], r[3], r[6], r[4], now, now) for r in rows],
        )
        cursor.execute("SELECT id FROM enterprises_enterprise WHERE name LIKE 'raw%%'")
        ids = [row[0] for row in cursor.fetchall()]
        cursor.executemany(
            "INSERT INTO enterprises_membership (enterprise_id, chain_id, role, note, created_at, updated_at,"
            " version, is_sample, source) VALUES (%s, %s, 'member', '', %s, %s, 1, false, '')",
            [(i, chain, now, now) for i in ids],
        )
        transaction.set_rollback(True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--profile", action="store_true", help="print where the importer spends its time")
    parser.add_argument(
        "--wide", action="store_true", help="a wide ledger: indicators, status, contact, products"
    )
    parser.add_argument(
        "--ignore-related", action="store_true", help="with --wide: map those columns to ignore"
    )
    args = parser.parse_args()
    os.environ["CHAINBOARD_IMPORT_MAX_ROWS"] = str(max(args.n, 200_000))
    setup_database(args.database, args.n)
    from django.conf import settings
    from django.db import connection

    from chainboard import audit, imports, search, tabular
    from chainboard.models import AuditEntry
    from enterprises.models import Enterprise, Membership
    from enterprises.views import EnterpriseViewSet

    user = office_user()
    rows = make_rows(args.n, wide=args.wide)
    path = DATA / f"import-{args.n}{'-wide' if args.wide else ''}.xlsx"
    write_xlsx(rows, path, HEADER + WIDE_HEADER if args.wide else HEADER)
    size = path.stat().st_size

    def openpyxl_read():
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        return sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))

    t_openpyxl, _n = timed(openpyxl_read)
    t_calamine, table = timed(lambda: tabular.read(str(path), path.name))
    t_check_file, _ = timed(lambda: tabular.check(str(path), path.name))

    spec = imports.Spec(EnterpriseViewSet, user)
    header_row, headers = imports.find_header(table, spec)
    mapping = imports.auto_mapping(spec, headers)
    if args.wide and not args.ignore_related:
        from chainboard.imports.related import RelatedSpec

        mapping = RelatedSpec(EnterpriseViewSet, user).default_mapping(headers, mapping)
    from django.test.utils import CaptureQueriesContext

    from chainboard.imports.related import parse_period

    phases: dict[str, float] = {}

    def on_phase(name: str) -> None:
        phases[name] = time.perf_counter()

    started = time.perf_counter()
    queries = CaptureQueriesContext(connection)
    with audit.operation(user=user, source=audit.Source.IMPORT, label="bench"), queries:
        importer = imports.Importer(
            EnterpriseViewSet,
            user,
            table,
            header_row,
            mapping,
            headers=headers,
            on_phase=on_phase,
            period=parse_period("annual:2025"),
        )
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            phase = os.environ.get("BENCH_PHASE", "_write")  # or "check"
            method = getattr(importer, phase)

            def profiled(*args, **kwargs):  # that phase alone
                return profile.runcall(method, *args, **kwargs)

            setattr(importer, phase, profiled)
            outcome = importer.run(commit=True)
            pstats.Stats(profile).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(45)
        else:
            outcome = importer.run(commit=True)
    finished = time.perf_counter()
    assert outcome.ok, outcome.errors[:5]
    t_check = phases["writing"] - started
    # The search keys are written in the write's transaction (docs/search.md): the importer has no
    # indexing phase after its commit any more.
    t_write = finished - phases["writing"]
    t_raw = raw_insert(rows)

    counts = (
        Enterprise.objects.count(),
        Membership.objects.count(),
        AuditEntry.objects.filter(source="import").count(),
        search.is_indexed(Enterprise),  # written in the import's transaction (docs/search.md)
    )
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    version = connection.pg_version if engine != "sqlite3" else None
    load = os.getloadavg()
    print(f"database: {engine} {version or ''}  rows: {args.n:,}  file: {size / 1024 / 1024:.1f} MiB")
    print(f"load average before/after: {load[0]:.1f}")
    print(
        f"enterprises {counts[0]:,}, memberships {counts[1]:,}, import audit rows {counts[2]:,}, keys {counts[3]:,}"
    )
    if args.wide:
        from enterprises.models import AboveSizeStatus, Contact, Indicator, Product

        related = [m.objects.count() for m in (Indicator, AboveSizeStatus, Contact, Product)]
        print("indicators {:,}, above-size statuses {:,}, contacts {:,}, products {:,}".format(*related))
    print(f"queries of the import (check, write, search keys): {len(queries.captured_queries):,}")
    print()
    print("| step | seconds |")
    print("|---|---:|")
    print(f"| file checks (size, zip entries, XML prologs) | {t_check_file:.2f} |")
    print(f"| openpyxl read-only, all rows | {t_openpyxl:.2f} |")
    print(f"| python-calamine (tabular.read), all rows | {t_calamine:.2f} |")
    print(f"| importer: check every row | {t_check:.2f} |")
    print(f"| importer: write + audit + search keys + scope check (one transaction) | {t_write:.2f} |")
    print(
        f"| **import, validated, audited, atomic** (read + check + write) | **{t_calamine + t_check + t_write:.2f}** |"
    )
    print(f"| raw SQL: same enterprises + memberships, executemany, one transaction | {t_raw:.2f} |")


if __name__ == "__main__":
    main()
