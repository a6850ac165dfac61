"""A realistic enterprise ledger, as a county or the chain office sends one: generated, never copied.

    .venv/bin/python bench/ledger_gen.py --n 200000 --out bench/data/ledger-200000.xlsx

What the file holds, top to bottom:
- a title row merged across the table (``晋城市重点产业链企业台账``);
- a 填报单位 line (``填报单位：晋城市工业和信息化局  填报日期：2026年11月``);
- a two-row merged header: 企业基本情况 over 企业名称 / 统一社会信用代码 / 所在县（市、区） / 产业链,
  经营情况 over 产值 / 是否规上 / 主要产品, 联系方式 over 联系人 / 联系电话, and 序号 merged down both rows;
- the rows, grouped by county, each group closed by a 小计 row; a 合计 row after the last group;
- notes and 填报人/审核人 lines below the table.

Each row writes the county one of several ways (泽州, 泽州县, 晋城市泽州县, 山西省晋城市泽州县, or the code
140525), the chain by its name (or its name without 产业链), money with units and thousands separators
(``1,234.5万元``, ``856万``, ``12,345,678元``, ``0.35亿元``), 是/否/√/空 for above-size status, phone numbers
with dashes, spaces or ``+86`` and sometimes in full-width digits. About 2 % of rows are bad on purpose:
a wrong USCC check character, a code Excel turned into a number (scientific notation), a county that
does not exist, a money value that is not a number, a missing name.

``rows(n, seed)`` yields the data rows (lists of cell values) and ``expected`` counts; ``write(path, n)``
writes the workbook with XlsxWriter (constant memory, so 200,000 rows take little RAM).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# code, full name, the name without its 县/市/区 ("城区" keeps its whole name: it is the short form)
COUNTIES = [
    ("140502", "城区", "城区"),
    ("140521", "沁水县", "沁水"),
    ("140522", "阳城县", "阳城"),
    ("140524", "陵川县", "陵川"),
    ("140525", "泽州县", "泽州"),
    ("140581", "高平市", "高平"),
]
CHAINS = ["丝麻纺织服装产业链", "合成生物产业链"]
BRAND = "景柏潞安府绸金鑫源泰华丰盛达宏兴隆昌恒通瑞福祥德康宁和美嘉佳信诚鼎天地玉龙凤凰银河星光明辉新科技创汇聚博雅致远卓越精工匠心尚品优润泽沃鸿运亨利顺发晶晟"
TRADES = {
    "丝麻纺织服装产业链": ["服饰", "纺织", "丝绸", "麻纺", "服装", "织造", "缫丝", "家纺"],
    "合成生物产业链": ["生物", "发酵", "酶制剂", "生物材料", "氨基酸"],
}
PRODUCTS = {
    "丝麻纺织服装产业链": ["蚕丝被", "真丝面料", "麻纱", "针织面料", "职业装", "婚纱礼服", "床上用品"],
    "合成生物产业链": ["聚乳酸", "赖氨酸", "生物酶", "透明质酸", "丁二酸", "生物基尼龙"],
}
SUFFIXES = ["有限公司", "有限责任公司", "股份有限公司"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建国志文斌晋"

TITLE = "晋城市重点产业链企业台账"
UNIT = "填报单位：晋城市工业和信息化局                填报日期：2026年11月"
GROUPS = [("", 1), ("企业基本情况", 4), ("经营情况", 3), ("联系方式", 2)]
HEADER = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所在县（市、区）",
    "产业链",
    "产值（万元）",
    "是否规上",
    "主要产品",
    "联系人",
    "联系电话",
]
FULL_WIDTH = str.maketrans("0123456789-+", "０１２３４５６７８９－＋")
BAD_SHARE = 0.02


def uscc(serial: int, county: str) -> str:
    from enterprises.uscc import check_character

    first = f"91{county}MA{serial:07X}"[:17]
    return first + check_character(first)


def county_text(rng: random.Random, code: str, full: str, short: str) -> str:
    return rng.choice([short, full, f"晋城市{full}", f"山西省晋城市{full}", code])


def money(rng: random.Random) -> str:
    wan = rng.lognormvariate(6, 1.6)  # 万元, a few hundred typical, a long tail
    form = rng.random()
    if form < 0.45:
        return f"{wan:,.1f}万元"
    if form < 0.6:
        return f"{wan:,.0f}万"
    if form < 0.75:
        return f"{wan * 10000:,.0f}元"
    if form < 0.85 and wan > 1000:
        return f"{wan / 10000:.2f}亿元"
    return f"{wan:.2f}"


def phone(rng: random.Random) -> str:
    if rng.random() < 0.6:
        number = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"
        text = rng.choice([number, f"{number[:3]}-{number[3:7]}-{number[7:]}", f"+86 {number}"])
    else:
        local = f"{rng.randint(2_000_000, 8_999_999)}"
        text = rng.choice([f"0356-{local}", f"0356 {local}", f"(0356){local}", f"+86 356 {local}"])
    return text.translate(FULL_WIDTH) if rng.random() < 0.1 else text


def above_size(rng: random.Random) -> str:
    return rng.choice(["是", "否", "√", "", "是", "否"])


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def spoil(rng: random.Random, row: list, kind: str) -> None:
    """Make ``row`` bad in one way a real ledger is bad."""
    if kind == "check":  # a mistyped check character
        code = row[2]
        row[2] = code[:-1] + ("0" if code[-1] != "0" else "1")
    elif kind == "excel":  # an all-digit code Excel stored as a number: 9.11405E+17
        row[2] = float("911405" + "".join(str(rng.randint(0, 9)) for _ in range(12)))
    elif kind == "county":
        row[3] = rng.choice(["晋城市开发区", "太原市小店区", "泽洲县"])
    elif kind == "money":
        row[5] = rng.choice(["约三百万", "不详", "1.2.3万元"])
    else:  # no name
        row[1] = ""


BAD_KINDS = ["check", "excel", "county", "money", "name"]


def rows(
    n: int, seed: int = 11, counter: Counter | None = None, clean: bool = False
) -> Iterator[tuple[str, list]]:
    """(kind, cells) for every line below the header: kind is "row", "bad", "subtotal" or "total".

    ``clean``: the copy a clerk would have to make for today's importer: counties as codes, chains by
    their full names, no bad rows, no subtotal rows (the same enterprises otherwise)."""
    rng = random.Random(seed)
    per_county = [n // len(COUNTIES) + (1 if i < n % len(COUNTIES) else 0) for i in range(len(COUNTIES))]
    serial = 0
    for (code, full, short), count in zip(COUNTIES, per_county, strict=True):
        for _ in range(count):
            serial += 1
            chain = rng.choice(CHAINS)
            brand = "".join(rng.choice(BRAND) for _ in range(rng.choice((2, 3))))
            trade = rng.choice(TRADES[chain])
            row = [
                serial,
                f"晋城{brand}{trade}{serial}{rng.choice(SUFFIXES)}",
                uscc(serial, code),
                code if clean else county_text(rng, code, full, short),
                chain if clean or rng.random() < 0.7 else chain.removesuffix("产业链"),
                money(rng),
                above_size(rng),
                "、".join(rng.sample(PRODUCTS[chain], rng.choice((1, 2, 3)))),
                person(rng),
                phone(rng),
            ]
            kind = "row"
            if rng.random() < BAD_SHARE and not clean:
                spoil(rng, row, rng.choice(BAD_KINDS))
                kind = "bad"
            if counter is not None:
                counter[kind] += 1
            yield kind, row
        if clean:
            continue
        if counter is not None:
            counter["subtotal"] += 1
        yield "subtotal", ["", f"{full}小计", "", "", "", f"{count}家", "", "", "", ""]
    if clean:
        return
    if counter is not None:
        counter["total"] += 1
    yield "total", ["", "合计", "", "", "", f"{n}家", "", "", "", ""]


NOTES = [
    "注：1. 产值为2025年全年数；2. 规上企业指年主营业务收入2000万元及以上的工业企业。",
    "填报人：王晓东        审核人：李建国        联系电话：0356-2021234",
]


def write(path: Path, n: int, seed: int = 11, clean: bool = False) -> Counter:
    """Write the ledger; returns the counts of each kind of line."""
    import xlsxwriter

    counter: Counter = Counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("企业台账")
    bold = workbook.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1})
    title = workbook.add_format({"bold": True, "font_size": 16, "align": "center"})
    last = len(HEADER) - 1
    sheet.merge_range(0, 0, 0, last, TITLE, title)
    sheet.merge_range(1, 0, 1, last, UNIT)
    column = 0
    for group, width in GROUPS:  # two-row header: groups over columns, 序号 merged down
        if width == 1:
            sheet.merge_range(2, column, 3, column, HEADER[column], bold)
        else:
            sheet.merge_range(2, column, 2, column + width - 1, group, bold)
            for offset in range(width):
                sheet.write_string(3, column + offset, HEADER[column + offset], bold)
        column += width
    line = 4
    for _kind, cells in rows(n, seed, counter, clean):
        for index, value in enumerate(cells):
            if value == "":
                continue
            if isinstance(value, int | float):
                sheet.write_number(line, index, value)
            else:
                sheet.write_string(line, index, value)
        line += 1
    line += 1  # a blank line, then the notes
    for note in NOTES:
        sheet.write_string(line, 0, note)
        line += 1
    workbook.close()
    return counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--clean", action="store_true", help="codes, full chain names, no bad or subtotal rows"
    )
    args = parser.parse_args()
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chainboard.settings")
    django.setup()  # enterprises.uscc computes the check characters
    path = args.out or ROOT / "bench" / "data" / f"ledger-{args.n}.xlsx"
    counts = write(path, args.n, args.seed, args.clean)
    print(f"{path}: {path.stat().st_size / 1024 / 1024:.1f} MiB, {dict(counts)}")


if __name__ == "__main__":
    main()
