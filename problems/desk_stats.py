"""The closed loop's headline rates on the chief's and the office's desk (chainboard/desk.py): this year's
on-time rate, average handling time, satisfaction and reopened problems in the user's scope, each a link
to its problems, and a link to the statistics page (problems/stats.py). Imported by ``problems/desk.py``."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from chainboard import desk, scope

from . import stats
from .models import Problem
from .stats_views import shown

LEADERS = {Role.CHIEF, Role.DEPUTY_CHIEF, Role.OFFICE}


def _statistics_card(request) -> dict | None:
    user = request.user
    if not any(grant.role in LEADERS for grant in scope.grants(user)):
        return None
    year = timezone.localdate().year
    figures = stats.headline(user, year)
    if not figures.closed:
        return None  # nothing closed yet this year: no rates to show
    return {
        "year": year,
        "f": shown(figures),
        "page_url": f"{reverse('problems:problem_statistics')}?year={year}",
        "scope": desk.describe(user, Problem),
    }


desk.register(
    desk.Card(
        "problem_statistics",
        _("Closed loop this year"),
        "problems/desk/statistics.html",
        _statistics_card,
        order=25,
        model="problems.Problem",
    )
)
