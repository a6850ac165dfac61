import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainboard.filters import LookupFilter, ScopedFilterSet, YearFilter
from chainboard.tables import Column, Table
from chainboard.views.generic import REFERENCE_RANK, DetailAction, DetailPanel, ViewSet
from chains.models import Segment
from regions.models import Region

from .conversion import ConvertView, lead_panel
from .forms import (
    EventForm,
    FollowUpForm,
    LeadContactForm,
    LeadForm,
    TargetForm,
    TeamForm,
    TeamMemberForm,
    VisitForm,
)
from .funnel import reached_in
from .models import (
    STAGE_DATES,
    Event,
    FollowUp,
    Lead,
    LeadContact,
    LeadStage,
    MacroRegion,
    Target,
    Team,
    TeamMember,
    Visit,
)

# The ``reached`` filter's choices: the funnel's stages, each counted by the date the lead reached it.
REACHED = [
    ("opened", _("opened")),
    (LeadStage.NEGOTIATING.value, LeadStage.NEGOTIATING.label),
    (LeadStage.SIGNED.value, LeadStage.SIGNED.label),
    (LeadStage.LANDED.value, LeadStage.LANDED.label),
    (LeadStage.IN_PRODUCTION.value, LeadStage.IN_PRODUCTION.label),
    (LeadStage.ABANDONED.value, LeadStage.ABANDONED.label),
]
# The ``missing`` filter: the leads without a team, a segment, a home macro-region or a home region (the
# funnel's "(none)" rows link here, investment/funnel.py).
MISSING = [
    ("team", _("team")),
    ("segment", _("segment")),
    ("home_macro_region", _("home macro-region")),
    ("home_region", _("home region")),
]


class LeadFilterSet(ScopedFilterSet):
    """The lead list's filters. ``reached`` with ``year``: the leads whose date of reaching that stage
    falls in that year (each stage reached counts, whether or not the lead moved on since); ``year``
    alone: the leads opened that year. The funnel's figures link here (docs/investment.md)."""

    search_fields = ("company_name", "uscc")
    segment = django_filters.ModelChoiceFilter(
        queryset=Segment.objects.select_related("chain"),  # a segment reads with its chain's name
        label=_("segment"),
    )
    home_region = LookupFilter(
        queryset=Region.objects.all(),
        lookup_url_name="regions:region_lookup",
        subtree_path="path",
        label=_("home region"),
        help_text=_("The region and everything below it."),
    )
    landing_region = LookupFilter(
        queryset=Region.objects.all(),
        lookup_url_name="regions:region_lookup",
        subtree_path="path",
        label=_("landing region"),
        help_text=_("The region and everything below it."),
    )
    reached = django_filters.ChoiceFilter(choices=REACHED, method="filter_reached", label=_("reached"))
    missing = django_filters.ChoiceFilter(choices=MISSING, method="filter_missing", label=_("without"))
    year = YearFilter(
        method="filter_year",
        label=_("year"),
        help_text=_("With 'reached': the year the stage was reached; alone: the year the lead was opened."),
    )

    class Meta:
        model = Lead
        fields = [
            "stage",
            "chain",
            "team",
            "source_kind",
            "segment",
            "home_macro_region",
            "event",
            "responsible_person",
            "is_sample",
        ]

    def _year(self):
        return self.form.cleaned_data.get("year")

    def filter_reached(self, queryset, name, value):
        year = self._year()
        if year is None:
            return queryset.filter(**{f"{STAGE_DATES[value]}__isnull": False})
        return queryset.filter(reached_in(value, year))

    def filter_missing(self, queryset, name, value):
        return queryset.filter(**{f"{value}__isnull": True})

    def filter_year(self, queryset, name, value):
        if value is None or self.form.cleaned_data.get("reached"):
            return queryset  # the year of the stage reached (filter_reached)
        return queryset.filter(reached_in("opened", value))


