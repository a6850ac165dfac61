"""Search benchmark: indexed search (chainboard.search) against a LIKE '%term%' scan, same SQLite file.

    .venv/bin/python bench/search_bench.py --n 1000000

Generates N enterprise-like names in its own SQLite database under bench/data/ (kept between runs when
N matches; --fresh starts over), builds the keys with ``search.rebuild`` (the path of
``manage.py rebuild_search``), then times, warm, the median of --runs runs over several terms of each
kind: the application (``search.matching_ids`` + the first page of 25 names, through the ORM) and the
raw scan (``SELECT name ... WHERE name LIKE '%term%' ORDER BY name LIMIT 25`` via sqlite3).
Benchmark rows are inserted raw and are not audited.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PLACES = ["晋城", "高平", "泽州", "阳城", "陵川", "沁水", "长治", "太原", "重庆", "山西", "长城", "中原"]
BRAND_CHARS = (
    "景柏潞安府绸金鑫源泰华丰盛达宏兴隆昌恒通瑞福祥德康宁和美嘉佳信诚鼎天地玉龙凤凰银河星光明辉"
    "旭东南西北中海山川林森木水火土石青绿蓝紫红白黑长重行乐朝会都曾单解仇区查沈尉万俞翟种覃"
    "新科技创宇宙汇聚博雅致远卓越精工匠心尚品优佳润泽沃土鸿运亨利顺发晶晟煜炜烨晖晨曦春夏秋冬"
)
TRADES = ["服饰", "纺织", "丝绸", "麻纺", "服装", "织造", "缫丝", "机械", "煤业", "化工", "建材", "电子"]
SUFFIXES = ["有限公司", "有限责任公司", "股份有限公司", "厂", "合作社", "集团有限公司"]


def setup_django(path: Path) -> None:
    os.environ["CHAINBOARD_SQLITE_PATH"] = str(path)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chainboard.settings")
    import django

    django.setup()


def make_name(rng: random.Random) -> tuple[str, str]:
    brand = "".join(rng.choices(BRAND_CHARS, k=rng.choice((2, 2, 3))))
    trade = rng.choice(TRADES)
    place = rng.choice(PLACES) if rng.random() < 0.6 else ""
    return f"{place}{brand}{trade}{rng.choice(SUFFIXES)}", f"{brand}{trade}"


def generate(path: Path, n: int, seed: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from chainboard import search
    from enterprises.models import Enterprise
    from regions.models import Region

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    Region.objects.create(
        code="140500", name="晋城市", level=2, path=Region.path_for("140500"), full_name="晋城市"
    )
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    rng = random.Random(seed)
    now = "2024-01-01 00:00:00"

    def rows():
        for _ in range(n):
            name, short = make_name(rng)
            yield (now, now, 1, 0, "bench", name, short, "", "", "140500")

    db.executemany(
        "INSERT INTO enterprises_enterprise (created_at, updated_at, version, is_sample, source, name, "
        "short_name, address, description, region_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    db.commit()
    db.close()
    generated = time.perf_counter()
    print(f"generated {n:,} enterprises in {generated - started:.1f} s", flush=True)
    with connection.cursor() as c:
        c.execute("PRAGMA cache_size=-2000000")  # 2 GB page cache while the index is built
        c.execute("PRAGMA synchronous=OFF")
    keys = search.rebuild(Enterprise)
    print(
        f"built {keys:,} search keys ({keys / n:.1f} per enterprise) in {time.perf_counter() - generated:.1f} s"
    )
    with connection.cursor() as c:
        c.execute("ANALYZE")
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def pick_terms(db: sqlite3.Connection, rng: random.Random, count: int) -> dict[str, list[str]]:
    from pypinyin import Style, lazy_pinyin

    total = db.execute("SELECT MAX(id) FROM enterprises_enterprise").fetchone()[0]
    terms: dict[str, list[str]] = {
        "2-char Chinese": [],
        "3+ chars": [],
        "pinyin initials": [],
        "full pinyin": [],
    }
    while min(len(v) for v in terms.values()) < count:
        short = db.execute(
            "SELECT short_name FROM enterprises_enterprise WHERE id = ?", (rng.randint(1, total),)
        ).fetchone()[0]
        brand = short[:-2]
        syllables = lazy_pinyin(short, style=Style.NORMAL)
        terms["2-char Chinese"].append(brand[:2])
        terms["3+ chars"].append(short[: len(brand) + 1])
        terms["pinyin initials"].append("".join(s[0] for s in syllables[: len(brand) + 1]))
        terms["full pinyin"].append("".join(syllables[: len(brand)]) + syllables[len(brand)][:2])
    return {k: v[:count] for k, v in terms.items()}


def median_ms(fn, runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--terms", type=int, default=5, help="terms per kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="regenerate even when the data exists")
    args = parser.parse_args()

    path = ROOT / "bench" / "data" / f"search-{args.n}.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    if args.fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    exists = path.exists()
    setup_django(path)
    if not exists:
        generate(path, args.n, args.seed)

    from chainboard import search
    from enterprises.models import Enterprise

    raw = sqlite3.connect(path)
    raw.execute("PRAGMA cache_size=-500000")
    n = raw.execute("SELECT COUNT(*) FROM enterprises_enterprise").fetchone()[0]
    keys = raw.execute("SELECT COUNT(*) FROM chainboard_searchkey").fetchone()[0]
    print(
        f"{n:,} enterprises, {keys:,} keys, {path.stat().st_size / 2**20:,.0f} MiB; median of {args.runs} warm runs"
    )
    print(f"{'search':16} {'term':10} {'matches':>8} {'app ms':>8} {'LIKE ms':>8} {'LIKE/app':>8}")
    for kind, terms in pick_terms(raw, random.Random(args.seed + 1), args.terms).items():
        app_times, like_times = [], []
        for term in terms:

            def app(term=term):
                ids = search.matching_ids(Enterprise, term)
                return list(
                    Enterprise.objects.filter(pk__in=ids).order_by("name").values_list("name", flat=True)[:25]
                )

            def like(term=term):
                return raw.execute(
                    "SELECT name FROM enterprises_enterprise WHERE name LIKE ? ORDER BY name LIMIT 25",
                    (f"%{term}%",),
                ).fetchall()

            matches = Enterprise.objects.filter(pk__in=search.matching_ids(Enterprise, term)).count()
            a, b = median_ms(app, args.runs), median_ms(like, args.runs)
            app_times.append(a)
            like_times.append(b)
            print(f"{kind:16} {term:10} {matches:8,} {a:8.2f} {b:8.2f} {b / a:7.1f}x")
        a, b = statistics.median(app_times), statistics.median(like_times)
        print(f"{kind:16} {'median':10} {'':8} {a:8.2f} {b:8.2f} {b / a:7.1f}x", flush=True)


if __name__ == "__main__":
    main()
