from django import forms
from django.utils.translation import gettext_lazy as _

from chainboard import scope
from chainboard.forms import LookupChoiceField, ScopedModelForm
from regions.models import Region

from .models import Milestone, Project, ProjectPlan


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
        if user is not None and not scope.has_permission(user, "view", Project):
            raise forms.ValidationError(
                _(
                    "%(person)s's account holds no role that reads projects, so could not file their progress."
                ),
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
