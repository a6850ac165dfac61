from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import AttachedToRecord


class JournalEntry(AttachedToRecord):
    """A comment in a record's journal: notes and follow-ups (a leader's instruction is an ``Instruction``)."""

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
