"""XLSX export writers at N rows, in the same run: XlsxWriter (constant_memory, as exports write) against
openpyxl's write-only mode (its public ``append``), on the same rows (six cells: five texts, one number).

    .venv/bin/python bench/export_bench.py --n 100000

Each writer runs in a process of its own, so the peak resident memory printed is its own.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_rows(n: int):
    rng = random.Random(5)
    for i in range(n):
        yield [
            f"晋城景柏纺织{i}有限公司",
            f"91140525MA{i:07d}X",
            rng.choice(["泽州县", "高平市", "城区"]),
            rng.choice(["丝麻纺织服装产业链", "合成生物产业链"]),
            f"+86 356 {rng.randint(2_000_000, 8_999_999)}",
            rng.random() * 10_000,
        ]


HEADERS = ["企业名称", "统一社会信用代码", "所在县区", "产业链", "电话", "产值"]


def xlsxwriter_export(n: int) -> int:
    from chainboard.exports import write_xlsx

    return len(write_xlsx("企业", HEADERS, make_rows(n)))


def openpyxl_export(n: int) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("企业")
    sheet.append(HEADERS)
    for row in make_rows(n):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return len(buffer.getvalue())


WRITERS = {"xlsxwriter": xlsxwriter_export, "openpyxl": openpyxl_export}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--writer", choices=list(WRITERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        started, cpu = time.perf_counter(), time.process_time()
        size = WRITERS[args.writer](args.n)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"seconds": seconds, "cpu": cpu, "bytes": size, "peak_mib": peak}))
        return
    print(f"| writer ({args.n:,} rows × 6 cells) | seconds | CPU seconds | file MiB | peak MiB |")
    print("|---|---:|---:|---:|---:|")
    for name in WRITERS:
        out = subprocess.run(
            [sys.executable, __file__, "--n", str(args.n), "--writer", name],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        r = json.loads(out.splitlines()[-1])
        print(
            f"| {name} | {r['seconds']:.2f} | {r['cpu']:.2f} | {r['bytes'] / 1024 / 1024:.1f} | {r['peak_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
