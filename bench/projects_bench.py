"""Key projects at scale (issue 14, point 13): the project list with lights, the chief's desk and the bulk
recompute of every light, at 200,000 projects beside 1,000,000 enterprises.

    .venv/bin/python bench/projects_bench.py                        # SQLite
    .venv/bin/python bench/projects_bench.py --database postgres    # PostgreSQL
    .venv/bin/python bench/projects_bench.py --only lights          # one figure

The enterprises are the province of ``province_bench.py``: its database is copied when one exists under
``/work/benchdata`` or ``bench/data`` (SQLite: the backup API; PostgreSQL: ``pg_dump | psql``; a file
another run owns is never written), otherwise generated with its generator. Then the projects are added
with raw bulk SQL (benchmark rows are not audited): ``--projects`` of them across every county and chain,
80 % owned by an enterprise of their county, stages in the proportions of a working programme, yearly
plans from their planned start to their planned finish, this year's completed investment spread so that
every light occurs, and each light computed by the rules of ``projects/lights.py`` for today. SQLite
lives in ``/work/benchdata/projects-N.sqlite3``, PostgreSQL in the database ``projects_bench_N``; each
finished phase is recorded beside the data, so an interrupted run resumes.

Measuring (``--only list,desk,lights``): the median of ``--runs`` warm runs, the application and the
hand-written SQL for the same answer taking turns run by run (interleaved, so a burst of load on the
shared machine hits both). Server time is the request through Django's test client.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import province_bench  # noqa: E402  (its generator and bulk writer)

DATA = Path(os.environ.get("CHAINBOARD_BENCH_DATA", "/work/benchdata"))
PROVINCE_DIRS = (DATA, ROOT / "bench" / "data")
PG_URL = "postgres://postgres@127.0.0.1:5432"
GAOPING, JINCHENG = province_bench.GAOPING, province_bench.JINCHENG
SILK = province_bench.SILK
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)

# Stages of a working programme: (stage, share).
STAGES = [
    ("planning", 0.22),
    ("signed", 0.10),
    ("started", 0.08),
    ("building", 0.35),
    ("completed", 0.10),
    ("in_production", 0.10),
    ("suspended", 0.03),
    ("terminated", 0.02),
]
KINDS = [("new", 0.55), ("expansion", 0.25), ("upgrade", 0.20)]
WORDS = ["年产", "新建", "扩建", "技改", "智能化", "绿色", "高端", "数字化"]
PRODUCTS = ["丝绸面料", "服装", "光伏组件", "煤机装备", "特种钢材", "电池材料", "铸件", "合成生物材料", "文旅综合体", "精密光学"]  # fmt: skip
SCALES = ["万吨", "万件", "万米", "兆瓦", "台套", "万平方米"]


class Target(province_bench.Target):
    """The projects' copy of the province: its own SQLite file or PostgreSQL database, never the
    province's own (another run may be reading or writing it)."""

    def __init__(self, kind: str, n: int, pg_url: str):
        super().__init__(kind, n, pg_url)
        if kind == "sqlite":
            self.path = DATA / f"projects-{n}.sqlite3"
            self.state_file = DATA / f"projects-{n}.sqlite3.json"
        else:
            self.dbname = f"projects_bench_{n}"
            self.url = f"{pg_url}/{self.dbname}"
            self.state_file = DATA / f"projects-{n}.postgres.json"

    def exists(self) -> bool:
        if self.kind == "sqlite":
            return self.path.exists()
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as c:
            return bool(c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.dbname,)).fetchone())

    def copy_province(self) -> bool:
        """Copy the province's enterprises when another run generated them; False when there is none."""
        started = time.perf_counter()
        if self.kind == "sqlite":
            for folder in PROVINCE_DIRS:
                source = folder / f"province-{self.n}.sqlite3"
                state = folder / f"province-{self.n}.sqlite3.json"
                if source.exists() and state.exists() and json.loads(state.read_text()).get("data"):
                    with (
                        sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src,
                        sqlite3.connect(self.path) as dst,
                    ):
                        src.backup(dst)
                    print(f"copied {source} in {time.perf_counter() - started:.0f} s", flush=True)
                    return True
            return False
        import psycopg

        source = f"chainboard_bench_{self.n}"
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (source,)).fetchone():
                return False
        host = ["-h", "127.0.0.1", "-U", "postgres"]
        dump = subprocess.Popen(["pg_dump", *host, source], stdout=subprocess.PIPE)
        subprocess.run(
            ["psql", "-q", *host, "-v", "ON_ERROR_STOP=1", self.dbname], stdin=dump.stdout, check=True
        )
        dump.wait()
        print(f"copied {source} in {time.perf_counter() - started:.0f} s", flush=True)
        return True


