from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = _("Closed loop")

    def ready(self) -> None:
        from chainboard.navigation import register_group

        register_group("problems", _("Closed loop"), 30)
