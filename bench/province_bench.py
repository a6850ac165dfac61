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
# Bench databases: bench/data (gitignored) unless CHAINBOARD_BENCH_DATA names another folder.
DATA = Path(os.environ.get("CHAINBOARD_BENCH_DATA") or ROOT / "bench" / "data")
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
        from django.conf import settings

        # The application's session settings too (jit = off unless CHAINBOARD_PG_JIT): both sides plan alike.
        options = (
            settings.DATABASES["default"].get("OPTIONS", {}).get("options") if settings.configured else None
        )
        return psycopg.connect(self.url, autocommit=True, **({"options": options} if options else {}))

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
    analyse(target)
    return {"keys": keys, "keys_seconds": round(seconds), "keys_cpu_seconds": round(cpu)}


def analyse(target: Target) -> dict:
    """The planner's statistics (after the keys, or alone with ``--no-keys``): on SQLite those the
    application's nightly job writes (``planner.refresh``: every table with rows), as a deployment has
    them; on PostgreSQL what autovacuum would write."""
    from django.db import connection

    from chainboard import planner

    if target.kind == "sqlite":
        planner.refresh()
        with connection.cursor() as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if target.kind == "postgres":
        connection.close()
        with target.raw() as raw:
            raw.execute("VACUUM ANALYZE")
    return {"analysed": True}


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


def raw_api(raw: Raw, region_path, chain, page_size=25) -> int:
    where, params = tuned_where(region_path, chain, None)
    base = f"FROM enterprises_enterprise e{where}"
    carried = carried_where(region_path, chain, None) if chain is not None else None
    if carried is not None:  # the chain's memberships in the region, as tuned_list counts them
        total = raw.q(f"SELECT COUNT(*) FROM enterprises_membership m WHERE {carried[0]}", carried[1])[0][0]  # noqa: S608
    else:
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


class RawExport:
    """The enterprise export of a region written by hand: the fastest plain query for its rows (the
    region as a range of the enterprise's own code, joined to its region; each enterprise's chains and
    roles aggregated into one string by a correlated subquery, which measured faster than joining the
    memberships and grouping them in Python) and the cells the application writes, byte for byte, each
    distinct chains string formatted once, through ``csv.writer`` or straight into XlsxWriter
    (``constant_memory``, as the application) or openpyxl's write-only sheet (the writer before)."""

    def __init__(self, raw: Raw, region_path: str):
        from django.utils import translation

        from enterprises.models import ROLE_LABELS, Enterprise
        from enterprises.views import EnterpriseViewSet

        self.raw = raw
        where, self.params = tuned_where(region_path, None, None)
        if raw.kind == "sqlite":
            chains = "group_concat(c.name || char(31) || m.role || char(31) || m.is_sample, char(30))"
            # SQLite walks the name index over the whole table for ORDER BY e.name, reading each row at
            # random; sorting the region's rows (+e.name, as the application does) is faster there.
            name = "+e.name"
        else:
            chains = "string_agg(c.name || chr(31) || m.role || chr(31) || m.is_sample::int::text, chr(30))"
            name = "e.name"
        # Ties by id descending, as the list sorted by name (order_by("name", "-pk")).
        self.sql = (
            "SELECT e.name, e.uscc, r.name, r.level, e.industry_class_id, e.is_sample, "  # noqa: S608
            f"(SELECT {chains} FROM enterprises_membership m JOIN chains_chain c ON c.id = m.chain_id "
            "WHERE m.enterprise_id = e.id) FROM enterprises_enterprise e "
            f"LEFT JOIN regions_region r ON r.code = e.region_id{where} ORDER BY {name}, e.id DESC"
        )
        with translation.override("zh-hans"):  # the words the application writes, once
            self.headers = EnterpriseViewSet.table.export_labels(Enterprise)
            self.roles = {key: str(label) for key, label in ROLE_LABELS.items()}
            self.city = translation.gettext("%(city)s (county unknown)")
            self.sample = translation.gettext("%(membership)s (sample data)")

    def rows(self):
        roles, city, sample, made = self.roles, self.city, self.sample, {}
        for name, code, region, level, industry, is_sample, text in self.raw.cursor_rows(
            self.sql, self.params
        ):
            chains = made.get(text, "") if text else ""
            if text and not chains:
                memberships = sorted(item.split("\x1f") for item in text.split("\x1e"))
                made[text] = chains = "、".join(
                    sample % {"membership": f"{c}·{roles[r]}"} if s == "1" else f"{c}·{roles[r]}"
                    for c, r, s in memberships
                )
            yield [
                name,
                code or "",
                (city % {"city": region} if level == 2 else region) or "",
                industry or "",
                chains,
                "是" if is_sample else "否",
            ]

    def query(self) -> int:
        """The query alone, its rows fetched and grouped: the part no writer can save."""
        return sum(1 for _ in self.rows())

    def csv(self) -> bytes:
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(self.headers)
        writer.writerows(self.rows())
        return out.getvalue().encode()

    def xlsxwriter(self) -> int:
        import xlsxwriter

        book = xlsxwriter.Workbook(io.BytesIO(), {"constant_memory": True, "in_memory": False})
        sheet = book.add_worksheet("企业")
        write = sheet.write_string
        count = 0
        for number, row in enumerate(itertools.chain([self.headers], self.rows())):
            for column, value in enumerate(row):
                if value:
                    write(number, column, value)
            count = number
        book.close()
        return count

    def openpyxl(self) -> int:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(title="企业")
        sheet.append(self.headers)
        count = 0
        for row in self.rows():
            sheet.append(row)
            count += 1
        book.save(io.BytesIO())
        return count


