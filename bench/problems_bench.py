"""The closed loop at scale (issue 16, point 10): 1,000,000 problems; the overdue list of a handling unit,
the statistics by unit for a year, the daily escalation run and the daily digest over all users.

    .venv/bin/python bench/problems_bench.py                        # SQLite
    .venv/bin/python bench/problems_bench.py --database postgres    # PostgreSQL
    .venv/bin/python bench/problems_bench.py --only stats           # one figure

The province (every Shanxi county and town, the chains, ``--enterprises`` enterprises) comes from
``province_bench.py``'s generator; then ``--units`` handling units (city bureaus and county governments)
and ``--problems`` problems are added with raw bulk SQL (benchmark rows are not audited): raised on any
day of the last ``--years`` years, each kind, county and chain, following the loop in working days
(accepted, assigned with a deadline of 5 to 30 working days, answered after a spread of handling times
so that about one in six is late, closed and rated), a few returned, a few reopened, a few extended, and a
share never answered, which are overdue today and escalated as the daily run left them yesterday.
SQLite lives in ``/work/benchdata/problems-N.sqlite3``, PostgreSQL in the database ``problems_bench_N``;
each finished phase is recorded beside the data, so an interrupted run resumes.

Measuring: the median of ``--runs`` warm runs, the application and the hand-written SQL for the same
answer taking turns run by run (interleaved, so a burst of load on the shared machine hits both). The
hand-written statistics read a calendar table of working-day ordinals (``bench_workday``, written by this
script from the same calendar), the way an expert would compute working days in SQL. The escalation run
and the digest are timed once each (they write), then once more (nothing left to escalate).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import province_bench  # noqa: E402  (its generator and bulk writer)
from projects_bench import Raw, Report, _default, analyse, interleaved  # noqa: E402

DATA = Path(os.environ.get("CHAINBOARD_BENCH_DATA", "/work/benchdata"))
PG_URL = "postgres://postgres@127.0.0.1:5432"
GAOPING, SILK = province_bench.GAOPING, province_bench.SILK
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)

KINDS = [("要素保障", 0.25), ("融资", 0.2), ("用工", 0.15), ("审批", 0.2), ("市场", 0.1), ("其他", 0.1)]
DEADLINES = [(5, 0.2), (10, 0.35), (15, 0.25), (20, 0.12), (30, 0.08)]
RATINGS = [("satisfied", 0.72), ("basically_satisfied", 0.2), ("dissatisfied", 0.08)]
BUREAUS = ["发展和改革委员会", "工业和信息化局", "商务局", "自然资源局", "人力资源和社会保障局", "财政局",
           "行政审批服务管理局", "生态环境局", "住房和城乡建设局", "交通运输局", "市场监督管理局", "地方金融监督管理局"]  # fmt: skip
TOPICS = ["用地指标", "贷款续贷", "招工难", "环评审批", "电力增容", "天然气供应", "物流成本", "订单不足", "技改补贴", "厂房租赁"]  # fmt: skip


class Target(province_bench.Target):
    """The problems' own SQLite file or PostgreSQL database."""

    def __init__(self, kind: str, problems: int, pg_url: str):
        super().__init__(kind, problems, pg_url)
        if kind == "sqlite":
            self.path = DATA / f"problems-{problems}.sqlite3"
            self.state_file = DATA / f"problems-{problems}.sqlite3.json"
        else:
            # CHAINBOARD_BENCH_PG_DB: a copy of the database (a branch's migrations measured on its own copy)
            self.dbname = os.environ.get("CHAINBOARD_BENCH_PG_DB", f"problems_bench_{problems}")
            self.url = f"{pg_url}/{self.dbname}"
            self.state_file = DATA / f"problems-{problems}.postgres.json"


def pick(rng: random.Random, weighted):
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


class Calendar:
    """Working days from ``start`` to past ``end``: ``ordinal(d)`` counts those up to and including ``d``
    (``workdays.between(a, b) == ordinal(b) - ordinal(a)``), ``nth(k)`` is the k-th one."""

    def __init__(self, start: dt.date, end: dt.date):
        try:
            from chainboard.workdays import Calendar as Workdays

            is_workday = Workdays().is_workday
        except ImportError:  # a tree before the working-day calendar (issue 16): the statutory one alone
            from chinese_calendar import is_workday

        self.start, self.days, self.ordinals = start, [start], {}
        count, day = 0, start
        while day <= end:
            if _workday(is_workday, day):
                count += 1
                self.days.append(day)
            self.ordinals[day] = count
            day += dt.timedelta(days=1)

    def ordinal(self, day: dt.date) -> int:
        return self.ordinals[day]

    def nth(self, k: int) -> dt.date:
        return self.days[min(k, len(self.days) - 1)]


