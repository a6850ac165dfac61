"""Declarative list tables: columns, how to sort by them, and what to fetch in one query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Prefetch
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from chainboard import formatting
from chainboard.formatting import Measure, PerRow

SAMPLE_LABEL = _("Sample data")


def reads(*names: str):
    """Mark what a model's property, method or own ``get_<name>_display`` reads of its row (fields, a
    foreign key, a foreign key's column), when a table's column shows it: an export then computes it from
    those values alone, without a model instance per row (chainboard/exports.py)::

        @reads("light_rule", "light_params")
        def get_light_rule_display(self): ...
    """

    def mark(function):
        function.reads = names
        return function

    return mark


@dataclass
class Column:
    name: str  # attribute path on the row, dotted ("region.name"), or a key of Table.render_<name>
    label: Any = None
    order_by: str | None = None  # ORM field to sort by; None: not sortable
    link: bool = False  # link the cell to the row's detail page
    render: Callable[[Any], Any] | None = None
    # What ``render`` reads of its row: fields, foreign keys (the related row), foreign keys' columns
    # (``region_id``) or the table's display values. An export then reads them with ``values_list`` and
    # hands ``render`` a light row holding only these, once per distinct values; without it, the export
    # builds a model instance per row (chainboard/exports.py, docs/exports.md).
    reads: tuple[str, ...] | None = None

    def value(self, row: Any) -> Any:
        """The cell: a :class:`formatting.Quantity` for a number with a measure (the owning model's
        ``measures``), so that the screen shows 4.3亿元 and an export the number."""
        if self.render is not None:
            return formatting.shown(self.render(row))
        value: Any = row
        owner: Any = None
        for part in self.name.split("."):
            if value is None:
                return None
            owner = value
            display = getattr(value, f"get_{part}_display", None)
            value = display() if callable(display) else getattr(value, part, None)
            if callable(value) and not isinstance(value, models.Manager):
                value = value()
        return formatting.shown(value, formatting.measure_of(owner, part))

    def measures(self, model: type[models.Model]) -> tuple[Measure, ...]:
        """Every measure this column's values may have (none: not a measured number)."""
        if self.render is not None:
            return ()
        *path, last = self.name.split(".")
        for part in path:
            try:
                model = model._meta.get_field(part).related_model
            except Exception:  # noqa: BLE001 - a computed attribute: no model to ask
                return ()
            if model is None:
                return ()
        measure = formatting.declared(model, last)
        if isinstance(measure, PerRow):
            units: dict[str, Measure] = {}
            for option in measure.options:  # one export column per unit
                units.setdefault(str(option.unit), option)
            return tuple(units.values())
        return (measure,) if measure is not None else ()


