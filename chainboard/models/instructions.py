from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import AttachedToRecord


class InstructionStatus(models.TextChoices):
    OPEN = "open", _("awaiting an answer")
    ANSWERED = "answered", _("answered")


class Instruction(AttachedToRecord):
    """A leader's instruction (批示) on a record, which the instructed user answers.

    Visible to whoever may view the record (docs/instructions.md); never deleted from the UI: the
    instruction and its answer stay with the record and in its history."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("given by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(
        verbose_name=_("instruction"),
        max_length=5000,
    )
    instructed_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("instructed user"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField(
        verbose_name=_("answer due"),
        null=True,
        blank=True,
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=16,
        choices=InstructionStatus.choices,
        default=InstructionStatus.OPEN,
    )
    answer = models.TextField(
        verbose_name=_("answer"),
        max_length=5000,
        blank=True,
    )
    answered_at = models.DateTimeField(
        verbose_name=_("answered"),
        null=True,
        blank=True,
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("instruction")
        verbose_name_plural = _("instructions")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="instruction_target_idx"),
            models.Index(fields=["instructed_user", "status"], name="instruction_instructed_idx"),
            models.Index(fields=["author", "status"], name="instruction_author_idx"),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def is_open(self) -> bool:
        return self.status == InstructionStatus.OPEN

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.is_open and self.due_date is not None and self.due_date < timezone.localdate()