def tuned_where(region_path, chain, scope_region) -> tuple[str, list]:
    """The enterprise list's filters as an expert writes them: a region subtree as a range of the
    enterprise's own region code (a code starts with its region's path: 1405 → 140500…140599999), the
    chain as EXISTS on the membership table's unique (enterprise, chain) index."""
    where, params = [], []
    for path in (scope_region, region_path):
        if path:
            upper = path[:-1] + chr(ord(path[-1]) + 1)
            where.append("e.region_id >= %s AND e.region_id < %s")
            params += [path, upper]
    if chain is not None:
        where.append(
            "EXISTS (SELECT 1 FROM enterprises_membership x WHERE x.enterprise_id = e.id AND x.chain_id = %s)"
        )
        params.append(chain)
    return (" WHERE " + " AND ".join(where)) if where else "", params


def tuned_list(raw: Raw, region_path, region_code, chain, scope_region, page_size=25) -> int:
    """The list page by hand: count, the page by name with its regions, the page's chains and roles,
    both facets grouped straight off the membership table, the chain filter's choices."""
    where, params = tuned_where(region_path, chain, scope_region)
    carried = carried_where(region_path, chain, scope_region)
    if carried is not None and chain is not None:
        # A region and a chain: the chain's memberships in the region, by the region each membership
        # carries ((enterprise, chain) is unique: COUNT(*)).
        total = raw.q(f"SELECT COUNT(*) FROM enterprises_membership m WHERE {carried[0]}", carried[1])[0][0]  # noqa: S608
    else:
        total = raw.q(f"SELECT COUNT(*) FROM enterprises_enterprise e{where}", params)[0][0]  # noqa: S608
    page = raw.q(
        "SELECT e.id, e.name, e.uscc, r.name, r.level, e.industry_class_id FROM enterprises_enterprise e "  # noqa: S608
        f"LEFT JOIN regions_region r ON r.code = e.region_id{where} ORDER BY e.name, e.id LIMIT {page_size:d}",
        params,
    )
    cond, ids = raw.in_list("m.enterprise_id", [row[0] for row in page])
    raw.q(
        "SELECT m.enterprise_id, c.name, m.role, m.is_sample FROM enterprises_membership m "  # noqa: S608
        f"JOIN chains_chain c ON c.id = m.chain_id WHERE {cond}",
        ids,
    )
    tuned_facets(raw, region_path, chain, scope_region)
    raw.q("SELECT id, name FROM chains_chain ORDER BY level, name")  # the chain filter's choices
    if region_code:
        raw.q("SELECT code, name FROM regions_region WHERE code = %s", (region_code,))
    return total


def carried_where(region_path, chain, scope_region) -> tuple[str, list] | None:
    """A region, the filter's or the scope's (a county user's) or both, as a range of the region each
    membership carries (enterprises.Membership.region, kept equal to its enterprise's by triggers), and
    the chain: the memberships alone answer, by their (chain, region, enterprise), (region, chain) and
    (region, role, enterprise) indexes. None without a region."""
    paths = [path for path in (scope_region, region_path) if path]
    if not paths:
        return None
    where, params = [], []
    for path in paths:
        upper = path[:-1] + chr(ord(path[-1]) + 1)
        where.append("m.region_id >= %s AND m.region_id < %s")
        params += [path, upper]
    if chain is not None:
        where.append("m.chain_id = %s")
        params.append(chain)
    return " AND ".join(where), params


