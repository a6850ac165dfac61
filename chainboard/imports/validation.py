"""Each row through the entity's own form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from chainboard.imports.lookups import _Lookup
from chainboard.imports.mapping import Spec


class RowValidator:
    """The entity's own form, validating one row after another through its public steps
    (``full_clean``: each field's ``clean`` and ``clean_<name>``, the form's ``clean``, the instance
    built from the cleaned data, the model's ``full_clean``).

    The form is a subclass of the entity's form (:func:`import_form`) built once and re-bound per row
    (forms copy their fields when built, which costs more than validating a row). Its relation fields
    resolve through the file's :class:`_Lookup` (one query per column, not per row), and the model does
    not check those again (their foreign keys are left out of its validation: the lookup proved that
    each related row exists and is one the user may pick). Uniqueness is checked in bulk by the
    importer, so the form's per-row unique queries are switched off.
    ``test_imports.test_row_validator_agrees_with_the_form`` holds it to the entity's form as the web
    page uses it.
    """

    def __init__(self, spec: Spec, lookups: dict[str, _Lookup]):
        self.spec = spec
        resolved = [n for n in lookups if not spec.columns[n].many]
        form = self.form = import_form(type(spec.form), resolved)(user=spec.user)
        for name, lookup in lookups.items():
            form.fields[name] = ResolvedField(lookup, form.fields[name], many=spec.columns[name].many)
        form.order_fields(list(spec.form.fields))  # as the entity's form has them

    def validate(self, data: dict, instance: models.Model) -> forms.BaseForm:
        form = self.form
        form.data = data
        form.files = {}
        form.is_bound = True
        form.instance = instance
        # The bound fields are kept from row to row: they read the new data when asked (only their
        # cached initial value, which cleaning does not use, would be stale).
        form.full_clean()
        return form


class _ImportFormMixin:
    resolved: list[str] = []  # the foreign keys the file's lookups resolve

    def clean(self):
        try:
            return super().clean()
        finally:
            # Meta.exclude keeps construct_instance from setting them: set here as it would (a second
            # construct_instance over every model field would cost a quarter of the row's check).
            cleaned, meta = self.cleaned_data, self.instance._meta
            for name in self.resolved:
                if name not in cleaned:
                    continue
                model_field, form_field = meta.get_field(name), self.fields[name]
                if (
                    model_field.has_default()
                    and form_field.widget.value_omitted_from_data(
                        self.data, self.files, self.add_prefix(name)
                    )
                    and cleaned[name] in form_field.empty_values
                ):
                    continue  # the model's default stays, as construct_instance leaves it
                model_field.save_form_data(self.instance, cleaned[name])

    def validate_unique(self) -> None:
        return None  # checked in bulk, for the whole file (Checking._check_unique)


def import_form(form_class: type[forms.ModelForm], resolved: list[str]) -> type[forms.ModelForm]:
    """``form_class`` as the importer validates with it: the foreign keys in ``resolved`` are set on the
    instance by the form's ``clean`` and left out of the model's validation (``Meta.exclude``), and
    ``validate_unique`` does nothing."""
    meta = type("Meta", (form_class.Meta,), {"exclude": [*(form_class._meta.exclude or ()), *resolved]})
    # Model fields in Meta.exclude would leave the form: kept as the entity's form has them (the
    # validator replaces them by resolved fields once the form is built).
    kept = {name: form_class.base_fields[name] for name in resolved if name in form_class.base_fields}
    attrs = {"Meta": meta, "resolved": resolved, "__module__": __name__, **kept}
    return type(form_class)(f"Import{form_class.__name__}", (_ImportFormMixin, form_class), attrs)


class ResolvedField(forms.Field):
    """A relation column: its value (primary key, code or name) resolved through the file's lookup.
    It says "required" as the entity's field says it."""

    def __init__(self, lookup: _Lookup, original: forms.Field, *, many: bool):
        kept = ("required", "widget", "label", "help_text", "error_messages", "disabled")
        super().__init__(**{name: getattr(original, name) for name in kept})
        self.lookup = lookup
        self.many = many

    def clean(self, value):
        values = value if isinstance(value, list) else ([] if value in (None, "") else [value])
        if not values and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        found = [self.lookup.resolve(str(v)) for v in values]
        return found if self.many else (found[0] if found else None)


@dataclass
class _CheckContext:
    """What checking a row needs besides the row: built once per file."""

    validator: RowValidator
    lookups: dict[str, _Lookup]
    form_fields: list[str]  # the form's fields a record's current values fill (updates)
    index_of: dict[str, int]  # field name -> the file's column
    new: Callable[[], models.Model]  # a new record (bulkwrite.builder)
