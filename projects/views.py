import django_filters
from django.utils.translation import gettext_lazy as _

from chainboard.filters import LookupFilter, ScopedFilterSet, YearFilter
from chainboard.tables import Column, Table
from chainboard.views.generic import DetailAction, DetailView, ViewSet
from chains.models import Segment
from regions.models import Region

from .forms import MilestoneForm, ProjectForm, ProjectPlanForm
from .models import Milestone, ProgressReport, Project, ProjectPlan, SchedulingRound
from .round_views import ProjectFileProgressView


class ProjectFilterSet(ScopedFilterSet):
    search_fields = ("name", "owner__name")
    region = LookupFilter(
        queryset=Region.objects.all(),
        lookup_url_name="regions:region_lookup",
        subtree_path="path",
        label=_("region"),
        help_text=_("The region and everything below it."),
    )
    segment = django_filters.ModelChoiceFilter(
        queryset=Segment.objects.select_related("chain"),  # a segment reads with its chain's name
        label=_("segment"),
    )
    started_year = YearFilter(field_name="started_on__year", label=_("year construction started"))
    planned_start_after = django_filters.DateFilter(
        field_name="planned_start", lookup_expr="gte", label=_("planned start from")
    )

    class Meta:
        model = Project
        fields = ["stage", "light", "kind", "chain", "segment", "responsible_unit", "is_sample"]


class ProjectViewSet(ViewSet):
    model = Project
    url_prefix = "projects"
    form_class = ProjectForm
    filterset_class = ProjectFilterSet
    menu_group = "projects"
    menu_label = _("Projects")  # 重点项目: the verbose name says 项目
    menu_order = 10
    icon = "building-factory-2"
    search_rank = 50
    instructions = True  # leaders instruct (批示) on key projects (docs/instructions.md)
    facets = (("stage", "stage"), ("light", "light"))
    detail_actions = [
        DetailAction(
            "file_progress",
            _("File progress"),
            ProjectFileProgressView,
            route="file-progress/",
            action="file_progress",
            icon="progress-check",
        )
    ]
    table = Table(
        columns=[
            Column("name", order_by="name", link=True),
            Column("stage", order_by="stage"),
            Column("light", order_by="light"),
            Column("light_rule", label=_("light rule")),
            Column("owner.name", label=_("owner enterprise"), order_by="owner__name"),
            Column("region.name", label=_("region"), order_by="region__code"),
            Column("total_investment", order_by="total_investment"),
            Column("planned_start", order_by="planned_start"),
        ],
        select_related=("owner", "region"),
        default_order=("name",),
    )
    detail_related = [
        (
            _("Investment plans"),
            "plans",
            Table(
                columns=[
                    Column("year", link=True),
                    Column("planned_investment"),
                    Column("completed_investment"),
                ],
                default_order=("-year",),
            ),
        ),
        (
            _("Milestones"),
            "milestones",
            Table(
                columns=[Column("name", link=True), Column("planned_date"), Column("actual_date")],
                default_order=("planned_date", "name"),
            ),
        ),
        (
            _("Progress reports"),
            "progress_reports",
            Table(
                columns=[
                    Column("round", link=True),
                    Column("filed_at"),
                    Column("completed_investment"),
                    Column("progress_pct"),
                    Column("problems"),
                ],
                select_related=("round", "round__chain"),
                default_order=("-round__year", "-round__month"),
            ),
        ),
    ]


class ProjectPlanFilterSet(ScopedFilterSet):
    search_fields = ("project__name",)
    in_global_search = False  # found by its project

    class Meta:
        model = ProjectPlan
        fields = ["year", "project__chain", "is_sample"]


class ProjectPlanViewSet(ViewSet):
    model = ProjectPlan
    url_prefix = "project_plans"
    form_class = ProjectPlanForm
    filterset_class = ProjectPlanFilterSet
    menu_group = "projects"
    menu_order = 20
    icon = "report-money"
    table = Table(
        columns=[
            Column("project.name", label=_("project"), order_by="project__name", link=True),
            Column("year", order_by="year"),
            Column("planned_investment", order_by="planned_investment"),
            Column("completed_investment", order_by="completed_investment"),
        ],
        select_related=("project",),
        default_order=("project__name", "-year"),
    )


