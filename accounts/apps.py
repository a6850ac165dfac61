from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from chainboard.navigation import MenuItem, register

        register(MenuItem("system", _("Users"), "accounts:user_list", "accounts.User", "user-cog", 20))
        register(MenuItem("system", _("Grants"), "accounts:grant_list", "accounts.Grant", "key", 30))
