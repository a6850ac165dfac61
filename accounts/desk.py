"""The accounts' part of the desk (chainboard/desk.py): the count of users, and locked accounts as
something that needs the administrator (who may lift a lock)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chainboard import desk, scope


def locked_accounts(user) -> list[desk.Todo]:
    from axes.models import AccessAttempt

    from .login import locked_accounts as locked

    if not scope.has_permission(user, "delete", AccessAttempt):
        return []
    count = len(locked())
    return [desk.Todo(_("Locked accounts"), count, reverse("accounts:lockout_list"), "warning")]


desk.register_todo(locked_accounts)
desk.register_count(desk.Count(_("Users"), "accounts.User", "accounts:user_list", "user-cog", 80))
