"""Declarative list tables: columns, how to sort by them, and what to fetch in one query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Prefetch
from django.utils.html import format_html


@dataclass
class Column:
    name: str  # attribute path on the row, dotted ("region.name"), or a key of Table.render_<name>
    label: Any = None
    order_by: str | None = None  # ORM field to sort by; None: not sortable
    link: bool = False  # link the cell to the row's detail page
    render: Callable[[Any], Any] | None = None

    def value(self, row: Any) -> Any:
        if self.render is not None:
            return self.render(row)
        value: Any = row
        for part in self.name.split("."):
            if value is None:
                return None
            display = getattr(value, f"get_{part}_display", None)
            value = display() if callable(display) else getattr(value, part, None)
            if callable(value) and not isinstance(value, models.Manager):
                value = value()
        return value


@dataclass
class Table:
    columns: list[Column]
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[Any, ...] = ()
    default_order: tuple[str, ...] = ("-id",)
    sample_badge: bool = True
    extra: dict = field(default_factory=dict)

    def labels(self, model: type[models.Model]) -> list[Any]:
        labels = []
        for column in self.columns:
            if column.label is not None:
                labels.append(column.label)
                continue
            try:
                labels.append(model._meta.get_field(column.name.split(".")[0]).verbose_name)
            except Exception:  # noqa: BLE001 - a computed column without a model field
                labels.append(column.name)
        return labels

    def orderings(self) -> dict[str, str]:
        return {c.name: c.order_by for c in self.columns if c.order_by}

    def prepare(self, queryset: models.QuerySet, user=None) -> models.QuerySet:
        """The queryset with what the columns read joined or prefetched. Given the reader, prefetched
        related rows are limited to those the reader may see too (an enterprise's memberships on a
        chain outside the reader's scope do not show in its row)."""
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*(self._scoped(p, user) for p in self.prefetch_related))
        return queryset

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
