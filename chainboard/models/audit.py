from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainboard.audit import Source

from .base import ScopedManager


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")
    LOAD = "load", _("loaded reference data")
    PURGE = "purge", _("purged")
    TRANSITION = "transition", _("state changed")
    BACKUP = "backup", _("backed up")
    RESTORE = "restore", _("restored from a backup")
    LOGIN = "login", _("logged in")
    LOGOUT = "logout", _("logged out")
    LOGIN_FAILED = "login_failed", _("log-in failed")
    RUN = "run", _("run by hand")

    @property
    def colour(self) -> str:
        return {"create": "green", "update": "blue", "delete": "red"}.get(self.value, "secondary")


class AuditEntry(models.Model):
    """One audited write. Rows are append-only: the database refuses UPDATE, DELETE, TRUNCATE and
    INSERT OR REPLACE on them (migration 0009; on SQLite with the connections' recursive_triggers), and
    each row carries a SHA-256 chained over the previous row's, so a change made behind the database's
    back shows (``chainboard audit verify``, :mod:`chainboard.auditchain`, docs/audit-trail.md)."""

    time = models.DateTimeField(
        verbose_name=_("time"),
        # Set in Python before the row is hashed (chainboard.auditchain), not by auto_now_add at save.
        default=timezone.now,
        editable=False,
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
    prev_hash = models.CharField(
        verbose_name=_("previous hash"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("The hash of the entry before this one (empty for the first entry ever written)."),
    )
    hash = models.CharField(
        verbose_name=_("hash"),
        max_length=64,
        editable=False,
        help_text=_("SHA-256 of this entry's fields and the previous hash."),
    )

    objects = ScopedManager()

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


class AuditPurgePermit(models.Model):
    """Lets ``chainboard audit purge`` delete audit entries, inside its own transaction only.

    The delete trigger on the audit table refuses every DELETE unless a row here allows it (an entry
    whose id is below ``below_id``) and the entry is older than the floor of 183 days written into the
    trigger itself. The purge inserts its permit, deletes, and removes the permit before it commits, so
    no other transaction ever sees one. In production only the owner role may write this table.
    """

    below_id = models.BigIntegerField(
        verbose_name=_("below id"),
    )

    class Meta:
        verbose_name = _("audit purge permit")
        verbose_name_plural = _("audit purge permits")
        default_permissions = ()
