"""The investment funnel and the progress against the yearly targets (docs/investment.md, Funnel).

For a year Y, a lead counts at a stage when the date it reached that stage falls in Y: "opened" by
``opened_on``, then ``negotiating_on``, ``signed_on``, ``landed_on``, ``in_production_on`` and
``abandoned_on``. A lead that reached several stages in Y counts at each of them, whether or not it moved
on later; a conversion rate is a stage's count divided by the leads opened in Y (None when none opened).

Everything is counted in the user's scope (``restrict(user, "view")``), one query per grouping whatever
the number of groups (``stage_counts``). Each figure links to the
lead list filtered to exactly the leads it counts (``?team=…&reached=signed&year=2026``).

The chain's landed count is the projects app's (``projects.desk.landed``, the headline card's provider):
a project landed in Y when it reached 开工 in Y (docs/projects.md). A team's landed count is its leads
whose ``landed_on`` (the converted project's start date) falls in Y: the same rule, seen from the lead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.db import connections
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chainboard import scope

from .models import STAGE_DATES  # stage name -> the date the lead reached it

STAGES = tuple(STAGE_DATES)
STAGE_LABELS = {
    "opened": _("Opened"),
    "negotiating": _("Negotiating"),
    "signed": _("Signed"),
    "landed": _("Landed"),
    "in_production": _("In production"),
    "abandoned": _("Abandoned"),
}
# The stages whose rate against the leads opened is shown (abandoned is a loss rate, shown the same way).
RATED = ("negotiating", "signed", "landed", "in_production", "abandoned")
NONE_KEY = ""  # the group of leads without a value (no team, no segment, …)


@dataclass(frozen=True)
class Grouping:
    """One way of cutting the funnel: ``key`` is the ORM path (or an annotation) grouped on, ``param``
    the lead list's filter that selects one group, ``names`` a function of the keys giving their names."""

    name: str
    label: object
    key: str
    param: str
    expression: object = None  # an annotation computing the key, when it is not a field
    missing: str | None = None  # the list's ``missing`` filter value selecting the leads without one

    def value_of(self, key) -> str:
        return "" if key is None else str(key)


def _province_key():
    # A region's province is the first two digits of its code (GB/T 2260): 140581 -> 14, read as 140000.
    return Substr("home_region_id", 1, 2)


GROUPINGS = {
    "team": Grouping("team", _("Team"), "team_id", "team", missing="team"),
    "source_kind": Grouping("source_kind", _("Source"), "source_kind", "source_kind"),
    "segment": Grouping("segment", _("Segment"), "segment_id", "segment", missing="segment"),
    "macro_region": Grouping(
        "macro_region",
        _("Macro-region"),
        "home_macro_region_id",
        "home_macro_region",
        missing="home_macro_region",
    ),
    "province": Grouping(
        "province", _("Province"), "province", "home_region", _province_key(), "home_region"
    ),
}


def year_range(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)


def reached_in(stage: str, year: int) -> Q:
    """The leads whose date of ``stage`` falls in ``year``: a range, which the stage date's index answers."""
    start, end = year_range(year)
    name = STAGE_DATES[stage]
    return Q(**{f"{name}__gte": start, f"{name}__lt": end})


def any_reached_in(year: int, stages=STAGES) -> Q:
    out = Q()
    for stage in stages:
        out |= reached_in(stage, year)
    return out


def stage_counts(queryset, year: int, key: str, *, stages=STAGES) -> dict:
    """One query: per value of ``key``, the leads reaching each stage in ``year`` ({key: {stage: n}}).

    Each database gets the shape its planner reads best (bench/README.md, Issue 15). PostgreSQL: one
    ``GROUP BY`` with a conditional count per stage over the leads that reached any stage in the year,
    which it finds by OR-ing the stage-date indexes' bitmaps and reads once. SQLite, which would walk the
    whole table for that OR: a ``UNION ALL`` of one ``GROUP BY`` per stage, each a range on its index."""
    if connections[queryset.db].vendor == "postgresql":
        rows = (
            queryset.filter(any_reached_in(year, stages))
            .values(key)
            .annotate(**{stage: Count("pk", filter=reached_in(stage, year)) for stage in stages})
            .order_by()
        )
        return {row[key]: {stage: row[stage] for stage in stages} for row in rows}
    parts = [
        queryset.filter(reached_in(stage, year))
        .values(key)
        .annotate(stage_index=Value(i), n=Count("pk"))
        .values_list(key, "stage_index", "n")
        .order_by()
        for i, stage in enumerate(stages)
    ]
    out: dict = {}
    for value, index, n in parts[0].union(*parts[1:], all=True):
        out.setdefault(value, dict.fromkeys(stages, 0))[stages[index]] = n
    return out


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def lead_list_url(**filters) -> str:
    base = reverse("investment:lead_list")
    filters = {k: v for k, v in filters.items() if v not in (None, "")}
    return f"{base}?{urlencode(filters)}" if filters else base


