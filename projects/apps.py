from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        from chainboard import scheduler
        from chainboard.navigation import MenuItem, register, register_group

        from . import signals

        signals.connect()

        register_group("projects", _("Projects"), 25)
        # A page of its own (not a ViewSet): the user's own progress reports to file.
        register(
            MenuItem(
                "projects",
                _("My progress reports"),
                "projects:my_progress",
                "projects.ProgressReport",
                "progress-check",
                50,
            )
        )
        # Periodic work (docs/scheduler.md): lights move with the calendar; rounds open on their day.
        scheduler.register(
            "recompute-lights",
            cron="30 1 * * *",
            task="projects.tasks.recompute_lights",
            label=_("Recompute the projects' traffic lights"),
        )
        scheduler.register(
            "open-due-rounds",
            cron="0 7 * * *",
            task="projects.tasks.open_due_rounds",
            label=_("Open the month's scheduling rounds on their day"),
        )
