"""Key projects (重点项目): what is being built, by whom, for how much, and how far it has come.

A project's stage moves through a workflow (谋划 → 签约 → 开工 → 在建 → 竣工 → 投产, or 暂停 / 终止 with a
reason); it lands (落地) when it reaches 开工 (docs/projects.md). Its traffic light is computed by explicit
rules from its plans and reported progress and stored with the rule that fired, so lists filter and count
by light with an index.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainboard.formatting import MONEY
from chainboard.models import NON_NEGATIVE, AuditedModel
from chainboard.tables import reads
from chainboard.workflow import Transition, Workflow

PROJECT_SCOPE = {"chain": "chain", "region": "region__path", "enterprise": "owner"}
CHILD_SCOPE = {"chain": "project__chain", "region": "project__region__path", "enterprise": "project__owner"}


class ProjectKind(models.TextChoices):
    NEW = "new", _("new build")
    EXPANSION = "expansion", _("expansion")
    UPGRADE = "upgrade", _("technical upgrade")


class ProjectStage(models.TextChoices):
    PLANNING = "planning", _("planning")
    SIGNED = "signed", _("signed")
    STARTED = "started", _("construction started")
    BUILDING = "building", _("under construction")
    COMPLETED = "completed", _("completed")
    IN_PRODUCTION = "in_production", _("in production")
    SUSPENDED = "suspended", _("suspended")
    TERMINATED = "terminated", _("terminated")

    @property
    def colour(self) -> str:
        return {
            "planning": "secondary",
            "signed": "blue",
            "started": "cyan",
            "building": "indigo",
            "completed": "teal",
            "in_production": "green",
            "suspended": "orange",
            "terminated": "dark",
        }[self.value]


# Stages at or after 开工: the project has landed (落地, docs/projects.md).
LANDED_STAGES = (
    ProjectStage.STARTED,
    ProjectStage.BUILDING,
    ProjectStage.COMPLETED,
    ProjectStage.IN_PRODUCTION,
)


class Light(models.TextChoices):
    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    RED = "red", _("red")
    GREY = "grey", _("grey (no plan data)")

    @property
    def colour(self) -> str:
        return {"green": "green", "yellow": "yellow", "red": "red", "grey": "secondary"}[self.value]


ACTIVE_STAGES = (
    ProjectStage.PLANNING,
    ProjectStage.SIGNED,
    ProjectStage.STARTED,
    ProjectStage.BUILDING,
    ProjectStage.COMPLETED,
)


def _started_on_check(project, cleaned: dict) -> dict[str, str]:
    started_on = cleaned.get("started_on")
    if started_on is not None and started_on > timezone.localdate():
        return {"started_on": _("The start date cannot be in the future.")}
    return {}


def _suspend(project, cleaned: dict) -> None:
    project.suspended_from = project.stage


def _resume(project, cleaned: dict) -> None:
    project.halt_reason = ""
    project.suspended_from = ""


STAGE_WORKFLOW = Workflow(
    field="stage",
    transitions=[
        Transition("sign", (ProjectStage.PLANNING,), ProjectStage.SIGNED, _("Sign"), icon="signature"),
        Transition(
            "start",
            (ProjectStage.PLANNING, ProjectStage.SIGNED),
            ProjectStage.STARTED,
            _("Start construction"),
            fields=("started_on",),
            requires=("started_on",),
            initial={"started_on": timezone.localdate},
            clean=_started_on_check,
            icon="shovel",
        ),
        Transition(
            "build",
            (ProjectStage.STARTED,),
            ProjectStage.BUILDING,
            _("Mark under construction"),
            icon="crane",
        ),
        Transition(
            "complete",
            (ProjectStage.STARTED, ProjectStage.BUILDING),
            ProjectStage.COMPLETED,
            _("Complete"),
            icon="flag-check",
        ),
        Transition(
            "produce",
            (ProjectStage.COMPLETED,),
            ProjectStage.IN_PRODUCTION,
            _("Go into production"),
            icon="building-factory",
        ),
        Transition(
            "suspend",
            ACTIVE_STAGES,
            ProjectStage.SUSPENDED,
            _("Suspend"),
            fields=("halt_reason",),
            requires=("halt_reason",),
            apply=_suspend,
            icon="player-pause",
            style="warning",
        ),
        Transition(
            "resume",
            (ProjectStage.SUSPENDED,),
            lambda project: project.suspended_from or ProjectStage.PLANNING,
            _("Resume"),
            apply=_resume,
            icon="player-play",
        ),
        Transition(
            "terminate",
            (*ACTIVE_STAGES, ProjectStage.SUSPENDED),
            ProjectStage.TERMINATED,
            _("Terminate"),
            fields=("halt_reason",),
            requires=("halt_reason",),
            icon="ban",
            style="danger",
        ),
    ],
)


class Project(AuditedModel):
    """A key investment project (重点项目) on a chain."""

    search_fields = ("name",)  # indexed by chainboard.search (the owner's name through its own index)

    name = models.CharField(
        verbose_name=_("name"),
        max_length=200,
        db_index=True,
    )
    owner = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("owner enterprise"),
        on_delete=models.PROTECT,
        null=True,  # unknown stays unknown (rules.md)
        blank=True,
        related_name="projects",
    )
    chain = models.ForeignKey(
        "chains.Chain",
        verbose_name=_("chain"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    segment = models.ForeignKey(
        "chains.Segment",
        verbose_name=_("segment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="projects",
        help_text=_("The county or town where it is built; the city when the county is unknown."),
    )
    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=16,
        choices=ProjectKind.choices,
        blank=True,
    )
    stage = models.CharField(
        verbose_name=_("stage"),
        max_length=16,
        choices=ProjectStage.choices,
        default=ProjectStage.PLANNING,
        db_index=True,
    )
    total_investment = models.DecimalField(
        verbose_name=_("total investment (yuan)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
    )
    planned_start = models.DateField(
        verbose_name=_("planned start"),
        null=True,
        blank=True,
    )
    planned_finish = models.DateField(
        verbose_name=_("planned finish"),
        null=True,
        blank=True,
    )
    started_on = models.DateField(
        verbose_name=_("started on"),
        null=True,
        blank=True,
        help_text=_("The day construction started (开工): the project landed then."),
    )
    responsible_unit = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    responsible_person = models.ForeignKey(
        "organisations.Person",
        verbose_name=_("responsible person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responsible_projects",
        help_text=_("Files the project's monthly progress, with the user account linked to the person."),
    )
    liaison_position = models.ForeignKey(
        "chains.Position",
        verbose_name=_("liaison leader (position)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="liaison_projects",
        help_text=_("包联领导: the leader in charge of the project, by position."),
    )
    liaison_person = models.ForeignKey(
        "organisations.Person",
        verbose_name=_("liaison leader (person)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="liaison_projects",
    )
    halt_reason = models.TextField(
        verbose_name=_("reason for suspension or termination"),
        blank=True,
    )
    suspended_from = models.CharField(
        verbose_name=_("suspended at stage"),
        max_length=16,
        choices=ProjectStage.choices,
        blank=True,
        editable=False,
        help_text=_("The stage a suspended project returns to when it resumes."),
    )
    description = models.TextField(
        verbose_name=_("description"),
        blank=True,
    )
    light = models.CharField(
        verbose_name=_("traffic light"),
        max_length=8,
        choices=Light.choices,
        default=Light.GREY,
        editable=False,
        db_index=True,
    )
    light_rule = models.CharField(
        verbose_name=_("light rule"),
        max_length=32,
        default="no_plan",
        blank=True,
        editable=False,
        help_text=_("The rule that set the light (projects/lights.py), shown in words."),
    )
    light_params = models.JSONField(
        verbose_name=_("light rule figures"),
        default=dict,
        blank=True,
        editable=False,
    )

    scope_paths = PROJECT_SCOPE
    # Named actions a role may be granted (docs/roles.md): moving the stage, filing the monthly progress.
    named_actions = ("transition", "file_progress")
    workflow = STAGE_WORKFLOW
    detail_fields = (
        "name",
        "stage",
        "light",
        "light_rule",
        "owner",
        "chain",
        "segment",
        "region",
        "kind",
        "total_investment",
        "planned_start",
        "planned_finish",
        "started_on",
        "responsible_unit",
        "responsible_person",
        "liaison_position",
        "liaison_person",
        "halt_reason",
        "description",
        "source",
    )
    money_fields = ("total_investment",)
    measures = {"total_investment": MONEY}
    import_aliases = {
        "name": ("项目名称", "项目"),
        "owner": ("建设单位", "业主单位", "项目业主", "实施主体"),
        "chain": ("所属产业链", "产业链"),
        "segment": ("所属环节", "环节"),
        "region": ("建设地点", "所在县（市、区）", "县区"),
        "kind": ("建设性质", "项目类型"),
        "total_investment": ("总投资", "计划总投资"),
        "planned_start": ("计划开工时间", "计划开工日期"),
        "planned_finish": ("计划竣工时间", "计划竣工日期"),
        "responsible_unit": ("责任单位",),
        "responsible_person": ("责任人", "项目负责人"),
        "description": ("建设内容", "建设规模及内容"),
    }

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name"]
        # The list and the desk filter, sort and count by light and stage within a chain, a county or
        # everything (bench/README.md, "Issue 14: projects"): (chain, light, stage) a chain's projects
        # by light and by stage from the index alone; (light, name) the first page of a light in name
        # order without sorting every row of it; (light, stage) both facets of a light; (region, light)
        # a county's lights without reading every red project once per town.
        indexes = [
            models.Index(fields=["chain", "light", "stage"], name="project_chain_light_idx"),
            models.Index(fields=["light", "name"], name="project_light_name_idx"),
            models.Index(fields=["light", "stage"], name="project_light_stage_idx"),
            models.Index(fields=["region", "light"], name="project_region_light_idx"),
            # The desk's projects landed this year, per chain, from the index alone.
            models.Index(fields=["chain", "started_on", "stage"], name="project_chain_started_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @reads("light_rule", "light_params")  # an export computes it from these values alone
    def get_light_rule_display(self) -> str:
        """The rule that set the light, in the reader's language (the list, the detail, exports)."""
        from projects.lights import describe

        return describe(self.light_rule, self.light_params)

    @property
    def responsible_user(self):
        """The user account that files the project's progress: the responsible person's, if any."""
        person = self.responsible_person
        return person.user if person is not None else None

    @property
    def landed(self) -> bool:
        return self.stage in LANDED_STAGES

    def clean(self) -> None:
        errors = {}
        if self.planned_start and self.planned_finish and self.planned_finish < self.planned_start:
            errors["planned_finish"] = _("The planned finish is before the planned start.")
        if self.segment_id and self.chain_id and self.segment.chain_id != self.chain_id:
            errors["segment"] = _("This segment belongs to another chain.")
        if self.liaison_position_id and self.chain_id and self.liaison_position.chain_id != self.chain_id:
            errors["liaison_position"] = _("This position is on another chain.")
        if errors:
            raise ValidationError(errors)