@dataclass
class Cell:
    stage: str
    count: int
    url: str
    rate: float | None = None


@dataclass
class Row:
    key: str
    name: str
    cells: list[Cell] = field(default_factory=list)

    def count(self, stage: str) -> int:
        return next(c.count for c in self.cells if c.stage == stage)


@dataclass
class Funnel:
    year: int
    grouping: Grouping
    rows: list[Row]
    total: Row

    @property
    def stages(self):
        return [(stage, STAGE_LABELS[stage]) for stage in STAGES]


def _names(grouping: Grouping, keys: list) -> dict[str, str]:
    """The groups' names, one query per grouping (through the models' own managers: a name is shown
    only beside a count the user may see, and a team or segment in another chain is never counted)."""
    from chains.models import Segment
    from regions.models import Region

    from .models import Lead, MacroRegion, Team

    keys = [k for k in keys if k not in (None, "")]
    if grouping.name == "team":
        return {str(pk): name for pk, name in Team.objects.filter(pk__in=keys).values_list("pk", "name")}
    if grouping.name == "segment":
        return {str(pk): name for pk, name in Segment.objects.filter(pk__in=keys).values_list("pk", "name")}
    if grouping.name == "macro_region":
        rows = MacroRegion.objects.filter(pk__in=keys).values_list("pk", "name")
        return {str(pk): name for pk, name in rows}
    if grouping.name == "province":
        return dict(Region.objects.filter(code__in=keys).values_list("code", "name"))
    return {str(value): str(label) for value, label in Lead._meta.get_field("source_kind").choices}


def funnel(user, year: int, by: str = "team", **filters) -> Funnel:
    """The funnel for ``year`` grouped ``by`` one of GROUPINGS, over the user's leads (``filters``
    narrow them further, e.g. ``chain=3``, and are kept in every link)."""
    from .models import Lead

    grouping = GROUPINGS[by]
    leads = Lead.objects.restrict(user, "view").filter(**{k: v for k, v in filters.items() if v})
    if grouping.expression is not None:
        leads = leads.annotate(**{grouping.key: grouping.expression})
    counted = stage_counts(leads, year, grouping.key)
    if grouping.name == "province":  # the province's own code: its name, and the list's subtree filter
        counted = {(f"{k}0000" if k else None): v for k, v in counted.items()}
    names = _names(grouping, list(counted))

    def cells(values: dict, group_filter: dict) -> list[Cell]:
        opened = values["opened"]
        return [
            Cell(
                stage,
                values[stage],
                lead_list_url(**filters, **group_filter, reached=stage, year=year),
                None if stage == "opened" else rate(values[stage], opened),
            )
            for stage in STAGES
        ]

    rows = []
    for value, values in counted.items():
        key = grouping.value_of(value)
        if key == NONE_KEY:
            name, group_filter = str(_("(none)")), {"missing": grouping.missing}
        else:
            name, group_filter = names.get(key, key), {grouping.param: key}
        rows.append(Row(key, name, cells(values, group_filter)))
    rows.sort(key=lambda r: (r.key == NONE_KEY, -r.count("opened"), r.name))
    totals = {stage: sum(r.count(stage) for r in rows) for stage in STAGES}
    total = Row("", str(_("All")), cells(totals, {}))
    return Funnel(year, grouping, rows, total)


# ---- targets ----------------------------------------------------------------------------------------

MEASURES = ("leads_opened", "signed", "landed", "amount")
MEASURE_LABELS = {
    "leads_opened": _("Leads opened"),
    "signed": _("Signed"),
    "landed": _("Landed"),
    "amount": _("Amount signed"),
}


@dataclass
class Figure:
    measure: str
    label: object
    done: int | Decimal | None
    target: int | Decimal | None
    url: str
    hidden: bool = False  # a confidential amount the user may not see

    @property
    def share(self) -> float | None:
        if self.done is None or not self.target:
            return None
        return min(float(self.done) / float(self.target), 1.0)

    @property
    def percent(self) -> int | None:
        return None if self.share is None else round(self.share * 100)

    @property
    def met(self) -> bool:
        return self.done is not None and self.target is not None and self.done >= self.target


