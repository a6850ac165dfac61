"""The investment targets card on the desk (docs/desk.md, docs/investment.md): for each chain in the user's
scope and each of its teams, this year's leads opened, signed, landed and amount signed against the Target
row, each figure a link to the leads (or, for the chain's landed count, the projects) it counts. Shown to
who may view targets (the chief, the office, the investment team), scoped; a bounded number of queries
whatever the number of chains and teams (``funnel.progress``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainboard import desk

from .funnel import progress

SHOWN_CHAINS = 3
SHOWN_TEAMS = 6


def targets_card(request) -> dict | None:
    from chains.desk import chains_in_scope

    from .models import Team

    user = request.user
    year = timezone.localdate().year
    chains = chains_in_scope(user, SHOWN_CHAINS)  # the headline card's, read once per request
    teams = list(
        Team.objects.restrict(user, "view")
        .filter(chain__in=chains)
        .select_related("chain")
        .order_by("chain__name", "name")[: SHOWN_TEAMS + 1]
    )
    if not chains and not teams:
        return None
    more = len(teams) > SHOWN_TEAMS
    rows = progress(user, year, chains=chains, teams=teams[:SHOWN_TEAMS])
    shown = [r for r in rows if r.team is not None or r.target is not None or r.chain.yearly_landing_target]
    if not shown:
        return None
    return {
        "year": year,
        "rows": shown,
        "funnel_url": reverse("investment:funnel"),
        "more_url": reverse("investment:team_list") if more else None,
    }


desk.register(
    desk.Card(
        "investment_targets",
        _("Investment targets"),
        "investment/desk/targets.html",
        targets_card,
        order=25,
        model="investment.Target",
        wide=True,
    )
)
