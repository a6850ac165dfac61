"""The closed loop (闭环管理): enterprise problems (企业诉求) and tasks (任务/交办) handled to the end, on time.

A problem is raised (by the enterprise, by staff on its behalf, or from a meeting or visit record), accepted
or returned by the office, assigned to a handling unit with a deadline in working days, handled with
progress notes, answered, and rated by its raiser: satisfied closes it, dissatisfied reopens it. A task is
the same loop without the rating: the assigner confirms the answer. docs/closed-loop.md.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chainboard.models import NON_NEGATIVE, AuditedModel

from .loop import loop_workflow


class LoopState(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    ACCEPTED = "accepted", _("accepted")
    RETURNED = "returned", _("returned")
    ASSIGNED = "assigned", _("assigned")
    IN_PROGRESS = "in_progress", _("in progress")
    ANSWERED = "answered", _("answered")
    CLOSED = "closed", _("closed")

    @property
    def colour(self) -> str:
        return {
            "submitted": "secondary",
            "accepted": "blue",
            "returned": "dark",
            "assigned": "cyan",
            "in_progress": "indigo",
            "answered": "teal",
            "closed": "green",
        }[self.value]


# States in which a deadline runs (the item is with a handling unit).
OPEN_STATES = (LoopState.ASSIGNED, LoopState.IN_PROGRESS)


class RaisedVia(models.TextChoices):
    ENTERPRISE = "enterprise", _("by the enterprise")
    STAFF = "staff", _("by staff on its behalf")
    MEETING = "meeting", _("from a meeting or visit")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
    DISSATISFIED = "dissatisfied", _("dissatisfied")

    @property
    def colour(self) -> str:
        return {"satisfied": "green", "basically_satisfied": "teal", "dissatisfied": "red"}[self.value]


class MeetingKind(models.TextChoices):
    MEETING = "meeting", _("meeting")
    VISIT = "visit", _("visit")


class ProblemKind(AuditedModel):
    """A kind of enterprise problem (要素保障, 融资, 用工, 审批, 市场, 其他): a list administrators keep."""

    name = models.CharField(
        verbose_name=_("name"),
        max_length=50,
        unique=True,
    )
    order = models.PositiveSmallIntegerField(
        verbose_name=_("order"),
        default=0,
    )
    active = models.BooleanField(
        verbose_name=_("active"),
        default=True,
        help_text=_("An inactive kind is kept on old problems but not offered for new ones."),
    )

    detail_fields = ("name", "order", "active")
    import_aliases = {"name": ("诉求类型", "类型", "名称"), "order": ("排序", "顺序")}

    class Meta:
        verbose_name = _("problem kind")
        verbose_name_plural = _("problem kinds")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class MeetingRecord(AuditedModel):
    """A meeting or an enterprise visit (会议/走访记录); each line of its decisions becomes a task or a
    problem in one action."""

    search_fields = ("title", "attendees", "decisions")  # indexed by chainboard.search

    title = models.CharField(
        verbose_name=pgettext_lazy("document", "title"),
        max_length=200,
    )
    held_on = models.DateField(
        verbose_name=_("held on"),
    )
    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=16,
        choices=MeetingKind.choices,
        default=MeetingKind.MEETING,
    )
    chain = models.ForeignKey(
        "chains.Chain",
        verbose_name=_("chain"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting_records",
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting_records",
    )
    attendees = models.TextField(
        verbose_name=_("attendees"),
        blank=True,
    )
    decisions = models.TextField(
        verbose_name=_("decisions"),
        blank=True,
        help_text=_("One decision a line; each line can become a task or a problem."),
    )

    scope_paths = {"chain": "chain", "region": "region__path"}
    named_actions = ("make_items",)
    detail_fields = ("title", "held_on", "kind", "chain", "region", "attendees", "decisions", "source")
    import_aliases = {
        "title": ("会议名称", "标题", "主题"),
        "held_on": ("日期", "召开日期", "走访日期"),
        "attendees": ("参会人员", "参加人员"),
        "decisions": ("议定事项", "会议决定"),
    }

    class Meta:
        verbose_name = _("meeting or visit record")
        verbose_name_plural = _("meeting and visit records")
        ordering = ["-held_on", "title"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"

    def decision_lines(self) -> list[str]:
        return [line.strip(" \t-·•") for line in self.decisions.splitlines() if line.strip(" \t-·•")]


class LoopFields(AuditedModel):
    """What a problem and a task share: the state, the unit and handler, the deadline in working days,
    the answer and the escalation."""

    title = models.CharField(
        verbose_name=pgettext_lazy("document", "title"),
        max_length=200,
        db_index=True,
    )
    description = models.TextField(
        verbose_name=_("description"),
        blank=True,
    )
    chain = models.ForeignKey(
        "chains.Chain",
        verbose_name=_("chain"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)ss",
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)ss",
    )
    meeting = models.ForeignKey(
        MeetingRecord,
        verbose_name=_("meeting or visit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)ss",
    )
    state = models.CharField(
        verbose_name=_("state"),
        max_length=16,
        choices=LoopState.choices,
        default=LoopState.SUBMITTED,
        db_index=True,
    )
    handler = models.ForeignKey(
        "organisations.Person",
        verbose_name=_("handler"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_%(class)ss",
    )
    assigned_on = models.DateField(
        verbose_name=_("assigned on"),
        null=True,
        blank=True,
    )
    deadline_days = models.PositiveSmallIntegerField(
        verbose_name=_("deadline (working days)"),
        null=True,
        blank=True,
        help_text=_("Counted from the next working day after assignment, honouring statutory holidays."),
    )
    due_on = models.DateField(
        verbose_name=_("due on"),
        null=True,
        blank=True,
    )
    due_provisional = models.BooleanField(
        verbose_name=_("provisional due date"),
        default=False,
        help_text=_("The year's holiday schedule is not published yet: counted on plain weekdays."),
    )
    answered_on = models.DateField(
        verbose_name=_("answered on"),
        null=True,
        blank=True,
    )
    closed_on = models.DateField(
        verbose_name=_("closed on"),
        null=True,
        blank=True,
    )
    answer = models.TextField(
        verbose_name=_("answer"),
        blank=True,
    )
    reopen_count = models.PositiveSmallIntegerField(
        verbose_name=_("times reopened"),
        default=0,
        editable=False,
    )
    escalation_level = models.PositiveSmallIntegerField(
        verbose_name=_("escalation level"),
        default=0,
        editable=False,
        help_text=_("0 none, 1 escalated to the office, 2 escalated to the chief."),
    )
    escalated_on = models.DateField(
        verbose_name=_("escalated on"),
        null=True,
        blank=True,
        editable=False,
    )
    extension_requested_days = models.PositiveSmallIntegerField(
        verbose_name=_("extension requested (working days)"),
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
    )
    extension_reason = models.TextField(
        verbose_name=_("reason for the extension"),
        blank=True,
    )
    return_reason = models.TextField(
        verbose_name=_("reason for returning or transferring"),
        blank=True,
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def unit(self):
        """The unit holding the item (a problem's handling unit, a task's owner unit)."""
        return getattr(self, self.unit_field)

    @property
    def unit_id(self):
        return getattr(self, f"{self.unit_field}_id")


class Problem(LoopFields):
    """An enterprise's problem or request (企业诉求), handled to the end and rated by its raiser."""

    search_fields = ("title", "description")  # indexed by chainboard.search (the search box, the list's q)

    kind = models.ForeignKey(
        ProblemKind,
        verbose_name=_("kind"),
        on_delete=models.PROTECT,
        related_name="problems",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="problems",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="raised_problems",
    )
    raised_via = models.CharField(
        verbose_name=_("raised"),
        max_length=16,
        choices=RaisedVia.choices,
        default=RaisedVia.STAFF,
    )
    handling_unit = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("handling unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_problems",
    )
    rating = models.CharField(
        verbose_name=_("rating"),
        max_length=24,
        choices=Rating.choices,
        blank=True,
    )

    scope_paths = {
        "chain": "chain",
        "region": "region__path",
        "enterprise": "enterprise",
        "unit": "handling_unit",
    }
    named_actions = ("transition", "assign", "handle", "rate", "approve_extension", "escalate", "attach")
    workflow = loop_workflow("handling_unit", rated=True)
    unit_field = "handling_unit"
    detail_fields = (
        "title",
        "state",
        "kind",
        "enterprise",
        "chain",
        "region",
        "raised_via",
        "meeting",
        "handling_unit",
        "handler",
        "assigned_on",
        "deadline_days",
        "due_on",
        "due_provisional",
        "answered_on",
        "answer",
        "rating",
        "closed_on",
        "reopen_count",
        "escalation_level",
        "escalated_on",
        "extension_requested_days",
        "extension_reason",
        "return_reason",
        "description",
        "source",
    )
    import_aliases = {
        "title": ("诉求标题", "问题", "标题"),
        "kind": ("诉求类型", "问题类型", "类型"),
        "enterprise": ("企业名称", "企业"),
        "chain": ("产业链",),
        "region": ("县区", "所在县（市、区）"),
        "handling_unit": ("承办单位", "责任单位"),
        "description": ("诉求内容", "问题描述", "具体内容"),
    }

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["handling_unit", "state", "due_on"], name="problem_unit_state_due_idx"),
            models.Index(fields=["state", "due_on"], name="problem_state_due_idx"),
            models.Index(fields=["handling_unit", "closed_on"], name="problem_unit_closed_idx"),
            models.Index(fields=["kind", "closed_on"], name="problem_kind_closed_idx"),
            models.Index(fields=["region", "closed_on"], name="problem_region_closed_idx"),
            # A unit's list offers the chains its problems name (a unit may not view chains): read off
            # this index alone (bench/README.md, Issue 16).
            models.Index(fields=["handling_unit", "chain"], name="problem_unit_chain_idx"),
            # A chain's problems by state, its open ones by deadline, its closed ones by date: the chief's
            # desk cards (the loop's counts and the year's statistics; bench/README.md, "Issue 14").
            models.Index(fields=["chain", "state", "due_on"], name="problem_chain_state_due_idx"),
            models.Index(fields=["chain", "state", "closed_on"], name="problem_chain_state_closed_idx"),
            # The list's and the search box's order: the first hits of a common term are found by walking
            # it and probing the search index per row instead of sorting every match (chainboard.search).
            models.Index(fields=["created_at"], name="problem_created_idx"),
        ]

    def clean(self) -> None:
        errors = {}
        if self.enterprise_id and self.region_id is None:
            self.region_id = self.enterprise.region_id  # defaults from the enterprise
        if self.enterprise_id and self.chain_id is None:
            chains = list(self.enterprise.chains.values_list("pk", flat=True)[:2])
            if len(chains) == 1:
                self.chain_id = chains[0]
        if (
            self.handler_id
            and self.handling_unit_id
            and self.handler.organisation_id != self.handling_unit_id
        ):
            errors["handler"] = _("The handler does not belong to the handling unit.")
        if errors:
            raise ValidationError(errors)