@dataclass
class Progress:
    """A chain's or a team's year against its Target row."""

    year: int
    chain: object
    team: object | None
    target: object | None
    figures: list[Figure]

    @property
    def name(self) -> str:
        return str(self.team or self.chain)


def may_see_amounts(user) -> bool:
    from .models import Lead

    return scope.has_permission(user, "view_confidential", Lead)


def _amounts(user, year: int, key: str, ids: list[int]) -> dict[int, Decimal | None]:
    """The planned investment of the leads signed in ``year`` whose confidential fields the user may see."""
    from .models import Lead

    leads = Lead.objects.restrict(user, "view_confidential").filter(**{f"{key}__in": ids})
    return {
        row[key]: row["amount"]
        for row in leads.filter(reached_in("signed", year))
        .values(key)
        .annotate(amount=Sum("planned_investment"))
        .order_by()
    }


def progress(user, year: int, *, chains=None, teams=None) -> list[Progress]:
    """Progress of each chain in ``chains`` and each team in ``teams`` (querysets or lists, already in the
    user's scope) against its Target for ``year``: a bounded number of queries whatever their number."""
    from projects.desk import landed as projects_landed

    chains, teams = list(chains or []), list(teams or [])
    out: list[Progress] = []
    if chains:
        # The chain's landed count is the headline card's (projects that reached 开工): one definition.
        out += _progress(user, year, chains, "chain", landed=projects_landed(user, chains, year))
    if teams:
        out += _progress(user, year, teams, "team")
    return out


def _progress(user, year: int, owners: list, kind: str, landed: dict | None = None) -> list[Progress]:
    """Chains' (``kind`` "chain", no team) or teams' progress: the targets, the counts and the amounts,
    one query each."""
    from .models import Lead, Target

    key, ids = f"{kind}_id", [owner.pk for owner in owners]
    targets = Target.objects.restrict(user, "view").filter(**{f"{key}__in": ids}, year=year)
    if kind == "chain":
        targets = targets.filter(team=None)
    targets = {getattr(t, key): t for t in targets}
    leads = Lead.objects.restrict(user, "view").filter(**{f"{key}__in": ids})
    counts = stage_counts(leads, year, key, stages=("opened", "signed", "landed"))
    show_amounts = may_see_amounts(user)
    amounts = _amounts(user, year, key, ids) if show_amounts else {}
    out = []
    for owner in owners:
        row = counts.get(owner.pk, {})
        done = {
            "leads_opened": row.get("opened", 0),
            "signed": row.get("signed", 0),
            "landed": row.get("landed", 0),
            "amount": amounts.get(owner.pk),
        }
        extra = {}
        if landed is not None:
            done["landed"] = landed[owner.pk].count
            extra = {"landed_url": landed[owner.pk].url, "landed_target": owner.yearly_landing_target}
        target = targets.get(owner.pk)
        figures = _figures(target, done, {kind: owner.pk}, year, show_amounts, **extra)
        chain, team = (owner, None) if kind == "chain" else (owner.chain, owner)
        out.append(Progress(year, chain, team, target, figures))
    return out


def _figures(
    target, done: dict, group: dict, year: int, show_amounts: bool, landed_url=None, landed_target=None
) -> list[Figure]:
    reached = {"leads_opened": "opened", "signed": "signed", "landed": "landed", "amount": "signed"}
    out = []
    for measure in MEASURES:
        goal = getattr(target, measure, None) if target is not None else None
        if measure == "landed" and landed_target is not None:
            goal = landed_target  # the chain's own field is the source (docs/investment.md, Targets)
        value = done[measure]
        if measure == "amount" and not show_amounts:
            value, goal = None, None
        url = lead_list_url(**group, reached=reached[measure], year=year)
        if measure == "landed" and landed_url:
            url = landed_url
        if measure == "amount" and value is None and show_amounts:
            value = Decimal(0)
        out.append(
            Figure(
                measure,
                MEASURE_LABELS[measure],
                value,
                goal,
                url,
                hidden=measure == "amount" and not show_amounts,
            )
        )
    return out


__all__ = [
    "GROUPINGS",
    "STAGES",
    "Funnel",
    "Progress",
    "funnel",
    "progress",
    "rate",
    "reached_in",
    "stage_counts",
]