class ProjectPlan(AuditedModel):
    """A project's investment for one year: planned, and completed as filed (时序进度 compares them)."""

    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="plans",
    )
    year = models.PositiveSmallIntegerField(
        verbose_name=_("year"),
    )
    planned_investment = models.DecimalField(
        verbose_name=_("planned investment (yuan)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
    )
    completed_investment = models.DecimalField(
        verbose_name=_("completed investment (yuan)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text=_("This year's completed investment so far, as last filed."),
    )

    scope_paths = CHILD_SCOPE
    detail_fields = ("project", "year", "planned_investment", "completed_investment", "source")
    money_fields = ("planned_investment", "completed_investment")
    measures = dict.fromkeys(money_fields, MONEY)
    import_aliases = {
        "project": ("项目名称", "项目"),
        "year": ("年份", "年度"),
        "planned_investment": ("年度计划投资", "计划投资"),
        "completed_investment": ("完成投资", "年度完成投资"),
    }

    class Meta:
        verbose_name = _("investment plan")
        verbose_name_plural = _("investment plans")
        ordering = ["project", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "year"],
                name="projectplan_unique_year",
                violation_error_message=_("This project has a plan for this year already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.year}"


class Milestone(AuditedModel):
    """A dated step of a project: land approved, foundation laid, equipment installed…"""

    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="milestones",
    )
    name = models.CharField(
        verbose_name=_("name"),
        max_length=200,
    )
    planned_date = models.DateField(
        verbose_name=_("planned date"),
        null=True,
        blank=True,
    )
    actual_date = models.DateField(
        verbose_name=_("actual date"),
        null=True,
        blank=True,
    )

    scope_paths = CHILD_SCOPE
    detail_fields = ("project", "name", "planned_date", "actual_date", "source")

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "planned_date", "name"]

    def __str__(self) -> str:
        return f"{self.project} · {self.name}"


from .rounds_models import ProgressReport, RoundStatus, SchedulingRound  # noqa: E402  (they refer to Project)

__all__ = [
    "LANDED_STAGES",
    "Light",
    "Milestone",
    "ProgressReport",
    "Project",
    "ProjectKind",
    "ProjectPlan",
    "ProjectStage",
    "RoundStatus",
    "SchedulingRound",
]
