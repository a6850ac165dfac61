"""The projects app's periodic work, run through django-tasks by the scheduler (chainboard/scheduler.py):

- ``recompute_lights``: every project's traffic light, daily (a light moves with the calendar: a
  planned start passes, the time-proportional plan grows each month);
- ``open_due_rounds``: this month's scheduling round for every chain, from ``CHAINBOARD_ROUND_OPEN_DAY``.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from chainboard import audit


@task()
def recompute_lights(today: str | None = None) -> int:
    """Recompute every project's light; ``today`` (ISO date) for a replay. The number that changed."""
    from projects import lights

    day = dt.date.fromisoformat(today) if today else None
    with audit.operation(source=audit.Source.TASK, label="task:recompute_lights"):
        return lights.refresh_many(today=day)


@task()
def open_due_rounds(today: str | None = None) -> list[int]:
    """Open this month's round for each chain that has none yet (idempotent). The new rounds' ids."""
    from projects import rounds

    day = dt.date.fromisoformat(today) if today else None
    with audit.operation(source=audit.Source.TASK, label="task:open_due_rounds"):
        return [r.pk for r in rounds.open_due_rounds(day)]
