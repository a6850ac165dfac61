from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """A message to one user in the app (chainboard/notices.py): an escalation, a digest, a reminder.

    A user reads their own notices and nobody else's; no role grants any (``default_permissions = ()``).
    Written by ``notices.notify`` and ``notices.mark_read`` only, each row audited."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=50,
    )
    text = models.TextField(
        verbose_name=_("text"),
    )
    url = models.CharField(
        verbose_name=_("link"),
        max_length=500,
        blank=True,
    )
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("kind of record"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    object_id = models.CharField(
        verbose_name=_("record id"),
        max_length=64,
        blank=True,
    )
    target = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(
        verbose_name=_("sent"),
        default=timezone.now,
    )
    read_at = models.DateTimeField(
        verbose_name=_("read"),
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ("-created_at", "-id")
        default_permissions = ()
        indexes = [
            # The inbox and the header's unread count: a user's notices, newest first.
            models.Index(fields=["user", "-created_at"], name="notice_user_created"),
            models.Index(fields=["user", "read_at"], name="notice_user_read"),
        ]

    def __str__(self) -> str:
        return self.text[:80]
