"""Hostile-files benchmark: each file generated here is refused by the import's check
(``chainboard.tabular.check``: the zip parts inflated as a counted stream, the sheets' rows, columns
and cells capped before parsing), timed and its peak memory measured, beside python-calamine's bare open
of the same file (``CalamineWorkbook.from_path(…).get_sheet_by_index(0).to_python()``, what a reader
without those checks does).

    .venv/bin/python bench/hostile_bench.py            # all files
    .venv/bin/python bench/hostile_bench.py --only lying-480

Each measurement runs in a fresh process: its "extra" memory is the process's peak RSS less its RSS
just before the call. The calamine process is limited to ``--calamine-limit`` MiB of address space
(default 3072) and ``--timeout`` seconds, so that a bomb cannot take the machine down: "out of memory"
is its answer at that limit. Files go to ``bench/data/hostile/``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "hostile"
sys.path.insert(0, str(ROOT))


def files() -> dict[str, tuple[str, callable]]:
    from chainboard.tests import hostile_files as h

    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(f'<!ENTITY lol{i} "{"&lol;" * 10}">'.encode() for i in range(1, 10))
        + b"]><worksheet><sheetData/></worksheet>"
    )
    return {
        "bomb-480": ("a 1.9 MB sheet inflating to 480 MiB (sizes declared)", lambda: h.bomb(480)),
        "lying-480": ("the same, its zip directory declaring 4 KiB", lambda: h.bomb(480, lying=True)),
        "rows-300k": ("300,000 rows of three cells", lambda: h.workbook(h.sheet_rows(300_000))),
        "tall": ("two cells, A1 and A1048576", h.tall),
        "dimension": (
            "a sheet declaring A1:C300000 in <dimension>",
            lambda: h.workbook(
                [
                    h.SHEET_START.replace(b"<sheetData>", b'<dimension ref="A1:C300000"/><sheetData>'),
                    h.SHEET_END,
                ]
            ),
        ),
        "ledger-200k": (
            "not hostile: 200,000 rows of ten cells, for the check's cost",
            lambda: h.workbook(h.sheet_rows(200_000, 10)),
        ),
        "wide": ("one row, cells in A1 and XFD1", h.wide),
        "unreferenced-100k": (
            "one row of 100,000 cells without references",
            lambda: h.without_references(100_000),
        ),
        "laughs": ("billion laughs in the sheet's DOCTYPE", lambda: h.workbook([laughs])),
        "entries-5000": (
            "5,000 zip entries",
            lambda: h.workbook(h.sheet_rows(1), extra={f"xl/media/p{i}.bin": b"x" for i in range(5000)}),
        ),
    }


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(mode: str, path: str) -> None:
    """Measure one call in this process; print JSON."""
    if mode == "check":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chainboard.settings")
        import django

        django.setup()
        from chainboard import tabular

        def call():
            tabular.check(path, Path(path).name)
            return "accepted"
    else:
        from python_calamine import CalamineWorkbook

        def call():
            rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
            return f"read {len(rows)} rows"

    before = rss_mb()
    cpu = time.process_time()
    started = time.perf_counter()
    try:
        outcome = call()
    except MemoryError:
        outcome = "out of memory"
    except Exception as exc:  # noqa: BLE001 - whatever the reader says is the outcome
        outcome = f"refused: {str(exc)[:110]}"
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "extra_mb": max(peak - before, 0), "outcome": outcome}))


def measure(mode: str, path: Path, limit_mb: int, timeout: int) -> dict:
    def limit():
        if mode == "calamine":
            resource.setrlimit(resource.RLIMIT_AS, (limit_mb * 2**20, limit_mb * 2**20))

    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit,  # noqa: PLW1509 - a fresh process, limited before it starts
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return {
            "seconds": timeout,
            "cpu": float("nan"),
            "extra_mb": float("nan"),
            "outcome": f"still running after {timeout} s",
        }
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        reason = "out of memory" if "memory" in done.stderr.lower() or done.returncode < 0 else "crashed"
        return {
            "seconds": float("nan"),
            "extra_mb": float("nan"),
            "outcome": f"{reason} (exit {done.returncode})",
        }
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append")
    parser.add_argument("--calamine-limit", type=int, default=3072, help="MiB of address space")
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    DATA.mkdir(parents=True, exist_ok=True)
    print(f"load average: {os.getloadavg()[0]:.1f}")
    print(
        "| file | size | check: s | check: extra MiB | check says | calamine: s | calamine: extra MiB | calamine |"
    )
    print("|---|---:|---:|---:|---|---:|---:|---|")
    for key, (what, make) in files().items():
        if args.only and key not in args.only:
            continue
        path = DATA / f"{key}.xlsx"
        if not path.exists():
            path.write_bytes(make())
        ours = measure("check", path, args.calamine_limit, args.timeout)
        theirs = measure("calamine", path, args.calamine_limit, args.timeout)
        print(
            f"| {key}: {what} | {path.stat().st_size / 2**20:.2f} MiB "
            f"| {ours['seconds']:.2f} ({ours['cpu']:.2f}) | {ours['extra_mb']:.0f} | {ours['outcome'][:90]} "
            f"| {theirs['seconds']:.2f} ({theirs['cpu']:.2f}) | {theirs['extra_mb']:.0f} "
            f"| {theirs['outcome'][:60]} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
