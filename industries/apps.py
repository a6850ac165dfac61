from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndustriesConfig(AppConfig):
    name = "industries"
    verbose_name = _("Industry classes")

    def ready(self) -> None:
        from chainboard.history import register_operation
        from chainboard.navigation import MenuItem, register

        register_operation("command:load_industries", _("Load of the industry classes"))

        register(
            MenuItem(
                "reference",
                _("Industry classes"),
                "industries:industryclass_list",
                "industries.IndustryClass",
                "building-factory",
                20,
            )
        )
