from django import forms
from django.utils.translation import gettext_lazy as _

from chainboard import scope
from chainboard.forms import LookupChoiceField, ScopedModelForm, StyledFormMixin
from chains.models import Chain
from regions.models import Region

from .models import Milestone, ProgressReport, Project, ProjectPlan


class ProjectForm(ScopedModelForm):
    region = LookupChoiceField(
        Region.objects.all(),
        "regions:region_lookup",
        label=_("region"),
        help_text=_("The county or town where it is built; the city when the county is unknown."),
        error_messages={"invalid_choice": _("Unknown region code %(value)s.")},
    )

    class Meta:
        model = Project
        fields = [
            "name",
            "owner",
            "chain",
            "segment",
            "region",
            "kind",
            "stage",
            "total_investment",
            "planned_start",
            "planned_finish",
            "responsible_unit",
            "responsible_person",
            "liaison_position",
            "liaison_person",
            "description",
            "source",
        ]
        widgets = {
            "planned_start": forms.DateInput(attrs={"type": "date"}),
            "planned_finish": forms.DateInput(attrs={"type": "date"}),
        }

    def clean_responsible_person(self):
        person = self.cleaned_data.get("responsible_person")
        user = person.user if person is not None else None
        if user is not None and not scope.has_permission(user, "file_progress", Project):
            raise forms.ValidationError(
                _("%(person)s's account holds no role that files projects' progress."),
                params={"person": person},
            )
        return person


class ProjectPlanForm(ScopedModelForm):
    class Meta:
        model = ProjectPlan
        fields = ["project", "year", "planned_investment", "completed_investment", "source"]


class MilestoneForm(ScopedModelForm):
    class Meta:
        model = Milestone
        fields = ["project", "name", "planned_date", "actual_date", "source"]
        widgets = {
            "planned_date": forms.DateInput(attrs={"type": "date"}),
            "actual_date": forms.DateInput(attrs={"type": "date"}),
        }


class ProgressReportForm(ScopedModelForm):
    """What the responsible user files for the month (a phone-sized form: four fields)."""

    class Meta:
        model = ProgressReport
        fields = ["completed_investment", "progress_pct", "problems", "next_step"]
        widgets = {
            "completed_investment": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            "progress_pct": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "max": "100"}),
            "problems": forms.Textarea(attrs={"rows": 3}),
            "next_step": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        data = super().clean()
        if data.get("completed_investment") is None and data.get("progress_pct") is None:
            raise forms.ValidationError(_("Give the completed investment or the progress, or both."))
        return data


class OpenRoundForm(StyledFormMixin, forms.Form):
    """The office opens a chain's round for a month before the scheduler would."""

    chain = forms.ModelChoiceField(queryset=Chain.objects.none(), label=_("chain"))
    year = forms.IntegerField(min_value=2000, max_value=2100, label=_("year"))
    month = forms.IntegerField(min_value=1, max_value=12, label=_("month"))
    due_on = forms.DateField(
        required=False,
        label=_("due on"),
        help_text=_("Empty: the last day of the month."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The chains the user reads; opening on one outside their office grant is refused by the write
        # path's scope check on the new round.
        self.fields["chain"].queryset = Chain.objects.restrict(user, "view").order_by("name")
        self.style_fields()
