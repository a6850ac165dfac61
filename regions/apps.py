from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "regions"
    verbose_name = _("Regions")

    def ready(self) -> None:
        from chainboard.history import register_operation

        register_operation("command:load_regions", _("Load of the regions"))
