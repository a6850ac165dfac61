from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        from chainboard.navigation import MenuItem, register, register_group

        from . import signals

        signals.connect()

        register_group("projects", _("Projects"), 25)
        register(
            MenuItem(
                "projects",
                _("Projects"),
                "projects:project_list",
                "projects.Project",
                "building-factory-2",
                10,
            )
        )
        register(
            MenuItem(
                "projects",
                _("Investment plans"),
                "projects:projectplan_list",
                "projects.ProjectPlan",
                "report-money",
                20,
            )
        )
        register(
            MenuItem("projects", _("Milestones"), "projects:milestone_list", "projects.Milestone", "flag", 30)
        )
        register(
            MenuItem(
                "projects",
                _("Scheduling rounds"),
                "projects:schedulinground_list",
                "projects.SchedulingRound",
                "calendar-event",
                40,
            )
        )
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
