from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Transition(models.Model):
    """One move of a record through its workflow (chainboard/workflow.py): who moved it, when, from which
    state to which, with what comment and data. Written by ``actions.transition`` only, beside its audit
    row; shown as the record's timeline."""

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
    name = models.CharField(
        verbose_name=_("move"),
        max_length=40,
    )
    from_state = models.CharField(
        verbose_name=_("from"),
        max_length=40,
    )
    to_state = models.CharField(
        verbose_name=_("to"),
        max_length=40,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(
        verbose_name=_("user name"),
        max_length=150,
    )
    time = models.DateTimeField(
        verbose_name=_("time"),
        default=timezone.now,
    )
    comment = models.TextField(
        verbose_name=_("comment"),
        blank=True,
    )
    data = models.JSONField(
        verbose_name=_("data"),
        default=dict,
        blank=True,
    )

    class Meta:
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "time"], name="transition_target_idx")]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.name}: {self.from_state} → {self.to_state}"
