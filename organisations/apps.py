from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationsConfig(AppConfig):
    name = "organisations"
    verbose_name = _("Organisations")

    def ready(self) -> None:
        from chainboard.navigation import MenuItem, register

        register(
            MenuItem(
                "organisations",
                _("Organisations"),
                "organisations:organisation_list",
                "organisations.Organisation",
                "building",
                10,
            )
        )
        register(
            MenuItem(
                "organisations", _("People"), "organisations:person_list", "organisations.Person", "users", 20
            )
        )
