"""Monthly scheduling rounds (调度) and the progress reports filed in them (docs/projects.md, Rounds).

A round is opened for a chain and a month (by the scheduler on ``CHAINBOARD_ROUND_OPEN_DAY`` or by the
office); opening makes one report row per active project of the chain, naming its responsible user, unfiled.
The responsible user (or the office on their behalf) files it; once the office closes the round its reports
are frozen as filed: ``ProgressReport.write_refusal`` refuses every write through the one write path.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from chainboard.formatting import MONEY
from chainboard.models import NON_NEGATIVE, AuditedModel

PERCENT = [
    MinValueValidator(Decimal("0"), message=_("Enter a value of zero or more.")),
    MaxValueValidator(Decimal("100"), message=_("Enter a value of at most 100.")),
]


class RoundStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")

    @property
    def colour(self) -> str:
        return {"open": "green", "closed": "secondary"}[self.value]


class SchedulingRound(AuditedModel):
    """One chain's monthly scheduling round (调度): who filed the month's progress, and what."""

    chain = models.ForeignKey(
        "chains.Chain",
        verbose_name=_("chain"),
        on_delete=models.PROTECT,
        related_name="scheduling_rounds",
    )
    year = models.PositiveSmallIntegerField(
        verbose_name=_("year"),
    )
    month = models.PositiveSmallIntegerField(
        verbose_name=_("month"),
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=8,
        choices=RoundStatus.choices,
        default=RoundStatus.OPEN,
        db_index=True,
    )
    opened_at = models.DateTimeField(
        verbose_name=_("opened at"),
        null=True,
        blank=True,
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: opened by the scheduler."),
    )
    due_on = models.DateField(
        verbose_name=_("due on"),
        null=True,
        blank=True,
    )
    closed_at = models.DateTimeField(
        verbose_name=_("closed at"),
        null=True,
        blank=True,
    )

    scope_paths = {"chain": "chain"}
    detail_fields = ("chain", "year", "month", "status", "opened_at", "opened_by", "due_on", "closed_at")

    class Meta:
        verbose_name = _("scheduling round")
        verbose_name_plural = _("scheduling rounds")
        ordering = ["-year", "-month", "chain"]
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "year", "month"],
                name="schedulinground_unique_month",
                violation_error_message=_("This chain has a round for this month already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.chain} · {self.year}-{self.month:02d}"

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    def delete_refusal(self, user) -> str | None:
        if self.reports.filter(filed_at__isnull=False).exists():
            return str(_("Progress has been filed in this round: it is kept."))
        return None


class ProgressReport(AuditedModel):
    """A project's progress for one round's month, as its responsible user filed it."""

    round = models.ForeignKey(
        SchedulingRound,
        verbose_name=_("scheduling round"),
        on_delete=models.CASCADE,
        related_name="reports",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="progress_reports",
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who was to file, when the round opened."),
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    filed_at = models.DateTimeField(
        verbose_name=_("filed at"),
        null=True,
        blank=True,
        db_index=True,
    )
    reminded_at = models.DateTimeField(
        verbose_name=_("reminded at"),
        null=True,
        blank=True,
    )
    completed_investment = models.DecimalField(
        verbose_name=_("completed investment this year (yuan)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text=_("This year's completed investment so far, from January to this month."),
    )
    progress_pct = models.DecimalField(
        verbose_name=_("progress (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text=_("How far the project has come as a whole, in per cent."),
    )
    problems = models.TextField(
        verbose_name=_("problems met"),
        blank=True,
    )
    next_step = models.TextField(
        verbose_name=_("next step"),
        blank=True,
    )

    scope_paths = {
        "chain": "project__chain",
        "region": "project__region__path",
        "enterprise": "project__owner",
    }
    detail_fields = (
        "round",
        "project",
        "responsible",
        "filed_by",
        "filed_at",
        "completed_investment",
        "progress_pct",
        "problems",
        "next_step",
        "reminded_at",
    )
    money_fields = ("completed_investment",)
    measures = {"completed_investment": MONEY}

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-round__year", "-round__month", "project__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "project"],
                name="progressreport_unique_project",
                violation_error_message=_("This project has a report in this round already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.round.year}-{self.round.month:02d}"

    @property
    def filed(self) -> bool:
        return self.filed_at is not None

    def write_refusal(self, user) -> str | None:
        """A closed round's figures are frozen as filed: a later correction is filed in a later round."""
        status = (
            SchedulingRound._base_manager.filter(pk=self.round_id).values_list("status", flat=True).first()
        )
        if status == RoundStatus.CLOSED:
            return str(_("This round is closed: its figures are frozen as filed."))
        return None
