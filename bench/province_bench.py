"""Province-scale benchmark: the application beside the raw SQL doing the same work, same database.

    .venv/bin/python bench/province_bench.py --n 1000000                       # SQLite
    .venv/bin/python bench/province_bench.py --n 1000000 --database postgres   # PostgreSQL

Generates a province (Shanxi: every county and town from ``load_regions``, the GB/T 4754 classes, the
Jincheng set-up plus the chains of ``bench/province_chains.yaml``) with N enterprises, their memberships,
segments, yearly indicators and above-size statuses, written with raw bulk SQL (``executemany`` on
SQLite, ``COPY`` on PostgreSQL; benchmark rows are not audited), then builds the search keys with
``search.rebuild``. SQLite lives in ``bench/data/province-N.sqlite3`` (gitignored), PostgreSQL in the
database ``chainboard_bench_N`` at ``--pg-url`` (trust auth). Each finished phase is recorded beside the
data, so an interrupted run resumes; ``--fresh`` starts over.

Then it measures, warm, the median of ``--runs`` runs of each figure, as a chain-office user who sees
everything and (list page) as a county user: the request's server time through Django's test client
(or the application function) against the raw SQL doing the same work through ``sqlite3`` / ``psycopg``
on the same database, and prints a table with both, the ratio and the target.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import itertools
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from search_bench import median_ms  # this folder is the script's own, first on sys.path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
sys.path.insert(0, str(ROOT))

PG_URL = "postgres://postgres@127.0.0.1:5432"

BRAND_CHARS = (
    "景柏潞安府绸金鑫源泰华丰盛达宏兴隆昌恒通瑞福祥德康宁和美嘉佳信诚鼎天地玉龙凤凰银河星光明辉"
    "旭东南西北中海山川林森木水火土石青绿蓝紫红白黑长重行乐朝会都曾单解仇区查沈尉万俞翟种覃"
    "新科技创宇宙汇聚博雅致远卓越精工匠心尚品优佳润泽沃土鸿运亨利顺发晶晟煜炜烨晖晨曦春夏秋冬"
)
TRADES = ["服饰", "纺织", "丝绸", "麻纺", "服装", "织造", "缫丝", "机械", "煤业", "化工", "建材", "电子"]
SUFFIXES = ["有限公司", "有限责任公司", "股份有限公司", "厂", "合作社", "集团有限公司"]
ROADS = ["建设路", "人民路", "解放路", "迎宾街", "新华街", "工业路", "开发区大道", "文昌街"]
JINCHENG, GAOPING = "140500", "140581"
SILK = "丝麻纺织服装产业链"
NOW = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
ROLE_LABELS = {"member": "成员", "core": "链核", "leader": "链主"}


# --- set-up -----------------------------------------------------------------------------------------


class Target:
    """Where the data lives: one SQLite file or one PostgreSQL database, and a raw connection to it."""

    def __init__(self, kind: str, n: int, pg_url: str):
        self.kind, self.n = kind, n
        if kind == "sqlite":
            self.path = DATA / f"province-{n}.sqlite3"
            self.state_file = DATA / f"province-{n}.sqlite3.json"
        else:
            self.dbname = f"chainboard_bench_{n}"
            self.url = f"{pg_url}/{self.dbname}"
            self.admin_url = f"{pg_url}/postgres"
            self.state_file = DATA / f"province-{n}.postgres.json"

    def wipe(self) -> None:
        self.state_file.unlink(missing_ok=True)
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')

    def create(self) -> None:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as c:
                if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.dbname,)).fetchone():
                    c.execute(f'CREATE DATABASE "{self.dbname}"')

    def state(self) -> dict:
        return json.loads(self.state_file.read_text()) if self.state_file.exists() else {}

    def save_state(self, **done) -> None:
        self.state_file.write_text(json.dumps({**self.state(), **done}, indent=1, ensure_ascii=False))

    def django(self) -> None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chainboard.settings")
        if self.kind == "sqlite":
            os.environ["CHAINBOARD_SQLITE_PATH"] = str(self.path)
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = self.url
        import django

        django.setup()

    def raw(self):
        if self.kind == "sqlite":
            return sqlite3.connect(self.path)
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def size(self) -> str:
        if self.kind == "sqlite":
            total = sum(
                Path(f"{self.path}{s}").stat().st_size
                for s in ("", "-wal")
                if Path(f"{self.path}{s}").exists()
            )
            return f"{total / 2**20:,.0f} MiB"
        with self.raw() as c:
            return c.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]


class Writer:
    """Bulk rows into a table: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, target: Target):
        self.target = target
        self.conn = target.raw()
        if target.kind == "sqlite":
            from chainboard import search

            search.register_functions(self.conn)  # the search index's triggers call them
            self.conn.execute("PRAGMA synchronous=OFF")
            self.conn.execute("PRAGMA cache_size=-1000000")

    def insert(self, table: str, columns: list[str], rows) -> int:
        count = 0
        cols = ", ".join(f'"{c}"' for c in columns)
        if self.target.kind == "sqlite":
            sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
            for batch in _batched(rows):
                self.conn.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in batch])
                count += len(batch)
            self.conn.commit()
        else:
            with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # noqa: S608
                for row in rows:
                    copy.write_row(row)
                    count += 1
            self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
            )
        return count

    def close(self) -> None:
        self.conn.close()


