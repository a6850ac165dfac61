import datetime as dt
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from chainboard import actions, scope
from chainboard.forms import LookupChoiceField, ScopedModelForm
from regions.models import Region

from . import duplicates
from .models import Event, FollowUp, Lead, LeadContact, Target, Team, TeamMember, Visit

_DATE = forms.DateInput(attrs={"type": "date"})


class LeadForm(ScopedModelForm):
    """A lead; a new one (or a renamed one) whose company another lead chases asks to be confirmed
    (investment/duplicates.py): the form says so and offers ``confirm_duplicate``; the API answers 409
    and takes ``confirm_duplicate: true``."""

    home_region = LookupChoiceField(
        Region.objects.all(),
        "regions:region_lookup",
        required=False,
        label=_("home region"),
        help_text=_("Where the company comes from: a province, city or county."),
    )
    landing_region = LookupChoiceField(
        Region.objects.all(),
        "regions:region_lookup",
        required=False,
        label=_("landing region"),
        help_text=_("The county where the company would build."),
    )
    confirm_duplicate = forms.BooleanField(
        required=False,
        label=_("Create it anyway: I know another lead follows this company"),
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Lead
        fields = [
            "company_name",
            "uscc",
            "home_region",
            "home_macro_region",
            "chain",
            "segment",
            "planned_investment",
            "source_kind",
            "event",
            "referrer",
            "team",
            "responsible_person",
            "landing_region",
            "next_step",
            "next_step_on",
            "opened_on",
            "source",
        ]
        widgets = {"next_step_on": _DATE, "opened_on": _DATE, "next_step": forms.Textarea(attrs={"rows": 2})}

    def clean_uscc(self):
        from enterprises.uscc import normalise

        return normalise(self.cleaned_data.get("uscc") or "")

    def clean(self):
        data = super().clean()
        self.duplicates = []
        if self.errors or not self._names_changed(data):
            return data
        self.duplicates = duplicates.find(
            data.get("company_name", ""), data.get("uscc", ""), exclude_pk=self.instance.pk
        )
        if self.duplicates and not data.get("confirm_duplicate"):
            for message in duplicates.warnings(self.user, self.duplicates):
                self.add_error("confirm_duplicate", message)
            self.fields["confirm_duplicate"].widget = forms.CheckboxInput()
            self.style_fields()
            self.problem_status = 409  # the API's answer (chainboard/api.py): confirm to go on
            self.problem_title = _("Another lead follows this company: confirm to create this one.")
        return data

    def _names_changed(self, data) -> bool:
        if self.instance.pk is None:
            return True
        return (
            data.get("company_name") != self.instance.company_name or data.get("uscc") != self.instance.uscc
        )


class LeadContactForm(ScopedModelForm):
    class Meta:
        model = LeadContact
        fields = ["lead", "name", "title", "phone", "email", "source"]


class TeamForm(ScopedModelForm):
    class Meta:
        model = Team
        fields = [
            "name",
            "chain",
            "leader",
            "target_macro_regions",
            "target_regions",
            "target_segments",
            "model_note",
            "source",
        ]


class TeamMemberForm(ScopedModelForm):
    class Meta:
        model = TeamMember
        fields = ["team", "person", "role", "source"]


class TargetForm(ScopedModelForm):
    class Meta:
        model = Target
        fields = ["chain", "team", "year", "leads_opened", "signed", "landed", "amount", "source"]


class EventForm(ScopedModelForm):
    place_region = LookupChoiceField(
        Region.objects.all(), "regions:region_lookup", required=False, label=_("place (region)")
    )

    class Meta:
        model = Event
        fields = [
            "name",
            "kind",
            "series",
            "edition",
            "date_value",
            "date_precision",
            "place",
            "place_region",
            "organisers",
            "chain",
            "participants",
            "reported_leads",
            "reported_deals",
            "reported_amount",
            "source",
        ]
        widgets = {"date_value": _DATE}


# An agreed step: a line that starts with its due date (2026-12-20, 2026/12/20, 2026.12.20, 2026年12月20日).
_STEP = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*[:：,，、]?\s*(.*)$")


def agreed_steps(text: str) -> tuple[list[tuple[dt.date, str]], list[str]]:
    """The dated lines of ``agreed`` as (due date, description), and the problems, naming the line."""
    steps, problems = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        match = _STEP.match(line)
        if not match:
            continue
        year, month, day, description = match.groups()
        try:
            due = dt.date(int(year), int(month), int(day))
        except ValueError:
            problems.append(
                _("Line %(n)s: %(date)s is not a date.") % {"n": number, "date": f"{year}-{month}-{day}"}
            )
            continue
        if not description.strip():
            problems.append(_("Line %(n)s: say what is to be done by %(date)s.") % {"n": number, "date": due})
            continue
        steps.append((due, description.strip()[:1000]))
    return steps, problems


class VisitForm(ScopedModelForm):
    """A visit; each line of ``agreed`` that starts with a date becomes a follow-up on the lead, due that
    day, for the lead's responsible person (investment/docs: Visits). A line added later on an edit
    becomes one too; a follow-up is never removed by editing the text."""

    class Meta:
        model = Visit
        fields = ["lead", "team", "visited_on", "place", "visitors", "met_whom", "agreed", "source"]
        widgets = {"visited_on": _DATE, "agreed": forms.Textarea(attrs={"rows": 4})}

    def clean_agreed(self):
        text = self.cleaned_data.get("agreed", "")
        steps, problems = agreed_steps(text)
        if problems:
            raise forms.ValidationError(problems)
        if steps and not scope.has_permission(self.user, "add", FollowUp):
            raise forms.ValidationError(_("You may not add follow-ups: write the steps without dates."))
        self.steps = steps
        return text

    def _save_m2m(self):
        # Called by the write path (actions.create / update) after the visit is saved, inside its
        # transaction: the follow-ups are created and audited there, the visit their parent.
        super()._save_m2m()
        visit = self.instance
        existing = set(visit.follow_ups.values_list("due_on", "description"))
        for due, description in getattr(self, "steps", []):
            if (due, description) in existing:
                continue
            actions.create_direct(
                self.user,
                FollowUp(
                    lead=visit.lead,
                    visit=visit,
                    description=description,
                    due_on=due,
                    responsible_person=visit.lead.responsible_person,
                    is_sample=visit.is_sample,
                ),
                parent=visit.lead,
            )


class FollowUpForm(ScopedModelForm):
    class Meta:
        model = FollowUp
        fields = ["lead", "visit", "description", "due_on", "responsible_person", "done_on", "source"]
        widgets = {"due_on": _DATE, "done_on": _DATE, "description": forms.Textarea(attrs={"rows": 2})}
