"""Cell text as the form expects it: numbers with units, booleans, choices, lists, codes, phones.

Offices type figures the way they read them: full-width digits (３００), thousands separators
(1,234.5), a unit in the cell (1.2亿, 300万元) or in the header (产值（万元）). Numbers, codes and phone
numbers are normalised with Unicode NFKC (full-width digits and punctuation to their ASCII forms);
names and other text are kept as typed (a company's full-width brackets are part of its name).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from chainboard.imports.mapping import Column

NUMBER_BLANKS = {"—", "－", "-", "--", "/", "／", "——", "无", "空"}
TRUE_WORDS = {"1", "true", "yes", "y", "t", "是", "√", "✓", "✔", "☑", "有", "对", "规上"}
FALSE_WORDS = {"0", "false", "no", "n", "f", "否", "×", "✗", "✘", "x", "无", "空", "不是", "规下"}
# Kept for callers that split on every separator; lists are split by :func:`split_list`.
LIST_SPLIT = re.compile(r"\s*[;；,，、|\n]\s*")
LIST_SEPARATORS = set(";；,，、|\n")
OPENING, CLOSING = "(（[【《〔{", ")）]】》〕}"
# A unit written after a number: the multiplier into the stored unit (yuan, for money).
CELL_UNITS = {"亿元": 100_000_000, "万元": 10_000, "千元": 1_000, "元": 1, "亿": 100_000_000, "万": 10_000}
_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(亿元|万元|千元|元|亿|万)?$")
# Excel shows a number of more than 11 digits in scientific notation and keeps only 15 significant
# digits: 914405000000000000 becomes 9.14405E+17 and the code's last digits are gone for good.
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?e\+?(\d{1,2})$", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u3000]+")
# 2024年3月1日, 2024.3.1, 2024/03/01 (after NFKC): the date as the form reads it, 2024-03-01.
_DATE = re.compile(r"^(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$")


def nfkc(text: str) -> str:
    """Full-width digits, letters and punctuation as their ASCII forms (１２３，４ -> 123,4)."""
    return unicodedata.normalize("NFKC", text) if not text.isascii() else text


def split_list(text: str) -> list[str]:
    """The values of a list cell: split on 、 ， , ； ; | and new lines, but never inside brackets, so
    that a descriptive value such as "纺织（缫丝、织造、印染）" stays one value."""
    out, current, depth = [], [], 0
    for ch in text:
        if ch in OPENING:
            depth += 1
        elif ch in CLOSING and depth:
            depth -= 1
        elif ch in LIST_SEPARATORS and depth == 0:
            out.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    out.append("".join(current).strip())
    return [v for v in out if v]


def excel_lost_digits(text: str) -> bool:
    """Is ``text`` a long number Excel wrote in scientific notation (9.14405E+17)? Such a cell can only
    be a code or phone number typed into a column formatted as a number: its last digits are lost."""
    match = _SCIENTIFIC.match(text.strip())
    return bool(match) and int(match.group(1)) >= 10


def excel_zeroed_digits(text: str) -> bool:
    """A code of 16 to 20 digits whose digits past the 15th are all zero: what is left of a long code
    after Excel stored it as a number (914405000000000000). Only a code that is wrong anyway is taken
    for one (see :func:`excel_code_message`)."""
    text = text.strip()
    return text.isdigit() and 16 <= len(text) <= 20 and set(text[15:]) == {"0"} and len(text) - 15 >= 3


def excel_code_message() -> str:
    return _(
        "Excel stored the code as a number and lost its last digits; format the column as text "
        "(设置单元格格式→文本) and type the codes again."
    )


def normalise_code(text: str) -> str:
    """A code (USCC, division code, ID) as typed but in ASCII, without spaces."""
    return _SPACES.sub("", nfkc(text))


def normalise_phone(text: str) -> str:
    """A phone number kept as typed (+86 356 …, 0356-1234567 转 8), in ASCII with single spaces."""
    return _SPACES.sub(" ", nfkc(text)).strip()


def parse_number(text: str, factor: int = 1, *, money: bool = False) -> str:
    """A number as the form expects it: "" for a blank, the digits otherwise; ``factor`` is the column's
    unit from its header, which a unit in the cell overrides. Text that is not a number is returned
    as it is, for the form to name the problem."""
    text = _SPACES.sub("", nfkc(text))
    if text in NUMBER_BLANKS or not text:
        return ""
    plain = text.replace(",", "").replace("_", "")
    match = _NUMBER.match(plain)
    if match is None:
        return text
    digits, unit = match.groups()
    if unit is not None:
        if "元" in unit and not money:
            return text
        factor = CELL_UNITS[unit]
    if factor == 1:
        return digits
    try:
        value = Decimal(digits) * factor
    except InvalidOperation:
        return text
    if money:
        return str(value.quantize(Decimal("0.01")))
    return format(value.normalize(), "f")


def parse_date(text: str) -> str:
    """A date as offices type it (2024年3月1日, ２０２４．３．１, 2024/3/1) in ISO form; other text as it is."""
    text = nfkc(text).strip()
    match = _DATE.match(text)
    if match is None:
        return text
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def parse_boolean(text: str) -> str:
    word = _SPACES.sub("", nfkc(text)).lower()
    if word in TRUE_WORDS:
        return "true"
    if word in FALSE_WORDS or word == "":
        return "false"
    raise ValidationError(_("Enter 是 or 否 (yes or no)."))


def convert(column: Column, text: str, factor: int = 1):
    """The raw text as the form expects it (``factor``: the money unit of the column's header)."""
    if column.many:
        return split_list(text)
    if column.boolean:
        return parse_boolean(text)
    if column.choices and text:
        key = text.strip().lower()
        return column.choices.get(key) or column.choices.get(nfkc(key), text)
    if column.numeric:
        return parse_number(text, factor, money=column.money)
    if column.kind == "date":
        return parse_date(text)
    if excel_lost_digits(text):  # a code or a phone number (1.39123E+10) alike
        raise ValidationError(excel_code_message(), code="excel_number")
    if column.kind == "phone":
        return normalise_phone(text)
    if column.kind == "code":
        return normalise_code(text)
    return text
