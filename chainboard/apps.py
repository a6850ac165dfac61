from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainboardConfig(AppConfig):
    name = "chainboard"
    verbose_name = _("Chain chief workbench")

    def ready(self) -> None:
        from chainboard import navigation

        # The groups every app may use; an app with a domain of its own declares its group in its ready().
        navigation.register_group("reference", _("Reference data"), 90)
        navigation.register_group("system", _("System"), 100)
        # The audit trail is not a ViewSet's list: its entry is registered here.
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
