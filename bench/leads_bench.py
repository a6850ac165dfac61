"""Investment leads at scale (issue 15, point 9): the funnel of a year by team and by segment, at 500,000
leads, through the application (the page and ``investment.funnel``) against hand-written SQL for the same
answer.

    .venv/bin/python bench/leads_bench.py                         # SQLite
    .venv/bin/python bench/leads_bench.py --database postgres     # PostgreSQL
    .venv/bin/python bench/leads_bench.py --leads 50000 --runs 3  # a quick look

The database is built for the bench alone: the schema, every GB/T 2260 division (a lead comes from
anywhere in the country), the Jincheng chains and the province bench's extra chains, the five
macro-regions, teams (four per chain, with Target rows) and then the leads with raw bulk SQL (benchmark
rows are not audited): ``--leads`` of them over five years, the silk chain three times as likely as
another, home regions weighted towards the five macro-regions the teams visit, sources, segments, and
stages in the proportions of a working programme (most leads stay at 接触 or are abandoned; a few sign,
fewer land). Company names are written as offices write them (浙江华纺纺织有限公司, 华纺集团, 苏州
华纺（集团）股份有限公司). SQLite lives in ``/work/benchdata/leads-N.sqlite3``, PostgreSQL in the
database ``leads_bench_N``; each finished phase is recorded beside the data, so a rerun resumes.

Measuring: the median of ``--runs`` warm runs, the application and the hand-written SQL taking turns run
by run (interleaved, so a burst of load on the shared machine hits both). The hand-written side is the
faster of two formulations: one conditional-count ``GROUP BY`` over the leads that reached any stage in
the year (the application's shape), and a ``UNION ALL`` of one ``GROUP BY`` per stage, each reading its
own stage-date index.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import projects_bench  # noqa: E402  (interleaving, the report, raw SQL, planner statistics)
import province_bench  # noqa: E402  (the target database and its bulk writer)

DATA = Path(os.environ.get("CHAINBOARD_BENCH_DATA", "/work/benchdata"))
PG_URL = "postgres://postgres@127.0.0.1:5432"
SILK = province_bench.SILK
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
STAGE_DATES = ("opened_on", "negotiating_on", "signed_on", "landed_on", "in_production_on", "abandoned_on")
STAGE_NAMES = ("opened", "negotiating", "signed", "landed", "in_production", "abandoned")

# Where a lead ends up (the stage it is at now), as in a working programme.
FINAL_STAGES = [
    ("contact", 0.42),
    ("negotiating", 0.22),
    ("signed", 0.05),
    ("landed", 0.04),
    ("in_production", 0.02),
    ("abandoned", 0.25),
]
SOURCES = [("team_visit", 0.45), ("event", 0.25), ("referral", 0.15), ("online", 0.10), ("other", 0.05)]
MACRO_REGIONS = {
    "京津冀": ["11", "12", "13"],
    "长三角": ["31", "32", "33", "34"],
    "珠三角": ["44"],
    "中原城市群": ["41"],
    "成渝": ["50", "51"],
}
# Home provinces: the five macro-regions' provinces most of the time, anywhere else now and then.
PROVINCE_WEIGHTS = {"32": 14, "33": 14, "31": 8, "44": 14, "11": 6, "12": 3, "13": 6, "41": 9, "51": 5, "50": 3, "34": 4, "37": 5, "35": 4, "14": 5}  # fmt: skip
CITIES = ["苏州", "无锡", "常州", "南通", "杭州", "宁波", "绍兴", "嘉兴", "上海", "深圳", "广州", "东莞", "佛山", "北京", "天津", "石家庄", "保定", "郑州", "洛阳", "成都", "重庆", "合肥", "青岛", "泉州"]  # fmt: skip
WORDS = ["华纺", "恒丰", "锦绣", "永盛", "天虹", "鑫达", "瑞丰", "金鹰", "盛泰", "新丝路", "宏达", "联发", "富润", "海澜", "雅戈", "鲁泰", "华孚", "际诚", "嘉欣", "众和"]  # fmt: skip
TRADES = [
    "纺织",
    "服饰",
    "丝绸",
    "麻纺",
    "家纺",
    "针织",
    "印染",
    "服装",
    "新材料",
    "科技",
    "智能装备",
    "机械",
]
FORMS = ["有限公司", "股份有限公司", "集团有限公司", "（集团）股份有限公司", "集团", "实业有限公司"]


class Target(province_bench.Target):
    """The leads' own SQLite file or PostgreSQL database (never another bench's)."""

    def __init__(self, kind: str, n: int, pg_url: str):
        super().__init__(kind, n, pg_url)
        stem = f"leads-{n}.{'sqlite3' if kind == 'sqlite' else 'postgres'}"
        self.state_file = DATA / f"{stem}.json"
        if kind == "sqlite":
            self.path = DATA / stem
        else:
            self.dbname, self.url = f"leads_bench_{n}", f"{pg_url}/leads_bench_{n}"


def pick(rng: random.Random, weighted):
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def company_name(rng: random.Random) -> str:
    word, trade, form = rng.choice(WORDS), rng.choice(TRADES), rng.choice(FORMS)
    roll = rng.random()
    if roll < 0.55:
        return f"{rng.choice(CITIES)}{word}{trade}{form}"
    if roll < 0.75:
        return f"{word}{form if form.startswith('集团') else '集团'}"  # the short form an office writes
    if roll < 0.9:
        return f"{word}（{rng.choice(CITIES)}）{trade}{form}"
    return f"{rng.choice(CITIES)} {word}{trade}"  # a space, no legal form: as typed in a hurry


def setup_reference(target: Target) -> dict:
    """Schema, divisions, chains, macro-regions, teams, targets and the bench users."""
    from django.core.management import call_command

    target.django()
    call_command("migrate", verbosity=0)
    call_command("load_regions", verbosity=0)
    call_command("load_industries", verbosity=0)
    call_command("setup", str(ROOT / "chains" / "cities" / "jincheng.yaml"), verbosity=0)
    call_command("setup", str(ROOT / "bench" / "province_chains.yaml"), verbosity=0)

    from accounts.roles import Role
    from chainboard import actions, audit
    from chainboard.scope import SystemActor
    from chains.models import Chain
    from investment.models import MacroRegion, Team
    from investment.models import Target as TargetRow
    from regions.models import Region

    actor = SystemActor("command:leads_bench")
    year = dt.date.today().year
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="command:leads_bench"):
        for name, provinces in MACRO_REGIONS.items():
            macro = MacroRegion.objects.filter(name=name).first() or actions.create_direct(
                actor, MacroRegion(name=name, source="bench")
            )
            macro.provinces.set(Region.objects.filter(code__in=[p + "0000" for p in provinces]))
        for chain in Chain.objects.order_by("pk"):
            for i, macro in enumerate(MACRO_REGIONS):
                if i == 4:
                    break
                team = actions.create_direct(
                    actor, Team(name=f"{chain.name[:4]}{macro}小分队", chain=chain, source="bench")
                )
                actions.create_direct(
                    actor,
                    TargetRow(
                        chain=chain,
                        team=team,
                        year=year,
                        leads_opened=400,
                        signed=20,
                        landed=8,
                        source="bench",
                    ),
                )
            actions.create_direct(actor, TargetRow(chain=chain, year=year, landed=2, source="bench"))
        silk = Chain.objects.get(name=SILK)
        for username, role, scope in (
            ("bench_office", Role.OFFICE, {}),
            ("bench_investment", Role.INVESTMENT, {"chain": silk}),
        ):
            projects_bench.ensure_user(actor, username, role, scope)
    return {"reference": True}


def generate_leads(target: Target, count: int, seed: int, today: dt.date) -> dict:
    from chains.models import Chain, Segment
    from investment.models import Lead, MacroRegion, Team
    from regions.models import Region

    started = time.perf_counter()
    rng = random.Random(seed)
    chains = list(Chain.objects.order_by("pk").values_list("pk", "name"))
    chain_weights = [3 if name == SILK else 1 for _, name in chains]
    segments: dict[int, list[int]] = {}
    for sid, cid in Segment.objects.values_list("pk", "chain_id"):
        segments.setdefault(cid, []).append(sid)
    teams: dict[int, list[int]] = {}
    for tid, cid in Team.objects.values_list("pk", "chain_id"):
        teams.setdefault(cid, []).append(tid)
    macro_of_province = {}
    for macro in MacroRegion.objects.prefetch_related("provinces"):
        for province in macro.provinces.all():
            macro_of_province[province.code[:2]] = macro.pk
    cities: dict[str, list[str]] = {}
    for code in Region.objects.filter(level=2).values_list("code", flat=True):
        cities.setdefault(code[:2], []).append(code)
    counties = list(Region.objects.filter(level=3, code__startswith="1405").values_list("code", flat=True))
    provinces = list(PROVINCE_WEIGHTS)
    province_weights = list(PROVINCE_WEIGHTS.values())
    first_day = dt.date(today.year - 4, 1, 1)
    span = (today - first_day).days
    fields = {f.attname: f for f in Lead._meta.concrete_fields}
    by_stage: dict[str, int] = {}

    def later(day: dt.date, low: int, high: int) -> dt.date | None:
        out = day + dt.timedelta(days=rng.randint(low, high))
        return out if out <= today else None

    def leads():
        for pk in range(1, count + 1):
            cid, _name = rng.choices(chains, weights=chain_weights)[0]
            province = rng.choices(provinces, weights=province_weights)[0]
            home = rng.choice(cities[province]) if province in cities and rng.random() < 0.8 else None
            # Offices name the macro-region when the team went there and the city is not written.
            macro = macro_of_province.get(province) if home is None or rng.random() < 0.5 else None
            final = pick(rng, FINAL_STAGES)
            opened = first_day + dt.timedelta(days=int(span * rng.random() ** 0.7))
            dates = {"opened_on": opened}
            order = ["negotiating", "signed", "landed", "in_production"]
            goal = (
                order.index(final) + 1
                if final in order
                else (rng.randint(0, 2) if final == "abandoned" else 0)
            )
            stage, day = "contact", opened
            for name in order[:goal]:
                step = later(day, 20, 200 if name != "in_production" else 400)
                if step is None:
                    break
                dates[f"{name}_on"] = day = step
                stage = name
            if final == "abandoned":
                gone = later(day, 10, 300)
                if gone is not None:
                    dates["abandoned_on"], stage = gone, "abandoned"
            by_stage[stage] = by_stage.get(stage, 0) + 1
            signed = "signed_on" in dates
            values = {
                "id": pk,
                "created_at": NOW,
                "updated_at": NOW,
                "version": 1,
                "is_sample": False,
                "source": "bench",
                "company_name": company_name(rng),
                "home_region_id": home,
                "home_macro_region_id": macro,
                "chain_id": cid,
                "segment_id": rng.choice(segments[cid])
                if segments.get(cid) and rng.random() < 0.85
                else None,
                "planned_investment": Decimal(int(rng.lognormvariate(0, 1.1) * 5000)) * 10_000
                if signed or rng.random() < 0.5
                else None,
                "source_kind": pick(rng, SOURCES),
                "team_id": rng.choice(teams[cid]) if teams.get(cid) and rng.random() < 0.9 else None,
                "landing_region_id": rng.choice(counties) if rng.random() < 0.7 else None,
                "stage": stage,
                "abandon_reason": "企业投资意向转移" if stage == "abandoned" else "",
                "next_step": "" if stage == "abandoned" else "电话跟进，约定二次拜访",
                **dates,
            }
            yield tuple(values.get(name, projects_bench._default(fields[name])) for name in fields)

    writer = province_bench.Writer(target)
    written = writer.insert("investment_lead", [fields[a].column for a in fields], leads())
    writer.close()
    print(f"{written:,} leads in {time.perf_counter() - started:.0f} s; {by_stage}", flush=True)
    return {"leads": written, "stages": by_stage, "today": today.isoformat()}


# --- the hand-written side ---------------------------------------------------------------------------


class DjangoRaw:
    """Hand-written SQL on the application's own connection: the same PRAGMAs (SQLite's page cache and
    mmap size, settings.py) and the same server session, so only the SQL differs."""

    def q(self, sql: str, params=()) -> list[tuple]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


def _bounds(year: int) -> tuple[str, str]:
    return dt.date(year, 1, 1).isoformat(), dt.date(year + 1, 1, 1).isoformat()


def raw_grouped(raw, key: str, year: int, chain: int | None) -> dict:
    """One GROUP BY with a conditional count per stage over the leads that reached any stage in the year,
    then the groups' names."""
    start, end = _bounds(year)
    counts = ", ".join(
        f"SUM(CASE WHEN {c} >= %s AND {c} < %s THEN 1 ELSE 0 END)" for c in STAGE_DATES
    )  # portable; COUNT(*) FILTER is the same plan
    where = " OR ".join(f"({c} >= %s AND {c} < %s)" for c in STAGE_DATES)
    params = [start, end] * len(STAGE_DATES) * 2
    scope = ""
    if chain is not None:
        scope, params = " AND chain_id = %s", [*params, chain]
    rows = raw.q(
        f"SELECT {key}, {counts} FROM investment_lead WHERE ({where}){scope} GROUP BY {key}",  # noqa: S608
        params,
    )
    return _named(raw, key, {row[0]: row[1:] for row in rows})