def pick(rng: random.Random, weighted):
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    return dt.date(day.year + m // 12, m % 12 + 1, min(day.day, 28))


def generate_projects(target: Target, count: int, seed: int, today: dt.date) -> dict:
    """``count`` projects with their yearly plans, their lights computed for ``today``."""
    from django.db import connection

    from chains.models import Chain, Segment
    from enterprises.models import Enterprise
    from projects import lights
    from projects.models import Project, ProjectPlan
    from regions.models import Region

    started = time.perf_counter()
    rng = random.Random(seed)
    counties = list(Region.objects.filter(level=3, code__startswith="14").values_list("code", flat=True))
    jincheng = [c for c in counties if c.startswith("1405")]
    others = [c for c in counties if not c.startswith("1405")]
    towns: dict[str, list[str]] = {}
    for code, parent in Region.objects.filter(level=4, code__startswith="14").values_list(
        "code", "parent_id"
    ):
        towns.setdefault(parent, []).append(code)
    chains = list(Chain.objects.order_by("id").values_list("id", "name"))
    chain_weights = [3 if name == SILK else 1 for _, name in chains]
    segments: dict[int, list[int]] = {}
    for sid, cid in Segment.objects.values_list("id", "chain_id"):
        segments.setdefault(cid, []).append(sid)
    # Owners: enterprises by county (their region or its parent), read once, a sample of each county.
    owners: dict[str, list[int]] = {}
    top = Enterprise.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with connection.cursor() as c:
        c.execute(
            "SELECT e.id, r.code, r.parent_id, r.level FROM enterprises_enterprise e "
            "JOIN regions_region r ON r.code = e.region_id WHERE e.id % 5 = 0"
        )
        for eid, code, parent, level in c.fetchall():
            owners.setdefault(code if level == 3 else parent, []).append(eid)
    connection.close()
    print(f"{top:,} enterprises, {sum(map(len, owners.values())):,} candidate owners", flush=True)

    fields = {f.attname: f for f in Project._meta.concrete_fields}
    plan_fields = [f.attname for f in ProjectPlan._meta.concrete_fields]
    by_light: dict[str, int] = {}
    plans: list[tuple] = []

    def light_of(stage, planned_start, plan) -> tuple[str, str, dict]:
        """projects/lights.py's own rules on the generated values (no rows yet)."""
        project = SimpleNamespace(stage=stage, planned_start=planned_start)
        this_year = None
        if plan is not None:
            this_year = SimpleNamespace(
                year=today.year, planned_investment=plan[0], completed_investment=plan[1]
            )
        return lights.compute(project, today, this_year, plan_given=True)

    def money(scale: float) -> Decimal:
        return Decimal(int(rng.lognormvariate(0, 1.0) * scale)) * 10_000

    def projects():
        plan_pk = 0
        for pk in range(1, count + 1):
            county = rng.choice(jincheng if rng.random() < 0.15 else others)
            region = rng.choice(towns[county]) if county in towns and rng.random() < 0.3 else county
            cid, _ = rng.choices(chains, weights=chain_weights)[0]
            stage = pick(rng, STAGES)
            kind = pick(rng, KINDS)
            total = money(8_000)  # 万元 × 10,000: a median of 80 million yuan
            no_plan = stage in ("planning", "signed") and rng.random() < 0.25
            if stage in ("planning", "signed"):
                planned_start = None if no_plan else add_months(today, rng.randint(-9, 12))
                started_on = None
            else:
                back = {"started": (1, 6), "building": (6, 36)}.get(stage, (24, 72))
                started_on = add_months(today, -rng.randint(*back))
                planned_start = add_months(started_on, -rng.randint(0, 4))
            years = rng.randint(1, 3)
            planned_finish = add_months(planned_start, 12 * years) if planned_start else None
            row_plans = []
            if planned_start is not None:
                per_year = (total / years).quantize(Decimal("0.01"))
                this_year = None
                for year in range(planned_start.year, planned_finish.year + 1):
                    if year > today.year + 1:
                        break
                    completed = None
                    if year < today.year and started_on is not None:
                        completed = (per_year * Decimal(rng.uniform(0.7, 1.1))).quantize(Decimal("0.01"))
                    elif year == today.year:
                        if started_on is None:
                            completed = Decimal(0)
                        else:
                            r = rng.random()
                            share = rng.uniform(0.92, 1.05) if r < 0.6 else rng.uniform(0.72, 0.92) if r < 0.85 else rng.uniform(0.2, 0.7)  # fmt: skip
                            completed = (per_year * Decimal(share) * today.month / 12).quantize(
                                Decimal("0.01")
                            )
                        this_year = (per_year, completed)
                    plan_pk += 1
                    row_plans.append((plan_pk, year, per_year, completed))
            else:
                this_year = None
            light, rule, params = light_of(stage, planned_start, this_year)
            by_light[light] = by_light.get(light, 0) + 1
            owner = None
            if rng.random() < 0.8 and owners.get(county):
                owner = rng.choice(owners[county])
            name = f"{rng.choice(WORDS)}{rng.randint(1, 200)}{rng.choice(SCALES)}{rng.choice(PRODUCTS)}项目（{pk}）"
            values = {
                "id": pk,
                "created_at": NOW,
                "updated_at": NOW,
                "version": 1,
                "is_sample": False,
                "source": "bench",
                "name": name,
                "owner_id": owner,
                "chain_id": cid,
                "segment_id": rng.choice(segments[cid]) if segments.get(cid) and rng.random() < 0.6 else None,
                "region_id": region,
                "kind": kind,
                "stage": stage,
                "total_investment": total,
                "planned_start": planned_start,
                "planned_finish": planned_finish,
                "started_on": started_on,
                "halt_reason": "资金未到位" if stage in ("suspended", "terminated") else "",
                "description": "",
                "light": light,
                "light_rule": rule,
                "light_params": json.dumps(params),
            }
            for plan_id, year, planned, completed in row_plans:
                plans.append(
                    {
                        "id": plan_id,
                        "created_at": NOW,
                        "updated_at": NOW,
                        "version": 1,
                        "is_sample": False,
                        "source": "bench",
                        "project_id": pk,
                        "year": year,
                        "planned_investment": planned,
                        "completed_investment": completed,
                    }
                )
            yield tuple(values.get(name, _default(fields[name])) for name in fields)

    writer = province_bench.Writer(target)
    written = writer.insert("projects_project", [fields[a].column for a in fields], projects())
    print(f"{written:,} projects in {time.perf_counter() - started:.0f} s; lights {by_light}", flush=True)
    n_plans = writer.insert(
        "projects_projectplan", plan_fields, (tuple(p[f] for f in plan_fields) for p in plans)
    )
    writer.close()
    print(f"{n_plans:,} plans; generated in {time.perf_counter() - started:.0f} s", flush=True)
    return {"projects": written, "plans": n_plans, "lights": by_light, "today": today.isoformat()}


def _default(field):
    if field.has_default():
        value = field.get_default()
        return json.dumps(value) if isinstance(value, dict | list) else value
    return "" if field.empty_strings_allowed and not field.null else None


def drop_projects(target: Target) -> None:
    """Drop the projects app's tables and its migration records, to generate them again (the app's
    schema changed under the data)."""
    with target.raw() as c:
        if target.kind == "sqlite":
            c.execute("PRAGMA foreign_keys=OFF")
            names = (
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'projects\\_%' ESCAPE '\\'"
            )
        else:
            names = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'projects\\_%'"
        for (table,) in c.execute(names).fetchall():
            c.execute(f'DROP TABLE "{table}"' + (" CASCADE" if target.kind == "postgres" else ""))
        c.execute("DELETE FROM django_migrations WHERE app = 'projects'")
        if target.kind == "sqlite":
            c.commit()
    state = {k: v for k, v in target.state().items() if k in ("province", "users")}
    target.state_file.write_text(json.dumps(state, indent=1))
    print("dropped the projects app's tables", flush=True)


def analyse(target: Target, tables: tuple[str, ...] = ("",)) -> None:
    """Planner statistics (and on PostgreSQL the visibility map, for index-only scans)."""
    with target.raw() as c:
        for table in tables:
            c.execute(f"{'ANALYZE' if target.kind == 'sqlite' else 'VACUUM ANALYZE'} {table}")
        if target.kind == "sqlite":
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def ensure_user(actor, username: str, role: str, scope: dict) -> None:
    """A bench log-in (no password) holding ``role`` within ``scope``, made once."""
    from accounts.models import Grant, User
    from chainboard import actions

    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, full_name=username)
        user.set_unusable_password()
        actions.create_direct(actor, user)
    if not Grant.objects.filter(user=user, role=role).exists():
        actions.create_direct(actor, Grant(user=user, role=role, **scope))


