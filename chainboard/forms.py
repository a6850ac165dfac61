"""Form bases: scoped choices, the UI kit's classes, searchable pickers, attachments and comments."""

from __future__ import annotations

import datetime as dt
import decimal
from functools import cache
from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.forms.models import model_to_dict
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chainboard import filetypes, workflow
from chainboard.models import Attachment, Instruction, JournalEntry
from chainboard.models.attachments import AttachmentKind


class LookupSelect(forms.Select):
    """A select that searches the server as the user types (tom-select), for long lists.

    Only the chosen option is rendered, so a form over 40,000 towns does not ship them all.
    """

    def __init__(self, lookup_url_name: str = "", attrs=None, lookup_url: str = ""):
        super().__init__(attrs)
        self.lookup_url_name = lookup_url_name
        self.lookup_url = lookup_url  # a resolved URL, for a look-up about one record
        self.empty_label: Any = "—"  # a filter's reads 全部 (chainboard/filters.py)

    def get_context(self, name, value, attrs):
        attrs = {
            **(attrs or {}),
            "data-lookup": self.lookup_url or reverse(self.lookup_url_name),
            "class": "form-select lookup-select",
        }
        return super().get_context(name, value, attrs)

    def optgroups(self, name, value, attrs=None):
        chosen = {str(v) for v in value if v not in (None, "")}
        groups = []
        if not chosen:
            groups.append((None, [self.create_option(name, "", self.empty_label, False, 0)], 0))
        index = 1
        for option_value, label in self.choices:
            key = str(getattr(option_value, "value", option_value))
            if key in chosen:
                groups.append((None, [self.create_option(name, key, label, True, index)], index))
                index += 1
        return groups


class LookupChoiceIterator(forms.models.ModelChoiceIterator):
    """Iterate only the chosen rows of a lookup field (the widget asks for nothing else)."""

    def __iter__(self):
        value = getattr(self.field, "_lookup_value", None)
        if value in (None, ""):
            return
        for obj in self.queryset.filter(pk=value):
            yield self.choice(obj)


class LookupChoiceField(forms.ModelChoiceField):
    iterator = LookupChoiceIterator

    def __init__(self, queryset, lookup_url_name: str, **kwargs):
        kwargs.setdefault("widget", LookupSelect(lookup_url_name))
        super().__init__(queryset, **kwargs)


class FetchedChoiceIterator(forms.models.ModelChoiceIterator):
    """A model field's choices read with one plain fetch. Django's iterator reads them through
    ``QuerySet.iterator()``, which on PostgreSQL opens a server-side cursor per field (``DECLARE … WITH
    HOLD``, then a fetch and a close: 6-20 ms a field on a loaded machine, bench/README.md, "Issue 14:
    projects"); a drop-down's few dozen rows gain nothing from streaming."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():  # a clone: the field's own queryset keeps no result cache
            yield self.choice(obj)


@cache
def fetched(iterator: type) -> type:
    """``iterator`` reading its rows with one fetch: a subclass whose ``super().__iter__()`` is
    :class:`FetchedChoiceIterator`'s (django-filter's, which adds the "none" choice), or the class itself
    when it reads its rows its own way (:class:`LookupChoiceIterator`)."""
    if issubclass(FetchedChoiceIterator, iterator) or issubclass(iterator, FetchedChoiceIterator):
        return FetchedChoiceIterator if iterator is forms.models.ModelChoiceIterator else iterator
    return type(f"Fetched{iterator.__name__}", (iterator, FetchedChoiceIterator), {})


def fetch_choices_once(field: forms.Field) -> None:
    """Make a model choice field read its choices with one plain fetch (:class:`FetchedChoiceIterator`)."""
    if isinstance(field, forms.ModelChoiceField) and not isinstance(field, LookupChoiceField):
        iterator = fetched(field.iterator)
        if iterator is not field.iterator:
            field.iterator = iterator
            field.widget.choices = (
                field.choices
            )  # the widget holds an iterator made when the queryset was set


class StyledFormMixin:
    """Give widgets the UI kit's classes so templates can render fields plainly."""

    def style_fields(self, empty_choice: Any = None) -> None:
        """``empty_choice``: the words of a drop-down's empty choice (a filter's 全部); by default a
        form's (label_empty_choice)."""
        for field in self.fields.values():
            fetch_choices_once(field)
            widget = field.widget
            label_empty_choice(field, empty_choice)
            css = widget.attrs.get("class", "")
            if isinstance(widget, forms.CheckboxInput):
                css = f"{css} form-check-input".strip()
            elif isinstance(widget, forms.Select | forms.SelectMultiple) and "lookup-select" not in css:
                css = f"{css} form-select".strip()
            elif not isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                css = f"{css} form-control".strip()
            widget.attrs["class"] = css
            if isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("rows", 3)


