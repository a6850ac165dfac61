from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestmentConfig(AppConfig):
    name = "investment"
    verbose_name = _("Investment attraction")

    def ready(self) -> None:
        from chainboard import sources
        from chainboard.navigation import register_group

        from . import signals
        from .macro_regions import SOURCE

        sources.register_note(
            SOURCE,
            _("The macro-regions' member provinces, from the national regional development plans."),
        )

        signals.connect()
        register_group("investment", _("Investment attraction"), 27)
