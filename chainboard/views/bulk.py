"""Bulk edit: set one or more fields on many records of one kind at once, all or nothing.

The list offers a checkbox per row and "edit all N rows matching these filters"; this page shows how many
records are selected and the entity form's own fields, each with a tick box saying "change this one".
The change is applied record by record through ``actions.update`` (the same permission, scope,
validation, version check and audit row as the edit form) inside ONE transaction: if any record fails,
nothing is saved and every error is shown, naming the record and the field.

Each record's data is its current form data with the chosen fields overlaid (``chainboard.forms.form_data``,
as an API PATCH builds it), so its other fields stay as they are.

The page carries each record's version from when it was shown; a record saved by someone else meanwhile
stops the whole bulk edit (a conflict), as it would stop the edit form.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from chainboard import actions, scope, search
from chainboard.api import _form_fields
from chainboard.forms import LookupChoiceField, form_data
from chainboard.views.generic import EntityView
from chainboard.workflow import workflow_of

# At most this many records in one bulk edit: one transaction holds every row's lock and audit row, and
# the page carries every record's id and version.
BULK_EDIT_LIMIT = 1000
PREVIEW = 50  # records named on the page; the rest are counted


def bulk_field_names(model: type[models.Model], entity_form: forms.BaseForm) -> list[str]:
    """The entity form's fields that may be set on many records at once, in the form's order.

    Left out: many-to-many fields (setting one replaces each record's whole set, which is not "set this
    value"), fields that must be unique (one value cannot be right for two records), files, and hidden,
    disabled or form-only fields (a password).
    """
    names = []
    for name, field in entity_form.fields.items():
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if not getattr(model_field, "concrete", False) or model_field.many_to_many or model_field.unique:
            continue
        if isinstance(field, forms.FileField) or field.widget.is_hidden or field.disabled:
            continue
        if name == getattr(workflow_of(model), "field", None):
            continue  # a workflow's state moves by its transitions only (chainboard/workflow.py)
        names.append(name)
    return names


class BulkEditForm(forms.Form):
    """Which fields to change (``_fields``) and their new values, in copies of the entity form's fields.

    A field is validated only when it is chosen; the entity form then validates each record in full.
    """

    use_required_attribute = False  # a field is required only when it is chosen

    def __init__(self, *args, entity_form: forms.BaseForm, names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.names = names
        self.required_names: set[str] = set()
        self.fields["_fields"] = forms.MultipleChoiceField(
            choices=[(name, entity_form.fields[name].label or name) for name in names],
            widget=forms.CheckboxSelectMultiple,
            error_messages={"required": gettext_lazy("Choose at least one field to change.")},
        )
        for name in names:
            # A copy keeps the field's widget and its choices, already limited to the user's scope.
            field = copy.deepcopy(entity_form.fields[name])
            if field.required:
                self.required_names.add(name)
                field.required = False
            if isinstance(field, LookupChoiceField):
                field._lookup_value = self.data.get(name) if self.is_bound else None
            self.fields[name] = field

    def chosen(self) -> list[str]:
        """The chosen field names as submitted, in the form's order (for re-showing the page)."""
        if not self.is_bound:
            return []
        submitted = set(self.data.getlist("_fields")) if hasattr(self.data, "getlist") else set()
        return [name for name in self.names if name in submitted]

    def clean(self):
        data = super().clean()
        chosen = set(data.get("_fields") or ())
        for name in self.names:
            if name not in chosen:
                # What the user typed into a field and then unticked is not applied, nor judged.
                self.errors.pop(name, None)
                data.pop(name, None)
            elif name in self.required_names and name in data:
                value = data[name]
                if value in self.fields[name].empty_values or value is False:
                    self.add_error(
                        name, ValidationError(self.fields[name].error_messages["required"], code="required")
                    )
        return data

    def values(self) -> dict[str, Any]:
        """The chosen fields' cleaned values, to overlay on each record's data."""
        return {name: self.cleaned_data.get(name) for name in self.cleaned_data["_fields"]}


def clean_list_query(raw: str) -> str:
    """The list's query string, to filter by and to return to (never an export)."""
    query = QueryDict(raw, mutable=True)
    query.pop("export", None)
    return query.urlencode()


class Refused(Exception):
    """The selection names records the user may not change, or that do not exist. Which ones is not said."""


class _RollBack(Exception):
    """Raised inside the bulk edit's transaction to undo every record once one has failed."""


class BulkEditView(EntityView):
    template = "chainboard/generic/bulk_edit.html"

    # ---- reading the selection ------------------------------------------------------------------

    def require_permission(self) -> None:
        if self.viewset.form_class is None or not scope.has_permission(
            self.request.user, "change", self.model
        ):
            raise PermissionDenied

    def entity_form(self) -> forms.BaseForm:
        form_class = self.viewset.form_class
        if getattr(form_class, "takes_user", False):
            return form_class(user=self.request.user)
        return form_class()

    def changeable(self) -> models.QuerySet:
        return self.viewset.table.prepare(
            self.model.objects.restrict(self.request.user, "change"), self.request.user
        )

    def records(self, raw_pks: list) -> list[models.Model]:
        """The records with these ids, re-read within what the user may change; every one or Refused."""
        pk_field = self.model._meta.pk
        try:
            pks = list(dict.fromkeys(pk_field.to_python(pk) for pk in raw_pks))
        except (ValidationError, OverflowError) as exc:  # OverflowError: an id of 1e400 (a float infinity)
            raise Refused from exc
        if len(pks) > BULK_EDIT_LIMIT:
            raise Refused
        found = list(self.changeable().filter(pk__in=pks).order_by(*self.viewset.table.default_order))
        if len(found) != len(pks):
            # Never skip silently: refuse the whole selection, without saying which ids are the problem.
            raise Refused
        return found

    def matching(self, list_query: str) -> models.QuerySet:
        """What the list shows for this query string (filters and search, within the user's view scope)."""
        queryset = self.model.objects.restrict(self.request.user, "view")
        if self.viewset.filterset_class is not None:
            params = QueryDict(list_query)
            filterset = self.viewset.filterset_class(params or None, queryset=queryset, request=self.request)
            if filterset.form.is_bound:
                queryset = filterset.qs if filterset.is_valid() else queryset.none()
        return queryset

    @staticmethod
    def parse_versions(raw: str) -> dict:
        """``[[pk, version], …]`` as the page carried it → {pk: version}; Refused when malformed."""
        try:
            pairs = json.loads(raw)
            versions = {pk: int(version) for pk, version in pairs}
        # OverflowError: a version of Infinity (JSON allows it); RecursionError: arrays nested too deep.
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise Refused from exc
        if not versions:
            raise Refused
        return versions

    # ---- the page -------------------------------------------------------------------------------

    def list_url(self, list_query: str) -> str:
        url = reverse(self.viewset.names()["list"])
        return f"{url}?{list_query}" if list_query else url

    def render_page(self, list_query: str, *, status: int = 200, **extra) -> Any:
        records = extra.pop("records", [])
        form = extra.pop("form", None)
        entity_form = extra.pop("entity_form", None)
        field_rows = []
        excluded = []
        if form is not None:
            chosen = set(form.chosen())
            field_rows = [{"name": n, "field": form[n], "chosen": n in chosen} for n in form.names]
            excluded = [
                f.label or name
                for name, f in entity_form.fields.items()
                if name not in form.names and not f.widget.is_hidden and name in self.model_field_names()
            ]
        ctx = self.context(
            form=form,
            field_rows=field_rows,
            choice_errors=form.errors.get("_fields", []) if form is not None and form.is_bound else [],
            excluded=excluded,
            records=records,
            count=len(records),
            preview=records[:PREVIEW],
            more=max(0, len(records) - PREVIEW),
            records_json=json.dumps([[r.pk, r.version] for r in records]),
            list_query=list_query,
            list_url=self.list_url(list_query),
            limit=BULK_EDIT_LIMIT,
            **extra,
        )
        return render(self.request, self.template, ctx, status=status)

    def model_field_names(self) -> set[str]:
        return {f.name for f in self.model._meta.get_fields() if getattr(f, "concrete", False)}

    def refused(self, list_query: str, status: int = 403):
        return self.render_page(list_query, refused=True, status=status)

    # ---- GET: show the selection and the fields -------------------------------------------------

    def get(self, request):
        self.require_permission()
        list_query = clean_list_query(request.GET.get("_query", ""))
        left_out = 0
        if request.GET.get("_all"):
            matching = self.matching(list_query)
            total = matching.count()
            if total > BULK_EDIT_LIMIT:
                return self.render_page(list_query, too_many=total)
            records = list(
                self.changeable()
                .filter(pk__in=matching.values("pk"))
                .order_by(*self.viewset.table.default_order)
            )
            # Rows the user may read but not change are named as a number, never dropped unsaid.
            left_out = total - len(records)
        else:
            selected = request.GET.getlist("pk")
            if len(set(selected)) > BULK_EDIT_LIMIT:  # a page has at most 100 rows: a hand-made address
                return self.render_page(list_query, too_many=len(set(selected)))
            try:
                records = self.records(selected)
            except Refused:
                return self.refused(list_query)
        if not records:
            messages.warning(request, _("Select at least one record to edit."))
            return HttpResponseRedirect(self.list_url(list_query))
        entity_form = self.entity_form()
        form = BulkEditForm(entity_form=entity_form, names=bulk_field_names(self.model, entity_form))
        return self.render_page(
            list_query, records=records, form=form, entity_form=entity_form, left_out=left_out
        )

    # ---- POST: apply, all or nothing ------------------------------------------------------------

    def post(self, request):
        self.require_permission()
        list_query = clean_list_query(request.POST.get("_query", ""))
        try:
            versions = self.parse_versions(request.POST.get("_records", ""))
            records = self.records(list(versions))
        except Refused:
            return self.refused(list_query)
        # The pks as the model reads them, so that the versions can be looked up by record.
        versions = {self.model._meta.pk.to_python(pk): v for pk, v in versions.items()}
        entity_form = self.entity_form()
        form = BulkEditForm(
            request.POST, entity_form=entity_form, names=bulk_field_names(self.model, entity_form)
        )
        page = {"records": records, "form": form, "entity_form": entity_form}
        if not form.is_valid():
            return self.render_page(list_query, status=400, **page)
        stale = [r for r in records if r.version != versions[r.pk]]
        if stale:
            # Saved by someone else since the page was shown. The page comes back with the current
            # versions and the user's choices kept: submitting again applies them knowingly.
            return self.render_page(list_query, status=409, stale=stale, **page)
        try:
            errors = self.apply(records, versions, form.values(), entity_form)
        except actions.Conflict as exc:
            # Saved in the instant between the check above and the row's lock.
            try:
                current = self.records(list(versions))
            except Refused:
                return self.refused(list_query)
            return self.render_page(
                list_query, status=409, stale=[exc.instance], **{**page, "records": current}
            )
        if errors:
            return self.render_page(list_query, status=400, row_errors=errors, **page)
        count = len(records)
        messages.success(
            request,
            ngettext("%(count)d record updated.", "%(count)d records updated.", count) % {"count": count},
        )
        return HttpResponseRedirect(self.list_url(list_query))

    def apply(self, records, versions: dict, values: dict, entity_form) -> list[dict]:
        """Update every record in one transaction; roll it all back and return every error if any fails.

        A conflict (actions.Conflict) is not collected: it ends the bulk edit at once, rolled back.
        """
        user = self.request.user
        form_class = self.viewset.form_class
        model_fields = self.model_field_names()
        writable = [f for f in _form_fields(self.viewset) if f in model_fields]
        errors: list[dict] = []
        try:
            # One transaction: each actions.update runs in a savepoint of it, so a failed record leaves
            # the transaction usable and the next records are still validated, to report every error.
            with transaction.atomic(), search.deferred():
                for record in records:
                    data = form_data(record, writable, values)
                    try:
                        actions.update(user, record, form_class, data, version=versions[record.pk])
                    except actions.InvalidData as exc:
                        errors.extend(self.row_errors(record, exc.errors, entity_form))
                    except PermissionDenied as exc:
                        # e.g. the new value would move the record out of the user's own scope
                        message = str(exc) or _("You may not change this record.")
                        errors.append(self.row_error(record, "", message))
                if errors:
                    raise _RollBack
        except _RollBack:
            pass
        return errors

    def row_errors(self, record, errors: dict[str, list[str]], entity_form) -> list[dict]:
        rows = []
        for name, field_messages in errors.items():
            if name == "__all__":
                label = ""
            elif name in entity_form.fields:
                label = str(entity_form.fields[name].label or name)
            else:
                label = actions.field_label(self.model, name)
            rows.extend(self.row_error(record, label, str(m)) for m in field_messages)
        return rows

    @staticmethod
    def row_error(record, label: str, message: str) -> dict:
        return {"record": str(record), "url": record.get_absolute_url(), "field": label, "message": message}