def label_empty_choice(field: forms.Field, empty: Any = None) -> None:
    """Django's empty choice reads "---------"; ours asks for a choice, or reads "—" (none) where the
    field may stay empty. A filter passes ``empty`` (全部, chainboard/filters.py)."""
    if empty is None:
        empty = _("Choose one") if field.required else "—"
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label is not None:  # read as the options are listed
            field.empty_label = empty
    elif getattr(field, "empty_label", None) is not None:
        # django-filter's choice field prepends its empty choice when the choices are set: set them again.
        choices = [c for c in field.choices if c[0] not in ("", None)]
        field.empty_label = empty
        field.choices = choices
    elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.MultipleChoiceField):
        choices = list(field.choices)
        if choices and choices[0][0] in ("", None) and str(choices[0][1]).startswith("---"):
            field.choices = [("", empty), *choices[1:]]
    if isinstance(field.widget, LookupSelect):
        field.widget.empty_label = empty


class ScopedModelForm(StyledFormMixin, forms.ModelForm):
    """A model form whose relation choices are limited to what the user may see."""

    takes_user = True

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # To-many fields: the related rows the editor may not see, kept as they are (docs/scope.md).
        self.hidden_related: dict[str, tuple[models.QuerySet, set]] = {}
        for name, field in self.fields.items():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and hasattr(queryset, "restrict"):
                restricted = queryset.restrict(user, "view")
                current = self._current_pks(name)
                if current and isinstance(field, forms.ModelMultipleChoiceField):
                    self._keep_hidden(name, field, queryset, restricted, current)
                elif current:
                    # A single value the editor may not see elsewhere stays a choice, so saving another
                    # field never silently unlinks it (it cannot be set to another hidden row).
                    restricted = queryset.filter(Q(pk__in=restricted.values("pk")) | Q(pk__in=current))
                field.queryset = restricted
            if isinstance(field, LookupChoiceField):
                field._lookup_value = self._lookup_initial(name)
        workflow.lock_state_field(self)  # a workflow's state moves by its transitions only
        self.style_fields()

    def _keep_hidden(self, name: str, field, queryset, restricted, current: list) -> None:
        """A to-many field shows and takes only the related rows the editor may see; the rows it may not
        see are neither offered nor shown as chosen, and stay linked whatever is submitted: a user never
        changes, nor deletes by omission, what lies outside their scope."""
        visible = set(restricted.filter(pk__in=current).values_list("pk", flat=True))
        hidden = {pk for pk in current if pk not in visible}
        if not hidden:
            return
        self.hidden_related[name] = (queryset, hidden)
        keys = {str(pk) for pk in hidden}
        if name in self.initial:
            self.initial[name] = [v for v in self.initial[name] if str(getattr(v, "pk", v)) not in keys]
        if self.is_bound:
            # Whatever the client sends for a hidden row (the API shows none; a hand-made request may
            # name it) is neither an error nor a change: the hidden rows are added back in clean().
            key = self.add_prefix(name)
            data = self.data.copy()
            if hasattr(data, "setlist"):
                data.setlist(key, [v for v in data.getlist(key) if str(v) not in keys])
            elif isinstance(data.get(key), list | tuple):
                data[key] = [v for v in data[key] if str(v) not in keys]
            self.data = data

    def clean(self):
        data = super().clean()
        workflow.check_state_unchanged(self, data)
        for name, (queryset, hidden) in self.hidden_related.items():
            if name in data and data[name] is not None:
                chosen = {obj.pk for obj in data[name]}
                data[name] = queryset.filter(pk__in=chosen | hidden)
        return data

    def _current_pks(self, name: str) -> list:
        if self.instance is None or self.instance.pk is None:
            return []
        try:
            model_field = self.instance._meta.get_field(name)
        except Exception:  # noqa: BLE001 - a form-only field
            return []
        if model_field.many_to_many:
            return list(getattr(self.instance, name).values_list("pk", flat=True))
        value = getattr(self.instance, getattr(model_field, "attname", name), None)
        return [value] if value is not None else []

    def _lookup_initial(self, name: str):
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        value = self.initial.get(name)
        return getattr(value, "pk", value)


