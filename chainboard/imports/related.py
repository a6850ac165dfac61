"""Wide ledgers: one file that fills its entity and records of related entities in the same import.

An enterprise ledger carries 产值, 规上, 联系人, 电话 and 主要产品 beside the name and code. The entity's
ViewSet declares which related entities a ledger may fill (``import_related``, a tuple of
:class:`RelatedImport`) and how each is found again on a re-import; a column then maps to
``<entity>.<field>`` (``indicator.output_value``) as it maps to one of the entity's own fields.

A period (indicators) and a year (above-size status) are chosen once for the whole file, on the mapping
step or on the command line (``--period annual:2025``): ledgers do not carry them in a column.

This module holds the declaration, the columns a related entity offers, the default mapping of a
file's headers to them, the file's period, and what each column of a file becomes (the preview's
column table, with the columns that are ignored). Checking and writing the related rows is
``chainboard.imports.relatedrows``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from chainboard.imports.headers import IGNORED_HEADERS, normalise_header
from chainboard.imports.mapping import Column, Spec, _labels
from chainboard.imports.outcome import ImportError_
from chainboard.periods import PeriodType, period_label, validate_period


@dataclass(frozen=True, eq=False)  # compared and hashed as the one declaration it is
class RelatedImport:
    """A record of another entity that each row of a ledger may also fill.

    ``parent`` is the related model's foreign key to the imported entity. With the parent, ``key``
    finds the record again on a re-import (a contact by its name); a ``period`` entity is also keyed by
    the file's period, a ``year`` entity by the file's year. ``split`` names a field whose cell lists
    several records ("丝绸、真丝围巾" is two products). ``aliases`` are header texts per field, beside
    the field's own labels and the model's ``import_aliases``.
    """

    model: type[models.Model]
    parent: str
    fields: tuple[str, ...]
    key: tuple[str, ...] = ()
    period: bool = False
    year: bool = False
    split: str = ""
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return self.model._meta.model_name

    def fixed_names(self) -> tuple[str, ...]:
        if self.period:
            return ("period_type", "year", "month")
        if self.year:
            return ("year",)
        return ()


@dataclass
class FilePeriod:
    """The period a file's indicators are for, and the year of its above-size statuses."""

    period_type: str = ""
    year: int | None = None
    month: int | None = None
    status_year: int | None = None

    @property
    def chosen(self) -> bool:
        return bool(self.period_type) and self.year is not None

    def fixed(self, related: RelatedImport) -> dict[str, Any]:
        if related.period:
            return {"period_type": self.period_type, "year": self.year, "month": self.month}
        if related.year:
            return {"year": self.status_year if self.status_year is not None else self.year}
        return {}

    def label(self, related: RelatedImport) -> str:
        if related.period and self.chosen:
            if self.period_type == PeriodType.YEAR:
                return _("%(year)s annual") % {"year": self.year}
            return period_label(self.period_type, self.year, self.month)
        if related.year:
            year = self.status_year if self.status_year is not None else self.year
            return _("year %(year)s") % {"year": year} if year is not None else ""
        return ""

    def as_options(self) -> dict:
        return {
            "period_type": self.period_type,
            "year": self.year,
            "month": self.month,
            "status_year": self.status_year,
        }

    @classmethod
    def from_options(cls, options: dict | None) -> FilePeriod:
        options = options or {}
        return cls(
            period_type=options.get("period_type") or "",
            year=options.get("year"),
            month=options.get("month"),
            status_year=options.get("status_year"),
        )


PERIOD_WORDS = {
    "annual": PeriodType.YEAR,
    "year": PeriodType.YEAR,
    "yearly": PeriodType.YEAR,
    "年": PeriodType.YEAR,
    "年度": PeriodType.YEAR,
    "month": PeriodType.MONTH,
    "monthly": PeriodType.MONTH,
    "月": PeriodType.MONTH,
    "月度": PeriodType.MONTH,
    "ytd": PeriodType.YTD,
    "累计": PeriodType.YTD,
}
_PERIOD = re.compile(r"^\s*([^:：]+)[:：]\s*(\d{4})(?:\s*[-/.:]\s*(\d{1,2}))?\s*$")


def parse_period(text: str, status_year: int | None = None) -> FilePeriod:
    """ "annual:2025", "month:2025-03", "ytd:2025-06" as a :class:`FilePeriod` (the command line)."""
    match = _PERIOD.match(text or "")
    kind = PERIOD_WORDS.get(match.group(1).strip().lower()) if match else None
    if kind is None:
        raise ImportError_(
            _("Give the period as annual:2025, month:2025-03 or ytd:2025-06, not %(value)s.")
            % {"value": text}
        )
    period = FilePeriod(
        kind, int(match.group(2)), int(match.group(3)) if match.group(3) else None, status_year
    )
    problems = validate_period(period.period_type, period.year, period.month)
    if problems:
        raise ImportError_(" ".join(problems.values()))
    return period


