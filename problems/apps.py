from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = _("Closed loop")

    def ready(self) -> None:
        from chainboard import scheduler, workdays
        from chainboard.navigation import MenuItem, register, register_group

        from . import (
            desk_stats,  # noqa: F401  (the statistics card on the desk)
            notify,
        )

        notify.connect()
        workdays.schedule_changed.connect(_schedule_changed, dispatch_uid="problems.provisional")
        register_group("problems", _("Closed loop"), 30)
        # A page of its own (not a ViewSet): the loop's statistics (problems/stats.py).
        register(
            MenuItem(
                "problems",
                _("Statistics"),
                "problems:problem_statistics",
                "problems.Problem",
                "chart-bar",
                90,
            )
        )
        # Before the 07:30 digest, so the day's escalations are in it (docs/closed-loop.md).
        scheduler.register(
            "escalate-overdue",
            cron="0 7 * * *",
            task="problems.tasks.escalate_overdue",
            label=_("Escalate overdue problems and tasks to the office and the chief"),
        )


def _schedule_changed(sender, year=None, **kwargs) -> None:
    """A year's working days were entered: the provisional due dates counted in it are counted again."""
    from .escalation import recompute_provisional

    recompute_provisional(year)
