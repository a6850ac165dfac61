import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .base import AttachedToRecord


class AttachmentKind(models.TextChoices):
    DOCUMENT = "document", _("document")
    PHOTO = "photo", _("photo")


def attachment_path(instance: "Attachment", filename: str) -> str:
    # A random name on disk: the user's file name is kept in a field, never trusted as a path.
    return f"attachments/{instance.content_type_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class Attachment(AttachedToRecord):
    """A document or photo attached to any record; visible to whoever may view that record."""

    kind = models.CharField(
        verbose_name=_("type"),
        max_length=16,
        choices=AttachmentKind.choices,
        default=AttachmentKind.DOCUMENT,
    )
    file = models.FileField(
        verbose_name=_("file"),
        upload_to=attachment_path,
        max_length=255,
    )
    file_name = models.CharField(
        verbose_name=_("file name"),
        max_length=255,
    )
    size = models.PositiveBigIntegerField(
        verbose_name=_("size (bytes)"),
    )
    title = models.CharField(
        verbose_name=pgettext_lazy("document", "title"),
        max_length=200,
        blank=True,
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_target_idx")]

    def __str__(self) -> str:
        return self.title or self.file_name

    @property
    def shown_inline(self) -> bool:
        """Images and PDF open in the browser (in a sandbox, docs/http-security.md); anything else is saved."""
        from chainboard.filetypes import file_type

        return file_type(self.file_name).inline
