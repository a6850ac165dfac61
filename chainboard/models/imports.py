import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("waiting for column mapping")
    CHECKING = "checking", _("checking")
    READY = "ready", _("ready to import")
    INVALID = "invalid", _("has errors")
    WRITING = "writing", _("importing")
    INDEXING = "indexing", _("making the new rows searchable")
    DONE = "done", _("imported")
    FAILED = "failed", _("failed; nothing was written")


def import_path(instance: "ImportJob", filename: str) -> str:
    # A random name on disk; the user's file name is kept in a field, never trusted as a path.
    return f"imports/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class ImportJob(models.Model):
    """One uploaded file on its way into an entity: mapping, check (a dry run), then one transaction.

    The job is the log of the import itself; the rows it writes are audited one by one like any
    other write, under one operation labelled with the file's name.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("kind of record"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    file = models.FileField(
        verbose_name=_("file"),
        upload_to=import_path,
        max_length=255,
    )
    file_name = models.CharField(
        verbose_name=_("file name"),
        max_length=255,
    )
    # Row errors are written in the language of the page that started the import.
    language = models.CharField(
        verbose_name=_("language"),
        max_length=16,
        default="zh-hans",
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=16,
        choices=ImportStatus.choices,
        default=ImportStatus.UPLOADED,
    )
    header_row = models.PositiveIntegerField(
        verbose_name=_("header row"),
        default=1,
    )
    headers = models.JSONField(
        verbose_name=_("headers"),
        default=list,
    )
    # How the file is read (chainboard/imports/reading.py): the sheet, or all sheets with the same
    # header; the header's first row as the user chose it (0-based; null: found); what the user is told.
    sheet = models.CharField(
        verbose_name=_("sheet"),
        max_length=255,
        blank=True,
    )
    sheets = models.JSONField(
        verbose_name=_("sheets"),
        default=list,
    )
    all_sheets = models.BooleanField(
        verbose_name=_("all sheets with the same header"),
        default=False,
    )
    header_at = models.PositiveIntegerField(
        verbose_name=_("header row chosen"),
        null=True,
        blank=True,
    )
    notes = models.JSONField(
        verbose_name=_("reading notes"),
        default=list,
    )
    # [{"sheet": "", "row": 12, "reason": "…"}]: rows passed over (totals, notes, blank rows), capped
    skipped = models.JSONField(
        verbose_name=_("skipped rows"),
        default=list,
    )
    skipped_count = models.PositiveIntegerField(
        verbose_name=_("rows skipped"),
        default=0,
    )
    samples = models.JSONField(
        verbose_name=_("sample rows"),
        default=list,
    )
    # Column index (as a string) -> field name; unmapped columns are ignored.
    mapping = models.JSONField(
        verbose_name=_("column mapping"),
        default=dict,
    )
    # What a wide ledger's related columns need beside the mapping (chainboard/imports/related.py):
    # {"period_type": "year", "year": 2025, "month": null, "status_year": 2025}, chosen once per file.
    options = models.JSONField(
        verbose_name=_("import options"),
        default=dict,
        blank=True,
    )
    # Related records the check found to add or change: {"indicator": {"created": 3, ...}, ...}.
    related_counts = models.JSONField(
        verbose_name=_("related records"),
        default=dict,
        blank=True,
    )
    total_rows = models.PositiveIntegerField(
        verbose_name=_("rows"),
        default=0,
    )
    processed_rows = models.PositiveIntegerField(
        verbose_name=_("rows checked"),
        default=0,
    )
    created_count = models.PositiveIntegerField(
        verbose_name=_("new records"),
        default=0,
    )
    updated_count = models.PositiveIntegerField(
        verbose_name=_("changed records"),
        default=0,
    )
    unchanged_count = models.PositiveIntegerField(
        verbose_name=_("unchanged records"),
        default=0,
    )
    error_count = models.PositiveIntegerField(
        verbose_name=_("errors"),
        default=0,
    )
    # [{"row": 5, "column": "统一社会信用代码", "field": "...", "value": "...", "message": "..."}], capped
    errors = models.JSONField(
        verbose_name=_("error list"),
        default=list,
    )
    preview = models.JSONField(
        verbose_name=_("preview"),
        default=list,
    )
    # {pk: version} of the records the check found to update: a record saved by someone else between
    # the check and the import stops the import (concurrent edits never silently overwrite).
    versions = models.JSONField(
        verbose_name=_("versions checked"),
        default=dict,
    )
    message = models.TextField(
        verbose_name=_("message"),
        blank=True,
    )
    task_id = models.CharField(
        verbose_name=_("task"),
        max_length=64,
        blank=True,
    )
    operation_id = models.UUIDField(
        verbose_name=_("operation"),
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(
        verbose_name=_("uploaded at"),
        auto_now_add=True,
    )
    updated_at = models.DateTimeField(
        verbose_name=_("last progress"),
        auto_now=True,
    )
    finished_at = models.DateTimeField(
        verbose_name=_("finished at"),
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def percent(self) -> int:
        if self.status in {ImportStatus.READY, ImportStatus.DONE, ImportStatus.INVALID}:
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))

    @property
    def running(self) -> bool:
        return self.status in {ImportStatus.CHECKING, ImportStatus.WRITING, ImportStatus.INDEXING}


class ImportMapping(models.Model):
    """The column mapping a user last chose for an entity, by header text: used again on the next file."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="import_mappings",
    )
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("kind of record"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    # normalised header text -> field name ("" = ignore)
    columns = models.JSONField(
        verbose_name=_("columns"),
        default=dict,
    )
    updated_at = models.DateTimeField(
        verbose_name=_("updated at"),
        auto_now=True,
    )

    class Meta:
        verbose_name = _("import column mapping")
        verbose_name_plural = _("import column mappings")
        constraints = [
            models.UniqueConstraint(fields=["user", "content_type"], name="import_mapping_user_entity"),
        ]
