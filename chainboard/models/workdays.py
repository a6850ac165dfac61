from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import AuditedModel


class WorkdayYear(AuditedModel):
    """A year whose working-day schedule an administrator has entered (chainboard/workdays.py).

    ``entered``: the year's adjusted days (holidays and the weekends worked in their place) are all in
    ``WorkdayOverride``, so its deadlines are no longer provisional."""

    year = models.PositiveSmallIntegerField(
        verbose_name=_("year"),
        unique=True,
    )
    entered = models.BooleanField(
        verbose_name=_("schedule complete"),
        default=False,
        help_text=_("Every holiday and adjusted working day of the year is entered."),
    )

    class Meta:
        verbose_name = _("working-day year")
        verbose_name_plural = _("working-day years")
        ordering = ("year",)

    def __str__(self) -> str:
        return str(self.year)


class WorkdayOverride(AuditedModel):
    """One day that is not what chinese-calendar (or, beyond its years, a plain weekday) says: a holiday
    on a weekday, or a weekend day worked in its place (调休). The table wins over the calendar."""

    date = models.DateField(
        verbose_name=_("date"),
        unique=True,
    )
    is_workday = models.BooleanField(
        verbose_name=_("working day"),
    )
    note = models.CharField(
        verbose_name=_("note"),
        max_length=100,
        blank=True,
    )

    class Meta:
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")
        ordering = ("date",)

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d}"