class Task(LoopFields):
    """A task (任务/交办): a next-step commitment or a meeting decision, with an owner unit and a deadline;
    the loop without the rating (the assigner confirms the answer)."""

    search_fields = ("title", "description")  # indexed by chainboard.search

    owner_unit = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("owner unit"),
        on_delete=models.PROTECT,
        related_name="owned_tasks",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    problem = models.ForeignKey(
        Problem,
        verbose_name=_("problem"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    lead = models.ForeignKey(
        "investment.Lead",
        verbose_name=_("investment lead"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    scope_paths = {"chain": "chain", "region": "region__path", "unit": "owner_unit"}
    named_actions = ("transition", "assign", "handle", "approve_extension", "escalate", "attach")
    workflow = loop_workflow("owner_unit", rated=False)
    unit_field = "owner_unit"
    detail_fields = (
        "title",
        "state",
        "owner_unit",
        "handler",
        "chain",
        "region",
        "project",
        "problem",
        "meeting",
        "assigned_on",
        "deadline_days",
        "due_on",
        "due_provisional",
        "answered_on",
        "answer",
        "closed_on",
        "reopen_count",
        "escalation_level",
        "escalated_on",
        "extension_requested_days",
        "extension_reason",
        "return_reason",
        "description",
        "source",
    )
    import_aliases = {
        "title": ("任务", "任务名称", "工作任务"),
        "owner_unit": ("责任单位", "牵头单位", "承办单位"),
        "chain": ("产业链",),
        "description": ("任务内容", "具体内容"),
    }

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner_unit", "state", "due_on"], name="task_unit_state_due_idx"),
            models.Index(fields=["state", "due_on"], name="task_state_due_idx"),
            models.Index(fields=["created_at"], name="task_created_idx"),  # as problem_created_idx
        ]

    def clean(self) -> None:
        if self.handler_id and self.owner_unit_id and self.handler.organisation_id != self.owner_unit_id:
            raise ValidationError({"handler": _("The handler does not belong to the owner unit.")})


class ProgressNote(AuditedModel):
    """A progress note (办理进展) on a problem or a task, written by its handling unit."""

    problem = models.ForeignKey(
        Problem,
        verbose_name=_("problem"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notes",
    )
    task = models.ForeignKey(
        Task,
        verbose_name=_("task"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notes",
    )
    note = models.TextField(
        verbose_name=_("note"),
    )
    noted_on = models.DateField(
        verbose_name=_("noted on"),
    )
    # The parent's scope, copied on save: a note is seen by whoever sees its problem or task, and a
    # problem's note and a task's note are scoped by one set of paths.
    chain = models.ForeignKey(
        "chains.Chain",
        verbose_name=_("chain"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    unit = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("handling unit"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )

    scope_paths = {"chain": "chain", "region": "region__path", "enterprise": "enterprise", "unit": "unit"}
    detail_fields = ("problem", "task", "noted_on", "note")

    class Meta:
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        ordering = ["-noted_on", "-id"]

    def __str__(self) -> str:
        return f"{self.noted_on} {self.note[:40]}"

    @property
    def parent(self) -> Problem | Task | None:
        return self.problem or self.task

    def clean(self) -> None:
        if (self.problem_id is None) == (self.task_id is None):
            raise ValidationError(_("A progress note belongs to a problem or to a task."))

    def save(self, *args, **kwargs):
        parent = self.parent
        if parent is not None:
            self.chain_id, self.region_id = parent.chain_id, parent.region_id
            self.enterprise_id = getattr(parent, "enterprise_id", None)
            self.unit_id = parent.handling_unit_id if isinstance(parent, Problem) else parent.owner_unit_id
        super().save(*args, **kwargs)