def _workday(is_workday, day: dt.date) -> bool:
    try:
        return is_workday(day)
    except NotImplementedError:  # chinese-calendar does not cover the year yet: plain weekdays
        return day.weekday() < 5


def make_units(target: Target, count: int, rng: random.Random) -> list[int]:
    """City bureaus and county governments handling the problems."""
    from organisations.models import Organisation
    from regions.models import Region

    counties = list(Region.objects.filter(level=3, code__startswith="14").values_list("code", "name"))
    fields = {f.attname: f for f in Organisation._meta.concrete_fields}
    top = Organisation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    taken = set(Organisation.objects.values_list("name", flat=True))
    rows = []
    for i in range(count):
        if i < len(BUREAUS):
            name, kind, region = f"晋城市{BUREAUS[i]}", "city_bureau", "140500"
        else:
            code, county = rng.choice(counties)
            name, kind, region = f"{county}人民政府（承办{i}）", "county_government", code
        if name in taken:  # the chains' set-up names some bureaus already
            name = f"{name}（承办）"
        values = {"id": top + 1 + i, "created_at": NOW, "updated_at": NOW, "version": 1, "source": "bench",
                  "name": name, "short_name": name[:16], "kind": kind, "region_id": region}  # fmt: skip
        rows.append(tuple(values.get(a, _default(fields[a])) for a in fields))
    writer = province_bench.Writer(target)
    writer.insert("organisations_organisation", [fields[a].column for a in fields], rows)
    writer.close()
    return list(range(top + 1, top + 1 + count))


def generate_problems(target: Target, count: int, units: int, years: int, seed: int, today: dt.date) -> dict:
    from django.db import connection

    from chains.models import Chain
    from problems.models import Problem, ProblemKind

    started = time.perf_counter()
    rng = random.Random(seed)
    unit_ids = make_units(target, units, rng)
    unit_weights = [rng.lognormvariate(0, 0.8) for _ in unit_ids]
    kinds = dict(ProblemKind.objects.values_list("name", "pk"))
    kind_choices = [(kinds[name], share) for name, share in KINDS if name in kinds]
    chains = list(Chain.objects.values_list("pk", flat=True))
    with connection.cursor() as c:
        c.execute("SELECT e.id, e.region_id FROM enterprises_enterprise e")
        enterprises = c.fetchall()
    connection.close()
    first = dt.date(today.year - years, 1, 1)
    cal = Calendar(first - dt.timedelta(days=10), today + dt.timedelta(days=400))
    span = (today - first).days
    t = cal.ordinal(today)
    fields = {f.attname: f for f in Problem._meta.concrete_fields}
    counts: dict[str, int] = {}

    def problems():
        for pk in range(1, count + 1):
            raised = first + dt.timedelta(days=rng.randrange(span + 1))
            enterprise, region = rng.choice(enterprises)
            r = cal.ordinal(raised)
            accepted = r + rng.randint(0, 2)
            assigned = accepted + rng.randint(0, 3)
            days = pick(rng, DEADLINES)
            due = assigned + days
            extension = None
            if rng.random() < 0.05:
                extension = rng.choice((5, 10))
                due += extension
            handling = max(1, round(days * rng.lognormvariate(-0.35, 0.45)))
            stuck = rng.random() < 0.015  # never answered: overdue once its deadline passes
            answered = None if stuck else assigned + handling
            closed = None if answered is None else answered + rng.randint(0, 5)
            v = {"state": "submitted", "assigned_on": None, "deadline_days": None, "due_on": None,
                 "answered_on": None, "closed_on": None, "rating": "", "reopen_count": 0,
                 "escalation_level": 0, "escalated_on": None, "handling_unit_id": None}  # fmt: skip
            if rng.random() < 0.04 and accepted <= t:
                v["state"] = "returned"
            elif assigned <= t:
                v.update(
                    state=rng.choice(("assigned", "in_progress", "in_progress")),
                    handling_unit_id=rng.choices(unit_ids, weights=unit_weights)[0],
                    assigned_on=cal.nth(assigned),
                    deadline_days=days,
                    due_on=cal.nth(due),
                    extension_requested_days=extension,
                )
                if answered is not None and answered <= t:
                    v.update(state="answered", answered_on=cal.nth(answered), answer="已答复")
                    if closed <= t and rng.random() < 0.97:
                        v.update(state="closed", closed_on=cal.nth(closed), rating=pick(rng, RATINGS))
                        if rng.random() < 0.06:
                            v["reopen_count"] = 1
                elif due < t - 1:  # overdue: escalated as yesterday's run left it
                    late = t - 1 - due
                    level = 2 if late >= 5 else 1 if late >= 2 else 0
                    if level:
                        v.update(escalation_level=level, escalated_on=cal.nth(due + (5 if level == 2 else 2)))
            elif accepted <= t:
                v["state"] = "accepted"
            counts[v["state"]] = counts.get(v["state"], 0) + 1
            created = dt.datetime.combine(raised, dt.time(9), dt.UTC)
            values = {"id": pk, "created_at": created, "updated_at": NOW, "version": 1, "source": "bench",
                      "title": f"{rng.choice(TOPICS)}问题（{pk}）", "kind_id": pick(rng, kind_choices),
                      "enterprise_id": enterprise, "region_id": region,
                      "chain_id": rng.choice(chains) if chains and rng.random() < 0.8 else None,
                      "raised_via": rng.choice(("enterprise", "staff", "staff")), **v}  # fmt: skip
            yield tuple(values.get(a, _default(fields[a])) for a in fields)

    writer = province_bench.Writer(target)
    written = writer.insert("problems_problem", [fields[a].column for a in fields], problems())
    writer.close()
    print(f"{written:,} problems in {time.perf_counter() - started:.0f} s; {counts}", flush=True)
    write_calendar(target, cal)
    return {"problems": written, "units": unit_ids, "states": counts, "today": today.isoformat()}


