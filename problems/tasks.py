"""The closed loop's periodic work, run through django-tasks by the scheduler (chainboard/scheduler.py):

- ``escalate_overdue``: overdue problems and tasks rise to the office, then to the chief, daily;
- ``recompute_provisional_deadlines``: after an administrator enters a year's working days.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from chainboard import audit


@task()
def escalate_overdue(today: str | None = None) -> int:
    """Escalate what is overdue; ``today`` (ISO date) for a replay. The number of items raised."""
    from problems import escalation

    day = dt.date.fromisoformat(today) if today else None
    with audit.operation(source=audit.Source.TASK, label="task:escalate_overdue"):
        return len(escalation.escalate_overdue(day))


@task()
def recompute_provisional_deadlines(year: int | None = None) -> int:
    from problems import escalation

    with audit.operation(source=audit.Source.TASK, label="task:recompute_provisional_deadlines"):
        return escalation.recompute_provisional(year)
