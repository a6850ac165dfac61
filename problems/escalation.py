"""Escalation of overdue items (docs/closed-loop.md, Escalation): the daily job ``escalate-overdue``.

An open problem or task (assigned or in progress) whose due date has passed by
``CHAINBOARD_ESCALATE_OFFICE_AFTER`` working days (default 2) rises to level 1 and the chain office in its
scope is told; by ``CHAINBOARD_ESCALATE_CHIEF_AFTER`` working days (default 5) to level 2 and the chief in
its scope is told. Working days after the due date up to and including today (workdays.between), so a
holiday week does not escalate anyone. Each escalation is the workflow's ``escalate`` move made by the
system (an audited transition with its row in the timeline, chainboard/actions.py), a notice and the
webhook event ``problem.escalated`` / ``task.escalated``. Idempotent: a level is reached once; an item
answered or closed, or whose extension moved its due date, stops rising.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from chainboard import actions, audit, workdays
from chainboard.scope import SystemActor

from .models import OPEN_STATES, Problem, Task
from .notify import role_users, tell

ACTOR_LABEL = "task:escalate_overdue"
RECOMPUTE_LABEL = "task:recompute_provisional_deadlines"


def thresholds() -> tuple[int, int]:
    return settings.CHAINBOARD_ESCALATE_OFFICE_AFTER, settings.CHAINBOARD_ESCALATE_CHIEF_AFTER


def level_for(late_days: int) -> int:
    office_after, chief_after = thresholds()
    if late_days >= chief_after:
        return 2
    if late_days >= office_after:
        return 1
    return 0


def escalate_overdue(today: dt.date | None = None) -> list[tuple[str, int, int]]:
    """Raise every open overdue item to the level its lateness reaches; ``(model, id, level)`` of each
    raised. One calendar for the whole pass (workdays.Calendar reads the override table once a year)."""
    actor = SystemActor(ACTOR_LABEL)
    with audit.operation(user=actor, source=audit.Source.TASK, label=ACTOR_LABEL):
        return _escalate(actor, today or timezone.localdate())


def _escalate(actor, today: dt.date) -> list[tuple[str, int, int]]:
    calendar = workdays.Calendar()
    raised = []
    for model in (Problem, Task):
        overdue = (
            model._base_manager.filter(state__in=OPEN_STATES, due_on__lt=today, escalation_level__lt=2)
            .select_related("handler")
            .order_by("due_on", "pk")
        )
        for record in overdue.iterator(chunk_size=500):
            late = calendar.between(record.due_on, today)
            level = level_for(late)
            if level <= record.escalation_level:
                continue
            record = actions.transition(
                actor,
                record,
                "escalate",
                comment=_("Overdue by %(days)s working days.") % {"days": late},
                data={"escalation_level": level, "escalated_on": today},
            )
            roles = ("office",) if level == 1 else ("chief", "deputy_chief")
            text = _("Overdue by %(days)s working days: %(name)s") % {"days": late, "name": record.title}
            tell(role_users(record, roles), f"{model._meta.model_name}.escalated", text, record)
            raised.append((model._meta.model_name, record.pk, level))
    return raised


def recompute_provisional(year: int | None = None) -> int:
    """Due dates counted on plain weekdays of a year whose schedule was not published: counted again now
    that it is (workdays.schedule_changed). Only open items; the number whose due date moved."""

    calendar = workdays.Calendar()
    actor = SystemActor(RECOMPUTE_LABEL)
    with audit.operation(user=actor, source=audit.Source.TASK, label=RECOMPUTE_LABEL):
        return _recompute(actor, calendar, year)


def _recompute(actor, calendar, year: int | None) -> int:
    from .loop import schedule

    moved = 0
    for model in (Problem, Task):
        rows = model._base_manager.filter(state__in=OPEN_STATES, due_provisional=True)
        if year is not None:
            rows = rows.filter(due_on__year__gte=year)
        for record in rows.iterator(chunk_size=500):
            before = (record.due_on, record.due_provisional)
            schedule(record, calendar=calendar)
            if (record.due_on, record.due_provisional) != before:
                actions.save_fields(
                    actor,
                    model._base_manager.get(pk=record.pk),
                    due_on=record.due_on,
                    due_provisional=record.due_provisional,
                )
                moved += 1
    return moved
