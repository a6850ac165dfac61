"""The closed loop's statistics (issue 16, point 7; docs/closed-loop.md, "Statistics").

For a chosen year, over the problems the user may view that were closed (办结) within it:

- **on time**: closed on or before ``due_on``. An approved extension moves ``due_on``, so a problem closed
  within its extended deadline is on time. A closed problem without a deadline is neither on time nor late.
- **handling time**: working days from ``assigned_on`` to ``answered_on``, counted as
  ``chainboard.workdays.between`` counts them (the working days after the assignment up to and including
  the answer); the average over the closed problems that have both dates.
- **satisfaction**: the share of each rating (满意, 基本满意, 不满意) among the rated problems.
- **reopened**: the problems reopened at least once (重新办理 after 不满意).

Grouped by handling unit, kind, county (the county the problem's region lies in) or month of closing;
every figure carries the problem list's filters that give exactly its items (``Figures.url``).

One query per grouping, one pass over the year's closed problems, whatever their number: the working days
are summed in SQL as the difference of two working-day numbers (see ``working_day_number``), the
calendar's departures from Monday-to-Friday (statutory holidays, adjusted working days, the
administrators' overrides) written into the query as a step function read from ``chainboard.workdays``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import NotSupportedError
from django.db.models import Count, F, Func, IntegerField, Q, Sum, Value
from django.db.models.functions import ExtractMonth, Substr
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chainboard import workdays

from .models import Problem

# The groupings a user can choose, in the order the page offers them.
GROUPINGS = {
    "unit": _("handling unit"),
    "kind": _("kind"),
    "county": _("county"),
    "month": _("month closed"),
}
RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")
# A county is the first six digits of a division code (GB/T 2260): a town's code starts with its county's.
COUNTY_DIGITS = 6


def list_url(**filters) -> str:
    base = reverse("problems:problem_list")
    return f"{base}?{urlencode(filters)}" if filters else base


@dataclass
class Figures:
    """One group's figures, and the filters of the problem list that shows each one's items."""

    filters: dict  # the group's problems: state=closed, closed_year=…, and the group's own filter
    linked: bool = True  # False for a group the list cannot select (a problem with no unit)
    closed: int = 0
    on_time: int = 0
    late: int = 0
    handled: int = 0  # closed problems with both an assignment and an answer date
    handling_days: int = 0  # their working days, summed
    reopened: int = 0
    ratings: dict = field(default_factory=lambda: dict.fromkeys(RATINGS, 0))

    def add(self, other: Figures) -> None:
        for name in ("closed", "on_time", "late", "handled", "handling_days", "reopened"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for rating in RATINGS:
            self.ratings[rating] += other.ratings[rating]

    @property
    def with_deadline(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.with_deadline if self.with_deadline else None

    @property
    def average_handling_days(self) -> float | None:
        return self.handling_days / self.handled if self.handled else None

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    def share(self, rating: str) -> float | None:
        return self.ratings[rating] / self.rated if self.rated else None

    def url(self, **extra) -> str | None:
        """The problem list showing exactly the items of a figure: ``url()`` the closed problems,
        ``url(on_time="true")`` those on time, ``url(rating="satisfied")``, ``url(reopened="true")``."""
        return list_url(**self.filters, **extra) if self.linked else None

    def as_dict(self) -> dict:
        """The figures with their links, for the API and the templates."""
        return {
            "closed": self.closed,
            "closed_url": self.url(),
            "on_time": self.on_time,
            "on_time_url": self.url(on_time="true"),
            "late": self.late,
            "late_url": self.url(on_time="false"),
            "on_time_rate": self.on_time_rate,
            "handled": self.handled,
            "average_handling_days": self.average_handling_days,
            "rated": self.rated,
            "ratings": [
                {
                    "rating": rating,
                    "count": self.ratings[rating],
                    "share": self.share(rating),
                    "url": self.url(rating=rating),
                }
                for rating in RATINGS
            ],
            "reopened": self.reopened,
            "reopened_url": self.url(reopened="true"),
        }


@dataclass
class Row:
    key: object
    label: str
    figures: Figures


@dataclass
class Statistics:
    year: int
    by: str
    rows: list[Row]
    total: Figures


def closed_in(user, year: int):
    """The problems the user may view that were closed within ``year``."""
    return Problem.objects.restrict(user, "view").filter(state="closed", closed_on__year=year)


def _key(by: str):
    return {
        "unit": F("handling_unit_id"),
        "kind": F("kind_id"),
        "county": Substr("region_id", 1, COUNTY_DIGITS),
        "month": ExtractMonth("closed_on"),
        "total": Value(0, output_field=IntegerField()),
    }[by]


# Working days are counted in SQL as W(d) = weekdays(d) + A(d): the Mondays to Fridays from a fixed Sunday
# up to d, plus the calendar's corrections up to d (+1 for each weekend day worked, −1 for each weekday off),
# so that workdays.between(a, b) = W(b) − W(a) for a ≤ b. The corrections are read from the calendar for
# the chosen year and LOOKBACK_YEARS before it; a problem assigned earlier than that (handled for more
# than five years) counts the days before the window as plain weekdays.
EPOCH = dt.date(1970, 1, 4)  # a Sunday
LOOKBACK_YEARS = 5


class WorkingDayNumber(Func):
    """W(column) (see above) as one expression, for SQLite and PostgreSQL: the days from ``EPOCH`` to the
    date (``n``), its whole weeks' weekdays plus the weekdays of the last part week, plus the step function
    A as a ``CASE`` over the steps, the latest first (most dates are recent and stop at one of the first
    branches).

    One expression rather than Django's ``Case(When(...))`` of a ``When`` per step: the ORM resolves,
    hashes and compares each of those expressions several times per query (``Expression.identity``), which
    cost about 50 ms per query over a window of five years; here the SQL is written once from the column
    and the steps, and the identity is the steps' tuple."""

    output_field = IntegerField()
    # n: the days from EPOCH to the column, as an integer.
    day_number = {
        "sqlite": f"CAST(julianday(%(column)s) - julianday('{EPOCH.isoformat()}') AS INTEGER)",
        "postgresql": f"(%(column)s - DATE '{EPOCH.isoformat()}')",
    }
    least = {"sqlite": "MIN", "postgresql": "LEAST"}

    def __init__(self, expression, steps: tuple[tuple[dt.date, int], ...] = ()):
        super().__init__(expression)
        self.steps = tuple(steps)

    def as_sql(self, compiler, connection, **extra):
        if connection.vendor not in self.day_number:
            raise NotSupportedError(
                f"working days are counted on SQLite and PostgreSQL, not {connection.vendor}"
            )
        column, column_params = compiler.compile(self.source_expressions[0])
        n = self.day_number[connection.vendor] % {"column": column}
        least = self.least[connection.vendor]
        sql = f"((5 * ({n} / 7)) + {least}(MOD({n}, 7), 5))"
        params = [*column_params, *column_params]  # n twice
        if self.steps:
            branches = []
            for day, total in reversed(self.steps):
                branches.append(f"WHEN {column} >= %s THEN {int(total)}")
                params += [*column_params, connection.ops.adapt_datefield_value(day)]
            sql = f"({sql} + CASE {' '.join(branches)} ELSE 0 END)"
        return sql, params