KEPT = "SELECT value, SUM(n) FROM chainboard_keptcount WHERE name = %s GROUP BY value HAVING SUM(n) > 0"


def tuned_facets(raw: Raw, region_path, chain, scope_region) -> None:
    # Over every row (no filter, a scope of everything) both facets are kept on write
    # (chainboard/keptcounts.py): an expert on this schema reads them, as the application does.
    if not region_path and chain is None and not scope_region:
        chains = raw.q(KEPT, ("enterprises_membership.chain_id.enterprise_id",))
        rows = sorted(chains, key=lambda r: -r[1])[:12]
        cond, ids = raw.in_list("id", [int(r[0]) for r in rows])
        raw.q(f"SELECT id, name FROM chains_chain WHERE {cond}", ids)  # noqa: S608
        sorted(raw.q(KEPT, ("enterprises_membership.role.enterprise_id",)), key=lambda row: -row[1])
        return
    # Chain: the list filtered by the region only, grouped straight off the memberships ((enterprise,
    # chain) is unique: COUNT(*)); over everything, no condition at all, or the region the memberships carry.
    where, params = tuned_where(region_path, None, scope_region)
    inner = f" WHERE m.enterprise_id IN (SELECT e.id FROM enterprises_enterprise e{where})" if where else ""
    carried = carried_where(region_path, None, scope_region)
    if carried is not None:
        inner, params = f" WHERE {carried[0]}", carried[1]
    rows = raw.q(
        f"SELECT m.chain_id, COUNT(*) FROM enterprises_membership m{inner} "  # noqa: S608
        "GROUP BY m.chain_id ORDER BY 2 DESC LIMIT 12",
        params,
    )
    cond, ids = raw.in_list("id", [r[0] for r in rows])
    raw.q(f"SELECT id, name FROM chains_chain WHERE {cond}", ids)  # noqa: S608
    # Role: region and chain applied; an enterprise with one role on two chains counts once.
    where, params = tuned_where(region_path, chain, scope_region)
    inner = f" WHERE m.enterprise_id IN (SELECT e.id FROM enterprises_enterprise e{where})" if where else ""
    carried = carried_where(region_path, chain, scope_region)
    if carried is not None and chain is None:
        inner, params = f" WHERE {carried[0]}", carried[1]  # the region's memberships
    elif carried is not None:
        # The enterprises of the chain's memberships in the region; then all of their memberships.
        inner = f" WHERE m.enterprise_id IN (SELECT m.enterprise_id FROM enterprises_membership m WHERE {carried[0]})"  # noqa: S608
        params = carried[1]
    # Three roles: sorted here, so that SQLite reads COUNT(DISTINCT) in order off (role, enterprise_id).
    sorted(
        raw.q(
            f"SELECT m.role, COUNT(DISTINCT m.enterprise_id) FROM enterprises_membership m{inner} GROUP BY m.role",  # noqa: S608
            params,
        ),
        key=lambda row: -row[1],
    )


class Peer:
    """Datasette 0.65 on the same SQLite file, in this process through its own ASGI client (its server
    time, no network), with its time limits raised so that it finishes every count and facet it starts
    (by default it gives up a facet after 200 ms and a query after 1 s, and shows less)."""

    SETTINGS = {"sql_time_limit_ms": 60_000, "facet_time_limit_ms": 60_000, "max_returned_rows": 1000}

    def __init__(self, path: Path):
        import asyncio

        from datasette.app import Datasette

        self.ds = Datasette([str(path)], settings=self.SETTINGS)
        self.db = path.stem
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self.ds.invoke_startup())

    def get(self, url: str):
        response = self.loop.run_until_complete(self.ds.client.get(f"/{self.db}/{url}"))
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        return response

    @staticmethod
    def list_url(region_path, chain, *, fmt="", size=25) -> str:
        """The enterprise table by name, the same filter, two facets of its own columns."""
        query = [("_sort", "name"), ("_size", str(size))]
        if region_path:
            upper = region_path[:-1] + chr(ord(region_path[-1]) + 1)
            query += [("region_id__gte", region_path), ("region_id__lt", upper)]
        if chain is not None:
            # EXISTS, as for the hand-tuned SQL: an IN is driven from every membership of the chain.
            query.append(
                (
                    "_where",
                    "exists (select 1 from enterprises_membership m where m.enterprise_id = "
                    f"enterprises_enterprise.id and m.chain_id = {chain:d})",
                )
            )
        if not fmt:
            query += [("_facet", "region_id"), ("_facet", "industry_class_id")]
        from urllib.parse import urlencode

        return f"enterprises_enterprise{fmt}?{urlencode(query)}"