def write_calendar(target: Target, cal: Calendar) -> None:
    """The hand-written side's calendar: each day with its working-day ordinal."""
    with target.raw() as c:
        c.execute("DROP TABLE IF EXISTS bench_workday")
        c.execute("CREATE TABLE bench_workday (d date PRIMARY KEY, w integer NOT NULL)")
        rows = [(d.isoformat() if target.kind == "sqlite" else d, w) for d, w in cal.ordinals.items()]
        if target.kind == "sqlite":
            c.executemany("INSERT INTO bench_workday VALUES (?, ?)", rows)
            c.commit()
        else:
            with c.cursor() as cur:
                cur.executemany("INSERT INTO bench_workday VALUES (%s, %s)", rows)


def make_users(state: dict) -> None:
    """The office (everything), the silk chain's chief, a county user (高平市), and one user of each
    handling unit: the digest's recipients."""
    from accounts.models import Grant, User
    from accounts.roles import Role
    from chainboard import actions, audit
    from chainboard.scope import SystemActor
    from chains.models import Chain
    from regions.models import Region

    actor = SystemActor("command:problems_bench")
    people = [
        ("bench_office", Role.OFFICE, {}),
        ("bench_chief", Role.CHIEF, {"chain": Chain.objects.get(name=SILK)}),
        ("bench_county", Role.COUNTY, {"region": Region.objects.get(code=GAOPING)}),
    ]
    people += [(f"bench_unit_{pk}", Role.UNIT, {"organisation_id": pk}) for pk in state["units"]]
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="command:problems_bench"):
        for username, role, scope in people:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, full_name=username, email=f"{username}@example.invalid")
                user.set_unusable_password()
                actions.create_direct(actor, user)
            if not Grant.objects.filter(user=user, role=role).exists():
                actions.create_direct(actor, Grant(user=user, role=role, **scope))


# --- measuring --------------------------------------------------------------------------------------


