"""Investment attraction (招商): leads from first contact to production, the teams that chase them, the
events that produce them, visits and their follow-ups, and yearly targets (docs/investment.md).

A lead moves through a workflow (接触 → 洽谈 → 签约 → 落地 → 投产, or 放弃 with a reason). 签约 is reached
only by converting the lead into a key project (investment/conversion.py); 落地 and 投产 follow that
project's 开工 and 投产 (investment/signals.py), so nothing is typed twice. Each move dates its stage, and
the funnel counts leads by those dates.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chainboard.formatting import MONEY
from chainboard.models import NON_NEGATIVE, AuditedModel
from chainboard.workflow import Transition, Workflow
from enterprises.models import validate_uscc

TEAM_SCOPE = {"chain": "chain"}
LEAD_SCOPE = {"chain": "chain", "region": "landing_region__path"}
LEAD_CHILD_SCOPE = {"chain": "lead__chain", "region": "lead__landing_region__path"}


class MacroRegion(AuditedModel):
    """An economic region beyond one division (经济区域: 京津冀, 长三角…), where leads come from."""

    name = models.CharField(
        verbose_name=_("name"),
        max_length=50,
        unique=True,
    )
    provinces = models.ManyToManyField(
        "regions.Region",
        verbose_name=_("provinces"),
        blank=True,
        related_name="macro_regions",
    )

    detail_fields = ("name", "provinces", "source")

    class Meta:
        verbose_name = _("macro-region")
        verbose_name_plural = _("macro-regions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamRole(models.TextChoices):
    LEADER = "leader", _("team leader")
    MEMBER = "member", _("team member")


class Team(AuditedModel):
    """A small investment team (招商小分队) of a chain, aimed at weak segments and target regions."""

    name = models.CharField(
        verbose_name=_("name"),
        max_length=100,
    )
    chain = models.ForeignKey(
        "chains.Chain",
        verbose_name=_("chain"),
        on_delete=models.PROTECT,
        related_name="investment_teams",
    )
    leader = models.ForeignKey(
        "organisations.Person",
        verbose_name=_("team leader"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_investment_teams",
    )
    members = models.ManyToManyField(
        "organisations.Person",
        verbose_name=_("members"),
        through="TeamMember",
        blank=True,
        related_name="investment_teams",
    )
    target_macro_regions = models.ManyToManyField(
        MacroRegion,
        verbose_name=_("target macro-regions"),
        blank=True,
        related_name="teams",
    )
    target_regions = models.ManyToManyField(
        "regions.Region",
        verbose_name=_("target regions"),
        blank=True,
        related_name="investment_teams",
    )
    target_segments = models.ManyToManyField(
        "chains.Segment",
        verbose_name=_("target segments"),
        blank=True,
        related_name="investment_teams",
        help_text=_("The weak segments the team aims to fill."),
    )
    model_note = models.TextField(
        verbose_name=_("working model"),
        blank=True,
        help_text=_("How the team works, e.g. 政府+链主企业+产业园."),
    )

    scope_paths = TEAM_SCOPE
    detail_fields = (
        "name",
        "chain",
        "leader",
        "target_macro_regions",
        "target_regions",
        "target_segments",
        "model_note",
        "source",
    )

    class Meta:
        verbose_name = _("investment team")
        verbose_name_plural = _("investment teams")
        ordering = ["chain__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "name"],
                name="team_unique_chain_name",
                violation_error_message=_("This chain has a team of this name already."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class TeamMember(AuditedModel):
    """A person on a team, as its leader or a member."""

    team = models.ForeignKey(
        Team,
        verbose_name=_("investment team"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    person = models.ForeignKey(
        "organisations.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="investment_team_memberships",
    )
    role = models.CharField(
        verbose_name=_("role in the team"),
        max_length=16,
        choices=TeamRole.choices,
        default=TeamRole.MEMBER,
    )

    scope_paths = {"chain": "team__chain"}
    detail_fields = ("team", "person", "role", "source")

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team__name", "role", "person__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "person"],
                name="teammember_unique_person",
                violation_error_message=_("This person is on the team already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.person}"


class Target(AuditedModel):
    """A year's investment targets for a chain (no team) or one of its teams (年度招商目标)."""

    chain = models.ForeignKey(
        "chains.Chain",
        verbose_name=_("chain"),
        on_delete=models.PROTECT,
        related_name="investment_targets",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("investment team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
        help_text=_("Empty: the chain's own target."),
    )
    year = models.PositiveSmallIntegerField(
        verbose_name=_("year"),
    )
    leads_opened = models.PositiveIntegerField(
        verbose_name=_("leads to open"),
        null=True,
        blank=True,
    )
    signed = models.PositiveIntegerField(
        verbose_name=_("leads to sign"),
        null=True,
        blank=True,
    )
    landed = models.PositiveIntegerField(
        verbose_name=_("projects to land"),
        null=True,
        blank=True,
    )
    amount = models.DecimalField(
        verbose_name=_("signed amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
    )

    scope_paths = TEAM_SCOPE
    detail_fields = ("chain", "team", "year", "leads_opened", "signed", "landed", "amount", "source")
    money_fields = ("amount",)
    measures = {"amount": MONEY}

    class Meta:
        verbose_name = _("investment target")
        verbose_name_plural = _("investment targets")
        ordering = ["-year", "chain__name", "team__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "team", "year"],
                name="target_unique_team_year",
                violation_error_message=_("This team has a target for this year already."),
            ),
            models.UniqueConstraint(
                fields=["chain", "year"],
                condition=Q(team__isnull=True),
                name="target_unique_chain_year",
                violation_error_message=_("This chain has its own target for this year already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team or self.chain} · {self.year}"

    def clean(self) -> None:
        super().clean()
        if self.team_id and self.chain_id and self.team.chain_id != self.chain_id:
            raise ValidationError({"team": _("This team belongs to another chain.")})


class EventKind(models.TextChoices):
    PROMOTION = "promotion", _("promotion event")
    EXPO = "expo", _("expo")
    MATCHMAKING = "matchmaking", _("matchmaking event")
    INVESTMENT_FAIR = "investment_fair", _("investment fair")

    @property
    def colour(self) -> str:
        return {"promotion": "blue", "expo": "purple", "matchmaking": "teal", "investment_fair": "orange"}[
            self.value
        ]


class DatePrecision(models.TextChoices):
    DAY = "day", _("on the day")
    MONTH = "month", _("in the month")
    YEAR = "year", _("in the year")
    BEFORE = "before", _("before the date")
    UNKNOWN = "unknown", _("date unknown")


class Event(AuditedModel):
    """A promotion event, expo, matchmaking event or investment fair (推介会/博览会/供需对接会/招商会)."""

    name = models.CharField(
        verbose_name=_("name"),
        max_length=200,
        db_index=True,
    )
    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=16,
        choices=EventKind.choices,
    )
    series = models.CharField(
        verbose_name=_("series"),
        max_length=200,
        blank=True,
        help_text=_("The name of a recurring event this is an edition of."),
    )
    edition = models.PositiveSmallIntegerField(
        verbose_name=_("edition"),
        null=True,
        blank=True,
        help_text=_("第N届: the edition's number in its series."),
    )
    date_value = models.DateField(
        verbose_name=_("date"),
        null=True,
        blank=True,
    )
    date_precision = models.CharField(
        verbose_name=_("date precision"),
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.UNKNOWN,
        help_text=_(
            "How much of the date is known: the day, the month, the year, or only a date it was before."
        ),
    )
    place = models.CharField(
        verbose_name=_("place"),
        max_length=200,
        blank=True,
    )
    place_region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("place (region)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="investment_events",
    )
    organisers = models.TextField(
        verbose_name=_("organisers"),
        blank=True,
    )
    chain = models.ForeignKey(
        "chains.Chain",
        verbose_name=_("chain"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="investment_events",
    )
    participants = models.ManyToManyField(
        "enterprises.Enterprise",
        verbose_name=_("participating enterprises"),
        blank=True,
        related_name="investment_events",
    )
    reported_leads = models.PositiveIntegerField(
        verbose_name=_("reported leads"),
        null=True,
        blank=True,
        help_text=_("Leads the event produced as reported, when they are not recorded one by one."),
    )
    reported_deals = models.PositiveIntegerField(
        verbose_name=_("reported deals signed"),
        null=True,
        blank=True,
    )
    reported_amount = models.DecimalField(
        verbose_name=_("reported amount signed (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
    )

    scope_paths = TEAM_SCOPE
    detail_fields = (
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
    )
    money_fields = ("reported_amount",)
    measures = {"reported_amount": MONEY}

    class Meta:
        verbose_name = _("investment event")
        verbose_name_plural = _("investment events")
        ordering = ["-date_value", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        known = self.date_precision not in ("", DatePrecision.UNKNOWN)
        if known and self.date_value is None:
            raise ValidationError({"date_value": _("Give the date, or set the precision to 'date unknown'.")})


class LeadStage(models.TextChoices):
    CONTACT = "contact", pgettext_lazy("lead stage", "contact")
    NEGOTIATING = "negotiating", _("negotiating")
    SIGNED = "signed", _("signed")
    LANDED = "landed", _("landed")
    IN_PRODUCTION = "in_production", _("in production")
    ABANDONED = "abandoned", _("abandoned")

    @property
    def colour(self) -> str:
        return {
            "contact": "secondary",
            "negotiating": "blue",
            "signed": "indigo",
            "landed": "cyan",
            "in_production": "green",
            "abandoned": "dark",
        }[self.value]


class SourceKind(models.TextChoices):
    TEAM_VISIT = "team_visit", _("team visit")
    EVENT = "event", _("event")
    REFERRAL = "referral", _("referral by a chain-leader enterprise")
    ONLINE = "online", _("online")
    OTHER = "other", _("other")


# The stage each date records, in funnel order (the ``reached`` filter and the funnel read it).
STAGE_DATES = {
    "opened": "opened_on",
    LeadStage.NEGOTIATING.value: "negotiating_on",
    LeadStage.SIGNED.value: "signed_on",
    LeadStage.LANDED.value: "landed_on",
    LeadStage.IN_PRODUCTION.value: "in_production_on",
    LeadStage.ABANDONED.value: "abandoned_on",
}
OPEN_STAGES = (LeadStage.CONTACT, LeadStage.NEGOTIATING)


def stage_date(label, help_text="") -> models.DateField:
    """The day a lead reached a stage: set by the move that reaches it, never typed."""
    return models.DateField(verbose_name=label, null=True, blank=True, editable=False, help_text=help_text)


def _today_as(field: str):
    def apply(lead, cleaned: dict) -> None:
        setattr(lead, field, timezone.localdate())

    return apply


def _landed(lead, cleaned: dict) -> None:
    # 落地 is the project's 开工: the day is the project's start date, never typed on the lead.
    started = lead.project.started_on if lead.project_id else None
    lead.landed_on = started or timezone.localdate()


def _in_production(lead, cleaned: dict) -> None:
    if lead.landed_on is None:
        _landed(lead, cleaned)
    lead.in_production_on = timezone.localdate()


# 接触 → 洽谈 and 放弃 are a person's moves (named action ``transition``). 签约 comes only with the
# conversion to a project (investment/conversion.py, named action ``convert``), 落地 and 投产 only from the
# project's own moves (investment/signals.py): they are moves of the workflow, so the lead's timeline
# records them, but their action ``automatic`` is granted to no role; the system makes them.
LEAD_WORKFLOW = Workflow(
    field="stage",
    transitions=[
        Transition(
            "negotiate",
            (LeadStage.CONTACT,),
            LeadStage.NEGOTIATING,
            _("Start negotiating"),
            apply=_today_as("negotiating_on"),
            icon="messages",
        ),
        Transition(
            "sign",
            (LeadStage.NEGOTIATING,),
            LeadStage.SIGNED,
            _("Signed (converted to a project)"),
            action="automatic",
            fields=("project",),  # the project the conversion created (investment/conversion.py)
            requires=("project",),
            apply=_today_as("signed_on"),
            icon="signature",
        ),
        Transition(
            "land",
            (LeadStage.SIGNED,),
            LeadStage.LANDED,
            _("Landed (its project started construction)"),
            action="automatic",
            apply=_landed,
            icon="shovel",
        ),
        Transition(
            "produce",
            (LeadStage.SIGNED, LeadStage.LANDED),
            LeadStage.IN_PRODUCTION,
            _("In production (its project went into production)"),
            action="automatic",
            apply=_in_production,
            icon="building-factory",
        ),
        Transition(
            "abandon",
            OPEN_STAGES,
            LeadStage.ABANDONED,
            _("Abandon"),
            fields=("abandon_reason",),
            requires=("abandon_reason",),
            apply=_today_as("abandoned_on"),
            icon="ban",
            style="danger",
        ),
    ],
)


class Lead(AuditedModel):
    """A company the city tries to bring in (招商线索), from first contact to production or abandonment."""

    company_name = models.CharField(
        verbose_name=_("company name"),
        max_length=200,
        db_index=True,
    )
    uscc = models.CharField(
        verbose_name=_("unified social credit code"),
        max_length=18,
        blank=True,
        db_index=True,
        validators=[validate_uscc],
    )
    home_region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("home region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="investment_leads_from",
        help_text=_("Where the company comes from: a province, city or county."),
    )
    home_macro_region = models.ForeignKey(
        MacroRegion,
        verbose_name=_("home macro-region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
    )
    chain = models.ForeignKey(
        "chains.Chain",
        verbose_name=_("chain"),
        on_delete=models.PROTECT,
        related_name="investment_leads",
    )
    segment = models.ForeignKey(
        "chains.Segment",
        verbose_name=_("segment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="investment_leads",
        help_text=_("The (weak) segment of the chain the company would fill."),
    )
    planned_investment = models.DecimalField(
        verbose_name=_("planned investment (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
    )
    source_kind = models.CharField(
        verbose_name=_("source of the lead"),
        max_length=16,
        choices=SourceKind.choices,
        default=SourceKind.OTHER,
    )
    event = models.ForeignKey(
        Event,
        verbose_name=_("source event"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
    )
    referrer = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("referred by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referred_leads",
        help_text=_("The chain-leader enterprise that referred the company."),
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("investment team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
    )
    responsible_person = models.ForeignKey(
        "organisations.Person",
        verbose_name=_("responsible person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="investment_leads",
    )
    landing_region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("landing region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="investment_leads",
        help_text=_("The county where the company would build."),
    )
    next_step = models.TextField(
        verbose_name=_("next step"),
        blank=True,
    )
    next_step_on = models.DateField(
        verbose_name=_("next step on"),
        null=True,
        blank=True,
    )
    stage = models.CharField(
        verbose_name=_("stage"),
        max_length=16,
        choices=LeadStage.choices,
        default=LeadStage.CONTACT,
        db_index=True,
    )
    abandon_reason = models.TextField(
        verbose_name=_("reason for abandoning"),
        blank=True,
    )
    opened_on = models.DateField(
        verbose_name=_("opened on"),
        default=timezone.localdate,
    )
    negotiating_on = stage_date(_("negotiating since"))
    signed_on = stage_date(_("signed on"))
    landed_on = stage_date(_("landed on"), _("The day its project started construction (开工)."))
    in_production_on = stage_date(_("in production since"))
    abandoned_on = stage_date(_("abandoned on"))
    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="lead",
    )

    scope_paths = LEAD_SCOPE
    named_actions = ("transition", "convert", "view_confidential", "automatic")
    search_fields = ("company_name", "uscc")  # indexed by chainboard.search (the duplicate check too)
    workflow = LEAD_WORKFLOW
    # Hidden from roles without ``view_confidential`` everywhere (investment/confidential.py).
    confidential_fields = ("planned_investment",)
    detail_fields = (
        "company_name",
        "stage",
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
        "abandon_reason",
        "opened_on",
        "negotiating_on",
        "signed_on",
        "landed_on",
        "in_production_on",
        "abandoned_on",
        "project",
        "source",
    )
    money_fields = ("planned_investment",)
    measures = {"planned_investment": MONEY}
    import_keys = ("uscc",)
    import_aliases = {
        "company_name": ("企业名称", "客商名称", "公司名称", "项目单位"),
        "uscc": ("统一社会信用代码", "信用代码"),
        "home_region": ("所在地", "客商所在地"),
        "segment": ("所属环节", "环节"),
        "planned_investment": ("计划投资", "拟投资额", "投资额"),
        "team": ("小分队", "招商小分队"),
        "responsible_person": ("责任人",),
        "landing_region": ("拟落地县区", "落地县区"),
        "next_step": ("下一步工作",),
    }

    class Meta:
        verbose_name = _("investment lead")
        verbose_name_plural = _("investment leads")
        ordering = ["-opened_on", "company_name"]
        indexes = [
            # The funnel counts leads by chain, team or segment and a stage date's year.
            models.Index(fields=["chain", "opened_on"], name="lead_chain_opened_idx"),
            models.Index(fields=["team", "opened_on"], name="lead_team_opened_idx"),
            models.Index(fields=["segment", "opened_on"], name="lead_segment_opened_idx"),
            models.Index(fields=["opened_on"], name="lead_opened_idx"),
            models.Index(fields=["negotiating_on"], name="lead_negotiating_idx"),
            models.Index(fields=["signed_on"], name="lead_signed_idx"),
            models.Index(fields=["landed_on"], name="lead_landed_idx"),
            models.Index(fields=["in_production_on"], name="lead_in_production_idx"),
            models.Index(fields=["abandoned_on"], name="lead_abandoned_idx"),
        ]

    def __str__(self) -> str:
        return self.company_name

    @property
    def responsible_user(self):
        person = self.responsible_person
        return person.user if person is not None else None

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.segment_id and self.chain_id and self.segment.chain_id != self.chain_id:
            errors["segment"] = _("This segment belongs to another chain.")
        if self.team_id and self.chain_id and self.team.chain_id != self.chain_id:
            errors["team"] = _("This team belongs to another chain.")
        if self.source_kind == SourceKind.EVENT and self.event_id is None:
            errors["event"] = _("Name the event the lead came from.")
        if self.source_kind == SourceKind.REFERRAL and self.referrer_id is None:
            errors["referrer"] = _("Name the enterprise that referred the company.")
        if self.opened_on and self.opened_on > timezone.localdate():
            errors["opened_on"] = _("The opening date cannot be in the future.")
        if errors:
            raise ValidationError(errors)


class LeadContact(AuditedModel):
    """Someone to talk to at a lead's company. Confidential like the amounts (investment/confidential.py)."""

    lead = models.ForeignKey(
        Lead,
        verbose_name=_("investment lead"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(
        verbose_name=_("name"),
        max_length=100,
    )
    title = models.CharField(
        verbose_name=_("title"),
        max_length=100,
        blank=True,
    )
    phone = models.CharField(
        verbose_name=_("phone"),
        max_length=32,
        blank=True,
    )
    email = models.EmailField(
        verbose_name=_("e-mail"),
        blank=True,
    )

    scope_paths = LEAD_CHILD_SCOPE
    detail_fields = ("lead", "name", "title", "phone", "email", "source")
    # Confidential with the lead: the lead's ``view_confidential`` decides (chainboard/confidential.py);
    # a role without it is not granted the contacts at all (investment/access.py).
    confidential_fields = ("name", "title", "phone", "email")
    confidential_via = "lead"

    class Meta:
        verbose_name = _("lead contact")
        verbose_name_plural = _("lead contacts")
        ordering = ["lead", "name"]

    def __str__(self) -> str:
        return f"{self.lead} · {self.name}"


class Visit(AuditedModel):
    """A team's visit to a lead's company (走访): who went, where, whom they met and what was agreed."""

    lead = models.ForeignKey(
        Lead,
        verbose_name=_("investment lead"),
        on_delete=models.CASCADE,
        related_name="visits",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("investment team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    visited_on = models.DateField(
        verbose_name=_("visited on"),
    )
    place = models.CharField(
        verbose_name=_("place"),
        max_length=200,
        blank=True,
    )
    visitors = models.ManyToManyField(
        "organisations.Person",
        verbose_name=_("visitors"),
        blank=True,
        related_name="investment_visits",
    )
    met_whom = models.TextField(
        verbose_name=_("met whom"),
        blank=True,
    )
    agreed = models.TextField(
        verbose_name=_("agreed"),
        blank=True,
        help_text=_(
            "What was agreed, a step a line; a line that starts with a date (2026-12-20 …) becomes a "
            "follow-up on the lead, due that day."
        ),
    )

    scope_paths = LEAD_CHILD_SCOPE
    detail_fields = ("lead", "team", "visited_on", "place", "visitors", "met_whom", "agreed", "source")

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on"]

    def __str__(self) -> str:
        return f"{self.lead} · {self.visited_on}"

    def clean(self) -> None:
        super().clean()
        if self.visited_on and self.visited_on > timezone.localdate():
            raise ValidationError({"visited_on": _("The visit date cannot be in the future.")})


class FollowUp(AuditedModel):
    """A dated step to take on a lead (跟进事项), often agreed at a visit; overdue ones go on the desk."""

    lead = models.ForeignKey(
        Lead,
        verbose_name=_("investment lead"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("visit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    description = models.TextField(
        verbose_name=_("description"),
    )
    due_on = models.DateField(
        verbose_name=_("due on"),
    )
    responsible_person = models.ForeignKey(
        "organisations.Person",
        verbose_name=_("responsible person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="investment_follow_ups",
    )
    done_on = models.DateField(
        verbose_name=_("done on"),
        null=True,
        blank=True,
    )

    scope_paths = LEAD_CHILD_SCOPE
    detail_fields = ("lead", "visit", "description", "due_on", "responsible_person", "done_on", "source")

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "lead"]
        indexes = [
            # The desk's overdue follow-ups of one person.
            models.Index(fields=["responsible_person", "done_on", "due_on"], name="followup_person_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.lead} · {self.description[:40]}"

    def clean(self) -> None:
        super().clean()
        if self.visit_id and self.lead_id and self.visit.lead_id != self.lead_id:
            raise ValidationError({"visit": _("This visit was to another lead.")})
