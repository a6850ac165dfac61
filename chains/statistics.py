"""Official chain statistics beside the sums computed from enterprises (rules.md: neither overwrites)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum

from .models import Chain, ChainStatistic, StatisticMetric


def computed_value(user, chain: Chain, stat: ChainStatistic) -> tuple[Decimal | int | None, int, bool]:
    """(computed value, enterprises counted, includes sample rows) for the official figure's period.

    The sum runs over the chain's enterprises the user may see; individual figures stay hidden, only the
    aggregate is shown (rules.md, Scope).
    """
    from enterprises.models import AboveSizeStatus, Enterprise, Indicator

    enterprises = Enterprise.objects.restrict(user, "view").filter(memberships__chain=chain)
    if stat.metric in Indicator.money_fields:
        rows = Indicator.objects.filter(
            enterprise__in=enterprises.values("pk"),
            period_type=stat.period_type,
            year=stat.year,
            month=stat.month,
        ).exclude(**{stat.metric: None})
        agg = rows.aggregate(total=Sum(stat.metric), n=Count("pk"))
        samples = rows.filter(is_sample=True).exists()
        return agg["total"], agg["n"], samples
    if stat.metric == StatisticMetric.ABOVE_SIZE_COUNT:
        rows = AboveSizeStatus.objects.filter(
            enterprise__in=enterprises.values("pk"), year=stat.year, is_above_size=True
        )
        n = rows.count()
        return (n if n else None), n, rows.filter(is_sample=True).exists()
    if stat.metric == StatisticMetric.ENTERPRISE_COUNT:
        n = enterprises.count()
        return n, n, enterprises.filter(is_sample=True).exists()
    return None, 0, False


# A sum over fewer enterprises than this would reveal an individual's confidential figure to a role
# that may only see aggregates (统计法); it is then withheld from that role.
MIN_GROUP = 3


def sum_scope(user) -> str | None:
    """Whose enterprises a computed sum covers, in words (高平市), or None for all of the chain's: the
    chain page says so beside every sum (docs/formatting.md). The chain itself is not a limit here."""
    from chainboard import scope
    from enterprises.models import Enterprise

    return scope.describe(user, Enterprise, dimensions=("region", "enterprise"))


def statistics_rows(user, chain: Chain) -> list[dict]:
    from chainboard import scope
    from enterprises.models import Indicator

    sees_individuals = scope.has_permission(user, "view", Indicator)
    covers = sum_scope(user)
    rows = []
    for stat in (
        ChainStatistic.objects.restrict(user, "view")
        .filter(chain=chain)
        .order_by("metric", "-year", "-month")
    ):
        value, counted, samples = computed_value(user, chain, stat)
        withheld = stat.metric in Indicator.money_fields and not sees_individuals and 0 < counted < MIN_GROUP
        if withheld:
            value = None
        rows.append(
            {
                "statistic": stat,
                "computed": value,
                "counted": counted,
                "includes_samples": samples,
                "is_money": StatisticMetric(stat.metric).is_money,
                "measure": StatisticMetric(stat.metric).measure,
                "withheld": withheld,
                "scope": covers,
            }
        )
    return rows
