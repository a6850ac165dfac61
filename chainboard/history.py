"""Audit changes for people: related records by name, lists of names, 是/否, "—" for empty.

Related names are fetched with one query per related model for the whole page, so a history page's
query count does not grow with the number of entries shown.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from chainboard import formatting
from chainboard.actions import field_label, model_field
from chainboard.audit import diff


def _measure(model, name: str, entry) -> formatting.Measure | None:
    """The field's measure; one the row decides (PerRow) is picked from the entry's own snapshot."""
    measure = formatting.declared(model, name) if model is not None else None
    if isinstance(measure, formatting.PerRow):
        try:
            return measure.pick(SimpleNamespace(**(entry.after or entry.before or {})))
        except (AttributeError, ValueError):
            return None
    return measure


def _label(model, name: str, measure) -> str:
    if model is None:
        return name
    label = field_label(model, name)
    return formatting.bare_label(label) if measure is not None else label  # the value carries the unit


def humanise(entries) -> list[list[tuple[str, Any, Any]]]:
    """For each audit entry, its changes as (field label, old, new) ready to show."""
    raw = []
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for entry in entries:
        model = entry.content_type.model_class()
        excluded = set(getattr(model, "audit_exclude", ()))
        changes = []
        for name, (old, new) in diff(entry.before, entry.after).items():
            if name in excluded:
                continue
            field = model_field(model, name)
            changes.append((field, name, _measure(model, name, entry), old, new))
            if field is not None and field.is_relation and field.related_model is not None:
                for value in (old, new):
                    for pk in value if isinstance(value, list) else [value]:
                        if pk not in (None, ""):
                            wanted[field.related_model].add(pk)
        raw.append((model, changes))
    names: dict[type[models.Model], dict[str, str]] = {}
    for related, pks in wanted.items():
        names[related] = {str(o.pk): str(o) for o in related._base_manager.filter(pk__in=pks)}

    def show(field, value, measure=None):
        if value in (None, "", []):
            return "—"
        if measure is not None or isinstance(field, models.DecimalField):
            try:  # 4.3亿元, 6户 (docs/formatting.md)
                return str(formatting.shown(Decimal(str(value)), measure))
            except InvalidOperation:
                return value
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if field is not None and field.is_relation and field.related_model in names:
            lookup = names[field.related_model]
            if isinstance(value, list):
                return "、".join(lookup.get(str(v), f"#{v}") for v in value)
            return lookup.get(str(value), f"#{value}")
        if field is not None and getattr(field, "choices", None):
            return dict(field.flatchoices).get(value, value)
        return value

    out = []
    for model, changes in raw:
        out.append(
            [
                (_label(model, name, m), show(field, old, m), show(field, new, m))
                for field, name, m, old, new in changes
            ]
        )
    return out