def raw_overdue(raw: Raw, unit: int, today: dt.date, *, unit_user: bool) -> int:
    """The unit's overdue problems as an expert writes the list page: the count, the first 25 newest with
    their enterprise's, kind's and unit's names, the state, kind and rating facets, and the filter form's
    choices the page shows beside them (as the projects bench counts them): the kinds, the chains (a unit's
    user is offered the chains its problems name, read off the (unit, chain) index; the office every
    chain) and the handling units."""
    where = "p.handling_unit_id = %s AND p.state IN ('assigned', 'in_progress') AND p.due_on < %s"
    params = [unit, today.isoformat() if raw.kind == "sqlite" else today]
    total = raw.q(f"SELECT COUNT(*) FROM problems_problem p WHERE {where}", params)[0][0]  # noqa: S608
    raw.q(
        "SELECT p.id, p.title, e.name, k.name, o.name, p.state, p.due_on, p.escalation_level, p.rating "  # noqa: S608
        "FROM problems_problem p JOIN enterprises_enterprise e ON e.id = p.enterprise_id "
        "JOIN problems_problemkind k ON k.id = p.kind_id "
        f"LEFT JOIN organisations_organisation o ON o.id = p.handling_unit_id WHERE {where} "
        "ORDER BY p.created_at DESC, p.id DESC LIMIT 25",
        params,
    )
    for column in ("state", "kind_id", "rating"):
        raw.q(
            f"SELECT p.{column}, COUNT(*) FROM problems_problem p WHERE {where} GROUP BY p.{column}", params
        )  # noqa: S608
    raw.q('SELECT id, name FROM problems_problemkind ORDER BY "order", name', [])
    if unit_user:
        raw.q(
            "SELECT id, name FROM chains_chain WHERE id IN "
            "(SELECT DISTINCT chain_id FROM problems_problem WHERE handling_unit_id = %s) ORDER BY level, name",
            [unit],
        )
    else:
        raw.q("SELECT id, name FROM chains_chain ORDER BY level, name", [])
    raw.q("SELECT id, name FROM organisations_organisation ORDER BY name", [])
    return total


def raw_stats_by_unit(raw: Raw, year: int) -> dict:
    """The statistics by unit for ``year``, as an expert writes them: one pass over the year's closed
    problems, the working days from the calendar table."""
    lo, hi = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if raw.kind == "sqlite":
        lo, hi = lo.isoformat(), hi.isoformat()
    rows = raw.q(
        "SELECT p.handling_unit_id, COUNT(*), "
        "SUM(CASE WHEN p.closed_on <= p.due_on THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN p.closed_on > p.due_on THEN 1 ELSE 0 END), "
        "COUNT(b.w), SUM(b.w - a.w), "
        "SUM(CASE WHEN p.reopen_count > 0 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN p.rating = 'satisfied' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN p.rating = 'basically_satisfied' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN p.rating = 'dissatisfied' THEN 1 ELSE 0 END) "
        "FROM problems_problem p "
        "LEFT JOIN bench_workday a ON a.d = p.assigned_on AND p.answered_on >= p.assigned_on "
        "LEFT JOIN bench_workday b ON b.d = p.answered_on AND a.w IS NOT NULL "
        "WHERE p.state = 'closed' AND p.closed_on BETWEEN %s AND %s GROUP BY p.handling_unit_id",
        [lo, hi],
    )
    names = dict(raw.q("SELECT id, name FROM organisations_organisation"))
    return {unit: (names.get(unit), *rest) for unit, *rest in rows}


