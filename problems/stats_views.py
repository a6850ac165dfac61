"""The closed loop's statistics page (``/problems/statistics/``): a year's figures grouped by handling unit,
kind, county or month, every figure a link to the problem list that shows its items (problems/stats.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from chainboard import desk, scope

from . import stats
from .models import Problem, Rating

FIRST_YEAR = 2000  # earlier years are refused as a mistyped year, not searched


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def shown(figures: stats.Figures) -> dict:
    """The figures with their links and their display text."""
    out = figures.as_dict()
    out["on_time_rate_text"] = percent(figures.on_time_rate)
    out["average_handling_text"] = days(figures.average_handling_days)
    for item in out["ratings"]:
        item["label"] = Rating(item["rating"]).label
        item["share_text"] = percent(item["share"])
    return out


def chosen_year(request) -> int:
    """The year asked for, or this year with a word when the request names none that makes sense."""
    this_year = timezone.localdate().year
    raw = request.GET.get("year", "").strip()
    if not raw:
        return this_year
    try:
        year = int(raw)
    except ValueError:
        year = 0
    if not FIRST_YEAR <= year <= this_year + 1:
        messages.warning(
            request,
            _("“%(value)s” is not a year between %(first)s and %(last)s; showing %(year)s.")
            % {"value": raw, "first": FIRST_YEAR, "last": this_year + 1, "year": this_year},
        )
        return this_year
    return year


class StatisticsView(LoginRequiredMixin, View):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not scope.has_permission(request.user, "view", Problem):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        year = chosen_year(request)
        by = request.GET.get("by", "unit")
        if by not in stats.GROUPINGS:
            by = "unit"
        result = stats.compute(request.user, year, by)
        return render(
            request,
            "problems/statistics.html",
            {
                "year": year,
                "by": by,
                "by_label": stats.GROUPINGS[by],
                "groupings": list(stats.GROUPINGS.items()),
                "rows": [{"label": row.label, **shown(row.figures)} for row in result.rows],
                "total": shown(result.total),
                "ratings": Rating.choices,
                "scope": scope.describe(request.user, Problem),
                # A report whose figures include sample rows says so (docs/closed-loop.md, Statistics).
                "includes_samples": desk.has_sample(Problem, request.user),
            },
        )


def urls() -> list:
    return [path("problems/statistics/", StatisticsView.as_view(), name="problem_statistics")]
