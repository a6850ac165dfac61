"""Project traffic lights (红黄绿灯): explicit rules, thresholds from configuration (rules.md).

A light compares two things with reality:

- the planned start: a project still before 开工 (谋划, 签约) in its planned start month or later is yellow
  (``start_yellow_months`` after that month, 0 by default), red ``start_red_months`` (3) months after;
- this year's completed investment with the time-proportional plan (时序进度: the year's planned
  investment × elapsed months ÷ 12, the current month counted as elapsed, since its round files the month's
  progress before it ends): ``behind_yellow_points`` (10) to ``behind_red_points`` (30) percentage points
  behind is yellow, more than that red.

The worse of the two fires (red over yellow over green; at equal colours the start rule, which is older
news). A project with no plan data at all (no planned start, no planned investment this year) is grey,
never red. A suspended or terminated project is grey with its stage as the rule: nothing is expected of it
while it is halted, and a red light would call for action nobody can take. A completed project or one in
production is green.

The rule that fired is stored as a code with its parameters (``Project.light_rule`` and
``light_params``) and put into words when shown, in the reader's language (:func:`describe`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainboard import audit
from chainboard.models.audit import AuditAction

GREEN, YELLOW, RED, GREY = "green", "yellow", "red", "grey"
SEVERITY = {GREY: 0, GREEN: 1, YELLOW: 2, RED: 3}
NOT_STARTED = ("planning", "signed")
HALTED = ("suspended", "terminated")
FINISHED = ("completed", "in_production")

Result = tuple[str, str, dict[str, Any]]  # light, rule code, parameters


def rules() -> dict[str, int]:
    return dict(settings.CHAINBOARD_LIGHT_RULES)


def months_between(start: dt.date, today: dt.date) -> int:
    """Whole calendar months from ``start``'s month to ``today``'s (0 in the same month)."""
    return (today.year - start.year) * 12 + today.month - start.month


def _start_rule(project, today: dt.date, cfg: dict) -> Result | None:
    if project.planned_start is None or project.stage not in NOT_STARTED:
        return None
    late = months_between(project.planned_start, today)
    params = {"planned_start": project.planned_start.isoformat(), "months": late}
    if late >= cfg["start_red_months"]:
        return RED, "start_late", params
    if late >= cfg["start_yellow_months"]:
        return YELLOW, "start_due", params
    return GREEN, "start_ahead", params


def _investment_rule(plan, today: dt.date, cfg: dict) -> Result | None:
    if plan is None or not plan.planned_investment:  # none, or zero: no time-proportional plan
        return None
    planned = Decimal(plan.planned_investment)
    expected = Decimal(today.month) * 100 / 12
    done = Decimal(plan.completed_investment or 0) * 100 / planned
    behind = expected - done
    params = {
        "year": plan.year,
        "expected": float(round(expected, 1)),
        "done": float(round(done, 1)),
        "behind": float(round(behind, 1)),
    }
    if behind > cfg["behind_red_points"]:
        return RED, "behind_red", params
    if behind >= cfg["behind_yellow_points"]:
        return YELLOW, "behind_yellow", params
    return GREEN, "on_plan", params


def compute(project, today: dt.date | None = None, plan=None, *, plan_given: bool = False) -> Result:
    """The light of ``project`` on ``today``: (light, rule code, parameters). ``plan`` is this year's
    ``ProjectPlan`` when the caller already has it (``plan_given``: the bulk recompute reads plans once)."""
    today = today or timezone.localdate()
    cfg = rules()
    if project.stage in HALTED:
        return GREY, "halted", {"stage": project.stage}
    if project.stage in FINISHED:
        return GREEN, "finished", {"stage": project.stage}
    if not plan_given:
        plan = project.plans.filter(year=today.year).first()
    found = [r for r in (_start_rule(project, today, cfg), _investment_rule(plan, today, cfg)) if r]
    if not found:
        return GREY, "no_plan", {}
    return max(found, key=lambda r: SEVERITY[r[0]])  # max keeps the first of equals: the start rule


# Each rule in words: translated when one is shown (a list page shows 25), not all nine each time.
RULE_TEXTS = {
    "": "",
    "no_plan": _("No plan data: no planned start and no planned investment this year."),
    "halted": _("%(stage)s: nothing is expected while the project is halted."),
    "finished": _("%(stage)s."),
    "start_ahead": _("Planned start %(planned_start)s, not yet due."),
    "start_due": _("Not started: planned start %(planned_start)s."),
    "start_late": _("Not started %(months)s months after the planned start %(planned_start)s."),
    "on_plan": _("Completed %(done)s%% of the year's plan against %(expected)s%% by time (%(year)s)."),
    "behind_yellow": _(
        "Completed %(done)s%% of the year's plan against %(expected)s%% by time: "
        "%(behind)s points behind (%(year)s)."
    ),
    "behind_red": _(
        "Completed %(done)s%% of the year's plan against %(expected)s%% by time: "
        "%(behind)s points behind (%(year)s)."
    ),
}


def describe(code: str, params: dict[str, Any] | None) -> str:
    """The rule that fired, in words, in the active language."""
    p = dict(params or {})
    if "stage" in p:
        from projects.models import ProjectStage

        p["stage"] = ProjectStage(p["stage"]).label
    text = RULE_TEXTS.get(code)
    if text is None:
        return code
    try:
        return str(text) % p
    except (KeyError, TypeError, ValueError):
        return code


def _store(project, result: Result) -> bool:
    """Write the light if it changed, audited as an update of the project (fields light, light_rule,
    light_params only: no version bump, since no person edited the project and an open edit form must
    not be refused for a derived value)."""
    light, code, params = result
    if (project.light, project.light_rule, project.light_params) == (light, code, params):
        return False
    model = type(project)
    before = {"light": project.light, "light_rule": project.light_rule, "light_params": project.light_params}
    model._base_manager.filter(pk=project.pk).update(light=light, light_rule=code, light_params=params)
    project.light, project.light_rule, project.light_params = light, code, params
    after = {"light": light, "light_rule": code, "light_params": params}
    audit.record(AuditAction.UPDATE, project, before=before, after=after)
    return True


def refresh(project, today: dt.date | None = None) -> bool:
    """Recompute and store one project's light (after a filing, a plan change, a stage change: the
    workflow calls this after each move). True when it changed."""
    project.refresh_from_db(fields=["stage", "planned_start", "light", "light_rule", "light_params"])
    return _store(project, compute(project, today))


def refresh_many(projects: Iterable | None = None, today: dt.date | None = None, batch: int = 2000) -> int:
    """Recompute every project's light (the daily task): projects and this year's plans read a batch at a
    time, only the changed lights written. The number changed."""
    from projects.models import Project, ProjectPlan

    today = today or timezone.localdate()
    queryset = projects if projects is not None else Project.objects.all()
    queryset = queryset.order_by("pk").only(
        "pk", "name", "stage", "planned_start", "light", "light_rule", "light_params"
    )
    changed = 0
    last = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last)[:batch])
        if not chunk:
            return changed
        plans = {
            p.project_id: p
            for p in ProjectPlan.objects.filter(project__in=[c.pk for c in chunk], year=today.year).only(
                "project_id", "year", "planned_investment", "completed_investment"
            )
        }
        moved, rows = [], []
        for project in chunk:
            light, code, params = compute(project, today, plans.get(project.pk), plan_given=True)
            if (project.light, project.light_rule, project.light_params) == (light, code, params):
                continue
            before = {
                "light": project.light,
                "light_rule": project.light_rule,
                "light_params": project.light_params,
            }
            project.light, project.light_rule, project.light_params = light, code, params
            after = {"light": light, "light_rule": code, "light_params": params}
            rows.append(audit.values(AuditAction.UPDATE, project, before=before, after=after))
            moved.append(project)
        if moved:
            # One statement run for the batch's rows and the audit rows chained in one pass: a row-by-row
            # write took 3.5 ms a project, almost all of it the audit append (docs/projects.md, Lights);
            # bulk_update's CASE WHEN per row and field then took 85 % of the task (120,000 changed
            # lights at 200,000 projects: 87 s on SQLite; bench/README.md, "Issue 14: projects").
            with transaction.atomic():
                _write_lights(moved)
                audit.record_many(rows)
        changed += len(moved)
        last = chunk[-1].pk


def _write_lights(projects: list) -> None:
    """UPDATE the light, its rule and its figures of each of ``projects``: one statement, run per row."""
    from projects.models import Project

    meta = Project._meta
    params = meta.get_field("light_params")
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} = %s, {} = %s, {} = %s WHERE {} = %s".format(  # noqa: S608 (names from the model)
        quote(meta.db_table),
        *(quote(meta.get_field(name).column) for name in ("light", "light_rule", "light_params")),
        quote(meta.pk.column),
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (p.light, p.light_rule, params.get_db_prep_save(p.light_params, connection), p.pk)
                for p in projects
            ],
        )