def _batched(rows, size=50_000):
    it = iter(rows)
    while batch := list(itertools.islice(it, size)):
        yield batch


def _sqlite_value(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal):
        return str(value)
    return value


def uscc(index: int, county: str, rng: random.Random) -> str:
    from enterprises.uscc import ALPHABET, check_character

    # Organisation code: the index scrambled (7919 is prime to 31), so every code is distinct.
    number, org = (index * 7919 + 104_729) % 31**8, ""
    for _ in range(8):
        number, digit = divmod(number, 31)
        org += ALPHABET[digit]
    first17 = "91" + county + org + rng.choice(ALPHABET)
    return first17 + check_character(first17)


def place_of(region_name: str) -> str:
    for suffix in ("自治县", "市", "县", "区"):
        if region_name.endswith(suffix) and len(region_name) - len(suffix) >= 2:
            return region_name[: -len(suffix)]
    return region_name


def generate_data(target: Target, n: int, seed: int, uscc_share: float) -> None:
    from django.core.management import call_command
    from django.db import connection

    from chains.models import Chain, Segment
    from industries.models import IndustryClass
    from regions.models import Region

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_regions", province="14", verbosity=0)
    call_command("load_industries", verbosity=0)
    call_command("setup", str(ROOT / "chains" / "cities" / "jincheng.yaml"), verbosity=0)
    call_command("setup", str(ROOT / "bench" / "province_chains.yaml"), verbosity=0)
    print(f"reference data and chains loaded in {time.perf_counter() - started:.1f} s", flush=True)

    rng = random.Random(seed)
    counties = list(Region.objects.filter(level=3, code__startswith="14").values_list("code", "name"))
    towns: dict[str, list[str]] = {}
    for code, parent in Region.objects.filter(level=4, code__startswith="14").values_list(
        "code", "parent_id"
    ):
        towns.setdefault(parent, []).append(code)
    jincheng = [c for c in counties if c[0].startswith("1405")]
    others = [c for c in counties if not c[0].startswith("1405")]
    classes = list(IndustryClass.objects.filter(level=4).values_list("code", flat=True))
    textile = [c for c in classes if c[:3] in {"C17", "C18"}]
    chains = list(Chain.objects.order_by("id").values_list("id", "name"))
    chain_weights = [3 if name == SILK else 1 for _, name in chains]
    segments: dict[int, list[int]] = {}
    for sid, cid in Segment.objects.values_list("id", "chain_id"):
        segments.setdefault(cid, []).append(sid)
    connection.close()

    writer = Writer(target)
    memberships: list[tuple] = []
    seg_rows: list[tuple] = []

    def enterprises():
        for i in range(1, n + 1):
            # Jincheng, the customer, holds a tenth of the province (≈ 100,000 at N = 1,000,000).
            county, county_name = rng.choice(jincheng if rng.random() < 0.1 else others)
            region = rng.choice(towns[county]) if county in towns and rng.random() < 0.7 else county
            brand = "".join(rng.choices(BRAND_CHARS, k=rng.choice((2, 2, 3))))
            trade = rng.choice(TRADES)
            place = place_of(county_name) if rng.random() < 0.6 else ""
            name = f"{place}{brand}{trade}{rng.choice(SUFFIXES)}"
            r = rng.random()
            industry = None if r < 0.1 else rng.choice(textile if r < 0.35 else classes)
            code = uscc(i, county, rng) if rng.random() < uscc_share else None
            address = f"{county_name}{rng.choice(ROADS)}{rng.randint(1, 999)}号"
            yield (
                i,
                NOW,
                NOW,
                1,
                False,
                "bench",
                name,
                f"{brand}{trade}",
                code,
                address,
                "",
                industry,
                region,
            )
            k = rng.random()
            picked = (
                set(rng.choices(chains, weights=chain_weights, k=2 if k < 0.15 else 1)) if k < 0.8 else ()
            )
            for cid, _ in picked:
                x = rng.random()
                role = "leader" if x < 0.005 else "core" if x < 0.035 else "member"
                memberships.append((NOW, NOW, 1, False, "bench", role, "", cid, i))
                if segments.get(cid) and rng.random() < 0.7:
                    seg_rows.append((i, rng.choice(segments[cid])))

    columns = [
        "id", "created_at", "updated_at", "version", "is_sample", "source", "name", "short_name", "uscc",
        "address", "description", "industry_class_id", "region_id",
    ]  # fmt: skip
    count = writer.insert("enterprises_enterprise", columns, enterprises())
    print(f"{count:,} enterprises in {time.perf_counter() - started:.1f} s", flush=True)
    common = ["created_at", "updated_at", "version", "is_sample", "source"]
    writer.insert(
        "enterprises_membership",
        ["id", *common, "role", "note", "chain_id", "enterprise_id"],
        ((i, *row) for i, row in enumerate(memberships, 1)),
    )
    writer.insert(
        "enterprises_enterprise_segments",
        ["id", "enterprise_id", "segment_id"],
        ((i, *row) for i, row in enumerate(seg_rows, 1)),
    )
    print(f"{len(memberships):,} memberships, {len(seg_rows):,} segment links", flush=True)
    memberships.clear()
    seg_rows.clear()

    def money(scale: float) -> Decimal:
        return Decimal(int(rng.lognormvariate(0, 1.2) * scale * 100)) / 100

    def indicators():
        pk = 0
        for e in range(1, n + 1):
            for year in (2022, 2023, 2024):
                if year == 2024 or rng.random() < 0.35:
                    output = money(5_000_000)
                    pk += 1
                    yield (
                        pk, *(NOW, NOW, 1, False, "bench"), "year", year, None, output,
                        output * Decimal("0.9"), money(200_000), rng.randint(3, 800), money(100_000), e,
                    )  # fmt: skip

    count = writer.insert(
        "enterprises_indicator",
        [
            "id", *common, "period_type", "year", "month", "output_value", "revenue", "tax", "employees",
            "electricity", "enterprise_id",
        ],
        indicators(),
    )  # fmt: skip

    def above_size():
        pk = 0
        for e in range(1, n + 1):
            if rng.random() < 0.08:
                for year in (2023, 2024):
                    pk += 1
                    yield (pk, NOW, NOW, 1, False, "bench", year, rng.random() < 0.9, e)

    above = writer.insert(
        "enterprises_abovesizestatus", ["id", *common, "year", "is_above_size", "enterprise_id"], above_size()
    )
    print(f"{count:,} indicators, {above:,} above-size statuses", flush=True)
    writer.close()
    print(f"data generated in {time.perf_counter() - started:.1f} s", flush=True)


