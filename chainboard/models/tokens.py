import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import AuditedModel

LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(AuditedModel):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once, at creation."""

    # Part of its user's account: deleting the user revokes it (chainboard/deletion.py asks no permission).
    part_of_parent = True

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(
        verbose_name=_("name"),
        max_length=100,
        blank=True,
    )
    prefix = models.CharField(
        verbose_name=_("prefix"),
        max_length=8,
        help_text=_("The first characters of the token, to recognise it."),
    )
    key_hash = models.CharField(
        verbose_name=_("hash"),
        max_length=64,
        unique=True,
        editable=False,
    )
    last_used = models.DateTimeField(
        verbose_name=_("last used"),
        null=True,
        blank=True,
    )
    revoked = models.BooleanField(
        verbose_name=_("revoked"),
        default=False,
    )

    audit_exclude = ("created_at", "updated_at", "key_hash", "last_used")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def generate() -> str:
        return "cb_" + secrets.token_urlsafe(32)

    @classmethod
    def user_for(cls, raw: str):
        # The hash is unique: no ordering, no LIMIT to compile.
        token = next(
            iter(cls.objects.select_related("user").filter(key_hash=hash_token(raw), revoked=False)), None
        )
        if token is None or not token.user.is_active:
            return None
        # A plain UPDATE, not audited: using a token is not a change of business data. At most once a
        # minute, so API reads do not each take SQLite's write lock.
        now = timezone.now()
        if token.last_used is None or now - token.last_used > LAST_USED_PRECISION:
            cls.objects.filter(pk=token.pk).update(last_used=now)
        return token.user