def make_users() -> None:
    from accounts.roles import Role
    from chainboard import audit
    from chainboard.scope import SystemActor
    from chains.models import Chain
    from regions.models import Region

    actor = SystemActor("command:projects_bench")
    silk = Chain.objects.get(name=SILK)
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="command:projects_bench"):
        for username, role, scope in (
            ("bench_office", Role.OFFICE, {}),
            ("bench_county", Role.COUNTY, {"region": Region.objects.get(code=GAOPING)}),
            ("bench_chief", Role.CHIEF, {"chain": silk}),
        ):
            ensure_user(actor, username, role, scope)


# --- measuring --------------------------------------------------------------------------------------


def interleaved(fns: dict, runs: int) -> dict[str, float]:
    """Median ms of each function, run in turns (one warm-up round first); ``<key> cpu`` the median CPU
    time of this process over the same runs. On the shared machine a run's wall time waits for a core
    as much as it works; the CPU time does not (on SQLite it includes the queries, which run in the
    process; on PostgreSQL the server's part is not in it)."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():
        fn()
    for _ in range(runs):
        for key, fn in fns.items():
            t, c = time.perf_counter(), time.process_time()
            fn()
            times[key].append((time.perf_counter() - t) * 1000)
            cpu[key].append((time.process_time() - c) * 1000)
    medians = {k: statistics.median(v) for k, v in times.items()}
    medians.update({f"{k} cpu": statistics.median(v) for k, v in cpu.items()})
    return medians


class Raw:
    """The hand-written side: one connection to the same database, ``%s`` placeholders on both."""

    def __init__(self, target: Target):
        self.kind = target.kind
        self.conn = target.raw()

    def q(self, sql: str, params=()) -> list[tuple]:
        if self.kind == "sqlite":
            return self.conn.execute(sql.replace("%s", "?"), params).fetchall()
        return self.conn.execute(sql, params).fetchall()


def raw_project_list(raw: Raw, light: str | None, region_path: str | None, scope: tuple = ()) -> int:
    """What the project list page shows, as an expert writes it: the count, the first 25 rows by name
    with their owner's and region's names, the stage and light facets (each filtered by the other
    filters), and the filter form's choices of chain, segment and responsible unit. ``scope``: the
    user's reach, ("region", path) or ("chain", id)."""

    def where(with_light: bool) -> tuple[str, list]:
        conds, params = [], []
        paths = [region_path] + ([scope[1]] if scope and scope[0] == "region" else [])
        for path in filter(None, paths):
            # A region subtree: the regions whose path starts with it, a range on the path index.
            conds.append("p.region_id IN (SELECT code FROM regions_region WHERE path >= %s AND path < %s)")
            params += [path, path[:-1] + chr(ord(path[-1]) + 1)]
        if scope and scope[0] == "chain":
            conds.append("p.chain_id = %s")
            params.append(scope[1])
        if with_light and light:
            conds.append("p.light = %s")
            params.append(light)
        return (" WHERE " + " AND ".join(conds)) if conds else "", params

    w, params = where(True)
    total = raw.q(f"SELECT COUNT(*) FROM projects_project p{w}", params)[0][0]  # noqa: S608
    raw.q(
        "SELECT p.id, p.name, p.stage, p.light, o.name, r.name, p.total_investment, "  # noqa: S608
        "p.planned_start FROM projects_project p LEFT JOIN enterprises_enterprise o ON o.id = p.owner_id "
        f"JOIN regions_region r ON r.code = p.region_id{w} ORDER BY p.name, p.id LIMIT 25",
        params,
    )
    raw.q(f"SELECT p.stage, COUNT(*) FROM projects_project p{w} GROUP BY p.stage", params)  # noqa: S608
    w2, params2 = where(False)
    raw.q(f"SELECT p.light, COUNT(*) FROM projects_project p{w2} GROUP BY p.light", params2)  # noqa: S608
    raw.q("SELECT id, name FROM chains_chain ORDER BY name")
    raw.q("SELECT s.id, s.name, c.name FROM chains_segment s JOIN chains_chain c ON c.id = s.chain_id")
    raw.q("SELECT id, name FROM organisations_organisation ORDER BY name")
    return total


