"""Every import attempt leaves a trace, and the files people upload do not pile up.

An attempt is audited at each step it reaches, on the :class:`~chainboard.models.ImportJob` it made:
the upload (``create``: the file's name and the rows found, or why it was refused at once), then the
check and the import (``transition``: from which status to which, with the rows, the errors and the
first problems, or the counts written). Who did it is the audit row's user, as for any write. An
import from the command line (``chainboard import-file``), which makes no job, is audited the same way
with the file's name as the object.

Uploaded files, refused ones included (so that what was refused can be looked at), are kept for
``IMPORT_RETENTION_DAYS`` (``CHAINBOARD_IMPORT_RETENTION_DAYS``, 30) and then deleted by
:func:`purge_expired`: by the scheduled job ``purge-imports`` once a day (chainboard/scheduler.py),
or on demand by ``chainboard purge-imports``. The job stays (its counts, errors and message); each deletion is audited
(``purge``, the file's stored name before, none after).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chainboard import audit
from chainboard.models.audit import AuditAction

logger = logging.getLogger(__name__)
FIRST_PROBLEMS = 5  # error messages kept in the audit row of a refused attempt


def _state(job) -> dict:
    state = {
        "file_name": job.file_name,
        "kind": job.content_type.model if job.content_type_id else "",
        "status": job.status,
        "rows": job.total_rows,
        "errors": job.error_count,
        "created": job.created_count,
        "updated": job.updated_count,
    }
    if job.message:
        state["message"] = job.message[:500]
    if job.errors:
        state["problems"] = [
            f"{e.get('row', '')} {e.get('column') or e.get('field') or ''}: {e.get('message', '')}"[:200]
            for e in job.errors[:FIRST_PROBLEMS]
        ]
    return state


def uploaded(job) -> None:
    """Audit a new attempt (call in the request that made the job, whose user is the uploader)."""
    audit.record(AuditAction.CREATE, job, after=_state(job))


@contextlib.contextmanager
def attempt(job_id: int) -> Iterator[None]:
    """Audit the status a check or an import brings its job to, whatever ends it (the task body)."""
    from chainboard.models import ImportJob

    before = ImportJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
    try:
        yield
    finally:
        job = ImportJob.objects.select_related("user", "content_type").filter(pk=job_id).first()
        if job is not None:
            try:
                label = f"import:{job.file_name}"[:150]
                with audit.operation(user=job.user, source=audit.Source.IMPORT, label=label):
                    audit.record(AuditAction.TRANSITION, job, before={"status": before}, after=_state(job))
            except Exception:  # the task's own outcome matters more than its trace
                logger.exception("could not audit import %s", job_id)


def from_command(name: str, kind: str, *, refused: str = "", outcome=None) -> None:
    """Audit an import made with ``chainboard import-file`` (no job): under the command's operation."""
    from chainboard.models import ImportJob

    state: dict = {"file_name": name, "kind": kind}
    if refused:
        state.update(status="failed", message=refused[:500])
    elif outcome is not None:
        state.update(
            status="done" if outcome.ok else "invalid",
            rows=outcome.total,
            errors=outcome.error_count,
            created=outcome.created,
            updated=outcome.updated,
            problems=[
                f"{e.row} {e.column or e.field}: {e.message}"[:200] for e in outcome.errors[:FIRST_PROBLEMS]
            ],
        )
    audit.record(AuditAction.TRANSITION, model=ImportJob, object_repr=name, after=state)


def purge_expired(days: int | None = None, *, source: str = audit.Source.TASK) -> int:
    """Delete the uploaded files of jobs older than ``days`` (default ``IMPORT_RETENTION_DAYS``), each
    deletion audited; jobs still running keep theirs. Returns the number of files deleted."""
    from chainboard.models import ImportJob, ImportStatus

    days = settings.IMPORT_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - dt.timedelta(days=days)
    running = [ImportStatus.CHECKING, ImportStatus.WRITING, ImportStatus.INDEXING]
    expired = ImportJob.objects.filter(created_at__lt=cutoff).exclude(file="").exclude(status__in=running)
    count = 0
    for job in expired.select_related("content_type").iterator(chunk_size=500):
        stored = job.file.name
        # The file first: should the audit row fail, the next purge finds the job again and records it.
        job.file.storage.delete(stored)
        with audit.operation(source=source, label="import retention"), transaction.atomic():
            ImportJob.objects.filter(pk=job.pk).update(file="")
            audit.record(
                AuditAction.PURGE, job, before={"file": stored}, after={"file": None, "retention_days": days}
            )
        count += 1
    if count:
        logger.info("deleted %s uploaded import files older than %s days", count, days)
    return count
