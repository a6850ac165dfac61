from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainboard.models import AuditedModel, ScopedQuerySet

from .roles import Role


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser, AuditedModel):
    """A person who logs in. Belongs to an organisation; what they may do comes from their grants."""

    full_name = models.CharField(
        verbose_name=_("full name"),
        max_length=100,
        blank=True,
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    must_change_password = models.BooleanField(
        verbose_name=_("must change password at next sign-in"),
        default=False,
        help_text=_("The user must choose a new password at their next sign-in."),
    )
    password_changed_at = models.DateTimeField(
        verbose_name=_("password changed at"),
        null=True,
        blank=True,
        editable=False,
    )

    objects = ScopedUserManager()
    audit_exclude = ("created_at", "updated_at", "password", "last_login")
    # A position the user holds would be left vacant without a word: it is handed over first. (Leaving
    # staff are better deactivated: their name stays on their records.)
    delete_protected = ("positions",)
    detail_fields = (
        "username",
        "full_name",
        "organisation",
        "email",
        "is_active",
        "must_change_password",
        "password_changed_at",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name()

    def set_password(self, raw_password) -> None:
        # The expiry (CHAINBOARD_PASSWORD_MAX_AGE_DAYS) counts from here; the audit row of the save shows
        # the change of this field, never the hash.
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()


class PasswordHistory(models.Model):
    """A password hash a user has had: a new password may not repeat the last few (等保 2.0)."""

    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="password_history",
    )
    password = models.CharField(
        verbose_name=_("password hash"),
        max_length=128,
    )
    created_at = models.DateTimeField(
        verbose_name=_("set at"),
        auto_now_add=True,
    )

    audit_exclude = ("password",)  # a user's deletion audits these rows: never with the hash

    class Meta:
        verbose_name = _("password history entry")
        verbose_name_plural = _("password history")
        ordering = ["user", "-created_at", "-id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


class Grant(AuditedModel):
    """A role held within a scope: chain (or all), region subtree (or the whole city), or one enterprise."""

    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="grants",
    )
    role = models.CharField(
        verbose_name=_("role"),
        max_length=32,
        choices=Role.choices,
    )
    chain = models.ForeignKey(
        "chains.Chain",
        verbose_name=_("chain"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="grants",
        help_text=_("Empty: every chain."),
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grants",
        help_text=_("The region and everything below it. Empty: the whole city."),
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="grants",
        help_text=_("For enterprise users: their own enterprise."),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("handling unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grants",
        help_text=_("For handling-unit users: their unit; they see the items assigned to it."),
    )

    detail_fields = ("user", "role", "chain", "region", "enterprise", "organisation")

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        ordering = ["user", "role"]

    def __str__(self) -> str:
        parts = [self.get_role_display()]
        for item in (self.chain, self.region, self.enterprise, self.organisation):
            if item is not None:
                parts.append(str(item))
        return " · ".join(str(p) for p in parts)

    def write_refusal(self, user) -> str | None:
        """Nobody grants a role to themselves or changes their own grants (docs/roles.md)."""
        if self.user_id is not None and self.user_id == getattr(user, "pk", None):
            return _("You may not grant roles to yourself or change your own grants.")
        return None

    def clean(self) -> None:
        super().clean()
        if self.role == Role.ENTERPRISE and self.enterprise_id is None:
            raise ValidationError({"enterprise": _("An enterprise user's grant names their enterprise.")})
        if self.role != Role.ENTERPRISE and self.enterprise_id is not None:
            raise ValidationError({"enterprise": _("Only the enterprise role is limited to one enterprise.")})
        if self.role == Role.UNIT and self.organisation_id is None:
            raise ValidationError({"organisation": _("A handling unit's grant names the unit.")})
        if self.role != Role.UNIT and self.organisation_id is not None:
            raise ValidationError({"organisation": _("Only the handling-unit role is limited to one unit.")})