def measure(target: Target, args, state: dict) -> None:
    from django.core import mail
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from accounts.models import User
    from problems import stats

    runs, only = args.runs, set(args.only.split(","))
    raw = Raw(target)
    today = dt.date.fromisoformat(state["today"])
    year = today.year - 1  # the last whole year
    print(
        f"{target.kind}: {state['problems']:,} problems, {len(state['units'])} units, {target.size()}; "
        f"median of {runs} interleaved warm runs; {uptime()}",
        flush=True,
    )
    clients: dict[str, Client] = {}

    def get(username, url):
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        response = clients[username].get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    def sql_ms(username, url) -> float:
        with CaptureQueriesContext(connection) as ctx:
            get(username, url)
        return sum(float(q["time"]) for q in ctx.captured_queries) * 1000

    report, lines = Report(), []
    busiest = max(
        state["units"],
        key=lambda u: raw.q(
            "SELECT COUNT(*) FROM problems_problem WHERE handling_unit_id = %s AND state IN "
            "('assigned', 'in_progress') AND due_on < %s",
            [u, today.isoformat() if raw.kind == "sqlite" else today],
        )[0][0],
    )
    if "overdue" in only:
        unit_user = f"bench_unit_{busiest}"
        for figure, username, url in (
            ("unit user, its overdue problems", unit_user, "/problems/?overdue=true"),
            ("office, one unit's overdue problems", "bench_office", f"/problems/?overdue=true&handling_unit={busiest}"),
        ):  # fmt: skip
            mine = username == unit_user
            total = raw_overdue(raw, busiest, today, unit_user=mine)
            medians = interleaved(
                {
                    "app": lambda u=username, url=url: get(u, url),
                    "raw": lambda mine=mine: raw_overdue(raw, busiest, today, unit_user=mine),
                },
                runs,
            )
            report.add(
                f"overdue list, {figure} ({total:,} rows)", medians["app"], medians["raw"], "≤ 2× SQL",
                medians["app"] <= 2 * medians["raw"], sql_ms(username, url),
                cpu=(medians["app cpu"], medians["raw cpu"]),
            )  # fmt: skip
    if "box" in only:
        box(report, raw, runs, get, sql_ms)
    if "stats" in only:
        office = User.objects.get(username="bench_office")
        expected = raw_stats_by_unit(raw, year)
        got = stats.compute(office, year, "unit")
        for row in got.rows:  # the same answers, or the comparison means nothing
            e = expected[row.key]
            f = row.figures
            assert (f.closed, f.on_time, f.late, f.handled, f.handling_days, f.reopened) == tuple(e[1:7]), (
                row,
                e,
            )
        closed = sum(r.figures.closed for r in got.rows)
        url = f"/problems/statistics/?year={year}&by=unit"
        medians = interleaved(
            {
                "page": lambda: get("bench_office", url),
                "module": lambda: stats.compute(User.objects.get(pk=office.pk), year, "unit"),
                "raw": lambda: raw_stats_by_unit(raw, year),
            },
            runs,
        )
        label = f"statistics by unit, {year} ({closed:,} closed problems, {len(got.rows)} units)"
        report.add(f"{label}: the page", medians["page"], medians["raw"], "≤ 2× SQL",
                   medians["page"] <= 2 * medians["raw"], sql_ms("bench_office", url))  # fmt: skip
        report.add(f"{label}: the module", medians["module"], medians["raw"], "≤ 2× SQL",
                   medians["module"] <= 2 * medians["raw"])  # fmt: skip
        for by in ("kind", "county", "month"):
            ms = interleaved(
                {"m": lambda by=by: stats.compute(User.objects.get(pk=office.pk), year, by)}, runs
            )
            report.add(f"    statistics by {by}, {year} (module)", ms["m"], None, "—", True)
    if "escalation" in only:
        from chainboard import audit
        from chainboard.models import AuditEntry
        from problems import escalation

        for label in ("first run today", "second run (nothing new)"):
            entries = AuditEntry.objects.count()
            with audit.operation(source=audit.Source.TASK, label="task:escalate_overdue"):
                started, cpu = time.perf_counter(), time.process_time()
                raised = escalation.escalate_overdue(today)
                ms, cpu = (time.perf_counter() - started) * 1000, time.process_time() - cpu
            audited = AuditEntry.objects.count() - entries
            report.add(
                f"daily escalation, {label} ({len(raised):,} raised, {audited:,} audit rows; {cpu:.1f} s CPU)",
                ms, None, "—", True,
            )  # fmt: skip
    if "digest" in only:
        from chainboard import digest

        users = User.objects.filter(is_active=True).count()
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            mail.outbox = []
            started, cpu = time.perf_counter(), time.process_time()
            sent = digest.send_all(today)
            ms, cpu = (time.perf_counter() - started) * 1000, time.process_time() - cpu
            report.add(
                f"daily digest over {users} users ({sent['notices']} notices, {len(mail.outbox)} e-mails; "
                f"{cpu:.1f} s CPU)",
                ms, None, "—", True,
            )  # fmt: skip
    out = DATA / f"problems-{state['problems']}-{target.kind}-{'-'.join(sorted(only))}.md"
    out.write_text(
        f"{target.kind}, {state['problems']:,} problems; median of {runs} interleaved warm runs; "
        f"{uptime()}\n\n" + report.markdown() + "\n\n```\n" + "\n".join(lines) + "\n```\n"
    )
    print(f"\nwritten to {out}; {uptime()}")


BOX_TERMS = [
    ("the most common 2-character term (every title)", "问题"),
    ("a common 2-character term (one title in ten)", "用地"),
    ("a common 4-character term", "贷款续贷"),
    ("pinyin initials (one title in ten)", "ydzb"),
    ("a rare term (one title)", "（424242）"),
    ("a term found nowhere", "量子计算"),
]


