"""Issue 13, search: chainboard's search beside hand-written SQL and Datasette 0.65 on the same database.

    .venv/bin/python bench/search_bench.py --n 200000                        # SQLite
    .venv/bin/python bench/search_bench.py --n 200000 --database postgres    # PostgreSQL

Generates a province with ``province_bench``'s generator (the same enterprises, chains and regions) in
its own database (``--data``, default /work/benchdata: ``search-N.sqlite3``; PostgreSQL
``chainboard_search_bench_N``), rebuilds the search index with ``search.rebuild`` (its rate and size are
recorded), adds the bench-only reference indexes (an FTS5 trigram table over name, short name and USCC,
as Datasette configures one, on SQLite; a ``pg_trgm`` GIN index on PostgreSQL), then measures, warm,
in one interleaved run (each round times every variant of every term once; the median of ``--runs``):

- chainboard: the enterprise list page (``?q=``, with its count and facets), the JSON API list and the
  global search box, as ``bench_office`` (sees everything), server time through Django's test client;
- the same answer (the count and the first 25 names by name) in hand-written SQL on chainboard's index;
- the same on the trigram index (terms of 3 characters or more, which is all it can answer);
- Datasette 0.65 (SQLite) on the same file: the table filtered by ``_search`` on the trigram table,
  sorted by name, 25 rows with its count, in process through its ASGI client.

Every term kind of issue 13 target 4: a full name, a short name, a USCC fragment, the most common 1-, 2-
and 3-character substrings of the names, a trade (纺织), pinyin initials and full pinyin.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_ms(fn, runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _target(kind: str, n: int, pg_url: str, data: Path):
    import province_bench

    target = province_bench.Target(kind, n, pg_url)
    suffix = "sqlite3" if kind == "sqlite" else "postgres"
    target.state_file = data / f"search-{n}.{suffix}.json"
    if kind == "sqlite":
        target.path = data / f"search-{n}.sqlite3"
    else:  # the same server, a database of its own
        target.dbname = f"chainboard_search_bench_{n}"
        target.url = f"{pg_url}/{target.dbname}"
    return target


def build_index(target) -> dict:
    """``search.rebuild`` of every enterprise, timed (province_bench's key step, which it now is)."""
    import province_bench

    done = province_bench.build_keys(target)
    rows, seconds, cpu = done["keys"], max(done["keys_seconds"], 1), max(done["keys_cpu_seconds"], 1)
    return {
        "index_rows": rows,
        "index_seconds": seconds,
        "index_rate": round(rows / seconds),
        "index_cpu_rate": round(rows / cpu),
    }


def reference_indexes(target) -> dict:
    """The bench-only indexes the hand-written references and Datasette use."""
    started = time.perf_counter()
    if target.kind == "sqlite":
        with target.raw() as db:
            db.execute("DROP TABLE IF EXISTS enterprises_enterprise_fts")
            # As Datasette's own "enable FTS" makes it: external content, the table's rows by rowid.
            db.execute(
                "CREATE VIRTUAL TABLE enterprises_enterprise_fts USING fts5(name, short_name, uscc, "
                'tokenize="trigram", content="enterprises_enterprise", content_rowid="id")'
            )
            db.execute(
                "INSERT INTO enterprises_enterprise_fts(enterprises_enterprise_fts) VALUES ('rebuild')"
            )
            db.commit()
    else:
        with target.raw() as db:
            db.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            db.execute("DROP INDEX IF EXISTS bench_trgm")
            db.execute(
                f"CREATE INDEX bench_trgm ON enterprises_enterprise USING gin (({TRGM_TEXT}) gin_trgm_ops)"
            )
            db.execute("ANALYZE enterprises_enterprise")
    seconds = time.perf_counter() - started
    print(f"reference trigram index built in {seconds:.1f} s")
    return {"reference": True, "reference_seconds": round(seconds, 1)}


TRGM_TEXT = "name || ' ' || COALESCE(short_name, '') || ' ' || COALESCE(uscc, '')"


def sizes(target) -> dict:
    """MiB of the database, of chainboard's search index and of the reference trigram index."""
    if target.kind == "sqlite":
        with target.raw() as db:

            def pages(where: str) -> float:
                return (
                    (db.execute(f"SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE {where}").fetchone()[0])
                    / 2**20
                )  # noqa: S608

            return {
                "database": pages("1"),
                "index": pages("name LIKE 'enterprises_enterprise_search_%'"),
                "reference": pages("name LIKE 'enterprises_enterprise_fts%'"),
            }
    with target.raw() as db:

        def mib(sql: str) -> float:
            return db.execute(sql).fetchone()[0] / 2**20

        return {
            "database": mib("SELECT pg_database_size(current_database())"),
            "index": mib("SELECT pg_total_relation_size('enterprises_enterprise_search')"),
            "reference": mib("SELECT pg_relation_size('bench_trgm')"),
        }


def pick_terms(db_rows: list[tuple[str, str, str | None]], rng: random.Random) -> list[tuple[str, str]]:
    from pypinyin import Style, lazy_pinyin

    names = [r[0] for r in db_rows]
    grams = {k: collections.Counter() for k in (1, 2, 3)}
    for name in names:
        for k in grams:
            grams[k].update({name[i : i + k] for i in range(len(name) - k + 1)})
    name, short, _code = rng.choice(db_rows)
    code = next(r[2] for r in db_rows if r[2])
    syllables = lazy_pinyin(short, style=Style.NORMAL)
    other = rng.choice(db_rows)[1]
    return [
        ("full name", name),
        ("short name", short),
        ("USCC fragment", code[8:14]),
        ("most common 1 char", grams[1].most_common(1)[0][0]),
        ("most common 2 chars", grams[2].most_common(1)[0][0]),
        ("most common 3 chars", grams[3].most_common(1)[0][0]),
        ("a trade, 2 chars", "纺织"),
        ("3 chars, a brand's start", other[:3]),
        ("pinyin initials, 2 (common)", "jh"),
        ("pinyin initials, 4", "".join(s[0] for s in syllables[:4])),
        ("full pinyin", "".join(syllables[:2]) + syllables[2][:2]),
    ]


def measure(target, args, state: dict) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User
    from chainboard import search
    from enterprises.models import Enterprise

    raw = target.raw()
    sqlite = target.kind == "sqlite"

    def q(sql: str, params=()) -> list:
        if not sqlite:
            sql = sql.replace("?", "%s")
        return raw.execute(sql, params).fetchall()

    sample = q(
        "SELECT name, short_name, uscc FROM enterprises_enterprise WHERE id - (id / 50) * 50 = 0 ORDER BY id LIMIT 20000"
    )
    terms = pick_terms(sample, random.Random(args.seed))
    office = Client()
    office.force_login(User.objects.get(username="bench_office"))
    api = Client()
    token = state["tokens"]["bench_office"]
    page_url = reverse("enterprises:enterprise_list")

    def get(client, url, **headers):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        return response

    # Hand-written: the count and the first 25 names by name, on chainboard's own index.
    def index_sql(term):
        query = search._Query(Enterprise, term)
        ids, params = query.ids_sql()
        if sqlite:
            ids = ids.replace("%s", "?")

        def run():
            count = raw.execute(f"SELECT COUNT(*) FROM ({ids}) AS m", params).fetchone()[0]  # noqa: S608
            rows = raw.execute(
                f"SELECT id, name FROM enterprises_enterprise WHERE id IN ({ids}) ORDER BY name LIMIT 25",  # noqa: S608
                params,
            ).fetchall()
            return count, rows

        return run

    def trigram_sql(term):
        if len(term) < 3:
            return None
        if sqlite:
            match = '"' + term.replace('"', '""') + '"'

            def run():
                count = raw.execute(
                    "SELECT COUNT(*) FROM enterprises_enterprise_fts WHERE enterprises_enterprise_fts MATCH ?",
                    (match,),
                ).fetchone()[0]
                rows = raw.execute(
                    "SELECT e.id, e.name FROM enterprises_enterprise e WHERE e.id IN (SELECT rowid FROM "
                    "enterprises_enterprise_fts WHERE enterprises_enterprise_fts MATCH ?) ORDER BY e.name LIMIT 25",
                    (match,),
                ).fetchall()
                return count, rows

            return run
        like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

        def run_pg():
            count = raw.execute(
                f"SELECT COUNT(*) FROM enterprises_enterprise WHERE ({TRGM_TEXT}) ILIKE %s",
                (like,),  # noqa: S608
            ).fetchone()[0]
            rows = raw.execute(
                f"SELECT id, name FROM enterprises_enterprise WHERE ({TRGM_TEXT}) ILIKE %s ORDER BY name LIMIT 25",  # noqa: S608
                (like,),
            ).fetchall()
            return count, rows

        return run_pg

    datasette_get = None
    if sqlite and not args.no_datasette:
        from datasette.app import Datasette

        ds = Datasette(
            [str(target.path)],
            settings={"suggest_facets": False, "sql_time_limit_ms": 10000, "num_sql_threads": 1},
        )
        loop = asyncio.new_event_loop()
        dbname = target.path.stem

        def datasette_get(term):
            url = f"/{dbname}/enterprises_enterprise.json?_search={quote(term)}&_sort=name&_size=25&_shape=objects"

            def run():
                response = loop.run_until_complete(ds.client.get(url))
                assert response.status_code == 200, (url, response.status_code, response.text[:200])
                return response.json()

            return run

    variants: dict[str, dict] = {}
    hits: dict[str, int] = {}
    scans: dict[str, list[str]] = {}
    for kind, term in terms:
        v = {
            "page": lambda t=term: get(office, f"{page_url}?q={quote(t)}"),
            "API": lambda t=term: get(
                api, f"/api/v1/enterprises?q={quote(t)}", Authorization=f"Bearer {token}"
            ),
            "box": lambda t=term: get(office, f"/search/?q={quote(t)}"),
            "index SQL": index_sql(term),
        }
        if (trigram := trigram_sql(term)) is not None:
            v["trigram SQL"] = trigram
        if datasette_get is not None:
            v["Datasette"] = datasette_get(term)
        variants[term] = v
        hits[term] = v["index SQL"]()[0]
        if trigram is not None:
            found = trigram()[0]
            # The reference's answer: the same rows where chainboard's rules ask for a substring only.
            if found != hits[term]:
                print(f"note: {term!r}: trigram index {found:,}, chainboard {hits[term]:,} (pinyin adds)")
        with CaptureQueriesContext(connection) as captured:
            v["page"]()
        scans[term] = full_scans(raw, sqlite, [c["sql"] for c in captured.captured_queries])
    times: dict[tuple[str, str], list[float]] = collections.defaultdict(list)
    for variant in variants.values():  # warm
        for fn in variant.values():
            fn()
    for _ in range(args.runs):
        for term, variant in variants.items():
            for name, fn in variant.items():
                started = time.perf_counter()
                fn()
                times[(term, name)].append((time.perf_counter() - started) * 1000)
    columns = ["page", "API", "box", "index SQL", "trigram SQL", "Datasette"]
    size = sizes(target)
    print()
    print(
        f"{target.kind}, {Enterprise.objects.count():,} enterprises; median of {args.runs} interleaved warm "
        f"runs, ms; load average {os.getloadavg()[0]:.2f} (2 shared cores)"
    )
    print(
        f"database {size['database']:,.0f} MiB; chainboard index {size['index']:,.1f} MiB "
        f"({size['index'] / size['database']:.1%}), built at {state.get('index_rate', 0):,}/s "
        f"({state.get('index_cpu_rate', 0):,}/s of CPU); "
        f"reference trigram index {size['reference']:,.1f} MiB"
    )
    print()
    print("| term | | hits | " + " | ".join(columns) + " | full scans in the page |")
    print("|---|---|---:|" + "---:|" * len(columns) + "---|")
    for kind, term in terms:
        cells = []
        for name in columns:
            got = times.get((term, name))
            cells.append(f"{statistics.median(got):.1f}" if got else "–")
        scan = ", ".join(scans[term]) or "none"
        print(f"| {kind} | {term} | {hits[term]:,} | " + " | ".join(cells) + f" | {scan} |")


def full_scans(raw, sqlite: bool, statements: list[str]) -> list[str]:
    """The tables a statement reads whole (SQLite: SCAN without an index; PostgreSQL: Seq Scan)."""
    found = []
    for sql in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        try:
            if sqlite:
                plan = [str(r[-1]) for r in raw.execute("EXPLAIN QUERY PLAN " + sql).fetchall()]
                found += [
                    line.split()[1]
                    for line in plan
                    if line.startswith("SCAN ") and " USING " not in line and "VIRTUAL TABLE" not in line
                ]
            else:
                plan = [r[0] for r in raw.execute("EXPLAIN " + sql).fetchall()]
                found += [line.split(" on ")[1].split()[0] for line in plan if "Seq Scan on" in line]
        except Exception:  # noqa: BLE001, S112 - a statement the raw connection cannot plan (parameters)
            continue
    # Small reference tables, constant rows, the counting subquery and the catalog are no finding.
    small = {"chainboard_", "auth_", "django_", "accounts_", "regions_", "chains_", "industries_"}
    ignored = {"CONSTANT", "c", "sqlite_master", "subquery"}
    return sorted({t for t in found if t not in ignored and not any(t.startswith(s) for s in small)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="enterprises")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--data", type=Path, default=Path("/work/benchdata"))
    parser.add_argument("--runs", type=int, default=7, help="interleaved warm rounds (median)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="drop the data and generate it again")
    parser.add_argument("--reindex", action="store_true", help="rebuild the index (and time it) again")
    parser.add_argument("--no-measure", action="store_true", help="generate only")
    parser.add_argument("--no-datasette", action="store_true")
    args = parser.parse_args()

    import province_bench

    args.data.mkdir(parents=True, exist_ok=True)
    target = _target(args.database, args.n, args.pg_url, args.data)

    def generate() -> dict:
        province_bench.generate_data(target, args.n, args.seed, 0.5)
        return {"data": True}

    # Each phase once, recorded beside the data (an interrupted run resumes); --reindex times the index again.
    phases = {
        "data": generate,
        "index_rate": lambda: build_index(target),
        "tokens": province_bench.make_users,
        "reference": lambda: reference_indexes(target),
    }
    if args.fresh:
        target.wipe()
    target.create()
    target.django()
    for done, phase in phases.items():
        if not target.state().get(done) or (done == "index_rate" and args.reindex):
            target.save_state(**phase())
    if not args.no_measure:
        measure(target, args, target.state())


if __name__ == "__main__":
    main()