def period_problems(period: FilePeriod) -> list[str]:
    """What is wrong with a period chosen on the mapping step (empty when it is well formed)."""
    problems = list(validate_period(period.period_type, period.year, period.month).values())
    if period.period_type not in PeriodType.values:
        problems.insert(0, _("Choose the period type of the figures."))
    if period.status_year is not None and not 1949 <= period.status_year <= 2100:
        problems.append(_("Enter a year between 1949 and 2100."))
    return problems


_YUAN = re.compile(r"\s*[(（](元|yuan)[)）]\s*$")


@dataclass
class RelatedColumn:
    """A field of a related entity that a file column can fill: ``indicator.output_value``."""

    name: str  # "indicator.output_value"
    related: RelatedImport
    field: str  # "output_value"
    column: Column  # the field as the related entity's own import sees it (form field, unit, choices)
    entity_label: str
    field_label: str

    @property
    def label(self) -> str:
        if self.field_label == self.entity_label:
            return self.entity_label
        return f"{self.entity_label}·{self.field_label}"

    def destination(self, period: FilePeriod) -> str:
        """Where the column goes, as the preview shows it: 经济指标·产值（2025年度）."""
        when = period.label(self.related)
        return f"{self.label}（{when}）" if when else self.label


def related_of(viewset) -> tuple[RelatedImport, ...]:
    return tuple(getattr(viewset, "import_related", ()) or ())


class RelatedSpec:
    """The related columns a ledger of ``viewset`` may fill, as ``user``'s forms have them."""

    def __init__(self, viewset, user):
        from chainboard.views.generic import viewset_for

        self.user = user
        self.related = related_of(viewset)
        self.specs: dict[str, Spec] = {}
        self.columns: dict[str, RelatedColumn] = {}
        self._by_header: dict[str, str] = {}
        for related in self.related:
            spec = self.specs[related.prefix] = Spec(viewset_for(related.model), user)
            entity_label = str(related.model._meta.verbose_name)
            for name in related.fields:
                column = spec.columns.get(name)
                if column is None:  # the user's form does not have it
                    continue
                model_field = related.model._meta.get_field(name)
                label = _YUAN.sub("", str(model_field.verbose_name))
                full = f"{related.prefix}.{name}"
                self.columns[full] = RelatedColumn(full, related, name, column, entity_label, label)
                texts = [*related.aliases.get(name, ())]
                texts += getattr(related.model, "import_aliases", {}).get(name, ())
                texts += _labels(model_field.verbose_name) if name not in related.key else []
                for text in texts:
                    self._by_header.setdefault(normalise_header(text)[0], full)

    @property
    def needs_period(self) -> bool:
        return any(r.period for r in self.related)

    @property
    def needs_year(self) -> bool:
        return any(r.year for r in self.related)

    def match(self, header: str) -> str | None:
        return self._by_header.get(normalise_header(header)[0])

    def template_headers(self) -> list[tuple[RelatedColumn, str]]:
        """Each related column with the header an import template gives it: the first alias a ledger
        uses (联系人, 电话, 主要产品), a money field in 万元 as the entity's own; each maps back on import."""
        out = []
        for column in self.columns.values():
            related, name = column.related, column.field
            aliases = related.aliases.get(name) or getattr(related.model, "import_aliases", {}).get(name)
            header = aliases[0] if aliases else column.field_label
            if column.column.money:
                header = f"{header}（万元）"
            out.append((column, header))
        return out

    def default_mapping(
        self, headers: list[str], mapping: dict[str, str], remembered: dict[str, str] | None = None
    ) -> dict[str, str]:
        """The related fields for the columns the entity's own mapping left out (the user's last
        choice for the same header first), added to a copy of ``mapping``."""
        remembered = remembered or {}
        out = dict(mapping)
        used = set(mapping.values())
        for index, header in enumerate(headers):
            if not header or str(index) in out:
                continue
            key = normalise_header(header)[0]
            name = (
                remembered[key]
                if key in remembered
                else (None if key in IGNORED_HEADERS else self.match(header))
            )
            if name and name in self.columns and name not in used:
                out[str(index)] = name
                used.add(name)
        return out


def column_plan(
    spec: Spec, related: RelatedSpec, headers: list[str], mapping: dict[str, str], period: FilePeriod
) -> list[dict]:
    """Each column of the file and where it goes: {"index", "header", "destination"} ("" = ignored)."""
    plan = []
    last = max((i for i, h in enumerate(headers) if h), default=-1)
    for index, header in enumerate(headers):
        name = mapping.get(str(index), "")
        if name in spec.columns:
            destination = f"{spec.model._meta.verbose_name}·{spec.columns[name].label}"
        elif name in related.columns:
            destination = related.columns[name].destination(period)
        else:
            destination = ""
        if not header and not destination and index > last:
            continue  # the empty columns a spreadsheet reports after the last one in use
        title = header or _("column %(n)s") % {"n": index + 1}
        plan.append({"index": index, "header": title, "destination": destination})
    return plan