class Report:
    """The figures: the application's server time, the part of it spent in SQL, the hand-written SQL's;
    then the CPU time of this process for each side (load-independent; see :func:`interleaved`)."""

    def __init__(self):
        self.rows: list[tuple] = []
        print(
            f"{'figure':60} {'app ms':>8} {'app SQL':>8} {'raw ms':>8} {'ratio':>7}  {'target':10} result "
            f"{'app CPU':>8} {'raw CPU':>8} {'CPU ratio':>9}"
        )

    def add(
        self,
        figure: str,
        app: float,
        raw: float | None,
        target: str,
        ok: bool,
        sql: float | None = None,
        cpu: tuple[float | None, float | None] = (None, None),
    ):
        ratio = app / raw if raw else None
        cpu_ratio = cpu[0] / cpu[1] if cpu[0] is not None and cpu[1] else None
        self.rows.append((figure, app, sql, raw, ratio, target, "pass" if ok else "FAIL", *cpu, cpu_ratio))
        cells = [f"{v:8.1f}" if v is not None else f"{'—':>8}" for v in (app, sql, raw)]
        q = f"{ratio:6.2f}×" if ratio is not None else f"{'—':>7}"
        cpus = " ".join(f"{v:8.1f}" if v is not None else f"{'—':>8}" for v in cpu)
        cq = f"{cpu_ratio:8.2f}×" if cpu_ratio is not None else f"{'—':>9}"
        print(
            f"{figure:60} {' '.join(cells)} {q}  {target:10} {'pass' if ok else 'FAIL'}   {cpus} {cq}",
            flush=True,
        )

    def markdown(self) -> str:
        lines = [
            "| figure | app ms | of which SQL | hand-written SQL ms | app / SQL | target | result "
            "| app CPU ms | hand-written CPU ms | CPU ratio |",
            "|---|---:|---:|---:|---:|---|---|---:|---:|---:|",
        ]
        for figure, app, sql, raw, ratio, target, result, app_cpu, raw_cpu, cpu_ratio in self.rows:
            cells = ["" if v is None else f"{v:,.1f}" for v in (app, sql, raw)]
            cpus = ["" if v is None else f"{v:,.1f}" for v in (app_cpu, raw_cpu)]
            lines.append(
                f"| {figure} | {' | '.join(cells)} | {'' if ratio is None else f'{ratio:.2f}×'} | {target} "
                f"| {result} | {' | '.join(cpus)} | {'' if cpu_ratio is None else f'{cpu_ratio:.2f}×'} |"
            )
        return "\n".join(lines)


