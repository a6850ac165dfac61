from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "enterprises"
    verbose_name = _("Enterprises")

    def ready(self) -> None:
        from chainboard.navigation import MenuItem, register

        register(
            MenuItem(
                "enterprises",
                _("Enterprises"),
                "enterprises:enterprise_list",
                "enterprises.Enterprise",
                "building-store",
                10,
            )
        )
        register(
            MenuItem(
                "enterprises",
                _("Memberships"),
                "enterprises:membership_list",
                "enterprises.Membership",
                "link",
                20,
            )
        )
        register(
            MenuItem(
                "enterprises",
                _("Indicators"),
                "enterprises:indicator_list",
                "enterprises.Indicator",
                "chart-line",
                30,
            )
        )
        register(
            MenuItem(
                "enterprises",
                _("Above-size statuses"),
                "enterprises:abovesizestatus_list",
                "enterprises.AboveSizeStatus",
                "award",
                40,
            )
        )
        register(
            MenuItem(
                "enterprises", _("Products"), "enterprises:product_list", "enterprises.Product", "package", 50
            )
        )
        register(
            MenuItem(
                "enterprises",
                _("Contacts"),
                "enterprises:contact_list",
                "enterprises.Contact",
                "address-book",
                60,
            )
        )
