"""Relation columns: a value (primary key, code or name) resolved to its record, in bulk."""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from chainboard.imports.mapping import Column
from chainboard.imports.outcome import CHUNK
from chainboard.imports.values import nfkc


def lookup_for(column: Column, values: set[str]) -> _Lookup:
    """The lookup of a relation column: the related model's own (``import_lookup``, a dotted path:
    regions resolve names as offices write them, chainboard/imports/regions.py), else by key or name."""
    path = getattr(column.related, "import_lookup", None)
    return (import_string(path) if path else _Lookup)(column, values)


class _Lookup:
    """Resolve a relation column's values (primary key, code or name) with one query per column.

    A value that finds nothing as typed is tried in its NFKC form (full-width digits and letters)
    and with the name suffixes the model declares (``import_name_suffixes``: 丝麻纺织服装 for
    丝麻纺织服装产业链); the value as typed wins when it finds something."""

    def __init__(self, column: Column, values: set[str]):
        self.column = column
        model = column.related
        queryset = column.form_field.queryset
        self.fields = list(getattr(model, "import_lookup_fields", None) or _default_lookup_fields(model))
        self.by_value: dict[str, list[models.Model]] = defaultdict(list)
        originals = self.wanted = {v for v in values if v}
        suffixes = getattr(model, "import_name_suffixes", ())
        variants = {}
        for value in originals:
            forms = {value, nfkc(value).strip()}
            forms |= {f + suffix for f in list(forms) for suffix in suffixes if not f.endswith(suffix)}
            variants[value] = forms
        values = set().union(*variants.values()) if variants else set()
        pk_name = model._meta.pk.name
        pk_field = model._meta.pk
        values_list = sorted(values)
        for start in range(0, len(values_list), CHUNK):
            chunk = values_list[start : start + CHUNK]
            condition = models.Q()
            pk_values = _typed(pk_field, chunk)
            if pk_values:
                condition |= models.Q(pk__in=pk_values)
            for name in self.fields:
                condition |= models.Q(**{f"{name}__in": chunk})
            if not condition:
                continue
            for obj in queryset.filter(condition):
                keys = {str(getattr(obj, pk_name))}
                keys |= {str(getattr(obj, name)) for name in self.fields if getattr(obj, name, None)}
                for key in keys & values:
                    if obj not in self.by_value[key]:
                        self.by_value[key].append(obj)
        for value, forms in variants.items():
            if value in self.by_value or len(forms) == 1:
                continue
            found = list(dict.fromkeys(o for f in sorted(forms) for o in self.by_value.get(f, ())))
            if found:
                self.by_value[value] = found
        for key in values - originals:
            self.by_value.pop(key, None)
        self.extra: dict[str, models.Model] = {}

    def missing(self) -> list[str]:
        """The values that find nothing."""
        return sorted(v for v in self.wanted if not self.by_value.get(v))

    def resolve(self, value: str) -> models.Model:
        found = self.by_value.get(value) or ([self.extra[value]] if value in self.extra else [])
        if not found:
            message = self.column.form_field.error_messages.get("invalid_choice", "")
            if "%(value)s" in message:
                raise ValidationError(message % {"value": value})
            raise ValidationError(
                _("%(value)s is not a %(what)s you may choose.")
                % {"value": value, "what": self.column.related._meta.verbose_name}
            )
        if len(found) > 1:
            by_pk = [o for o in found if str(o.pk) == value]
            if len(by_pk) == 1:
                return by_pk[0]
            codes = "、".join(str(o.pk) for o in found[:5]) + ("…" if len(found) > 5 else "")
            raise ValidationError(
                _("%(count)s %(what)s are called %(value)s; give the code instead (%(codes)s).")
                % {
                    "count": len(found),
                    "what": self.column.related._meta.verbose_name_plural,
                    "value": value,
                    "codes": codes,
                }
            )
        return found[0]


def _typed(field, texts) -> list:
    """The texts that ``field`` can hold, as its Python values (the others cannot match anything)."""
    out = []
    for text in texts:
        try:
            out.append(field.to_python(text))
        except ValidationError:
            continue
    return out


def _default_lookup_fields(model) -> list[str]:
    names = {f.name for f in model._meta.concrete_fields}
    return [n for n in ("code", "name") if n in names and n != model._meta.pk.name]
