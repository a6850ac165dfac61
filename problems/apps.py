from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = _("Closed loop")

    def ready(self) -> None:
        from chainboard.navigation import MenuItem, register, register_group

        from . import desk_stats  # noqa: F401  (the statistics card on the desk)

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