def raw_box(raw: Raw, term: str) -> int:
    """The problems' part of the box as an expert writes it on the index: the count up to 101 and the
    8 newest titles with their enterprise, matching the title's index or the enterprise's name (the
    words only: the pinyin is the application's business)."""
    if raw.kind == "sqlite":
        own = "SELECT rowid FROM problems_problem_search_words WHERE problems_problem_search_words MATCH %s"
        ent = (
            "SELECT rowid FROM enterprises_enterprise_search_words WHERE enterprises_enterprise_search_words "
            "MATCH %s"
        )
        token = (
            '"' + term + '"'
            if len(term) == 2
            else " + ".join(f'"{term[i : i + 2]}"' for i in range(len(term) - 1))
        )
        params = [token, token]
    else:
        own = "SELECT object_id FROM problems_problem_search WHERE strpos(words, %s) > 0"
        ent = "SELECT object_id FROM enterprises_enterprise_search WHERE strpos(words, %s) > 0"
        params = [term, term]
    ids = f"{own} UNION SELECT id FROM problems_problem WHERE enterprise_id IN ({ent})"  # noqa: S608
    count = raw.q(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM problems_problem WHERE id IN ({ids}) LIMIT 101) c", params
    )
    raw.q(
        "SELECT p.id, p.title, e.name FROM problems_problem p JOIN enterprises_enterprise e ON e.id = p.enterprise_id "  # noqa: S608
        f"WHERE p.id IN ({ids}) ORDER BY p.created_at DESC LIMIT 8",
        params,
    )
    return count[0][0]


def box(report: Report, raw: Raw, runs: int, get, sql_ms) -> None:
    """The search box (/search/?q=…) for the office and a county user, beside the hand-written query on
    the index (Issue 13, session 11); before the index (main) there is no index to query."""
    from urllib.parse import quote

    from chainboard import search
    from problems.models import Problem

    indexed = search.is_indexed(Problem)
    for label, term in BOX_TERMS:
        for username in ("bench_office", "bench_county"):
            url = f"/search/?q={quote(term)}"
            fns = {"app": lambda u=username, url=url: get(u, url)}
            if indexed and not term.isascii():
                fns["raw"] = lambda term=term: raw_box(raw, term)
            medians = interleaved(fns, runs)
            problems = raw_box(raw, term) if "raw" in fns else "?"
            report.add(
                f"box, {username[6:]}, {label}: {term} ({problems} problems of any county, up to 101)",
                medians["app"], medians.get("raw"), "< 20 ms", medians["app"] < 20, sql_ms(username, url),
                cpu=(medians["app cpu"], medians.get("raw cpu")),
            )  # fmt: skip


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=50_000)
    parser.add_argument("--units", type=int, default=60, help="handling units")
    parser.add_argument("--years", type=int, default=5, help="years of problems before this one")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (trust auth), no database name")
    parser.add_argument("--runs", type=int, default=7, help="warm runs per figure (median)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--fresh", action="store_true", help="drop everything and generate it again")
    parser.add_argument("--no-measure", action="store_true", help="generate only")
    parser.add_argument(
        "--only", default="overdue,stats,escalation,digest,box", help="comma-separated figures"
    )
    args = parser.parse_args()

    DATA.mkdir(parents=True, exist_ok=True)
    target = Target(args.database, args.problems, args.pg_url)
    if args.fresh:
        target.wipe()
    target.create()
    target.django()
    if not target.state().get("province"):
        province_bench.generate_data(target, args.enterprises, args.seed, 0.5)
        target.save_state(province=True)
    from django.core.management import call_command

    call_command("migrate", verbosity=1)
    if not target.state().get("problems"):
        target.save_state(
            **generate_problems(target, args.problems, args.units, args.years, args.seed, dt.date.today())
        )
        if target.kind == "postgres":
            # Raw inserts on PostgreSQL leave the search index empty (SQLite's triggers filled it).
            from chainboard import search
            from problems.models import Problem

            if search.is_indexed(Problem):
                search.rebuild(Problem)
        analyse(target)
    if not target.state().get("users"):
        make_users(target.state())
        target.save_state(users=True)
    if not args.no_measure:
        measure(target, args, target.state())


if __name__ == "__main__":
    main()
