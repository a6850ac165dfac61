from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from chainboard import scope
from chainboard.forms import LookupChoiceField, ScopedModelForm
from regions.models import Region

from .models import Milestone, Project, ProjectPlan


def assignable_users():
    """Who may be made responsible for a project: active users holding a role that reads projects. Not
    restricted by the editor's own right to manage users: the office assigns work to people it does not
    administer. The plain base manager, so ScopedModelForm leaves the choice as it is."""
    return get_user_model()._base_manager.filter(is_active=True).order_by("username")


class ProjectForm(ScopedModelForm):
    region = LookupChoiceField(
        Region.objects.all(),
        "regions:region_lookup",
        label=_("region"),
        help_text=_("The county or town where it is built; the city when the county is unknown."),
        error_messages={"invalid_choice": _("Unknown region code %(value)s.")},
    )
    responsible_user = forms.ModelChoiceField(
        queryset=assignable_users(),
        required=False,
        label=_("responsible user"),
        help_text=_("Files the project's monthly progress."),
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
            "responsible_user",
            "liaison_position",
            "liaison_person",
            "description",
            "source",
        ]
        widgets = {
            "planned_start": forms.DateInput(attrs={"type": "date"}),
            "planned_finish": forms.DateInput(attrs={"type": "date"}),
        }

    def clean_responsible_user(self):
        user = self.cleaned_data.get("responsible_user")
        if user is not None and not scope.has_permission(user, "view", Project):
            raise forms.ValidationError(
                _("%(user)s holds no role that reads projects, so could not file their progress."),
                params={"user": user},
            )
        return user


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