def raw_union(raw, key: str, year: int, chain: int | None) -> dict:
    """One GROUP BY per stage, each a range on that stage's date index, glued with UNION ALL."""
    start, end = _bounds(year)
    scope = " AND chain_id = %s" if chain is not None else ""
    parts, params = [], []
    for i, c in enumerate(STAGE_DATES):
        parts.append(
            f"SELECT {key} AS k, {i} AS s, COUNT(*) AS n FROM investment_lead "  # noqa: S608
            f"WHERE {c} >= %s AND {c} < %s{scope} GROUP BY {key}"
        )
        params += [start, end] + ([chain] if chain is not None else [])
    by_key: dict = {}
    for k, s, n in raw.q(" UNION ALL ".join(parts), params):
        by_key.setdefault(k, [0] * len(STAGE_DATES))[s] = n
    return _named(raw, key, {k: tuple(v) for k, v in by_key.items()})


def _named(raw, key: str, rows: dict) -> dict:
    table = {"team_id": "investment_team", "segment_id": "chains_segment"}[key]
    ids = [k for k in rows if k is not None]
    names = (
        dict(raw.q(f"SELECT id, name FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))})", ids))
        if ids
        else {}
    )  # noqa: S608
    return {k: (names.get(k, ""), tuple(v)) for k, v in rows.items()}


