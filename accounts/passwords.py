"""The password policy 等保 2.0 level 3 expects, as Django password validators (settings.AUTH_PASSWORD_VALIDATORS).

Length, three of four character classes, none of the last few passwords; expiry is :func:`expired`.
Every message has a msgid of ours, translated in the project catalog.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import MinimumLengthValidator as DjangoMinimumLengthValidator
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MinimumLengthValidator(DjangoMinimumLengthValidator):
    """Django's, with its message in a msgid our catalog translates: Django 5.2 changed the msgid of
    "This password is too short" and its zh_Hans catalog has no translation of the new one."""

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short: use at least %(min_length)d character.",
            "This password is too short: use at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must have at least %(min_length)d character.",
            "Your password must have at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class CharacterClassValidator:
    """等保 2.0 asks for complex passwords: at least three of lower case, upper case, digits, symbols."""

    def validate(self, password: str, user=None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                _("Use at least three of: lower-case letters, capitals, digits, symbols."),
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("Your password must use at least three of: lower-case letters, capitals, digits, symbols.")


class PasswordHistoryValidator:
    """A new password may not be the current one nor any of the ``count`` before it.

    Django calls :meth:`password_changed` after a user with a new password is saved
    (``AbstractBaseUser.save``), whichever way the password was set: that keeps the history.
    """

    def __init__(self, count: int = 5):
        self.count = count

    def validate(self, password: str, user=None) -> None:
        if self.count <= 0 or user is None or user.pk is None:
            return
        from .models import PasswordHistory, User

        hashes = list(
            PasswordHistory.objects.filter(user_id=user.pk)
            .order_by("-created_at", "-id")
            .values_list("password", flat=True)[: self.count]
        )
        # The current password also counts (a user from before the history was kept has no row for it).
        current = User._base_manager.filter(pk=user.pk).values_list("password", flat=True).first()
        if current and current not in hashes:
            hashes.append(current)
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                ngettext(
                    "You used this password recently: choose one different from your last %(count)d.",
                    "You used this password recently: choose one different from your last %(count)d.",
                    self.count,
                )
                % {"count": self.count},
                code="password_reused",
            )

    def password_changed(self, password: str, user=None) -> None:
        if user is None or user.pk is None or not user.password:
            return
        from .models import PasswordHistory

        # Rows are kept (nothing is deleted without a trace); only the newest ``count`` are compared.
        PasswordHistory.objects.create(user_id=user.pk, password=user.password)

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must differ from your last %(count)d.",
            "Your password must differ from your last %(count)d.",
            self.count,
        ) % {"count": self.count}


def max_age() -> dt.timedelta | None:
    days = settings.PASSWORD_MAX_AGE_DAYS
    return dt.timedelta(days=days) if days > 0 else None


def expired(user) -> bool:
    """Has the user's password passed ``CHAINBOARD_PASSWORD_MAX_AGE_DAYS`` (0: passwords never expire)?"""
    age = max_age()
    changed = getattr(user, "password_changed_at", None)
    return age is not None and changed is not None and timezone.now() - changed > age


def change_own_password(user, raw_password: str):
    """A user sets their own password: saved with the audit row an administrator's change would have
    (the row shows ``password_changed_at`` and ``must_change_password``, never the hash)."""
    from django.db import transaction

    from chainboard import audit
    from chainboard.models.audit import AuditAction

    with transaction.atomic():
        from .models import User

        # The row itself, locked (``user`` may be the request's lazy user object).
        user = User._base_manager.select_for_update().get(pk=user.pk)
        before = audit.snapshot(user)
        user.set_password(raw_password)
        user.must_change_password = False
        user.version += 1
        # Saving a new password also records its hash in the history (PasswordHistoryValidator).
        user.save(
            update_fields=["password", "password_changed_at", "must_change_password", "version", "updated_at"]
        )
        audit.record(AuditAction.UPDATE, user, before=before, after=audit.snapshot(user))
    return user
