"""Numbers, money and dates as people read them (docs/formatting.md).

A model says what its numbers are in ``measures``: ``{"output_value": MONEY, "employees": PEOPLE}``, or
:class:`PerRow` when the row decides (an official statistic is money or a count by its metric). Every
list, detail and export reads the declaration, so a new entity inherits the rules:

- on screen, Chinese typesetting with no space between number and unit (rules.md): 4.3亿元, 3100万元,
  6户, 12人; a count is an integer; a decimal without a measure loses its trailing zeros (never 6.00);
- in an export, the plain number (an XLSX money column can be summed) with the unit in the heading:
  产值（元）.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language, ngettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

YI = Decimal("100000000")
WAN = Decimal("10000")
MILLION = Decimal("1000000")
BILLION = Decimal("1000000000")
UNKNOWN = "—"


def _trim(value: Decimal, places: int) -> str:
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _grouped(value: Decimal, places: int) -> str:
    text = f"{value:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _chinese() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def plain(value) -> str:
    """A number without a unit: 6, 0.01, 112.85; never 6.00. Unknown: "—"."""
    if value in (None, ""):
        return UNKNOWN
    return _trim(Decimal(value), 6)


def yuan(value) -> str:
    """Money stored in yuan. Chinese: in 亿元 or 万元 where that reads better, at most two decimals and no
    thousands separator (a 万 or 亿 figure has at most four integer digits; Chinese groups by four).
    English: millions and billions of yuan. Unknown: "—"."""
    if value in (None, ""):
        return UNKNOWN
    amount = Decimal(value)
    if not _chinese():
        if abs(amount) >= BILLION:
            return _("%(n)s billion yuan") % {"n": _grouped(amount / BILLION, 2)}
        if abs(amount) >= MILLION:
            return _("%(n)s million yuan") % {"n": _trim(amount / MILLION, 2)}
        return _("%(n)s yuan") % {"n": _grouped(amount, 2)}
    if abs(amount) >= YI:
        yi = amount / YI
        return f"{_grouped(yi, 2) if abs(yi) >= WAN else _trim(yi, 2)}亿元"
    if abs(amount) >= WAN:
        return f"{_trim(amount / WAN, 2)}万元"
    return f"{_trim(amount, 2)}元"


def count(value, unit: str = "户") -> str:
    """A count with a Chinese measure word, no space: 6户. Prefer a :class:`Count` measure."""
    if value in (None, ""):
        return UNKNOWN
    return f"{_trim(Decimal(value), 2)}{unit}"


def iso(value) -> str:
    """A date or time for an export: ISO 8601 in local time (2026-12-04, 2026-12-04 14:05:09)."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value.isoformat()


# ---- measures ----------------------------------------------------------------------------------------


class Measure:
    """What a number is: how it reads on screen, and its unit in an export's heading."""

    unit: Any = ""  # the export heading's unit, translated: 元, 户, 人, %

    def screen(self, value) -> str:
        return plain(value)

    def number(self, value) -> int | float | None:
        if value in (None, ""):
            return None
        value = Decimal(value)
        return int(value) if value == value.to_integral_value() else float(value)

    def heading(self, label) -> str:
        return _("%(label)s (%(unit)s)") % {"label": bare_label(label), "unit": self.unit}


class Money(Measure):
    unit = pgettext_lazy("unit", "yuan")

    def screen(self, value) -> str:
        return yuan(value)


class Count(Measure):
    """A count with its measure word: ``Count(ngettext_lazy("%(n)s enterprise", "%(n)s enterprises", "n"),
    pgettext_lazy("unit", "enterprises"))``; zh msgstr "%(n)s户" (no space)."""

    def __init__(self, text, unit, scaled: bool = False) -> None:
        # scaled: an amount rather than a tally, read in 万 in Chinese past 10,000 (260万千瓦时).
        self.text, self.unit, self.scaled = text, unit, scaled

    def screen(self, value) -> str:
        if value in (None, ""):
            return UNKNOWN
        value = Decimal(value)
        if not _chinese():
            text = _grouped(value, 2)
        elif self.scaled and abs(value) >= WAN:
            return f"{_trim(value / WAN, 2)}万" + self.text % {"n": _Number(int(value), "")}
        else:
            text = _trim(value, 2)
        return self.text % {"n": _Number(int(value), text)}


class _Number(int):
    """An int for the plural rule that prints as its formatted text (12.5, 1,200)."""

    def __new__(cls, value: int, text: str):
        number = super().__new__(cls, value)
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text


MONEY = Money()
ENTERPRISES = Count(
    ngettext_lazy("%(n)s enterprise", "%(n)s enterprises", "n"), pgettext_lazy("unit", "enterprises")
)
PEOPLE = Count(ngettext_lazy("%(n)s person", "%(n)s people", "n"), pgettext_lazy("unit", "people"))
PROJECTS = Count(ngettext_lazy("%(n)s project", "%(n)s projects", "n"), pgettext_lazy("unit", "projects"))
PERCENT = Count(ngettext_lazy("%(n)s%%", "%(n)s%%", "n"), "%")
KWH = Count(ngettext_lazy("%(n)s kWh", "%(n)s kWh", "n"), pgettext_lazy("unit", "kWh"), scaled=True)
PLAIN = Measure()


@dataclass(frozen=True)
class PerRow:
    """A measure the row decides (``pick(row)``); ``options`` are every measure it may pick, so that an
    export can give each unit its own column."""

    pick: Callable[[Any], Measure]
    options: tuple[Measure, ...]


@dataclass(frozen=True)
class Quantity:
    """A value with its measure: ``str()`` is the screen text, ``number`` the export's cell."""

    value: Any
    measure: Measure

    def __str__(self) -> str:
        return self.measure.screen(self.value)

    @property
    def number(self) -> int | float | None:
        return self.measure.number(self.value)


_UNIT_SUFFIX = re.compile(r"\s*[（(][^（）()]*[)）]\s*$")


def bare_label(label) -> str:
    """A heading without its unit: 产值（元） -> 产值 (the values on screen carry their own unit)."""
    return _UNIT_SUFFIX.sub("", str(label))


def declared(model, name: str) -> Measure | PerRow | None:
    return getattr(model, "measures", {}).get(name)


def measure_of(obj, name: str) -> Measure | None:
    measure = declared(type(obj), name)
    if isinstance(measure, PerRow):
        return measure.pick(obj)
    return measure


def shown(value, measure: Measure | None = None):
    """A value ready for a cell: a Quantity when it is a number with a measure (or a bare decimal),
    None when unknown, else the value itself."""
    if value is None or value == "":
        return None
    if measure is not None:
        return Quantity(value, measure)
    if isinstance(value, Decimal):
        return Quantity(value, PLAIN)
    return value


def field_value(obj, name: str):
    """``obj.<name>`` as shown, its model's measure applied."""
    return shown(getattr(obj, name), measure_of(obj, name))
