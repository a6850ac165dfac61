"""The closed loop's periodic work, run through django-tasks by the scheduler (chainboard/scheduler.py):

- ``escalate_overdue``: overdue problems and tasks rise to the office, then to the chief, daily;
- ``recompute_provisional_deadlines``: after an administrator enters a year's working days.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def escalate_overdue(today: str | None = None) -> int:
    """Escalate what is overdue; ``today`` (ISO date) for a replay. The number of items raised."""
    from problems import escalation

    day = dt.date.fromisoformat(today) if today else None
    return len(escalation.escalate_overdue(day))  # one audited operation of its own


@task()
def recompute_provisional_deadlines(year: int | None = None) -> int:
    from problems import escalation

    return escalation.recompute_provisional(year)
