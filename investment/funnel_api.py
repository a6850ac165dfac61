"""The funnel through the API: ``GET /api/v1/lead_funnel?year=2026&by=team`` (docs/investment.md, Funnel).

The same figures as the funnel page (``investment.funnel.funnel``), in the token user's scope: per group,
each stage's count, its rate against the leads opened, and the lead list URL that shows those leads.
Imported by ``investment/api.py``; a wrong year or grouping is a 422 problem naming the parameter."""

from __future__ import annotations

from typing import Literal

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Schema
from pydantic import Field

from chainboard import scope
from chainboard.api import api

from . import funnel as funnel_module

router = Router(tags=["investment funnel"])


class FunnelQuery(Schema):
    year: int = Field(ge=2000, le=2100, description="the year the stages were reached in")
    by: Literal["team", "source_kind", "segment", "macro_region", "province"] = Field(
        "team", description="the grouping"
    )


class CellOut(Schema):
    stage: str = Field(description="opened, negotiating, signed, landed, in_production or abandoned")
    count: int
    rate: float | None = Field(description="count ÷ leads opened in the year; null for opened or none opened")
    url: str = Field(description="the lead list showing exactly these leads")


class RowOut(Schema):
    key: str = Field(description="the group's id or value; empty for leads without one")
    name: str
    cells: list[CellOut]


class FunnelOut(Schema):
    year: int
    by: str
    rows: list[RowOut]
    total: RowOut


def _row(row) -> dict:
    return {
        "key": row.key,
        "name": row.name,
        "cells": [{"stage": c.stage, "count": c.count, "rate": c.rate, "url": c.url} for c in row.cells],
    }


@router.get(
    "", response=FunnelOut, operation_id="get_lead_funnel", summary="The investment funnel for a year"
)
def get_funnel(request, query: Query[FunnelQuery]):
    from .models import Lead

    if not scope.has_permission(request.user, "view", Lead):
        raise PermissionDenied
    result = funnel_module.funnel(request.user, query.year, query.by)
    return {
        "year": result.year,
        "by": query.by,
        "rows": [_row(r) for r in result.rows],
        "total": _row(result.total),
    }


api.add_router("/lead_funnel", router)
