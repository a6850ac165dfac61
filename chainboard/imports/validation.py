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
    """The entity's form, built once and re-bound per row (forms copy their fields when built, which
    costs more than validating a row). Relation fields resolve through :class:`_Lookup`; uniqueness
    is checked in bulk by the importer, so the form's per-row unique queries are switched off.

    :meth:`validate` runs the steps of ``ModelForm.full_clean`` (each field's ``clean`` and
    ``clean_<name>``, the form's ``clean``, the instance built from the cleaned data, the model's
    ``full_clean``) with what depends on the form alone worked out once here instead of once per row:
    which fields the model does not validate again, which fields the instance takes, each field's
    widget and hook. At 100,000 rows Django's per-row bookkeeping (bound fields, the exclusion and
    construction loops over every model field) cost more than the validation itself.
    ``test_imports.test_row_validator_agrees_with_the_form`` holds it to the form's results.
    """

    def __init__(self, spec: Spec, lookups: dict[str, _Lookup]):
        self.spec = spec
        form = self.form = spec.form  # its fields are the columns' (their cleaning is replaced below)
        form.validate_unique = lambda: None
        for name, lookup in lookups.items():
            form_field = form.fields[name]
            if spec.columns[name].many:
                form_field.clean = _many_cleaner(lookup, form_field)
            else:
                form_field.clean = _one_cleaner(lookup, form_field)
        # (name, field, widget, name in the data, clean_<name> hook, whether the field cleans its own
        # way: a file field compares with its initial value, so it goes through its bound field)
        self.plan = [
            (
                name,
                f,
                f.widget,
                form.add_prefix(name),
                getattr(form, f"clean_{name}", None),
                type(f)._clean_bound_field is not forms.Field._clean_bound_field,
            )
            for name, f in form.fields.items()
        ]
        # ModelForm._get_validation_exclusions, the parts that do not depend on the row. The lookups
        # already proved that each related row exists (and is one the user may pick): the model's own
        # check would ask the database again, once per row and field.
        meta = form._meta
        self.excluded = set(lookups)
        self.empty_excluded = []  # (name, form field): excluded when the cleaned value is empty
        self.model_fields = set()
        for f in form.instance._meta.fields:
            name = f.name
            self.model_fields.add(name)
            if (
                name not in form.fields
                or (meta.fields and name not in meta.fields)
                or (meta.exclude and name in meta.exclude)
            ):
                self.excluded.add(name)
            elif not f.blank and not form.fields[name].required:
                self.empty_excluded.append((name, form.fields[name]))
        self.excluded |= {
            n for n, f in form.fields.items() if isinstance(f, forms.models.InlineForeignKeyField)
        }
        # construct_instance: the model fields the form sets, file fields last.
        construct = [
            f
            for f in form.instance._meta.fields
            if f.editable
            and not isinstance(f, models.AutoField)
            and (meta.fields is None or f.name in meta.fields)
            and not (meta.exclude and f.name in meta.exclude)
        ]
        self.construct = [f for f in construct if not isinstance(f, models.FileField)]
        self.construct += [f for f in construct if isinstance(f, models.FileField)]
        # A form that changes these steps is run as it is, by full_clean.
        self.standard = (
            type(form)._post_clean is forms.BaseModelForm._post_clean
            and type(form)._clean_fields is forms.BaseForm._clean_fields
            and type(form)._get_validation_exclusions is forms.BaseModelForm._get_validation_exclusions
            and not form.empty_permitted
        )
        exclusions = form._get_validation_exclusions
        form._get_validation_exclusions = lambda: exclusions() | set(lookups)

    def validate(self, data: dict, instance: models.Model) -> forms.BaseForm:
        form = self.form
        form.data = data
        form.files = {}
        form.is_bound = True
        form.instance = instance
        if not self.standard:
            form._errors = None
            # The bound fields are kept from row to row: they read the new data when asked (only their
            # cached initial value, which cleaning does not use, would be stale).
            form.full_clean()
            return form
        form._errors = forms.utils.ErrorDict(renderer=form.renderer)
        cleaned = form.cleaned_data = {}
        for name, form_field, widget, html_name, hook, own_way in self.plan:
            try:
                if own_way:
                    cleaned[name] = form_field._clean_bound_field(form[name])
                elif form_field.disabled:
                    cleaned[name] = form_field.clean(form.get_initial_for_field(form_field, name))
                else:
                    cleaned[name] = form_field.clean(widget.value_from_datadict(data, form.files, html_name))
                if hook is not None:
                    cleaned[name] = hook()
            except ValidationError as exc:
                form.add_error(name, exc)
        form._clean_form()
        self._post_clean(form, instance)
        return form

    def _post_clean(self, form, instance: models.Model) -> None:
        cleaned = form.cleaned_data
        exclude = self.excluded | (form._errors.keys() & self.model_fields)
        for name, form_field in self.empty_excluded:
            if cleaned.get(name) in form_field.empty_values:
                exclude.add(name)
        try:
            for f in self.construct:
                name = f.name
                if name not in cleaned:
                    continue
                # Defaults stay for fields the row does not fill (checkboxes aside: see construct_instance).
                if (
                    f.has_default()
                    and form.fields[name].widget.value_omitted_from_data(
                        form.data, form.files, form.add_prefix(name)
                    )
                    and cleaned.get(name) in form.fields[name].empty_values
                ):
                    continue
                f.save_form_data(instance, cleaned[name])
        except ValidationError as exc:
            form._update_errors(exc)
        try:
            instance.full_clean(exclude=exclude, validate_unique=False)
        except ValidationError as exc:
            form._update_errors(exc)


def _one_cleaner(lookup: _Lookup, form_field) -> Callable:
    def clean(value):
        if value in (None, ""):
            if form_field.required:
                raise ValidationError(form_field.error_messages["required"], code="required")
            return None
        return lookup.resolve(str(value))

    return clean


def _many_cleaner(lookup: _Lookup, form_field) -> Callable:
    def clean(value):
        values = value if isinstance(value, list) else ([value] if value else [])
        if not values:
            if form_field.required:
                raise ValidationError(form_field.error_messages["required"], code="required")
            return []
        return [lookup.resolve(str(v)) for v in values]

    return clean


@dataclass
class _CheckContext:
    """What checking a row needs besides the row: built once per file."""

    validator: RowValidator
    lookups: dict[str, _Lookup]
    form_fields: list[str]  # the form's fields a record's current values fill (updates)
    index_of: dict[str, int]  # field name -> the file's column
    new: Callable[[], models.Model]  # a new record (bulkwrite.builder)