def build_keys(target: Target) -> dict:
    from django.db import connection

    from chainboard import search
    from enterprises.models import Enterprise

    started = time.perf_counter()
    cpu = time.process_time()
    if target.kind == "sqlite":
        with connection.cursor() as c:
            c.execute("PRAGMA cache_size=-2000000")  # 2 GB page cache while the index is built
            c.execute("PRAGMA synchronous=OFF")
    keys = search.rebuild(Enterprise)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"built {keys:,} search keys in {seconds:.0f} s ({cpu:.0f} s CPU in this process)", flush=True)
    with connection.cursor() as c:
        if target.kind == "sqlite":
            c.execute("ANALYZE")
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if target.kind == "postgres":
        connection.close()
        with target.raw() as raw:
            raw.execute("VACUUM ANALYZE")
    return {"keys": keys, "keys_seconds": round(seconds), "keys_cpu_seconds": round(cpu)}


def make_users() -> dict:
    from accounts.models import Grant, User
    from accounts.roles import Role
    from chainboard import actions, audit
    from chainboard.models import ApiToken
    from chainboard.models.tokens import hash_token
    from chainboard.scope import SystemActor
    from regions.models import Region

    actor = SystemActor("command:province_bench")
    tokens = {}
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="command:province_bench"):
        for username, role, scope in (
            ("bench_office", Role.OFFICE, {}),  # the chain office over every chain: sees everything
            ("bench_county", Role.COUNTY, {"region": Region.objects.get(code=GAOPING)}),
        ):
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, full_name=username)
                user.set_unusable_password()
                actions.create_direct(actor, user)
                actions.create_direct(actor, Grant(user=user, role=role, **scope))
            raw = ApiToken.generate()
            actions.create_direct(actor, ApiToken(user=user, prefix=raw[:8], key_hash=hash_token(raw)))
            tokens[username] = raw
    return {"tokens": tokens}


