import django_filters
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainboard import scope
from chainboard.filters import LookupFilter, ScopedFilterSet
from chainboard.tables import Column, Table
from chainboard.views.generic import DetailAction, ViewSet
from chainboard.views.transitions import TransitionView
from enterprises.models import Enterprise
from regions.models import Region

from .forms import MeetingRecordForm, ProblemForm, ProblemKindForm, ProgressNoteForm, TaskForm
from .models import OPEN_STATES, MeetingRecord, Problem, ProblemKind, ProgressNote, Task
from .raising import MakeItemsView
from .stats import COUNTY_DIGITS


class ActionMoveView(TransitionView):
    """A move's page under the route of its named action (``problems/<pk>/assign/transfer/``): the same form
    as ``transitions/<move>/``, limited to the moves of that action, so that each named action has a page
    of its own that the permission matrix tries (problems/tests/matrix.py, ``NAMED_ROUTES``)."""

    def setup_move(self, move_name: str):
        flow = self.model.workflow
        if move_name not in {m.name for m in flow.transitions if m.action == self.action}:
            raise Http404
        return super().setup_move(move_name)


def move_actions(model, labels: dict) -> list[DetailAction]:
    """One DetailAction per named action of the loop beyond ``transition`` (which the framework routes)."""
    return [
        DetailAction(
            action,
            label,
            type(f"{action.title()}MoveView", (ActionMoveView,), {"action": action}),
            route=f"{action.replace('_', '-')}/<str:move>/",
            action=action,
            button=False,  # the moves are offered on the timeline panel
        )
        for action, label in labels.items()
        if action in model.named_actions
    ]


MOVE_ACTIONS = {
    "assign": _("Assign"),
    "handle": _("Handle"),
    "rate": _("Rate the answer"),
    "approve_extension": _("Decide on the extension"),
    "escalate": _("Escalate"),
}


def _region_filter():
    return LookupFilter(
        queryset=Region.objects.all(),
        lookup_url_name="regions:region_lookup",
        subtree_path="path",
        label=_("region"),
        help_text=_("The region and everything below it."),
    )


