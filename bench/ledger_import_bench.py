"""The ledger import: a generated 200,000-row ledger (bench/ledger_gen.py) imported as a clerk would, timed
and with its peak memory, beside python-calamine's bare read of the same file, in the same run.

    .venv/bin/python bench/ledger_import_bench.py --n 200000                       # SQLite and PostgreSQL
    .venv/bin/python bench/ledger_import_bench.py --n 200000 --database sqlite --profile

Each measurement runs in a process of its own (so its peak resident memory is its own; forked check
workers are counted too) against an empty database with the regions, industries and the Jincheng set-up
loaded, and a user in the chain office of both chains. Three files, the same enterprises:

- **as sent**: the ledger as offices send it (title, 填报单位 line, two-row merged header, county names
  written five ways, short chain names, money with units, subtotal and note rows, ~2 % bad rows);
  header and columns found automatically, as `chainboard import-file` and the upload page do;
- **header chosen**: the same file with the header row given (the lower header row) and the county
  column mapped to 行政区划 by hand, as a user can on the mapping page;
- **clean copy**: what a clerk must make for the importer of 2026-12-04: counties as codes, chains by
  full name, no bad rows and no subtotals (title and merged header kept; header row and county column
  given as above).

For each: the outcome (rows written, or refused with how many errors and the commonest messages), the
seconds of the file checks and read, the row check, the write (one transaction) and the search keys,
and the peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
sys.path.insert(0, str(ROOT))

FILES = {"as-sent": False, "header-chosen": False, "clean": True}  # scenario -> clean file


def peak_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def calamine_read(path: Path) -> dict:
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    return {"seconds": time.perf_counter() - started, "rows": len(rows), "peak_mib": peak_mib()}


def run_import(path: Path, n: int, database: str, scenario: str, profile: bool) -> dict:
    from bench.import_bench import office_user, setup_database

    setup_database(database, n, name="ledger")
    from bench.ledger_gen import CHAINS
    from chainboard import audit, imports, search, tabular
    from enterprises.models import Enterprise
    from enterprises.views import EnterpriseViewSet

    user = office_user(tuple(CHAINS))
    result: dict = {"scenario": scenario, "database": database}
    times: dict[str, float] = {}
    started = time.perf_counter()
    try:
        tabular.check(str(path), path.name)
        table = tabular.read(str(path), path.name)
        times["read"] = time.perf_counter() - started
        spec = imports.Spec(EnterpriseViewSet, user)
        if scenario == "as-sent":
            header_row, headers = imports.find_header(table, spec)
        else:
            header_row, headers = 3, list(table[3])
        mapping = imports.auto_mapping(spec, headers)
        if scenario != "as-sent":  # and the county column mapped by hand, as on the mapping page
            mapping[str(headers.index("所在县（市、区）"))] = "region"
        result["header_row"] = header_row + 1
        result["mapped"] = {headers[int(i)]: field for i, field in mapping.items()}
        result["ignored"] = [h for i, h in enumerate(headers) if h and str(i) not in mapping]
        marks = {"start": time.perf_counter()}

        def on_phase(name: str) -> None:
            marks[name] = time.perf_counter()

        with audit.operation(user=user, source=audit.Source.IMPORT, label=f"import:{path.name}"):
            importer = imports.Importer(
                EnterpriseViewSet, user, table, header_row, mapping, headers=headers, on_phase=on_phase
            )
            if profile:
                import cProfile
                import io
                import pstats

                profiler = cProfile.Profile()
                outcome = profiler.runcall(importer.run, commit=True)
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
                result["profile"] = out.getvalue()
            else:
                outcome = importer.run(commit=True)
        end = time.perf_counter()
        times["check"] = marks.get("writing", end) - marks["start"]
        if "writing" in marks:
            times["write"] = marks.get("indexing", end) - marks["writing"]
        if "indexing" in marks:
            times["keys"] = end - marks["indexing"]
        result["ok"] = outcome.ok
        result["written"] = Enterprise.objects.count()
        # The search index is written in the import's own transaction (docs/search.md): indexed or not.
        result["keys"] = "indexed" if search.is_indexed(Enterprise) else "not indexed"
        result["error_count"] = outcome.error_count
        messages = Counter(f"{e.column or e.field}: {e.message}"[:90] for e in outcome.errors)
        result["commonest_errors"] = messages.most_common(5)
    except Exception as exc:  # noqa: BLE001 - recorded honestly: today's code may end in a traceback
        result["ok"] = False
        result["exception"] = f"{type(exc).__name__}: {exc}"[:300]
        result["traceback_tail"] = traceback.format_exc().splitlines()[-3:]
    result["times"] = times
    result["total_seconds"] = time.perf_counter() - started
    result["peak_mib"] = peak_mib()
    return result


def child(args) -> None:
    path = Path(args.file)
    if args.child == "calamine":
        print(json.dumps(calamine_read(path)))
    else:
        print(
            json.dumps(
                run_import(path, args.n, args.database, args.scenario, args.profile), ensure_ascii=False
            )
        )


def spawn(*argv: str) -> dict:
    env = {**os.environ, "CHAINBOARD_IMPORT_MAX_ROWS": str(300_000)}
    done = subprocess.run(
        [sys.executable, __file__, *argv], capture_output=True, text=True, env=env, check=False, cwd=ROOT
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"failed": done.returncode, "stderr": done.stderr[-2000:]}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--scenario", choices=[*FILES, "all"], default="all")
    parser.add_argument("--profile", action="store_true", help="cProfile the import (top 25 by own time)")
    parser.add_argument("--child", choices=["calamine", "import"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chainboard.settings")
    import django

    django.setup()
    from bench import ledger_gen

    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    scenarios = list(FILES) if args.scenario == "all" else [args.scenario]
    load = os.getloadavg()[0]
    print(f"# ledger import, n = {args.n:,}, load average {load:.1f}, {time.strftime('%Y-%m-%d %H:%M')}")
    for scenario in scenarios:
        clean = FILES[scenario]
        path = DATA / f"ledger-{args.n}{'-clean' if clean else ''}.xlsx"
        if not path.exists():
            counts = ledger_gen.write(path, args.n, clean=clean)
            print(f"wrote {path.name}: {path.stat().st_size / 1024 / 1024:.1f} MiB, {dict(counts)}")
        bare = spawn("--child", "calamine", "--file", str(path))
        print(f"\n## {scenario}: {path.name}\ncalamine bare read: {json.dumps(bare)}")
        for database in databases:
            extra = ["--profile"] if args.profile else []
            result = spawn(
                "--child", "import", "--file", str(path), "--n", str(args.n), "--database", database,
                "--scenario", scenario, *extra,
            )  # fmt: skip
            text = result.pop("profile", "")
            print(f"{database}: {json.dumps(result, ensure_ascii=False)}")
            if text:
                print(text)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
