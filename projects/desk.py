"""The projects' cards on the desk (chainboard/desk.py): red and yellow projects among the user's to-dos,
the projects in scope by stage and by light, each number a link to the list it counts, and the count of
projects landed this year against the chain's target (chains/desk.py, ``register_landed``).

Everything is counted through ``restrict``: a county user counts its county's projects, an enterprise
user its own.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Count as Counted
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chainboard import desk, scope
from chains.desk import Landed, register_landed

from .models import LANDED_STAGES, Light, Project, ProjectStage


def list_url(**filters) -> str:
    base = reverse("projects:project_list")
    return f"{base}?{urlencode(filters)}" if filters else base


def _by_light_and_stage(user) -> dict[tuple[str, str], int]:
    """The user's projects counted by light and stage in one grouped query, once per request
    (``desk.once``): the to-dos read the lights, the card the stages and the lights, the strip their sum.
    One query, not one per field: the index (chain, light, stage) answers a chain's pairs alone, where
    grouping by stage alone sorted the chain's 50,000 projects (bench/README.md, "Issue 14: projects").
    ``COUNT(*)``, not ``COUNT(id)``: PostgreSQL then reads the index without the table (a project's scope
    paths are all to-one: no row repeats)."""

    def grouped():
        rows = Project.objects.restrict(user, "view").values("light", "stage").annotate(n=Counted("*"))
        return {(row["light"], row["stage"]): row["n"] for row in rows.order_by()}

    return desk.once(user, "projects.desk.by_light_and_stage", grouped)


def _by(user, index: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for pair, n in _by_light_and_stage(user).items():
        out[pair[index]] = out.get(pair[index], 0) + n
    return out


def _by_light(user) -> dict[str, int]:
    return _by(user, 0)


def _light_todos(user) -> list[desk.Todo]:
    if not scope.has_permission(user, "view", Project):
        return []
    by_light = _by_light(user)
    out = []
    if by_light.get(Light.RED):
        out.append(desk.Todo(_("Projects on red"), by_light[Light.RED], list_url(light=Light.RED), "danger"))
    if by_light.get(Light.YELLOW):
        out.append(
            desk.Todo(
                _("Projects on yellow"), by_light[Light.YELLOW], list_url(light=Light.YELLOW), "warning"
            )
        )
    return out


def _filing_todos(user) -> list[desk.Todo]:
    """Progress reports the user must file in open scheduling rounds (projects/rounds.py)."""
    from django.utils import timezone

    from .rounds import pending_for

    pending = list(pending_for(user).values_list("round__due_on", flat=True))
    if not pending:
        return []
    overdue = any(due is not None and due < timezone.localdate() for due in pending)
    return [
        desk.Todo(
            _("Progress reports to file"),
            len(pending),
            reverse("projects:my_progress"),
            "danger" if overdue else "warning",
        )
    ]


def _projects_card(request) -> dict | None:
    by_stage = _by(request.user, 1)
    if not by_stage:
        return None
    by_light = _by_light(request.user)
    return {
        "total": sum(by_stage.values()),
        "total_url": list_url(),
        "stages": [
            {"label": label, "value": by_stage.get(value, 0), "url": list_url(stage=value)}
            for value, label in ProjectStage.choices
            if by_stage.get(value)
        ],
        "lights": [
            {
                "label": label,
                "value": by_light.get(value, 0),
                "url": list_url(light=value),
                "colour": Light(value).colour,
            }
            for value, label in Light.choices
        ],
        "scope": desk.describe(request.user, Project),
    }


def landed(user, chains, year: int) -> dict[int, Landed]:
    """Projects that reached 开工 within ``year`` (rules.md: landed means started), per chain: one query,
    once per request for each chain (the headline card and the investment targets card both show it)."""
    known: dict[int, int] = desk.once(user, f"projects.desk.landed.{year}", dict)
    missing = [chain.pk for chain in chains if chain.pk not in known]
    if missing:
        rows = (
            Project.objects.restrict(user, "view")
            .filter(chain__in=missing, stage__in=LANDED_STAGES, started_on__year=year)
            .values("chain_id")
            .annotate(n=Counted("*"))
            .order_by()
        )
        counts = {row["chain_id"]: row["n"] for row in rows}
        known.update((pk, counts.get(pk, 0)) for pk in missing)
    return {
        chain.pk: Landed(known[chain.pk], list_url(chain=chain.pk, started_year=year)) for chain in chains
    }


desk.register_todo(_filing_todos)
desk.register_todo(_light_todos)
desk.register(
    desk.Card(
        "projects",
        _("Key projects"),
        "projects/desk/projects.html",
        _projects_card,
        order=20,
        model="projects.Project",
    )
)


def _count(user) -> int:
    """The strip's count of projects: the sum of the grouping the to-dos and the card read anyway."""
    return sum(_by_light_and_stage(user).values())


desk.register_count(
    desk.Count(
        _("Projects"), "projects.Project", "projects:project_list", "building-factory-2", 35, value=_count
    )
)
register_landed(landed)