# --- measuring ---------------------------------------------------------------------------------------


def measure(target: Target, args) -> str:
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from chains.models import Chain
    from investment import funnel
    from investment.models import Lead

    runs = args.runs
    raw = DjangoRaw()
    year = dt.date.today().year - 1  # a whole year: every stage has its count
    silk = Chain.objects.get(name=SILK).pk
    n = Lead.objects.count()
    header = (
        f"{target.kind}: {n:,} leads, {target.size()}, year {year}; median of {runs} interleaved warm runs; "
        f"uptime: {projects_bench.uptime()}"
    )
    print(header, flush=True)
    report = projects_bench.Report()
    for username, chain in (("bench_office", None), ("bench_investment", silk)):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        for by, key in (("team", "team_id"), ("segment", "segment_id")):
            url = f"{reverse('investment:funnel')}?year={year}&by={by}"

            def page(url=url, client=client):
                response = client.get(url)
                assert response.status_code == 200, response.status_code

            def module(user=user, by=by):
                return funnel.funnel(User.objects.get(pk=user.pk), year, by)  # grants computed per call

            # The same answer: each group's counts from the module equal the hand-written ones.
            got = module()
            expected = raw_grouped(raw, key, year, chain)
            assert {(r.key or None): tuple(c.count for c in r.cells) for r in got.rows} == {
                (str(k) if k is not None else None): v for k, (_name, v) in expected.items()
            }, "the module and the SQL disagree"
            assert raw_union(raw, key, year, chain) == expected
            medians = projects_bench.interleaved(
                {
                    "page": page,
                    "module": module,
                    "grouped": lambda key=key, chain=chain: raw_grouped(raw, key, year, chain),
                    "union": lambda key=key, chain=chain: raw_union(raw, key, year, chain),
                },
                runs,
            )
            best = min(medians["grouped"], medians["union"])
            which = "GROUP BY" if medians["grouped"] <= medians["union"] else "UNION ALL"
            groups = len(got.rows)
            label = f"funnel by {by}, {username} ({groups} groups, {got.total.count('opened'):,} opened)"
            report.add(f"{label}: page", medians["page"], best, "≤ 2× SQL", medians["page"] <= 2 * best)
            report.add(
                f"{label}: funnel module", medians["module"], best, "≤ 2× SQL", medians["module"] <= 2 * best
            )
            print(
                f"    hand-written: GROUP BY {medians['grouped']:.1f} ms, UNION ALL {medians['union']:.1f} ms "
                f"(best: {which})",
                flush=True,
            )
    out = DATA / f"leads-{n}-{target.kind}.md"
    text = header + "\n\n" + report.markdown() + "\n"
    out.write_text(text)
    print(f"\nwritten to {out}")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=500_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (trust auth), no database name")
    parser.add_argument("--runs", type=int, default=7, help="warm runs per figure (median)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--regenerate", action="store_true", help="start from an empty database")
    parser.add_argument("--no-measure", action="store_true", help="generate only")
    args = parser.parse_args()

    DATA.mkdir(parents=True, exist_ok=True)
    target = Target(args.database, args.leads, args.pg_url)
    if args.regenerate:
        target.wipe()
    target.create()
    if not target.state().get("reference"):
        target.save_state(**setup_reference(target))
    target.django()
    from django.core.management import call_command

    call_command("migrate", verbosity=1)  # the app's later migrations (indexes, search keys) on the data
    if not target.state().get("leads"):
        target.save_state(**generate_leads(target, args.leads, args.seed, dt.date.today()))
        projects_bench.analyse(target)
    if not args.no_measure:
        measure(target, args)


if __name__ == "__main__":
    main()