# --- measuring --------------------------------------------------------------------------------------


class Raw:
    """The raw SQL side: one connection to the same database, ``%s`` placeholders on both."""

    def __init__(self, target: Target):
        self.kind = target.kind
        self.conn = target.raw()

    def q(self, sql: str, params=()) -> list[tuple]:
        if self.kind == "sqlite":
            return self.conn.execute(sql.replace("%s", "?"), params).fetchall()
        return self.conn.execute(sql, params).fetchall()

    def cursor_rows(self, sql: str, params=()):
        if self.kind == "sqlite":
            yield from self.conn.execute(sql.replace("%s", "?"), params)
        else:
            with self.conn.transaction(), self.conn.cursor(name="export") as cur:
                cur.itersize = 2000
                cur.execute(sql, params)
                yield from cur

    def in_list(self, column: str, values) -> tuple[str, list]:
        values = list(values)
        if not values:
            return "1 = 0", []
        return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def raw_where(region: str | None, chain: int | None, scope_region: str | None, *, with_region=False):
    """FROM/JOIN and WHERE of the enterprise list with its filters, as a hand-written query would
    (the region table joined only when a region condition or column needs it)."""
    joins, where, params = "", [], []
    for path in (scope_region, region):
        if path:
            where.append("r.path LIKE %s")
            params.append(path + "%")
    if where or with_region:
        joins += " JOIN regions_region r ON r.code = e.region_id"
    if chain is not None:
        joins += " JOIN enterprises_membership m ON m.enterprise_id = e.id"
        where.append("m.chain_id = %s")
        params.append(chain)
    return joins, (" WHERE " + " AND ".join(where)) if where else "", params


