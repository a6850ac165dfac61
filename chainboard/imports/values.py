"""Cell text as the form expects it: numbers with units, booleans, choices, lists."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from chainboard.imports.mapping import Column

NUMBER_BLANKS = {"—", "－", "-", "--", "/", "／", "——"}
TRUE_WORDS = {"1", "true", "yes", "y", "是", "√", "✓", "有", "t"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "×", "无", "f"}
LIST_SPLIT = re.compile(r"\s*[;；,，、|\n]\s*")


def convert(column: Column, text: str, factor: int = 1):
    """The raw text as the form expects it (``factor``: the money unit of the column's header)."""
    if column.many:
        return [v for v in LIST_SPLIT.split(text) if v]
    if column.boolean:
        word = text.strip().lower()
        if word in TRUE_WORDS:
            return "true"
        if word in FALSE_WORDS or word == "":
            return "false"
        raise ValidationError(_("Enter 是 or 否 (yes or no)."))
    if column.choices and text:
        return column.choices.get(text.strip().lower(), text)
    if column.numeric:
        if text in NUMBER_BLANKS:
            return ""
        text = text.replace(",", "").replace("，", "")
        if column.money and factor != 1 and text:
            try:
                return str((Decimal(text) * factor).quantize(Decimal("0.01")))
            except InvalidOperation:
                return text
    return text