class LeadViewSet(ViewSet):
    model = Lead
    url_prefix = "leads"
    form_class = LeadForm
    filterset_class = LeadFilterSet
    menu_group = "investment"
    menu_order = 10
    icon = "target-arrow"
    search_rank = 60
    facets = (("stage", "stage"), ("source_kind", "source_kind"))
    detail_actions = [
        DetailAction(
            "convert",
            _("Convert to a project"),
            ConvertView,
            route="convert/",
            action="convert",
            icon="building-factory-2",
        )
    ]
    detail_panels = [DetailPanel("project", "investment/_lead_project.html", lead_panel)]
    # The API's create and update take the duplicate confirmation (investment/forms.py): 409 without it.
    api_form_fields = {
        "confirm_duplicate": (
            bool,
            "true: create the lead although another lead follows the same company (same USCC or a "
            "similar name); without it such a create answers 409 naming the other lead when in scope.",
        )
    }
    table = Table(
        columns=[
            Column("company_name", order_by="company_name", link=True),
            Column("stage", order_by="stage"),
            Column("chain.name", label=_("chain"), order_by="chain__name"),
            Column("team.name", label=_("investment team"), order_by="team__name"),
            Column("segment.name", label=_("segment"), order_by="segment__name"),
            Column("source_kind", order_by="source_kind"),
            Column("planned_investment", order_by="planned_investment"),  # confidential: left out unless
            Column("next_step_on", order_by="next_step_on"),
            Column("opened_on", order_by="opened_on"),
        ],
        select_related=("chain", "team", "segment"),
        default_order=("-opened_on", "company_name"),
    )
    detail_related = [
        (
            _("Contacts"),
            "contacts",
            Table(
                columns=[Column("name", link=True), Column("title"), Column("phone"), Column("email")],
                default_order=("name",),
            ),
        ),
        (
            _("Visits"),
            "visits",
            Table(
                columns=[
                    Column("visited_on", link=True),
                    Column("place"),
                    Column("met_whom"),
                    Column("agreed"),
                ],
                default_order=("-visited_on",),
            ),
        ),
        (
            _("Follow-ups"),
            "follow_ups",
            Table(
                columns=[
                    Column("description", link=True),
                    Column("due_on"),
                    Column("responsible_person.name", label=_("responsible person")),
                    Column("done_on"),
                ],
                select_related=("responsible_person",),
                default_order=("due_on",),
            ),
        ),
    ]


class LeadContactFilterSet(ScopedFilterSet):
    search_fields = ("name", "lead__company_name")
    in_global_search = False  # found by its lead

    class Meta:
        model = LeadContact
        fields = ["lead__chain", "is_sample"]


class LeadContactViewSet(ViewSet):
    model = LeadContact
    url_prefix = "lead_contacts"
    form_class = LeadContactForm
    filterset_class = LeadContactFilterSet
    icon = "address-book"
    table = Table(
        columns=[
            Column("name", order_by="name", link=True),
            Column("lead.company_name", label=_("investment lead"), order_by="lead__company_name"),
            Column("title"),
            Column("phone"),
            Column("email"),
        ],
        select_related=("lead",),
        default_order=("lead__company_name", "name"),
    )


class TeamFilterSet(ScopedFilterSet):
    search_fields = ("name", "model_note")

    class Meta:
        model = Team
        fields = ["chain", "is_sample"]


class TeamViewSet(ViewSet):
    model = Team
    url_prefix = "teams"
    form_class = TeamForm
    filterset_class = TeamFilterSet
    menu_group = "investment"
    menu_order = 20
    icon = "users-group"
    table = Table(
        columns=[
            Column("name", order_by="name", link=True),
            Column("chain.name", label=_("chain"), order_by="chain__name"),
            Column("leader.name", label=_("team leader"), order_by="leader__name"),
            Column("model_note"),
        ],
        select_related=("chain", "leader"),
        default_order=("chain__name", "name"),
    )
    detail_related = [
        (
            _("Members"),
            "memberships",
            Table(
                columns=[Column("person.name", label=_("person"), link=True), Column("role")],
                select_related=("person",),
                default_order=("role", "person__name"),
            ),
        ),
        (
            _("Investment leads"),
            "leads",
            Table(
                columns=[Column("company_name", link=True), Column("stage"), Column("opened_on")],
                default_order=("-opened_on", "company_name"),
            ),
        ),
    ]


class TeamMemberFilterSet(ScopedFilterSet):
    search_fields = ("person__name", "team__name")
    in_global_search = False  # found by its team

    class Meta:
        model = TeamMember
        fields = ["team", "role", "is_sample"]


class TeamMemberViewSet(ViewSet):
    model = TeamMember
    url_prefix = "team_members"
    form_class = TeamMemberForm
    filterset_class = TeamMemberFilterSet
    icon = "user-plus"
    table = Table(
        columns=[
            Column("person.name", label=_("person"), order_by="person__name", link=True),
            Column("team.name", label=_("investment team"), order_by="team__name"),
            Column("role", order_by="role"),
        ],
        select_related=("person", "team"),
        default_order=("team__name", "role", "person__name"),
    )


class TargetFilterSet(ScopedFilterSet):
    in_global_search = False

    class Meta:
        model = Target
        fields = ["chain", "team", "year", "is_sample"]