def validate_upload(upload, kind: str) -> None:
    """Refuse files of a type or size the settings do not allow, naming the file."""
    suffix = PurePath(upload.name).suffix.lower()
    allowed = settings.ATTACHMENT_EXTENSIONS.get(kind, [])
    if suffix not in allowed:
        raise forms.ValidationError(
            _("%(name)s: files of type %(suffix)s are not allowed here; allowed: %(allowed)s."),
            params={"name": upload.name, "suffix": suffix or "?", "allowed": ", ".join(allowed)},
            code="file_type",
        )
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise forms.ValidationError(
            _("%(name)s is %(size)s; the limit is %(limit)s."),
            params={
                "name": upload.name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
            },
            code="file_size",
        )
    # The content must be what the extension says: the extension decides how the file is served.
    filetypes.check(upload, upload.name)
    if kind == AttachmentKind.PHOTO:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(upload) as image:
                image.verify()
        except (UnidentifiedImageError, OSError) as exc:
            raise forms.ValidationError(
                _("%(name)s is not a readable image."), params={"name": upload.name}, code="file_type"
            ) from exc
        finally:
            upload.seek(0)


class AttachmentForm(StyledFormMixin, forms.ModelForm):
    takes_user = True

    class Meta:
        model = Attachment
        fields = ["kind", "title", "file"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None and hasattr(upload, "size"):
            try:
                validate_upload(upload, data.get("kind") or AttachmentKind.DOCUMENT)
            except forms.ValidationError as exc:
                self.add_error("file", exc)
        return data

    def save(self, commit=True):
        instance = super().save(commit=False)
        instance.file_name = PurePath(self.cleaned_data["file"].name).name[:255]
        instance.size = self.cleaned_data["file"].size
        if commit:
            instance.save()
        return instance


class JournalForm(StyledFormMixin, forms.ModelForm):
    takes_user = True

    class Meta:
        model = JournalEntry
        fields = ["text"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].widget.attrs["rows"] = 2
        self.style_fields()


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | models.QuerySet):
        return [_plain(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def form_data(instance: models.Model | None, fields: list[str], overlay: dict | None = None) -> dict:
    """Data for an entity form: ``instance``'s current values of ``fields`` with ``overlay`` on top, so a
    partial change (an API PATCH, a bulk edit, an import row with some columns) leaves the rest as it is."""
    data: dict[str, Any] = {}
    if instance is not None:
        for key, value in model_to_dict(instance, fields=fields).items():
            data[key] = _plain(value)
    for key, value in (overlay or {}).items():
        data[key] = _plain(value)
    # Forms read booleans from presence: drop False so the checkbox reads unchecked.
    return {k: v for k, v in data.items() if v is not None and v is not False}


class InstructionForm(StyledFormMixin, forms.ModelForm):
    """A chief's instruction (批示) on ``record``: the instructed user is picked by a look-up among the
    users who may view the record, and refused, with the reason, when they may not."""

    class Meta:
        model = Instruction
        fields = ["text", "instructed_user", "due_date"]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, record, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.record = record
        meta = record._meta
        url = reverse(f"{meta.app_label}:{meta.model_name}_instruction_users", kwargs={"pk": record.pk})
        users = get_user_model()._default_manager.filter(is_active=True)
        field = LookupChoiceField(users, "", label=self.fields["instructed_user"].label)
        field.widget = LookupSelect(lookup_url=url)
        field._lookup_value = self.data.get(self.add_prefix("instructed_user")) if self.is_bound else None
        self.fields["instructed_user"] = field
        self.fields["text"].widget.attrs["rows"] = 3
        self.style_fields()

    def clean_instructed_user(self):
        from chainboard.instructions import can_be_instructed

        user = self.cleaned_data["instructed_user"]
        if user is not None and not can_be_instructed(user, self.record):
            raise forms.ValidationError(
                _("%(user)s may not view this record, so cannot be instructed on it."), params={"user": user}
            )
        return user

    def clean_due_date(self):
        from django.utils import timezone

        due = self.cleaned_data.get("due_date")
        if due is not None and due < timezone.localdate():
            raise forms.ValidationError(_("Enter a date from today on."))
        return due


class InstructionAnswerForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Instruction
        fields = ["answer"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer"].required = True
        self.fields["answer"].widget.attrs["rows"] = 2
        self.style_fields()