@dataclass
class Table:
    columns: list[Column]
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[Any, ...] = ()
    default_order: tuple[str, ...] = ("-id",)
    sample_badge: bool = True
    extra: dict = field(default_factory=dict)

    def visible(self, model: type[models.Model], user) -> Table:
        """This table without the columns of ``model``'s confidential fields hidden from ``user``
        (chainboard/confidential.py): the same table when none are."""
        from chainboard import confidential

        hidden = confidential.hidden_fields(user, model)
        if not hidden:
            return self
        columns = [c for c in self.columns if c.render is not None or c.name.split(".")[0] not in hidden]
        return Table(
            columns=columns,
            select_related=self.select_related,
            prefetch_related=self.prefetch_related,
            default_order=self.default_order,
            sample_badge=self.sample_badge,
            extra=self.extra,
        )

    def labels(self, model: type[models.Model]) -> list[Any]:
        """The screen's headings; a measured column's unit is left out (its values carry it)."""
        labels = []
        for column in self.columns:
            label = self._label(model, column)
            labels.append(formatting.bare_label(label) if column.measures(model) else label)
        return labels

    @staticmethod
    def _label(model, column: Column) -> Any:
        if column.label is not None:
            return column.label
        try:
            return model._meta.get_field(column.name.split(".")[0]).verbose_name
        except Exception:  # noqa: BLE001 - a computed column without a model field
            return column.name

    def has_sample_flag(self, model: type[models.Model]) -> bool:
        return any(f.name == "is_sample" for f in model._meta.concrete_fields)

    def export_labels(self, model: type[models.Model]) -> list[str]:
        """An export's headings: a measured column carries its unit (产值（元）), one column per unit when
        rows differ in unit; a model with the flag ends with a 示例数据 column."""
        labels = []
        for column in self.columns:
            label = self._label(model, column)
            measures = column.measures(model)
            labels.extend([m.heading(label) for m in measures] if measures else [str(label)])
        if self.has_sample_flag(model):
            labels.append(str(SAMPLE_LABEL))
        return labels

    def export_row(self, model: type[models.Model], obj: Any, sample_flag: bool) -> list[Any]:
        """One row of an export: numbers as numbers, each in its unit's column."""
        cells: list[Any] = []
        for column, measures in self._column_measures(model):
            value = column.value(obj)
            if len(measures) > 1:
                unit = str(value.measure.unit) if isinstance(value, formatting.Quantity) else None
                cells.extend(value.number if unit == str(m.unit) else None for m in measures)
            elif isinstance(value, formatting.Quantity):
                cells.append(value.number)
            else:
                cells.append(value)
        if sample_flag:
            cells.append(bool(obj.is_sample))
        return cells

    def _column_measures(self, model: type[models.Model]) -> list[tuple[Column, tuple[Measure, ...]]]:
        """Each column with its measures, worked out once per model (an export asks for every row)."""
        cache = self.__dict__.setdefault("_measures_by_model", {})
        if model not in cache:
            cache[model] = [(column, column.measures(model)) for column in self.columns]
        return cache[model]

    def orderings(self) -> dict[str, str]:
        return {c.name: c.order_by for c in self.columns if c.order_by}

    def prepare(self, queryset: models.QuerySet, user=None, *, display: bool = True) -> models.QuerySet:
        """The queryset with what the columns read joined or prefetched. Given the reader, prefetched
        related rows are limited to those the reader may see too (an enterprise's memberships on a
        chain outside the reader's scope do not show in its row).

        ``display=False`` leaves out the :meth:`display_values`: a list page adds them to the rows of its
        page only (:meth:`fill`), after the page is cut, so that no per-row subquery runs over every
        match before ``LIMIT``; an export, which reads every row, keeps them in its one query."""
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*(self._scoped(p, user) for p in self.prefetch_related))
        if display and (values := self.display_values(user)):
            queryset = queryset.annotate(**values)
        return queryset

    def display_values(self, user=None) -> dict[str, Any]:
        """Values the columns show that the database computes per row, as annotations on the model
        (``{"region_name": Subquery(…)}``): a region's name, an enterprise's chains as one string. None
        by default."""
        return {}

    def fill(self, objects, user=None) -> list:
        """The rows ``objects`` (a page) with their :meth:`display_values`, read in one query for all of
        them by primary key (none when the table declares none or the page is empty)."""
        objects = list(objects)
        values = self.display_values(user)
        if not values or not objects:
            return objects
        model = type(objects[0])
        found = {
            row[0]: row[1:]
            for row in model._base_manager.filter(pk__in=[o.pk for o in objects])
            .annotate(**values)
            .values_list("pk", *values)
        }
        missing = (None,) * len(values)
        for obj in objects:
            for name, value in zip(values, found.get(obj.pk, missing), strict=True):
                setattr(obj, name, value)
        return objects

    @staticmethod
    def _scoped(lookup, user):
        if user is None or not isinstance(lookup, Prefetch) or not hasattr(lookup.queryset, "restrict"):
            return lookup
        return Prefetch(
            lookup.prefetch_through, queryset=lookup.queryset.restrict(user, "view"), to_attr=lookup.to_attr
        )

    def rows(self, objects) -> list[dict]:
        out = []
        for obj in objects:
            cells = []
            for column in self.columns:
                value = column.value(obj)
                if column.link:
                    value = format_html(
                        '<a href="{}">{}</a>',
                        obj.get_absolute_url(),
                        value if value not in (None, "") else "—",
                    )
                cells.append(value)
            out.append({"object": obj, "cells": cells})
        return out
