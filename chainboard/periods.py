"""Statistical periods: a year, a month, or a year-to-date total (1–N月累计).

Chinese industrial statistics publish January and February together (1–2月), so month 1 is not a period
of its own: February stands for 1–2月 (``rules.md``, Time, money, numbers).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chainboard.tables import reads


class PeriodType(models.TextChoices):
    YEAR = "year", gettext_lazy("year")
    MONTH = "month", gettext_lazy("month")
    YTD = "ytd", gettext_lazy("year to date")


def validate_period(period_type: str, year: int | None, month: int | None) -> dict[str, str]:
    """Errors by field name; empty when the period is well formed."""
    errors: dict[str, str] = {}
    if year is None or not 1949 <= year <= 2100:
        errors["year"] = _("Enter a year between 1949 and 2100.")
    if period_type == PeriodType.YEAR:
        if month is not None:
            errors["month"] = _("A yearly figure has no month.")
    elif month is None:
        errors["month"] = _("A monthly or year-to-date figure needs its month.")
    elif month == 1:
        errors["month"] = _("January is published together with February: enter month 2 for 1–2月.")
    elif not 2 <= month <= 12:
        errors["month"] = _("Enter a month between 2 and 12.")
    return errors


def clean_period(period_type: str, year: int | None, month: int | None) -> None:
    errors = validate_period(period_type, year, month)
    if errors:
        raise ValidationError(errors)


def period_label(period_type: str, year: int, month: int | None) -> str:
    if period_type == PeriodType.YEAR:
        return f"{year}年"
    if period_type == PeriodType.MONTH:
        if month == 2:
            return f"{year}年1–2月"
        return f"{year}年{month}月"
    return f"{year}年1–{month}月累计"


class PeriodFields(models.Model):
    """Abstract: the three fields of a period, validated together."""

    period_type = models.CharField(
        verbose_name=gettext_lazy("period type"),
        max_length=8,
        choices=PeriodType.choices,
        default=PeriodType.YEAR,
    )
    year = models.PositiveSmallIntegerField(
        verbose_name=gettext_lazy("year"),
    )
    month = models.PositiveSmallIntegerField(
        verbose_name=gettext_lazy("month"),
        null=True,
        blank=True,
        help_text=gettext_lazy("Empty for a yearly figure; 2 stands for 1–2月."),
    )

    class Meta:
        abstract = True

    @property
    @reads("period_type", "year", "month")  # an export computes it from these values
    def period(self) -> str:
        return period_label(self.period_type, self.year, self.month)

    def clean(self) -> None:
        super().clean()
        clean_period(self.period_type, self.year, self.month)
