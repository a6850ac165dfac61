from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from chainboard.audit import Source

from .base import ScopedQuerySet


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")
    LOAD = "load", _("loaded reference data")
    PURGE = "purge", _("purged")
    TRANSITION = "transition", _("state changed")
    BACKUP = "backup", _("backed up")
    RESTORE = "restore", _("restored from a backup")

    @property
    def colour(self) -> str:
        return {"create": "green", "update": "blue", "delete": "red"}.get(self.value, "secondary")


class AuditEntry(models.Model):
    """One audited write. Rows are append-only: the database refuses UPDATE and DELETE on them."""

    time = models.DateTimeField(
        verbose_name=_("time"),
        auto_now_add=True,
        db_index=True,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        # DO_NOTHING: the table is append-only (a SET_NULL would be an UPDATE the trigger refuses);
        # the name survives in user_name.
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="audit_entries",
        db_constraint=False,  # append-only table: never touched by a user's deletion
    )
    user_name = models.CharField(
        verbose_name=_("user name"),
        max_length=150,
    )
    operation_id = models.UUIDField(
        verbose_name=_("operation"),
        db_index=True,
    )
    source = models.CharField(
        verbose_name=_("source"),
        max_length=16,
        choices=Source.choices,
    )
    action = models.CharField(
        verbose_name=_("action"),
        max_length=16,
        choices=AuditAction.choices,
    )
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("kind"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    object_id = models.CharField(
        verbose_name=_("object id"),
        max_length=64,
        blank=True,
    )
    object_repr = models.CharField(
        verbose_name=_("object"),
        max_length=200,
    )
    parent_content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("parent kind"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    parent_object_id = models.CharField(
        verbose_name=_("parent id"),
        max_length=64,
        blank=True,
    )
    before = models.JSONField(
        verbose_name=_("before"),
        null=True,
        blank=True,
    )
    after = models.JSONField(
        verbose_name=_("after"),
        null=True,
        blank=True,
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-time", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["parent_content_type", "parent_object_id"], name="audit_parent_idx"),
        ]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.user_name} {self.action} {self.object_repr}"

    def changes(self) -> list[tuple[str, object, object]]:
        from chainboard.audit import diff

        return [(name, old, new) for name, (old, new) in diff(self.before, self.after).items()]