def raw_list(raw: Raw, region_path, region_code, chain, scope_region, page_size=25, facets=True) -> int:
    """Count, first page by name with the page's chains and roles, the facets, the filter's choices."""
    joins, where, params = raw_where(region_path, chain, scope_region)
    total = raw.q(f"SELECT COUNT(*) FROM enterprises_enterprise e{joins}{where}", params)[0][0]  # noqa: S608
    joins, where, params = raw_where(region_path, chain, scope_region, with_region=True)
    page = raw.q(
        f"SELECT e.id, e.name, e.uscc, r.name, r.level, e.industry_class_id "  # noqa: S608
        f"FROM enterprises_enterprise e{joins}{where} ORDER BY e.name, e.id LIMIT {page_size:d}",
        params,
    )
    cond, ids = raw.in_list("m2.enterprise_id", [row[0] for row in page])
    raw.q(
        "SELECT m2.enterprise_id, c.name, m2.role FROM enterprises_membership m2 "  # noqa: S608
        f"JOIN chains_chain c ON c.id = m2.chain_id WHERE {cond}",
        ids,
    )
    if facets:
        raw_facets(raw, region_path, chain, scope_region)
    raw.q("SELECT id, name FROM chains_chain ORDER BY level, name")  # the chain filter's choices
    if region_code:
        raw.q("SELECT code, name FROM regions_region WHERE code = %s", (region_code,))
    return total


def raw_facets(raw: Raw, region_path, chain, scope_region) -> None:
    # Chain facet: the list filtered by every other filter (region), grouped by chain; enterprises on
    # no chain form the NULL group, as in the application. (enterprise, chain) is unique: COUNT(*).
    joins, where, params = raw_where(region_path, None, scope_region)
    rows = raw.q(
        f"SELECT m.chain_id, COUNT(*) FROM enterprises_enterprise e{joins} "  # noqa: S608
        f"LEFT JOIN enterprises_membership m ON m.enterprise_id = e.id{where} "
        "GROUP BY m.chain_id ORDER BY 2 DESC LIMIT 12",
        params,
    )
    cond, ids = raw.in_list("id", [r[0] for r in rows if r[0] is not None])
    raw.q(f"SELECT id, name FROM chains_chain WHERE {cond}", ids)  # noqa: S608
    # Role facet: region and chain applied, grouped by the role (on that chain, if one is chosen).
    joins, where, params = raw_where(region_path, chain, scope_region)
    if chain is None:  # an enterprise can hold one role on two chains: count it once
        joins += " LEFT JOIN enterprises_membership m ON m.enterprise_id = e.id"
        count = "COUNT(DISTINCT e.id)"
    else:
        count = "COUNT(*)"
    raw.q(
        f"SELECT m.role, {count} FROM enterprises_enterprise e{joins}{where} "  # noqa: S608
        "GROUP BY m.role ORDER BY 2 DESC LIMIT 12",
        params,
    )


def raw_api(raw: Raw, region_path, chain, page_size=25) -> int:
    joins, where, params = raw_where(region_path, chain, None)
    base = f"FROM enterprises_enterprise e{joins}{where}"
    total = raw.q(f"SELECT COUNT(*) {base}", params)[0][0]  # noqa: S608
    page = raw.q(
        "SELECT e.id, e.name, e.short_name, e.uscc, e.region_id, e.address, e.longitude, e.latitude, "  # noqa: S608
        f"e.industry_class_id, e.description, e.version, e.is_sample, e.source {base} "
        f"ORDER BY e.name, e.id LIMIT {page_size:d}",
        params,
    )
    ids = [row[0] for row in page]
    cond, p = raw.in_list("enterprise_id", ids)
    raw.q(f"SELECT enterprise_id, chain_id FROM enterprises_membership WHERE {cond}", p)  # noqa: S608
    raw.q(f"SELECT enterprise_id, segment_id FROM enterprises_enterprise_segments WHERE {cond}", p)  # noqa: S608
    json.dumps([list(map(str, row)) for row in page], ensure_ascii=False)
    return total


