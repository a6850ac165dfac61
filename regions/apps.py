from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "regions"
    verbose_name = _("Regions")

    def ready(self) -> None:
        from chainboard.history import register_operation
        from chainboard.navigation import MenuItem, register

        register_operation("command:load_regions", _("Load of the regions"))

        register(MenuItem("reference", _("Regions"), "regions:region_list", "regions.Region", "map-pin", 10))
