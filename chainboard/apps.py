from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainboardConfig(AppConfig):
    name = "chainboard"
    verbose_name = _("Chain chief workbench")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from chainboard import navigation

        connection_created.connect(_search_functions, dispatch_uid="chainboard_search_functions")

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


def _search_functions(sender, connection, **kwargs) -> None:
    """SQLite: the functions the search index's triggers call (chainboard.search)."""
    if connection.vendor == "sqlite":
        from chainboard import search

        search.register_functions(connection.connection)
