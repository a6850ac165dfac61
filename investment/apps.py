from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestmentConfig(AppConfig):
    name = "investment"
    verbose_name = _("Investment attraction")

    def ready(self) -> None:
        from chainboard import history, sources
        from chainboard.navigation import register_group

        from . import signals
        from .macro_regions import SOURCE

        sources.register_note(
            SOURCE,
            _("The macro-regions' member provinces, from the national regional development plans."),
        )

        signals.connect()
        from . import funnel_views

        funnel_views.connect()  # the funnel page's menu entry, the targets' and events' panels, the desk card
        register_group("investment", _("Investment attraction"), 27)
        # The project's page says which lead it came from (investment/conversion.py).
        from chainboard.views.generic import DetailPanel
        from projects.views import ProjectViewSet

        from .conversion import project_panel

        ProjectViewSet.detail_panels = [
            *ProjectViewSet.detail_panels,
            DetailPanel("lead", "investment/_project_lead.html", project_panel),
        ]
        history.register_operation(
            "investment:convert", _("Conversion of an investment lead into a key project")
        )
        history.register_operation("investment:follow-project", _("A converted lead following its project"))
