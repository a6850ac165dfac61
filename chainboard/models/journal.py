from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import AuditedModel


class JournalEntry(AuditedModel):
    """A comment in a record's journal: notes, follow-ups, instructions."""

    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("kind of record"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    object_id = models.CharField(
        verbose_name=_("record id"),
        max_length=64,
    )
    target = GenericForeignKey("content_type", "object_id")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(
        verbose_name=_("comment"),
        max_length=5000,
    )

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="journal_target_idx")]

    def __str__(self) -> str:
        return self.text[:60]