def raw_export(raw: Raw, region_path: str, fmt: str) -> int:
    joins, where, params = raw_where(region_path, None, None, with_region=True)
    sql = (
        "SELECT e.id, e.name, e.uscc, r.name, r.level, e.industry_class_id, c.name, m.role "  # noqa: S608
        f"FROM enterprises_enterprise e{joins} "
        "LEFT JOIN enterprises_membership m ON m.enterprise_id = e.id "
        f"LEFT JOIN chains_chain c ON c.id = m.chain_id{where} ORDER BY e.name, e.id"
    )

    def rows():
        for _, group in itertools.groupby(raw.cursor_rows(sql, params), key=lambda row: row[0]):
            group = list(group)
            _, name, code, region, level, industry, _, _ = group[0]
            chains = "、".join(f"{g[6]}·{ROLE_LABELS[g[7]]}" for g in group if g[6] is not None)
            yield [
                name,
                code or "",
                f"{region}（县区未知）" if level == 2 else region,
                industry or "",
                chains,
            ]

    headers = ["名称", "统一社会信用代码", "县区", "行业分类", "所在产业链及角色"]
    count = 0
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out)
        out.write("\ufeff")
        w.writerow(headers)
        for row in rows():
            w.writerow(row)
            count += 1
        out.getvalue().encode()
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(title="企业")
        sheet.append(headers)
        for row in rows():
            sheet.append(row)
            count += 1
        book.save(io.BytesIO())
    return count


def pick_terms(rng: random.Random, count: int) -> dict[str, list[str]]:
    from pypinyin import Style, lazy_pinyin

    from enterprises.models import Enterprise

    top = Enterprise.objects.order_by("-pk").values_list("pk", flat=True).first()
    terms: dict[str, list[str]] = {
        k: [] for k in ("2-char Chinese", "3+ chars", "pinyin initials", "full pinyin")
    }
    while min(len(v) for v in terms.values()) < count:
        short = Enterprise.objects.filter(pk=rng.randint(1, top)).values_list("short_name", flat=True).first()
        if not short:
            continue
        brand = short[:-2]
        syllables = lazy_pinyin(short, style=Style.NORMAL)
        terms["2-char Chinese"].append(brand[:2])
        terms["3+ chars"].append(short[: len(brand) + 1])
        terms["pinyin initials"].append("".join(s[0] for s in syllables[: len(brand) + 1]))
        terms["full pinyin"].append("".join(syllables[: len(brand)]) + syllables[len(brand)][:2])
    return {k: v[:count] for k, v in terms.items()}


class Report:
    def __init__(self):
        self.rows: list[tuple] = []
        print(f"{'figure':58} {'app ms':>9} {'raw ms':>9} {'ratio':>7}  {'target':14} result", flush=True)

    def add(self, figure: str, app: float, raw: float | None, target: str, ok: bool) -> None:
        ratio = app / raw if raw else None
        row = (figure, app, raw, ratio, target, "pass" if ok else "FAIL")
        self.rows.append(row)
        r = f"{raw:9.1f}" if raw is not None else f"{'—':>9}"
        q = f"{ratio:6.2f}×" if ratio is not None else f"{'—':>7}"
        print(f"{figure:58} {app:9.1f} {r} {q}  {target:14} {row[5]}", flush=True)

    def markdown(self) -> str:
        lines = ["| figure | app ms | raw ms | app / raw | target | result |", "|---|---:|---:|---:|---|---|"]
        for figure, app, raw, ratio, target, result in self.rows:
            lines.append(
                f"| {figure} | {app:,.1f} | {'' if raw is None else f'{raw:,.1f}'} | "
                f"{'' if ratio is None else f'{ratio:.2f}×'} | {target} | {result} |"
            )
        return "\n".join(lines)