def measure(target: Target, args, state: dict) -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from chains.models import Chain
    from projects.models import Project
    from regions.models import Region

    runs = args.runs
    only = set(args.only.split(","))
    raw = Raw(target)
    county_path = Region.objects.get(code=GAOPING).path
    silk = Chain.objects.get(name=SILK).pk
    n = Project.objects.count()
    print(
        f"{target.kind}: {n:,} projects, {state.get('plans', 0):,} plans, {args.n:,} enterprises, "
        f"{target.size()}; median of {runs} interleaved warm runs; uptime: {uptime()}",
        flush=True,
    )
    clients = {}
    for username in ("bench_office", "bench_county", "bench_chief"):
        clients[username] = Client()
        clients[username].force_login(User.objects.get(username=username))

    def get(username, url):
        response = clients[username].get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    def sql_ms(username, url) -> tuple[float, list]:
        """The SQL part of one request: the median over three captured requests, and the queries."""
        totals, queries = [], []
        for _ in range(3):
            with CaptureQueriesContext(connection) as ctx:
                get(username, url)
            totals.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
            queries = ctx.captured_queries
        return statistics.median(totals), queries

    def slowest(label, queries, count):
        lines.append(
            f"{label}: {len(queries)} queries, {sum(float(q['time']) for q in queries) * 1000:.0f} ms"
        )
        for q in sorted(queries, key=lambda q: -float(q["time"]))[:count]:
            lines.append(f"    {float(q['time']) * 1000:8.1f} ms  {q['sql'][:300]}")

    report = Report()
    lines: list[str] = []
    if "list" in only:
        cases = [
            ("office: red + county 高平市", "bench_office", f"light=red&region={GAOPING}", "red", county_path, ()),
            ("office: red, every county", "bench_office", "light=red", "red", None, ()),
            ("office: no filter", "bench_office", "", None, None, ()),
            ("county user (高平市): red", "bench_county", "light=red", "red", None, ("region", county_path)),
            ("county user (高平市): no filter", "bench_county", "", None, None, ("region", county_path)),
            ("chief (silk chain): red", "bench_chief", "light=red", "red", None, ("chain", silk)),
        ]  # fmt: skip
        for figure, username, query, light, path, scope in cases:
            url = f"/projects/?{query}" if query else "/projects/"
            total = raw_project_list(raw, light, path, scope)
            medians = interleaved(
                {
                    "app": lambda url=url, username=username: get(username, url),
                    "raw": lambda a=(light, path, scope): raw_project_list(raw, *a),
                },
                runs,
            )
            sql, queries = sql_ms(username, url)
            report.add(
                f"project list, {figure} ({total:,} rows)", medians["app"], medians["raw"], "≤ 2× SQL",
                medians["app"] <= 2 * medians["raw"], sql, (medians["app cpu"], medians["raw cpu"]),
            )  # fmt: skip
            slowest(f"list, {figure}", queries, 4)
    if "desk" in only:
        for username in ("bench_chief", "bench_office", "bench_county"):
            medians = interleaved({"app": lambda username=username: get(username, "/")}, runs)
            sql, queries = sql_ms(username, "/")
            report.add(
                f"home page (desk), {username}",
                medians["app"],
                None,
                "< 100 ms",
                medians["app"] < 100,
                sql,
                (medians["app cpu"], None),
            )
            if username == "bench_chief":
                desk_cards(report, runs)
            slowest(f"desk, {username}", queries, 10)
    if "lights" in only:
        measure_lights(report, args)
        if args.lights_write:  # the rewritten rows: fresh statistics and visibility map for the next run
            analyse(target, ("projects_project",))
    reset_queries()
    out = DATA / f"projects-{n}-{target.kind}-{'-'.join(sorted(only))}.md"
    out.write_text(
        f"{target.kind}, {n:,} projects, {args.n:,} enterprises; median of {runs} interleaved warm runs; "
        f"uptime: {uptime()}\n\n" + report.markdown() + "\n\n```\n" + "\n".join(lines) + "\n```\n"
    )
    print("\n".join(lines))
    print(f"\nwritten to {out}; uptime: {uptime()}")


