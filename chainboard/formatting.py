"""Numbers in Chinese typesetting (rules.md): 4.3亿元, 92万元, 6户 — no space between number and unit."""

from __future__ import annotations

from decimal import Decimal

YI = Decimal("100000000")
WAN = Decimal("10000")


def _trim(value: Decimal, places: int) -> str:
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def yuan(value) -> str:
    """Money stored in yuan, shown in 亿元 or 万元 where that reads better; None is unknown: "—"."""
    if value in (None, ""):
        return "—"
    amount = Decimal(value)
    if abs(amount) >= YI:
        return f"{_trim(amount / YI, 2)}亿元"
    if abs(amount) >= WAN:
        return f"{_trim(amount / WAN, 2)}万元"
    return f"{_trim(amount, 2)}元"


def count(value, unit: str = "户") -> str:
    if value in (None, ""):
        return "—"
    return f"{_trim(Decimal(value), 2)}{unit}"
