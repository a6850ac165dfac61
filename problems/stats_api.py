"""``GET /api/v1/problem_statistics/``: the closed loop's statistics for a year (problems/stats.py), in the
caller's scope, each figure with the list filters that select its problems."""

from __future__ import annotations

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Query, Router, Schema

from chainboard import scope
from chainboard.api import api

from . import stats
from .models import Problem

router = Router(tags=["problem statistics"])


class RatingFigure(Schema):
    rating: str
    count: int
    share: float | None
    url: str | None


class FigureSet(Schema):
    closed: int
    closed_url: str | None
    on_time: int
    on_time_url: str | None
    late: int
    late_url: str | None
    on_time_rate: float | None
    handled: int
    average_handling_days: float | None
    rated: int
    ratings: list[RatingFigure]
    reopened: int
    reopened_url: str | None


class Group(FigureSet):
    key: str | None
    label: str


class StatisticsOut(Schema):
    year: int
    by: str
    rows: list[Group]
    total: FigureSet


class StatisticsQuery(Schema):
    year: int | None = None
    by: Literal["unit", "kind", "county", "month"] = "unit"


@router.get(
    "/", response=StatisticsOut, summary="Closed-loop statistics for a year", url_name="problem_statistics"
)
def statistics(request, params: Query[StatisticsQuery]):
    """On-time rate, average handling time in working days, satisfaction and reopened problems among the
    problems closed in ``year`` (default: this year), grouped ``by`` unit, kind, county or month."""
    if not scope.has_permission(request.auth, "view", Problem):
        raise PermissionDenied
    year = params.year or timezone.localdate().year
    result = stats.compute(request.auth, year, params.by)
    return {
        "year": year,
        "by": params.by,
        "rows": [
            {"key": None if row.key is None else str(row.key), "label": row.label, **row.figures.as_dict()}
            for row in result.rows
        ],
        "total": result.total.as_dict(),
    }


api.add_router("/problem_statistics", router)
