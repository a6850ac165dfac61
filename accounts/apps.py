from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from chainboard.navigation import MenuItem, register

        from . import roles

        roles.load()  # every app's access.PERMISSIONS, now that every app is loaded

        # Locked accounts (not a ViewSet's list): for whoever may view axes' attempt rows (the administrator).
        register(
            MenuItem(
                "system", _("Locked accounts"), "accounts:lockout_list", "axes.AccessAttempt", "lock", 35
            )
        )

        from django_otp.plugins.otp_static.models import StaticToken
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from . import login  # noqa: F401 - connects the lockout and log-in signal receivers

        # A user's deletion audits the rows it cascades to (chainboard.actions.delete): never with a TOTP
        # secret or a recovery code in them.
        TOTPDevice.audit_exclude = ("key",)
        StaticToken.audit_exclude = ("token",)