def serve_app(port: int, workers: int) -> list[int]:
    """The application behind a pre-forked WSGI server: ``workers`` processes accepting on one socket
    (wsgiref, one request at a time each, as a sync worker of any WSGI server). Returns their pids."""
    import socket
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

    from django.core.wsgi import get_wsgi_application
    from django.db import connections

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    app = get_wsgi_application()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    connections.close_all()
    pids = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            server = WSGIServer(("127.0.0.1", port), Quiet, bind_and_activate=False)
            server.socket.close()
            server.socket = sock
            server.server_address = sock.getsockname()
            server.server_name, server.server_port = "127.0.0.1", port
            server.setup_environ()
            server.set_app(app)
            try:
                server.serve_forever()
            finally:
                os._exit(0)
        pids.append(pid)
    sock.close()
    return pids


def throughput(url: str, seconds: float, clients: int, headers: dict | None = None) -> float:
    """Requests a second that ``clients`` threads get answered (200) from ``url`` in ``seconds``."""
    import threading
    import urllib.request

    done = [0] * clients
    stop = time.perf_counter() + seconds

    def run(i):
        request = urllib.request.Request(url, headers=headers or {})
        while time.perf_counter() < stop:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                if response.status == 200:
                    done[i] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - started)


def wait_for(url: str, headers: dict | None = None, seconds: float = 60) -> None:
    import urllib.request

    stop = time.perf_counter() + seconds
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=60):
                return
        except OSError:
            if time.perf_counter() > stop:
                raise
            time.sleep(0.5)


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
    """Each figure through the application, the hand-tuned SQL and Datasette, with its target."""

    def __init__(self):
        self.rows: list[tuple] = []
        print(
            f"{'figure':62} {'app':>9} {'SQL':>9} {'ratio':>7} {'Datasette':>9}  {'target':22} result",
            flush=True,
        )

    def add(self, figure: str, app: float, raw: float | None, target: str, ok: bool, peer=None) -> None:
        ratio = app / raw if raw else None
        row = (figure, app, raw, ratio, peer, target, "pass" if ok else "FAIL")
        self.rows.append(row)
        r = f"{raw:9.1f}" if raw is not None else f"{'—':>9}"
        q = f"{ratio:6.2f}×" if ratio is not None else f"{'—':>7}"
        d = f"{peer:9.1f}" if peer is not None else f"{'—':>9}"
        print(f"{figure:62} {app:9.1f} {r} {q} {d}  {target:22} {row[6]}", flush=True)

    def markdown(self) -> str:
        lines = [
            "| figure | chainboard | hand-tuned SQL | app / SQL | Datasette 0.65 | target | result |",
            "|---|---:|---:|---:|---:|---|---|",
        ]
        for figure, app, raw, ratio, peer, target, result in self.rows:
            lines.append(
                f"| {figure} | {app:,.1f} | {'' if raw is None else f'{raw:,.1f}'} | "
                f"{'' if ratio is None else f'{ratio:.2f}×'} | {'' if peer is None else f'{peer:,.1f}'} | "
                f"{target} | {result} |"
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

    peer = Peer(target.path) if target.kind == "sqlite" and not args.no_peer else None

    def compare3(figure, app_fn, raw_fn, peer_fn, ratio, *, ceiling=None, runs=runs):
        """One interleaved run of each side per round, the median of ``runs`` rounds (ms)."""
        fns = [app_fn, raw_fn] + ([peer_fn] if peer_fn is not None else [])
        for fn in fns:
            fn()  # warm
        times = [[] for _ in fns]
        for _ in range(runs):
            for fn, out in zip(fns, times, strict=True):
                started = time.perf_counter()
                fn()
                out.append((time.perf_counter() - started) * 1000)
        a, b, *c = (statistics.median(t) for t in times)
        d = c[0] if c else None
        ok = (ratio is None or a <= ratio * b) and (ceiling is None or a < ceiling) and (d is None or a <= d)
        goals = [f"≤ {ratio}× SQL"] if ratio else []
        goals += [f"< {ceiling} ms"] if ceiling else []
        goals += ["≤ Datasette"] if d is not None else []
        goal = ", ".join(goals) or "—"
        report.add(figure, a, b, goal, ok, d)

    list_cases = [
        ("office: no filter", "bench_office", "", None, None, None, None),
        ("office: county 高平市 + silk chain", "bench_office", f"region={GAOPING}&chain={silk}", county_path, GAOPING, silk, None),
        ("office: city 晋城市 + silk chain", "bench_office", f"region={JINCHENG}&chain={silk}", city_path, JINCHENG, silk, None),
        ("county user (scope 高平市): silk chain", "bench_county", f"chain={silk}", None, None, silk, county_path),
        ("county user (scope 高平市): no filter", "bench_county", "", None, None, None, county_path),
    ]  # fmt: skip

    if "list" in only:
        # 1. The enterprise list page by name: count, page, facets, the filter's choices.
        for figure, username, query, path, code, chain, scope_region in list_cases:
            url = f"/enterprises/?{query}&sort=name" if query else "/enterprises/?sort=name"
            total = tuned_list(raw, path, code, chain, scope_region)
            peer_region = path or scope_region
            compare3(
                f"list page, {figure} ({total:,} rows)",
                lambda url=url, username=username: get(username, url),
                lambda a=(path, code, chain, scope_region): tuned_list(raw, *a),
                (lambda u=Peer.list_url(peer_region, chain): peer.get(u)) if peer else None,
                2,
                ceiling=200,
            )

    if "api" in only:
        # 2. The API list (100 rows by name, count), and the fixed cost of a request (a 10-row table).
        token = state["tokens"]["bench_office"]
        bearer = {"Authorization": f"Bearer {token}"}
        for figure, query, path, chain in (
            ("API list, 100 rows, office: no filter", "", None, None),
            (
                "API list, 100 rows, office: city + silk chain",
                f"region={JINCHENG}&chain={silk}",
                city_path,
                silk,
            ),
        ):
            compare3(
                figure,
                lambda q=query: get("api", f"/api/v1/enterprises?{q}&page_size=100", **bearer),
                lambda a=(path, chain): raw_api(raw, *a, page_size=100),
                (lambda u=Peer.list_url(path, chain, fmt=".json", size=100): peer.get(u)) if peer else None,
                2,
            )
        compare3(
            "API fixed cost: one page of the 10 chains",
            lambda: get("api", "/api/v1/chains?page_size=10", **bearer),
            lambda: json.dumps(raw.q("SELECT * FROM chains_chain ORDER BY id LIMIT 10"), default=str),
            (lambda: peer.get("chains_chain.json?_size=10")) if peer else None,
            None,  # the target is Datasette's fixed cost
        )

    if "facets" in only:
        # 3. Facet counts alone.
        factory = RequestFactory()
        for figure, username, query, path, _code, chain, scope_region in list_cases:
            user = office if username == "bench_office" else county

            def app_facets(query=query, user=user):
                request = factory.get("/enterprises/?" + query)
                request.user = User.objects.get(pk=user.pk)  # grants are computed per request
                base = Enterprise.objects.restrict(request.user, "view")
                return facet_counts(EnterpriseViewSet, request, base)

            compare3(
                f"facets, {figure}",
                app_facets,
                lambda a=(path, chain, scope_region): tuned_facets(raw, *a),
                None,
                2,
            )

    if "throughput" in only:
        # 4. List pages a second, 2 workers each side, 8 clients, the county + chain page.
        import signal
        import subprocess

        session = clients["bench_office"].cookies["sessionid"].value
        query = f"region={GAOPING}&chain={silk}&sort=name"
        pids = serve_app(args.port, 2)
        try:
            app_url = f"http://127.0.0.1:{args.port}/enterprises/?{query}"
            cookie = {"Cookie": f"sessionid={session}"}
            wait_for(app_url, cookie)
            app_rps = throughput(app_url, args.seconds, 8, cookie)
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
        peer_rps = None
        if target.kind == "sqlite" and not args.no_peer:
            settings = [x for k, v in Peer.SETTINGS.items() for x in ("--setting", k, str(v))]
            server = subprocess.Popen(  # noqa: S603 - the bench's own command line
                [
                    sys.executable,
                    "-m",
                    "datasette",
                    "serve",
                    str(target.path),
                    "-p",
                    str(args.port + 1),
                    *settings,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                peer_url = (
                    f"http://127.0.0.1:{args.port + 1}/{target.path.stem}/{Peer.list_url(county_path, silk)}"
                )
                wait_for(peer_url)
                peer_rps = throughput(peer_url, args.seconds, 8)
            finally:
                server.terminate()
                server.wait()
        report.add(
            "list page throughput, county + chain, 8 clients (req/s; Datasette: one process)",
            app_rps,
            None,
            "≥ Datasette",
            peer_rps is None or app_rps >= peer_rps,
            peer_rps,
        )

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

    if "searched" in only:
        # 4b. The enterprise list and the API searched (q), as the office (scope: everything) and the
        # county user: a rare term, a trade (one name in twelve), pinyin initials, the commonest word and
        # a county's name in Chinese and in pinyin.
        # Target 4: under 50 ms. Beside each, the index alone: the capped count of its matches that the
        # page stands on (COUNT of the first 10,001 ids of each part of the term; chainboard/filters.py),
        # for the county user those in the county (SQLite: the index's region tokens, docs/search.md).
        from chainboard.filters import SEARCH_COUNT_CAP

        # What the header box's htmx request sends (chainboard/views/search.py, BOX_TARGET).
        BOX = {"HX-Request": "true", "HX-Target": "cb-search-box-results"}
        bearers = {
            username: {"Authorization": f"Bearer {state['tokens'][username]}"}
            for username in ("bench_office", "bench_county")
        }

        def index_count(term, within):
            query = search._Query(Enterprise, term)
            query.within = within if search.search_region(Enterprise) else None  # SQLite's tokens
            index_sql, index_params = query.counts_sql(SEARCH_COUNT_CAP + 1)
            return "SELECT " + ", ".join(index_sql), index_params

        # 高平 and gaoping: a county's name, as offices search for its enterprises. Its 9,958 matches sort
        # together (the names that start with it) after 97 % of the names, where a walk of the name order
        # meets them last; gaoping asks the pinyin index for a full pinyin with many readings.
        for term in ("潞安", "纺织", "jc", "有限", "高平", "gaoping"):
            for who, username, within in (
                ("office", "bench_office", None),
                ("county user", "bench_county", GAOPING),
            ):
                index_query, index_params = index_count(term, within)
                # The list page, the API list, the header box's drop-down as the user types (htmx:
                # every kind in the user's scope, each counted up to 100 with its first 5 hits) and the
                # search page it opens on Enter (the same, 8 hits a kind, in the whole page), each beside
                # the capped count of the index it stands on. Target 4: pages and the API under 50 ms,
                # the box under 20.
                for figure, url, headers, ceiling in (
                    (f"searched list page, {who}: {term}", f"/enterprises/?q={quote(term)}", None, 50),
                    (
                        f"searched API list, 25 rows, {who}: {term}",
                        f"/api/v1/enterprises?q={quote(term)}",
                        bearers[username],
                        50,
                    ),
                    (f"search box (drop-down), {who}: {term}", f"/search/?q={quote(term)}", BOX, 20),
                    (f"search page (every kind), {who}: {term}", f"/search/?q={quote(term)}", None, 50),
                ):
                    compare3(
                        figure,
                        lambda url=url, username=username, headers=headers: (
                            get(username, url, **headers)
                            if headers is BOX
                            else get("api", url, **headers)
                            if headers
                            else get(username, url)
                        ),
                        lambda index_query=index_query, index_params=index_params: raw.q(
                            index_query, index_params
                        ),
                        None,
                        None,
                        ceiling=ceiling,
                    )
        # A common term sorted by credit code, both ways: 400,000 of the million enterprises have no code,
        # one run of equal values, first in SQLite's ascending order and PostgreSQL's descending one
        # (docs/lists.md, "Sorted by a column"). Beside it, the same capped count of the index.
        index_query, index_params = index_count("有限", None)
        for sort in ("uscc", "-uscc"):
            compare3(
                f"searched list page sorted by {sort}, office: 有限",
                lambda sort=sort: get("bench_office", f"/enterprises/?q={quote('有限')}&sort={sort}"),
                lambda: raw.q(index_query, index_params),
                None,
                None,
                ceiling=50,
            )

    if "export" in only:
        # 5. Export of ~100,000 rows (Jincheng: a tenth of the province), interleaved with the hand-written
        # export of the same rows; the CSV files are compared byte for byte first.
        export = RawExport(raw, city_path)
        url = f"/enterprises/?region={JINCHENG}&sort=name&export="

        def app_export(fmt):
            response = clients["bench_office"].get(url + fmt)
            assert response.status_code == 200, (url, response.status_code)
            return b"".join(response.streaming_content) if response.streaming else response.content

        app_csv, raw_csv = app_export("csv"), export.csv()
        same = app_csv == raw_csv
        print(
            f"export CSV: the application's file and the hand-written one are identical: {same}", flush=True
        )
        if not same:
            mine, theirs = app_csv.decode().splitlines(), raw_csv.decode().splitlines()
            diff = next((i for i, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b), None)
            print(f"  {len(mine)} / {len(theirs)} lines; first difference at line {diff}", flush=True)
            if diff is not None:
                print(f"  app: {mine[diff]!r}\n  raw: {theirs[diff]!r}", flush=True)
        rows = export.query()
        sides = {
            "app CSV": lambda: app_export("csv"),
            "raw CSV": export.csv,
            "raw query": export.query,
            "app XLSX": lambda: app_export("xlsx"),
            "raw XlsxWriter": export.xlsxwriter,
            "raw openpyxl": export.openpyxl,
        }
        times = {name: [] for name in sides}
        for _ in range(args.export_runs):  # interleaved: each round runs every side once
            for name, fn in sides.items():
                started = time.perf_counter()
                fn()
                times[name].append((time.perf_counter() - started) * 1000)
        ms = {name: statistics.median(t) for name, t in times.items()}
        print(
            f"export of {rows:,} rows, median of {args.export_runs}: "
            + ", ".join(f"{name} {value:,.0f} ms" for name, value in ms.items()),
            flush=True,
        )
        report.add(
            f"export CSV of {rows:,} rows (city filter; raw query alone {ms['raw query']:,.0f} ms)",
            ms["app CSV"],
            ms["raw CSV"],
            "≤ 1.5× SQL + writing",
            ms["app CSV"] <= 1.5 * ms["raw CSV"],
        )
        report.add(
            f"export XLSX of {rows:,} rows (raw: XlsxWriter; openpyxl write-only {ms['raw openpyxl']:,.0f} ms)",
            ms["app XLSX"],
            ms["raw XlsxWriter"],
            "< 5000 ms",
            ms["app XLSX"] < 5000,
        )

    if "queries" in only:
        # 6. Query count of the list page does not grow with page size.
        counts = {}
        # Warm first: a process's first request reads what it caches for the next ones (content types).
        get("bench_office", f"/enterprises/?region={JINCHENG}&chain={silk}&sort=name&page_size=50")
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
    if "build" in only:
        # Target 5: the whole index rebuilt (search.rebuild, what `chainboard rebuild-search` runs) at no
        # less than 20,000 enterprises a second, beside what it stands on: the tokens of every row
        # computed in Python alone (the functions SQLite's index calls; PostgreSQL's COPY lines), the
        # rows read by the same chunks; on PostgreSQL, each GIN index built alone from the entries.
        builds, cpus, tokens_alone, alone = [], [], [], {"words": [], "pinyin": []}
        region = search.search_region(Enterprise)  # SQLite: the region's tokens too
        fields = [region, *search._columns(Enterprise)] if region else search._columns(Enterprise)
        for _ in range(max(1, min(runs, 3))):
            started, cpu = time.perf_counter(), time.process_time()
            rows = search.rebuild(Enterprise)
            builds.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
            started = time.perf_counter()
            last = 0
            while True:
                with connection.cursor() as c:
                    c.execute(
                        f"SELECT id, {', '.join(fields)} FROM enterprises_enterprise WHERE id > %s"
                        f" ORDER BY id LIMIT {search.BATCH * 10}",
                        [last],
                    )
                    chunk = c.fetchall()
                if not chunk:
                    break
                for row in chunk:
                    if region:
                        search.words_text_at(*row[1:]), search.pinyin_text_at(*row[1:])
                    elif target.kind == "sqlite":
                        search.words_text(*row[1:]), search.pinyin_text(*row[1:])
                    else:
                        search._documents(row[1:])
                last = chunk[-1][0]
            tokens_alone.append(time.perf_counter() - started)
            if target.kind == "postgres":
                docs = search._names("enterprises_enterprise")["docs"]
                for column, sql in zip(
                    ("words", "pinyin"), search._gin_indexes("enterprises_enterprise", docs)
                ):
                    alone_sql = sql.replace(f'"{docs}_{column}"', f'"bench_alone_{column}"')
                    started = time.perf_counter()
                    with connection.cursor() as c:
                        c.execute(f"SET maintenance_work_mem = '{search.BUILD_MEMORY}'")
                        c.execute(alone_sql)
                    alone[column].append(time.perf_counter() - started)
                    with connection.cursor() as c:
                        c.execute(f'DROP INDEX "bench_alone_{column}"')
        build, tokens = statistics.median(builds), statistics.median(tokens_alone)
        extra = ""
        if alone["words"]:
            extra = (
                f"; each GIN index alone: words {statistics.median(alone['words']):.1f} s,"
                f" pinyin {statistics.median(alone['pinyin']):.1f} s"
            )
        print(
            f"rebuild of {rows:,}: {build:.1f} s wall ({rows / build:,.0f}/s), {statistics.median(cpus):.1f} s"
            f" CPU in this process; the tokens alone in Python {tokens:.1f} s{extra}",
            flush=True,
        )
        report.add(
            f"index rebuilt, {rows:,} enterprises (s; SQL column: the tokens alone)",
            build,
            tokens,
            ">= 20,000/s",
            rows / build >= 20_000,
        )
        if target.kind == "sqlite":
            # The nightly merge (search.merge_segments) after a day of writes: 1,000 single-row writes,
            # each its own transaction (a short name changed and changed back), leave FTS5 segments
            # beside the rebuilt index's one; a probe of one entry seeks in each. Measured: the
            # segments, a probe of 有限 before and after the merge, the merge's steps and time.
            def probe_us(ids):
                words = search._names("enterprises_enterprise")["words"]
                started = time.perf_counter()
                for i in ids:
                    raw.q(f'SELECT 1 FROM "{words}" WHERE "{words}" MATCH ? AND rowid = ?', ('"有限"', i))
                return (time.perf_counter() - started) / len(ids) * 1e6

            sample = [r[0] for r in raw.q("SELECT id FROM enterprises_enterprise ORDER BY name LIMIT 400")]
            picked = [
                r[0] for r in raw.q("SELECT id FROM enterprises_enterprise ORDER BY random() LIMIT 500")
            ]
            merged_probe = probe_us(sample)
            search.register_functions(raw.conn)  # the index's triggers call them
            for i in picked:
                for change in ("short_name || '·'", "substr(short_name, 1, length(short_name) - 1)"):
                    raw.conn.execute(
                        f"UPDATE enterprises_enterprise SET short_name = {change} WHERE id = ?"
                        " AND short_name IS NOT NULL",
                        (i,),
                    )
                    raw.conn.commit()
            segments = (search.segment_count(Enterprise, "words"), search.segment_count(Enterprise, "pinyin"))
            day_probe = probe_us(sample)
            started = time.perf_counter()
            steps = search.merge_segments(Enterprise)
            merge = time.perf_counter() - started
            after = (search.segment_count(Enterprise, "words"), search.segment_count(Enterprise, "pinyin"))
            merged_again = probe_us(sample)
            print(
                f"after 1,000 writes: segments (words, pinyin) {segments}, a probe of 有限 {merged_probe:.0f} µs"
                f" merged -> {day_probe:.0f} µs; merged in {merge:.1f} s, steps {list(steps.values())},"
                f" segments {after}, probe {merged_again:.0f} µs",
                flush=True,
            )
            report.add(
                f"nightly merge after 1,000 writes, segments {segments} -> {after} (s; SQL column: probe µs"
                f" {day_probe:.0f} before it)",
                merge,
                merged_again,
                "—",
                True,
            )
    out = DATA / f"province-{n}-{target.kind}-{'-'.join(sorted(only))}.md"
    out.write_text(
        f"{target.kind}, {n:,} enterprises, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n\n"
        + report.markdown()
        + "\n"
    )
    print(f"\nwritten to {out}; load average now {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="enterprises")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (trust auth), no database name")
    parser.add_argument("--runs", type=int, default=15, help="warm runs per figure (median)")
    parser.add_argument("--export-runs", type=int, default=3, help="warm runs per export")
    parser.add_argument("--terms", type=int, default=5, help="search terms per kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-peer", action="store_true", help="leave Datasette out")
    parser.add_argument("--port", type=int, default=8713, help="throughput: the app's port, Datasette's + 1")
    parser.add_argument("--seconds", type=float, default=15, help="throughput: seconds per side")
    parser.add_argument("--uscc-share", type=float, default=0.5, help="share of enterprises with a USCC")
    parser.add_argument("--fresh", action="store_true", help="drop the data and generate it again")
    parser.add_argument("--no-measure", action="store_true", help="generate only")
    parser.add_argument(
        "--no-keys",
        action="store_true",
        help="skip the search keys (lists, facets, API and exports do not read them; search does)",
    )
    parser.add_argument(
        "--only",
        default="list,api,facets,export,queries,throughput",
        help="comma-separated figures to measure, of list,api,facets,search,searched,export,queries,"
        "throughput,build (default: all but search, searched and build; bench/search_bench.py measures "
        "the index)",
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
    if args.no_keys:
        if not state.get("keys") and not state.get("analysed"):
            target.save_state(**analyse(target))
    elif not state.get("keys"):
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