def corrections(first: dt.date, last: dt.date) -> tuple[tuple[dt.date, int], ...]:
    """The days from ``first`` to ``last`` where the calendar departs from Monday-to-Friday, each with the
    running sum of the corrections up to it: the steps of A(d). One query (the override table, read by
    ``workdays.departures``; the library's days are worked out once per process)."""
    steps, total = [], 0
    for day, is_workday in workdays.departures(first, last):
        total += 1 if is_workday else -1
        steps.append((day, total))
    return tuple(steps)


def working_day_number(field: str, steps: tuple[tuple[dt.date, int], ...]) -> WorkingDayNumber:
    """W(field) as an SQL expression (see above)."""
    return WorkingDayNumber(F(field), steps)


def _figures_query(user, year: int, by: str):
    """The one query: per group, the counts and the sum of working days from assignment to answer."""
    handled = Q(assigned_on__isnull=False, answered_on__isnull=False, answered_on__gte=F("assigned_on"))
    steps = corrections(dt.date(year - LOOKBACK_YEARS, 1, 1), dt.date(year, 12, 31))
    days = working_day_number("answered_on", steps) - working_day_number("assigned_on", steps)
    return (
        closed_in(user, year)
        .values(g=_key(by))
        .annotate(
            closed=Count("*"),
            handled=Count("pk", filter=handled),
            handling_days=Sum(days, filter=handled),
            on_time=Count("pk", filter=Q(due_on__isnull=False, closed_on__lte=F("due_on"))),
            late=Count("pk", filter=Q(due_on__isnull=False, closed_on__gt=F("due_on"))),
            reopened=Count("pk", filter=Q(reopen_count__gt=0)),
            **{rating: Count("pk", filter=Q(rating=rating)) for rating in RATINGS},
        )
        .order_by()
    )


def _labels(by: str, keys, year: int) -> dict:
    keys = [k for k in keys if k is not None]
    if by == "unit":
        from organisations.models import Organisation

        return dict(Organisation.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "kind":
        from .models import ProblemKind

        return dict(ProblemKind.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "county":
        from regions.models import Region

        return dict(Region.objects.filter(code__in=keys).values_list("code", "name"))
    if by == "month":
        from django.utils.formats import date_format

        return {m: date_format(dt.date(year, m, 1), "YEAR_MONTH_FORMAT") for m in keys}
    return {}


def _group_filter(by: str, key) -> dict | None:
    """The list filter that selects one group; None for a group the list cannot select."""
    if by == "total":
        return {}
    if key is None:
        return {"county": "-"} if by == "county" else None
    name = {"unit": "handling_unit", "kind": "kind", "county": "county", "month": "closed_month"}[by]
    return {name: key}


def compute(user, year: int, by: str = "unit") -> Statistics:
    """The statistics of ``year`` grouped ``by`` one of ``GROUPINGS`` (or "total"), in the user's scope."""
    if by not in GROUPINGS and by != "total":
        raise ValueError(f"unknown grouping {by!r}")
    base = {"state": "closed", "closed_year": year}
    groups: dict[object, Figures] = {}
    for row in _figures_query(user, year, by):
        extra = _group_filter(by, row["g"])
        figures = groups[row["g"]] = Figures({**base, **(extra or {})}, linked=extra is not None)
        for name in ("closed", "handled", "on_time", "late", "reopened"):
            setattr(figures, name, row[name])
        figures.handling_days = row["handling_days"] or 0
        figures.ratings = {rating: row[rating] for rating in RATINGS}
    total = Figures(dict(base))
    for figures in groups.values():
        total.add(figures)
    labels = _labels(by, groups, year)
    out = [
        Row(key, str(labels.get(key, key if key is not None else "—")), figures)
        for key, figures in groups.items()
    ]
    if by == "month":
        out.sort(key=lambda r: r.key)
    else:
        out.sort(key=lambda r: (-r.figures.closed, r.label))
    return Statistics(year, by, out, total)


def headline(user, year: int) -> Figures:
    """The year's figures over the user's whole scope (the desk card)."""
    return compute(user, year, "total").total
