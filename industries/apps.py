from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndustriesConfig(AppConfig):
    name = "industries"
    verbose_name = _("Industry classes")

    def ready(self) -> None:
        from chainboard.history import register_operation

        register_operation("command:load_industries", _("Load of the industry classes"))