class TargetViewSet(ViewSet):
    model = Target
    url_prefix = "targets"
    form_class = TargetForm
    filterset_class = TargetFilterSet
    menu_group = "investment"
    menu_order = 50
    icon = "target"
    table = Table(
        columns=[
            Column("year", order_by="year", link=True),
            Column("chain.name", label=_("chain"), order_by="chain__name"),
            Column("team.name", label=_("investment team"), order_by="team__name"),
            Column("leads_opened", order_by="leads_opened"),
            Column("signed", order_by="signed"),
            Column("landed", order_by="landed"),
            Column("amount", order_by="amount"),
        ],
        select_related=("chain", "team"),
        default_order=("-year", "chain__name", "team__name"),
    )


class EventFilterSet(ScopedFilterSet):
    search_fields = ("name", "series", "place", "organisers")
    date_year = YearFilter(field_name="date_value__year", label=_("year"))

    class Meta:
        model = Event
        fields = ["kind", "chain", "series", "is_sample"]


class EventViewSet(ViewSet):
    model = Event
    url_prefix = "events"
    form_class = EventForm
    filterset_class = EventFilterSet
    menu_group = "investment"
    menu_order = 30
    icon = "presentation"
    facets = (("kind", "kind"),)
    table = Table(
        columns=[
            Column("name", order_by="name", link=True),
            Column("kind", order_by="kind"),
            Column("edition", order_by="edition"),
            Column("date_value", order_by="date_value"),
            Column("date_precision"),
            Column("place", order_by="place"),
            Column("chain.name", label=_("chain"), order_by="chain__name"),
        ],
        select_related=("chain",),
        default_order=("-date_value", "name"),
    )
    detail_related = [
        (
            _("Investment leads"),
            "leads",
            Table(
                columns=[Column("company_name", link=True), Column("stage"), Column("opened_on")],
                default_order=("-opened_on", "company_name"),
            ),
        ),
    ]


class VisitFilterSet(ScopedFilterSet):
    search_fields = ("place", "met_whom", "agreed", "lead__company_name")
    in_global_search = False  # found by its lead

    class Meta:
        model = Visit
        fields = ["lead", "team", "lead__chain", "is_sample"]


class VisitViewSet(ViewSet):
    model = Visit
    url_prefix = "visits"
    form_class = VisitForm
    filterset_class = VisitFilterSet
    menu_group = "investment"
    menu_order = 40
    icon = "walk"
    table = Table(
        columns=[
            Column("visited_on", order_by="visited_on", link=True),
            Column("lead.company_name", label=_("investment lead"), order_by="lead__company_name"),
            Column("team.name", label=_("investment team"), order_by="team__name"),
            Column("place", order_by="place"),
            Column("met_whom"),
        ],
        select_related=("lead", "team"),
        default_order=("-visited_on",),
    )
    detail_related = [
        (
            _("Follow-ups"),
            "follow_ups",
            Table(
                columns=[Column("description", link=True), Column("due_on"), Column("done_on")],
                default_order=("due_on",),
            ),
        ),
    ]


class FollowUpFilterSet(ScopedFilterSet):
    search_fields = ("description", "lead__company_name")
    in_global_search = False  # found by its lead
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    done = django_filters.BooleanFilter(
        field_name="done_on", lookup_expr="isnull", exclude=True, label=_("done")
    )

    class Meta:
        model = FollowUp
        fields = ["lead", "responsible_person", "lead__chain", "is_sample"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = {"done_on__isnull": True, "due_on__lt": timezone.localdate()}
        return queryset.filter(**late) if value else queryset.exclude(**late)


class FollowUpViewSet(ViewSet):
    model = FollowUp
    url_prefix = "follow_ups"
    form_class = FollowUpForm
    filterset_class = FollowUpFilterSet
    menu_group = "investment"
    menu_order = 45
    icon = "checklist"
    table = Table(
        columns=[
            Column("description", order_by="description", link=True),
            Column("lead.company_name", label=_("investment lead"), order_by="lead__company_name"),
            Column("due_on", order_by="due_on"),
            Column(
                "responsible_person.name", label=_("responsible person"), order_by="responsible_person__name"
            ),
            Column("done_on", order_by="done_on"),
        ],
        select_related=("lead", "responsible_person"),
        default_order=("due_on", "lead__company_name"),
    )


class MacroRegionFilterSet(ScopedFilterSet):
    search_fields = ("name",)

    class Meta:
        model = MacroRegion
        fields = []


class MacroRegionViewSet(ViewSet):
    """Reference data (loaded by a migration): read-only, no form."""

    model = MacroRegion
    url_prefix = "macro_regions"
    filterset_class = MacroRegionFilterSet
    menu_group = "investment"
    menu_order = 90
    icon = "map-2"
    search_rank = REFERENCE_RANK
    table = Table(
        columns=[Column("name", order_by="name", link=True), Column("source")],
        default_order=("name",),
    )
