import django_filters
from django.utils.translation import gettext_lazy as _

from chainboard.filters import LookupFilter, ScopedFilterSet
from chainboard.tables import Column, Table
from chainboard.views.generic import ViewSet
from chains.models import Segment
from regions.models import Region

from .forms import MilestoneForm, ProjectForm, ProjectPlanForm
from .models import Milestone, Project, ProjectPlan


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
    started_year = django_filters.NumberFilter(
        field_name="started_on__year", label=_("year construction started")
    )
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
    table = Table(
        columns=[
            Column("name", order_by="name", link=True),
            Column("stage", order_by="stage"),
            Column("light", order_by="light"),
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