class MilestoneFilterSet(ScopedFilterSet):
    search_fields = ("name", "project__name")
    in_global_search = False  # found by its project

    class Meta:
        model = Milestone
        fields = ["project__chain", "is_sample"]


class MilestoneViewSet(ViewSet):
    model = Milestone
    url_prefix = "milestones"
    form_class = MilestoneForm
    filterset_class = MilestoneFilterSet
    menu_group = "projects"
    menu_label = _("Milestones")  # 项目节点: the verbose name says 节点
    menu_order = 30
    icon = "flag"
    table = Table(
        columns=[
            Column("name", order_by="name", link=True),
            Column("project.name", label=_("project"), order_by="project__name"),
            Column("planned_date", order_by="planned_date"),
            Column("actual_date", order_by="actual_date"),
        ],
        select_related=("project",),
        default_order=("project__name", "planned_date", "name"),
    )


class SchedulingRoundFilterSet(ScopedFilterSet):
    in_global_search = False

    class Meta:
        model = SchedulingRound
        fields = ["chain", "year", "month", "status", "is_sample"]


class SchedulingRoundDetailView(DetailView):
    """The round's page: who has filed and who has not, with remind and close for the office."""

    def extra_context(self, obj) -> dict:
        from chainboard import scope

        from .rounds import may_file

        user = self.request.user
        reports = list(
            ProgressReport.objects.restrict(user, "view")
            .filter(round=obj)
            .select_related("project", "responsible", "filed_by")
            .order_by("project__name")
        )
        for report in reports:
            report.can_file = obj.is_open and may_file(user, report)
        can_manage = obj.is_open and scope.can(user, "change", obj)
        return {
            "filed": [r for r in reports if r.filed],
            "unfiled": [r for r in reports if not r.filed],
            "can_manage": can_manage,
        }


class SchedulingRoundViewSet(ViewSet):
    """Rounds are opened, reminded and closed through their own actions (projects/rounds.py), not a
    generic form: opening makes the report rows, closing freezes them."""

    model = SchedulingRound
    menu_group = "projects"
    menu_order = 40
    url_prefix = "scheduling_rounds"
    filterset_class = SchedulingRoundFilterSet
    icon = "calendar-event"
    detail_view = SchedulingRoundDetailView
    detail_template = "projects/round_detail.html"
    list_template = "projects/round_list.html"
    facets = (("status", "status"),)
    table = Table(
        columns=[
            Column("chain.name", label=_("chain"), order_by="chain__name", link=True),
            Column("year", order_by="year"),
            Column("month", order_by="month"),
            Column("status", order_by="status"),
            Column("due_on", order_by="due_on"),
            Column("closed_at", order_by="closed_at"),
        ],
        select_related=("chain",),
        default_order=("-year", "-month", "chain__name"),
    )


class ProgressReportFilterSet(ScopedFilterSet):
    search_fields = ("project__name",)
    in_global_search = False  # found by its project
    round = django_filters.ModelChoiceFilter(
        queryset=SchedulingRound.objects.select_related("chain"),  # a round reads with its chain's name
        label=_("scheduling round"),
    )
    filed = django_filters.BooleanFilter(
        field_name="filed_at", lookup_expr="isnull", exclude=True, label=_("filed")
    )

    class Meta:
        model = ProgressReport
        fields = ["round", "project__chain", "round__year", "round__month", "is_sample"]


class ProgressReportViewSet(ViewSet):
    """Read-only here: reports are filed on the round's filing page (projects/rounds.py)."""

    model = ProgressReport
    url_prefix = "progress_reports"
    filterset_class = ProgressReportFilterSet
    icon = "progress-check"
    table = Table(
        columns=[
            Column("project.name", label=_("project"), order_by="project__name", link=True),
            Column("round", label=_("scheduling round"), order_by="round__year"),
            Column("responsible", order_by="responsible__username"),
            Column("filed_at", order_by="filed_at"),
            Column("completed_investment", order_by="completed_investment"),
            Column("progress_pct", order_by="progress_pct"),
        ],
        select_related=("project", "round", "round__chain", "responsible"),
        default_order=("-round__year", "-round__month", "project__name"),
    )