def desk_cards(report: Report, runs: int) -> None:
    """Each card of the chief's desk alone, cold for the request (a fresh user object: the grants and
    the per-request caches are read again), with its CPU time and its query count: which ones dominate."""
    try:
        from chainboard import desk
    except ImportError:
        print("no desk registry (chainboard/desk.py) in this tree: the home page is the overview")
        return
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from chainboard import scope

    factory = RequestFactory()
    chief = User.objects.get(username="bench_chief")

    def request():
        r = factory.get("/")
        r.user = User.objects.get(pk=chief.pk)  # grants are computed per request
        return r

    desk.discover()
    parts = {f"card {c.name}": c.context for c in desk.CARDS.values()}
    parts["strip of counts"] = lambda r: desk.counts_for(r.user)
    parts["what needs me (to-dos)"] = lambda r: desk.todos_for(r.user)
    for name, fn in list(parts.items()):
        try:
            fn(request())
        except Exception as exc:  # noqa: BLE001 (a card that needs more than a request: say so)
            print(f"{name}: {exc!r}")
            del parts[name]
    medians = interleaved({name: (lambda fn=fn: fn(request())) for name, fn in parts.items()}, runs)
    for name, fn in parts.items():
        r = request()
        scope.grants(r.user)  # read once per request, by whichever card comes first
        with CaptureQueriesContext(connection) as captured:
            fn(r)
        report.add(
            f"    desk, chief: {name} ({len(captured)} queries)",
            medians[name],
            None,
            "—",
            True,
            cpu=(medians[f"{name} cpu"], None),
        )