class LoopFilterSet(ScopedFilterSet):
    """What problems and tasks are filtered by: the state, the unit, due and overdue, escalation."""

    region = _region_filter()
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("due by"))
    escalated = django_filters.BooleanFilter(method="filter_escalated", label=_("escalated"))
    extension_requested = django_filters.BooleanFilter(
        field_name="extension_requested_days",
        lookup_expr="isnull",
        exclude=True,
        label=_("extension requested"),
    )

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = Q(state__in=OPEN_STATES, due_on__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_escalated(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(escalation_level__gt=0) if value else queryset.filter(escalation_level=0)


class ProblemFilterSet(LoopFilterSet):
    search_fields = ("title", "enterprise__name", "description")
    # A picker, not a drop-down of every enterprise in scope (a million at province scale).
    enterprise = LookupFilter(
        queryset=Enterprise.objects.all(),
        lookup_url_name="enterprises:enterprise_lookup",
        label=_("enterprise"),
    )
    # The statistics' links (problems/stats.py): each figure opens the list of exactly its problems.
    closed_year = django_filters.NumberFilter(field_name="closed_on__year", label=_("year closed"))
    closed_month = django_filters.NumberFilter(field_name="closed_on__month", label=_("month closed"))
    on_time = django_filters.BooleanFilter(method="filter_on_time", label=_("closed on time"))
    reopened = django_filters.BooleanFilter(method="filter_reopened", label=_("reopened"))
    county = django_filters.CharFilter(
        method="filter_county",
        label=_("county code"),
        help_text=_("A county's division code: its problems and those of its towns; - for none."),
    )

    def filter_on_time(self, queryset, name, value):
        if value is None:
            return queryset
        when = Q(closed_on__lte=F("due_on")) if value else Q(closed_on__gt=F("due_on"))
        return queryset.filter(when, closed_on__isnull=False, due_on__isnull=False)

    def filter_reopened(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(reopen_count__gt=0) if value else queryset.filter(reopen_count=0)

    def filter_county(self, queryset, name, value):
        value = value.strip()
        if value == "-":
            return queryset.filter(region__isnull=True)
        return queryset.filter(scope.prefix_range("region_id", value[:COUNTY_DIGITS]))

    class Meta:
        model = Problem
        fields = [
            "state",
            "kind",
            "enterprise",
            "chain",
            "handling_unit",
            "rating",
            "raised_via",
            "escalation_level",
            "is_sample",
        ]


_LOOP_COLUMNS = [
    Column("state", order_by="state"),
    Column("due_on", order_by="due_on"),
    Column("escalation_level", order_by="escalation_level"),
]


class ProblemViewSet(ViewSet):
    model = Problem
    url_prefix = "problems"
    form_class = ProblemForm
    filterset_class = ProblemFilterSet
    menu_group = "problems"
    menu_label = _("Problems")  # 企业诉求: the verbose name says 诉求
    menu_order = 10
    icon = "message-report"
    search_rank = 55
    instructions = True  # leaders instruct (批示) on enterprises' problems
    facets = (("state", "state"), ("kind", "kind"), ("rating", "rating"))
    detail_actions = move_actions(Problem, MOVE_ACTIONS)
    table = Table(
        columns=[
            Column("title", order_by="title", link=True),
            Column("enterprise.name", label=_("enterprise"), order_by="enterprise__name"),
            Column("kind.name", label=_("kind"), order_by="kind__order"),
            Column("handling_unit.name", label=_("handling unit"), order_by="handling_unit__name"),
            *_LOOP_COLUMNS,
            Column("rating", order_by="rating"),
        ],
        select_related=("enterprise", "kind", "handling_unit"),
        default_order=("-created_at",),
    )
    detail_related = [
        (
            _("Progress notes"),
            "notes",
            Table(
                columns=[Column("noted_on", link=True), Column("note")], default_order=("-noted_on", "-id")
            ),
        ),
        (
            _("Tasks"),
            "tasks",
            Table(
                columns=[Column("title", link=True), Column("owner_unit"), Column("state"), Column("due_on")],
                select_related=("owner_unit",),
                default_order=("-created_at",),
            ),
        ),
    ]


class TaskFilterSet(LoopFilterSet):
    search_fields = ("title", "description", "owner_unit__name")

    class Meta:
        model = Task
        fields = ["state", "owner_unit", "chain", "project", "escalation_level", "is_sample"]


class TaskViewSet(ViewSet):
    model = Task
    url_prefix = "tasks"
    form_class = TaskForm
    filterset_class = TaskFilterSet
    menu_group = "problems"
    menu_order = 20
    icon = "checklist"
    search_rank = 56
    instructions = True
    facets = (("state", "state"),)
    detail_actions = move_actions(Task, MOVE_ACTIONS)
    table = Table(
        columns=[
            Column("title", order_by="title", link=True),
            Column("owner_unit.name", label=_("owner unit"), order_by="owner_unit__name"),
            *_LOOP_COLUMNS,
            Column("source", label=_("source")),
        ],
        select_related=("owner_unit",),
        default_order=("-created_at",),
    )
    detail_related = [
        (
            _("Progress notes"),
            "notes",
            Table(
                columns=[Column("noted_on", link=True), Column("note")], default_order=("-noted_on", "-id")
            ),
        ),
    ]


class MeetingRecordFilterSet(ScopedFilterSet):
    search_fields = ("title", "attendees", "decisions")
    region = _region_filter()

    class Meta:
        model = MeetingRecord
        fields = ["kind", "chain", "is_sample"]


class MeetingRecordViewSet(ViewSet):
    model = MeetingRecord
    url_prefix = "meeting_records"
    form_class = MeetingRecordForm
    filterset_class = MeetingRecordFilterSet
    menu_group = "problems"
    menu_order = 30
    icon = "users-group"
    search_rank = 60
    detail_actions = [
        DetailAction(
            "make_items",
            _("Make tasks or problems of the decisions"),
            MakeItemsView,
            route="make-items/",
            action="make_items",
            icon="list-check",
        )
    ]
    table = Table(
        columns=[
            Column("title", order_by="title", link=True),
            Column("held_on", order_by="held_on"),
            Column("kind", order_by="kind"),
            Column("chain.name", label=_("chain"), order_by="chain__name"),
        ],
        select_related=("chain",),
        default_order=("-held_on", "title"),
    )
    detail_related = [
        (
            _("Tasks"),
            "tasks",
            Table(
                columns=[Column("title", link=True), Column("owner_unit"), Column("state")],
                select_related=("owner_unit",),
                default_order=("-created_at",),
            ),
        ),
        (
            _("Problems"),
            "problems",
            Table(
                columns=[Column("title", link=True), Column("enterprise"), Column("state")],
                select_related=("enterprise",),
                default_order=("-created_at",),
            ),
        ),
    ]


class ProgressNoteFilterSet(ScopedFilterSet):
    search_fields = ("note",)
    in_global_search = False  # found by its problem or task

    class Meta:
        model = ProgressNote
        fields = ["problem", "task", "is_sample"]


class ProgressNoteViewSet(ViewSet):
    model = ProgressNote
    url_prefix = "progress_notes"
    form_class = ProgressNoteForm
    filterset_class = ProgressNoteFilterSet
    menu_group = "problems"
    menu_order = 40
    icon = "notes"
    table = Table(
        columns=[
            Column("noted_on", order_by="noted_on", link=True),
            Column("problem.title", label=_("problem")),
            Column("task.title", label=_("task")),
            Column("note"),
        ],
        select_related=("problem", "task"),
        default_order=("-noted_on", "-id"),
    )


class ProblemKindFilterSet(ScopedFilterSet):
    search_fields = ("name",)
    in_global_search = False

    class Meta:
        model = ProblemKind
        fields = ["active"]


class ProblemKindViewSet(ViewSet):
    model = ProblemKind
    url_prefix = "problem_kinds"
    form_class = ProblemKindForm
    filterset_class = ProblemKindFilterSet
    menu_group = "problems"
    menu_order = 90
    icon = "category"
    table = Table(
        columns=[
            Column("name", order_by="name", link=True),
            Column("order", order_by="order"),
            Column("active", order_by="active"),
        ],
        default_order=("order", "name"),
    )
