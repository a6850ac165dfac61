from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainboard.forms import LookupChoiceField, ScopedModelForm, StyledFormMixin, validate_upload
from chainboard.models.attachments import AttachmentKind
from regions.models import Region

from .models import MeetingRecord, Problem, ProblemKind, ProgressNote, Task

DATE = forms.DateInput(attrs={"type": "date"})
MAX_PHOTOS = 9


def _region_field():
    return LookupChoiceField(
        Region.objects.all(),
        "regions:region_lookup",
        required=False,
        label=_("region"),
        error_messages={"invalid_choice": _("Unknown region code %(value)s.")},
    )


def _active_kinds(form: forms.BaseForm) -> None:
    """New problems take an active kind; an old problem keeps its kind even if it was retired."""
    field = form.fields.get("kind")
    if field is None:
        return
    current = getattr(form.instance, "kind_id", None)
    queryset = field.queryset.filter(active=True)
    if current:
        queryset = field.queryset.filter(pk__in=[*queryset.values_list("pk", flat=True), current])
    field.queryset = queryset


class ProblemKindForm(ScopedModelForm):
    class Meta:
        model = ProblemKind
        fields = ["name", "order", "active", "source"]


class ProblemForm(ScopedModelForm):
    """Staff raise a problem on an enterprise's behalf, or keep its description; the loop's fields (the
    unit, the deadline, the answer, the rating) change by the moves on its page only."""

    region = _region_field()

    class Meta:
        model = Problem
        fields = [
            "title",
            "kind",
            "enterprise",
            "chain",
            "region",
            "raised_via",
            "meeting",
            "description",
            "source",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _active_kinds(self)
        self.fields["chain"].help_text = _("Empty: the enterprise's chain, when it is on one only.")
        self.fields["region"].help_text = _("Empty: the enterprise's region.")

    def save(self, commit=True):
        instance = super().save(commit=False)
        if instance.pk is None and instance.raised_by_id is None and getattr(self.user, "pk", None):
            instance.raised_by = self.user  # staff raising it on the enterprise's behalf
        if commit:
            instance.save()
        return instance


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to ``MAX_PHOTOS`` photos, each checked as an attachment's photo is (type, size, content)."""

    widget = MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"})

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("At most %(count)s photos."), params={"count": MAX_PHOTOS})
        for upload in files:
            super().clean(upload, initial)
            validate_upload(upload, AttachmentKind.PHOTO)
        return files


class RaiseForm(StyledFormMixin, forms.ModelForm):
    """What an enterprise user fills in on a phone: a title, the kind, what the matter is, photos. The
    enterprise is the user's own; the office takes it from there."""

    takes_user = True
    photos = PhotosField(label=_("photos"), required=False)

    class Meta:
        model = Problem
        fields = ["title", "kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["kind"].queryset = ProblemKind.objects.filter(active=True)
        self.fields["description"].required = True
        self.style_fields()


class TaskForm(ScopedModelForm):
    region = _region_field()

    class Meta:
        model = Task
        fields = [
            "title",
            "owner_unit",
            "chain",
            "region",
            "project",
            "lead",
            "problem",
            "meeting",
            "description",
            "source",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class MeetingRecordForm(ScopedModelForm):
    region = _region_field()

    class Meta:
        model = MeetingRecord
        fields = ["title", "held_on", "kind", "chain", "region", "attendees", "decisions", "source"]
        widgets = {
            "held_on": DATE,
            "attendees": forms.Textarea(attrs={"rows": 2}),
            "decisions": forms.Textarea(attrs={"rows": 6}),
        }


class ProgressNoteForm(ScopedModelForm):
    class Meta:
        model = ProgressNote
        fields = ["problem", "task", "noted_on", "note"]
        widgets = {"noted_on": DATE, "note": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["noted_on"].initial = timezone.localdate
        # A note is written while the item is being handled.
        for name in ("problem", "task"):
            self.fields[name].queryset = self.fields[name].queryset.filter(
                state__in=("assigned", "in_progress")
            )


class MakeItemsForm(StyledFormMixin, forms.Form):
    """The meeting record's decisions, one a line, each made a task for an owner unit or a problem of an
    enterprise."""

    KIND_CHOICES = (("task", _("tasks")), ("problem", _("problems")))

    make = forms.ChoiceField(label=_("make each decision line into"), choices=KIND_CHOICES)
    owner_unit = forms.ModelChoiceField(
        queryset=None, required=False, label=_("owner unit"), help_text=_("For tasks.")
    )
    enterprise = forms.ModelChoiceField(
        queryset=None, required=False, label=_("enterprise"), help_text=_("For problems.")
    )
    kind = forms.ModelChoiceField(
        queryset=None, required=False, label=_("kind"), help_text=_("For problems.")
    )

    def __init__(self, *args, user=None, **kwargs):
        from enterprises.models import Enterprise
        from organisations.models import Organisation

        super().__init__(*args, **kwargs)
        self.fields["owner_unit"].queryset = Organisation.objects.restrict(user, "view").order_by("name")
        self.fields["enterprise"].queryset = Enterprise.objects.restrict(user, "view").order_by("name")
        self.fields["kind"].queryset = ProblemKind.objects.filter(active=True)
        self.style_fields()

    def clean(self):
        data = super().clean()
        if data.get("make") == "task" and data.get("owner_unit") is None:
            self.add_error("owner_unit", _("Name the unit that owns the tasks."))
        if data.get("make") == "problem":
            for name in ("enterprise", "kind"):
                if data.get(name) is None:
                    self.add_error(name, _("Name the enterprise and the kind of the problems."))
        return data