def measure_lights(report: Report, args) -> None:
    """Every light recomputed as the daily task does (``projects/tasks.py``: ``lights.refresh_many``):
    today, when nothing has moved since the lights were set (every light computed, none written), then
    on the first day of next month, when the time-proportional plan has grown and every light that
    rests on it is rewritten and audited, then back to today."""
    try:
        from projects import lights
    except ImportError:
        print("no projects/lights.py in this tree: the recompute is not measured")
        return
    from django.utils import timezone

    from chainboard import audit
    from chainboard.models import AuditEntry

    today = timezone.localdate()
    next_month = add_months(today.replace(day=1), 1)
    for label, day in (("today, nothing moved", today), ("next month", next_month), ("back to today", today)):
        if label != "today, nothing moved" and not args.lights_write:
            continue
        entries = AuditEntry.objects.count()
        with audit.operation(source=audit.Source.TASK, label="task:recompute_lights"):
            started, cpu = time.perf_counter(), time.process_time()
            changed = lights.refresh_many(today=day)
            ms, cpu = (time.perf_counter() - started) * 1000, time.process_time() - cpu
        audited = AuditEntry.objects.count() - entries
        report.add(
            f"recompute every light, {label} ({changed:,} changed, {audited:,} audit rows; {cpu:.0f} s CPU)",
            ms, None, "—", True,
        )  # fmt: skip


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="enterprises")
    parser.add_argument("--projects", type=int, default=200_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (trust auth), no database name")
    parser.add_argument("--runs", type=int, default=7, help="warm runs per figure (median)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--lights-write", action="store_true", help="also recompute for next month and back (writes, audits)"
    )
    parser.add_argument("--regenerate", action="store_true", help="drop the projects and generate them again")
    parser.add_argument("--no-measure", action="store_true", help="generate only")
    parser.add_argument("--only", default="list,desk,lights", help="comma-separated: list,desk,lights")
    args = parser.parse_args()

    DATA.mkdir(parents=True, exist_ok=True)
    target = Target(args.database, args.n, args.pg_url)
    state = target.state()
    if not state.get("province"):
        if not target.exists() or target.kind == "postgres":
            target.create()
            if not target.copy_province():
                target.django()
                province_bench.generate_data(target, args.n, args.seed, 0.5)
        target.save_state(province=True)
    if args.regenerate:
        drop_projects(target)
    target.django()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    call_command("migrate", verbosity=1)
    connection.close()
    if pending:  # new indexes need their statistics
        analyse(target, ("projects_project", "projects_projectplan"))
    if not target.state().get("projects"):
        target.save_state(**generate_projects(target, args.projects, args.seed, dt.date.today()))
        analyse(target)
    if not target.state().get("users"):
        make_users()
        target.save_state(users=True)
    if not args.no_measure:
        measure(target, args, target.state())


if __name__ == "__main__":
    main()
