"""The funnel page (docs/investment.md, Funnel): for a year, the leads reaching each stage and the
conversion rates, grouped by team, source, segment, macro-region or province, each number a link to the
lead list filtered to exactly those leads; an ECharts funnel of the totals above the table. Scoped: the
user's leads only. Also the panels the funnel's figures feed: a team's progress against its targets."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from chainboard import desk, scope

from . import funnel as funnel_module
from .funnel import GROUPINGS, STAGE_LABELS

YEARS_BACK = 5


def parse_year(value, default: int) -> int | None:
    """The year asked for; None when it is not a year (the page says so, nothing is counted)."""
    if value in (None, ""):
        return default
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if 2000 <= year <= 2100 else None


class FunnelView(LoginRequiredMixin, View):
    def dispatch(self, request, *args, **kwargs):
        from .models import Lead

        if request.user.is_authenticated and not scope.has_permission(request.user, "view", Lead):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        this_year = timezone.localdate().year
        year = parse_year(request.GET.get("year"), this_year)
        by = request.GET.get("by") or "team"
        errors = []
        if year is None:
            errors.append(_("Year: enter a year between 2000 and 2100."))
        if by not in GROUPINGS:
            errors.append(_("Group by: choose one of the groupings offered."))
        context = {
            "years": list(range(this_year, this_year - YEARS_BACK, -1)),
            "year": year or this_year,
            "by": by if by in GROUPINGS else "team",
            "groupings": [(g.name, g.label) for g in GROUPINGS.values()],
            "errors": errors,
            "scope": scope.describe(request.user, _lead_model()),
            # A report whose figures include sample rows says so (docs/investment.md, rules on sample data).
            "includes_samples": desk.has_sample(_lead_model(), request.user),
        }
        if errors:
            return render(request, "investment/funnel.html", context, status=400)
        result = funnel_module.funnel(request.user, year, by)
        context.update(
            funnel=result,
            chart={
                "stages": [
                    {"name": str(STAGE_LABELS[c.stage]), "value": c.count, "url": c.url}
                    for c in result.total.cells
                    if c.stage != "abandoned"
                ],
            },
        )
        return render(request, "investment/funnel.html", context)


def _lead_model():
    from .models import Lead

    return Lead


def team_progress_panel(request, team) -> dict | None:
    """The team page's panel: this year's progress against the team's Target (DetailPanel on Team)."""
    year = parse_year(request.GET.get("year"), timezone.localdate().year) or timezone.localdate().year
    rows = funnel_module.progress(request.user, year, teams=[team])
    return {"progress": rows[0], "year": year}


def urls() -> list:
    return [path("funnel/", FunnelView.as_view(), name="funnel")]


def connect() -> None:
    """Called from ``InvestmentConfig.ready``: the progress panel on a team's page, the outcomes panel on
    an event's page, the funnel's menu entry and the targets card on the desk."""
    from chainboard.navigation import MenuItem, register
    from chainboard.views.generic import DetailPanel

    from . import desk_cards  # noqa: F401  (registers the card)
    from .outcomes import event_outcomes_panel
    from .views import EventViewSet, TeamViewSet

    TeamViewSet.detail_panels = [
        *TeamViewSet.detail_panels,
        DetailPanel("target_progress", "investment/panels/progress.html", team_progress_panel),
    ]
    EventViewSet.detail_panels = [
        *EventViewSet.detail_panels,
        DetailPanel("event_outcomes", "investment/panels/outcomes.html", event_outcomes_panel),
    ]
    register(
        MenuItem(
            "investment", _lazy("Investment funnel"), "investment:funnel", "investment.Lead", "filter", 15
        )
    )
