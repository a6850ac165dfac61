"""The chains' cards on the desk (chainboard/desk.py): the headline figures of each chain in the user's
scope against the targets the data holds, and the counts of chains and segments.

Official statistics are shown as published, with their period (2023年, 2024年7月), each linking to its
record; they are never merged with sums of enterprises' figures (rules.md). A chain's target of projects
landed per year (``Chain.yearly_landing_target``, 2 for the letter's chain) is shown against the count a
registered provider gives (``register_landed``: the projects app counts 开工 within the year, rules.md);
without one, the target stands alone. A figure without a target is just the figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count as Counted
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainboard import desk, formatting

from .models import AttributeKind, Chain, ChainAttribute, ChainStatistic, StatisticMetric

SHOWN_CHAINS = 6  # more chains than this: the card names the first ones and links to the list


@dataclass(frozen=True)
class Landed:
    """Projects landed on a chain this year, and the list that shows them."""

    count: int
    url: str


# function(user, chains, year) -> {chain id: Landed}; one bounded set of queries for all chains.
LANDED_PROVIDERS: list[Callable] = []


def register_landed(function: Callable) -> None:
    if function not in LANDED_PROVIDERS:
        LANDED_PROVIDERS.append(function)


def list_url(name: str, **filters) -> str:
    return f"{reverse(name)}?{urlencode(filters)}" if filters else reverse(name)


def _latest_statistics(user, chain_ids: list[int]) -> dict[int, list[ChainStatistic]]:
    """Each chain's latest figure per metric, in the metrics' declared order: one query."""
    order = {value: i for i, value in enumerate(StatisticMetric.values)}
    latest: dict[int, dict[str, ChainStatistic]] = {}
    for stat in (
        ChainStatistic.objects.restrict(user, "view")
        .filter(chain_id__in=chain_ids)
        .order_by("chain_id", "metric", "-year", "-month")
    ):
        latest.setdefault(stat.chain_id, {}).setdefault(stat.metric, stat)
    return {
        chain_id: sorted(by_metric.values(), key=lambda s: order.get(s.metric, 99))
        for chain_id, by_metric in latest.items()
    }


def _commitments(user, chain_ids: list[int]) -> dict[int, int]:
    rows = (
        ChainAttribute.objects.restrict(user, "view")
        .filter(chain_id__in=chain_ids, kind=AttributeKind.COMMITMENT)
        .values("chain_id")
        .annotate(n=Counted("pk"))
        .order_by()
    )
    return {row["chain_id"]: row["n"] for row in rows}


def chains_in_scope(user, limit: int) -> list[Chain]:
    """The first ``limit`` chains the user may view, in the order the cards show them (level, name): read
    once per request for the cards that name chains (the headline, the investment targets)."""
    fetched = max(limit, SHOWN_CHAINS + 1)

    def first():
        return list(Chain.objects.restrict(user, "view").order_by("level", "name")[:fetched])

    return desk.once(user, f"chains.desk.chains_in_scope.{fetched}", first)[:limit]


def headline(request) -> dict | None:
    user = request.user
    chains = chains_in_scope(user, SHOWN_CHAINS + 1)
    if not chains:
        return None
    more = len(chains) > SHOWN_CHAINS
    chains = chains[:SHOWN_CHAINS]
    ids = [chain.pk for chain in chains]
    year = timezone.localdate().year
    statistics = _latest_statistics(user, ids)
    commitments = _commitments(user, ids)
    landed: dict[int, Landed] = {}
    for provider in LANDED_PROVIDERS:
        landed.update(provider(user, chains, year))
    rows = []
    for chain in chains:
        figures = [
            {
                "label": stat.get_metric_display(),
                "value": formatting.field_value(stat, "value"),
                "period": stat.period,
                "url": reverse("chains:chainstatistic_detail", kwargs={"pk": stat.pk}),
                "sample": stat.is_sample,
            }
            for stat in statistics.get(chain.pk, [])
        ]
        target = None
        if chain.yearly_landing_target is not None:
            done = landed.get(chain.pk)
            target = {
                "year": year,
                "target": formatting.field_value(chain, "yearly_landing_target"),
                "done": done.count if done else None,
                "url": done.url if done else reverse("chains:chain_detail", kwargs={"pk": chain.pk}),
            }
        rows.append(
            {
                "chain": chain,
                "url": reverse("chains:chain_detail", kwargs={"pk": chain.pk}),
                "figures": figures,
                "target": target,
                "commitments": commitments.get(chain.pk, 0),
                "commitments_url": list_url(
                    "chains:chainattribute_list", chain=chain.pk, kind=AttributeKind.COMMITMENT
                ),
            }
        )
    return {"chains": rows, "more_url": reverse("chains:chain_list") if more else None}


desk.register(
    desk.Card(
        "chain_headline",
        _("The chain's headline figures"),
        "chains/desk/headline.html",
        headline,
        order=20,
        model="chains.Chain",
    )
)
desk.register_count(desk.Count(_("Chains"), "chains.Chain", "chains:chain_list", "link", 10))
desk.register_count(desk.Count(_("Segments"), "chains.Segment", "chains:segment_list", "git-branch", 20))