def measure(target: Target, args, state: dict) -> None:
    from django.db import connection
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from chainboard import search
    from chainboard.facets import facet_counts
    from chains.models import Chain
    from enterprises.models import Enterprise
    from enterprises.views import EnterpriseViewSet
    from regions.models import Region

    runs = args.runs
    only = set(args.only.split(","))
    raw = Raw(target)
    office = User.objects.get(username="bench_office")
    county = User.objects.get(username="bench_county")
    silk = Chain.objects.get(name=SILK).pk
    city_path = Region.objects.get(code=JINCHENG).path
    county_path = Region.objects.get(code=GAOPING).path
    n = Enterprise.objects.count()
    print(
        f"{target.kind}: {n:,} enterprises, {state.get('keys', 0):,} search keys, {target.size()}; "
        f"median of {runs} warm runs; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    clients = {}
    for user in (office, county):
        clients[user.username] = Client()
        clients[user.username].force_login(user)
    clients["api"] = Client()  # an API client sends its token, not a session cookie

    def get(username, url, **headers):
        response = clients[username].get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        if response.streaming:
            b"".join(response.streaming_content)
        return response

    report = Report()

    def compare(figure, app_fn, raw_fn, target_ratio, runs=runs):
        a, b = median_ms(app_fn, runs), median_ms(raw_fn, runs)
        report.add(figure, a, b, f"≤ {target_ratio}× raw", a <= target_ratio * b)

    if "list" in only:
        # 1. The enterprise list page: filters, sort, first page, total count, facets.
        cases = [
            ("list page, office: city + chain", "bench_office", f"region={JINCHENG}&chain={silk}", city_path, JINCHENG, silk, None),
            ("list page, office: county + chain", "bench_office", f"region={GAOPING}&chain={silk}", county_path, GAOPING, silk, None),
            ("list page, office: no filter (every enterprise)", "bench_office", "", None, None, None, None),
            ("list page, county user: chain (scope 高平市)", "bench_county", f"chain={silk}", None, None, silk, county_path),
            ("list page, county user: no filter", "bench_county", "", None, None, None, county_path),
        ]  # fmt: skip
        for figure, username, query, path, code, chain, scope_region in cases:
            url = f"/enterprises/?{query}&sort=name" if query else "/enterprises/?sort=name"
            total = raw_list(raw, path, code, chain, scope_region, facets=False)
            compare(
                f"{figure} ({total:,} rows)",
                lambda url=url, username=username: get(username, url),
                lambda a=(path, code, chain, scope_region): raw_list(raw, *a),
                3,
            )

    if "api" in only:
        # 2. The API list.
        token = state["tokens"]["bench_office"]
        for figure, query, path, chain in (
            ("API list, office: city + chain", f"region={JINCHENG}&chain={silk}", city_path, silk),
            ("API list, office: no filter", "", None, None),
        ):
            compare(
                figure,
                lambda q=query: get("api", f"/api/v1/enterprises?{q}", Authorization=f"Bearer {token}"),
                lambda a=(path, chain): raw_api(raw, *a),
                2.5,
            )

    if "facets" in only:
        # 3. Facet counts alone.
        factory = RequestFactory()
        for figure, username, query, path, chain, scope_region in (
            ("facets, office: city + chain", "bench_office", f"region={JINCHENG}&chain={silk}", city_path, silk, None),
            ("facets, office: no filter", "bench_office", "", None, None, None),
            ("facets, county user: chain", "bench_county", f"chain={silk}", None, silk, county_path),
        ):  # fmt: skip
            user = office if username == "bench_office" else county

            def app_facets(query=query, user=user):
                request = factory.get("/enterprises/?" + query)
                request.user = User.objects.get(pk=user.pk)  # grants are computed per request
                base = Enterprise.objects.restrict(request.user, "view")
                return facet_counts(EnterpriseViewSet, request, base)

            compare(figure, app_facets, lambda a=(path, chain, scope_region): raw_facets(raw, *a), 1.5)

    if "search" in only:
        # 4. Search: app (the index + the first page of 25 names) against a LIKE scan.
        terms = pick_terms(random.Random(args.seed + 1), args.terms)
        # Beside the sampled terms, the common ones: a trade (one name in twelve) and two initials.
        terms["common: 2-char Chinese"] = ["纺织"]
        terms["common: 2 initials"] = ["jh"]
        for kind, words in terms.items():
            app_times, like_times, matches = [], [], []
            for term in words:

                def app(term=term):
                    return list(
                        Enterprise.objects.filter(search.matches(Enterprise, term))
                        .order_by("name")
                        .values_list("name", flat=True)[:25]
                    )

                def like(term=term):
                    return raw.q(
                        "SELECT name FROM enterprises_enterprise WHERE name LIKE %s ORDER BY name LIMIT 25",
                        (f"%{term}%",),
                    )

                matches.append(
                    Enterprise.objects.filter(pk__in=search.matching_ids(Enterprise, term)).count()
                )
                app_times.append(median_ms(app, runs))
                like_times.append(median_ms(like, runs))
            a, b = statistics.median(app_times), statistics.median(like_times)
            worst = max(app_times)
            label = (
                f"search {kind} ({words[0]}…, {min(matches):,}–{max(matches):,} matches; slowest {worst:.1f})"
            )
            report.add(label, a, b, "< 20 ms", worst < 20)
        # The search box in the page header, as the office user: every kind of record, each counted
        # (up to its cap) with its first names; the whole request through the test client.
        for term in ("纺织", "jh", "高平精"):
            report.add(
                f"search box page, office: {term}",
                median_ms(lambda term=term: get("bench_office", f"/search/?q={quote(term)}"), runs),
                None,
                "— (whole page)",
                True,
            )

    if "export" in only:
        # 5. Export of ~100,000 rows (Jincheng: a tenth of the province).
        for fmt in ("csv", "xlsx"):
            url = f"/enterprises/?region={JINCHENG}&sort=name&export={fmt}"
            rows = {}

            def app_export(url=url):
                return get("bench_office", url)

            def raw_exp(fmt=fmt):
                rows["n"] = raw_export(raw, city_path, fmt)

            a, b = median_ms(app_export, args.export_runs), median_ms(raw_exp, args.export_runs)
            report.add(
                f"export {fmt.upper()} of {rows['n']:,} rows (city filter)", a, b, "< 8000 ms", a < 8000
            )

    if "queries" in only:
        # 6. Query count of the list page does not grow with page size.
        counts = {}
        for size in (25, 100):
            with CaptureQueriesContext(connection) as ctx:
                get(
                    "bench_office", f"/enterprises/?region={JINCHENG}&chain={silk}&sort=name&page_size={size}"
                )
            counts[size] = len(ctx.captured_queries)
        print(f"queries of the list page: page_size 25 → {counts[25]}, page_size 100 → {counts[100]}")
        report.add(
            f"list page queries: {counts[25]} at page_size 25, {counts[100]} at 100",
            counts[25],
            None,
            "equal",
            counts[25] == counts[100],
        )
    out = DATA / f"province-{n}-{target.kind}-{'-'.join(sorted(only))}.md"
    out.write_text(
        f"{target.kind}, {n:,} enterprises, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n\n"
        + report.markdown()
        + "\n"
    )
    print(f"\nwritten to {out.relative_to(ROOT)}; load average now {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="enterprises")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (trust auth), no database name")
    parser.add_argument("--runs", type=int, default=15, help="warm runs per figure (median)")
    parser.add_argument("--export-runs", type=int, default=3, help="warm runs per export")
    parser.add_argument("--terms", type=int, default=5, help="search terms per kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--uscc-share", type=float, default=0.5, help="share of enterprises with a USCC")
    parser.add_argument("--fresh", action="store_true", help="drop the data and generate it again")
    parser.add_argument("--no-measure", action="store_true", help="generate only")
    parser.add_argument(
        "--only",
        default="list,api,facets,search,export,queries",
        help="comma-separated figures to measure (default: all of list,api,facets,search,export,queries)",
    )
    args = parser.parse_args()

    DATA.mkdir(parents=True, exist_ok=True)
    target = Target(args.database, args.n, args.pg_url)
    if args.fresh:
        target.wipe()
    target.create()
    target.django()
    state = target.state()
    if not state.get("data"):
        generate_data(target, args.n, args.seed, args.uscc_share)
        target.save_state(data=True)
    if not state.get("keys"):
        target.save_state(**build_keys(target))
    if not target.state().get("tokens"):
        target.save_state(**make_users())
    if not args.no_measure:
        # Indexes added since the data was generated (enterprise name, 2026-11): a no-op otherwise.
        from django.core.management import call_command

        call_command("migrate", verbosity=1)
        measure(target, args, target.state())


if __name__ == "__main__":
    main()
