from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainboardConfig(AppConfig):
    name = "chainboard"
    verbose_name = _("Chain chief workbench")

    def ready(self) -> None:
        from chainboard import navigation

        navigation.register_group("chains", _("Chains"), 10)
        navigation.register_group("enterprises", _("Enterprises"), 20)
        navigation.register_group("organisations", _("Organisations"), 80)
        navigation.register_group("reference", _("Reference data"), 90)
        navigation.register_group("system", _("System"), 100)
        navigation.register(
            navigation.MenuItem(
                "system",
                _("Audit trail"),
                "audit:auditentry_list",
                "chainboard.AuditEntry",
                "shield-check",
                10,
            )
        )
