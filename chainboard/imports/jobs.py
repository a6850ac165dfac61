"""Jobs: the web flow's background work (queueing, running, settling a lost worker)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chainboard import audit
from chainboard.imports.importer import Importer
from chainboard.imports.mapping import Spec
from chainboard.imports.outcome import ImportError_
from chainboard.imports.related import FilePeriod
from chainboard.models.audit import AuditAction


def start_job(job, *, commit: bool) -> None:
    """Queue the check (a dry run) or the import of ``job`` on the task worker."""
    from chainboard.models import ImportStatus
    from chainboard.tasks import check_import, commit_import

    job.status = ImportStatus.WRITING if commit else ImportStatus.CHECKING
    job.processed_rows = 0
    job.message = ""
    job.save(update_fields=["status", "processed_rows", "message", "updated_at"])
    result = (commit_import if commit else check_import).enqueue(job.pk)
    type(job).objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])


def settle_stalled(job) -> None:
    """A job that has shown no progress for ``IMPORT_STALL_SECONDS`` lost its worker (killed, machine
    restarted). A check or an import that died wrote nothing (its transaction never committed); a job
    that died while indexing has its rows, and ``chainboard rebuild-search`` restores their keys."""
    from django.conf import settings

    from chainboard.models import ImportStatus

    if not job.running or job.updated_at > timezone.now() - dt.timedelta(
        seconds=settings.IMPORT_STALL_SECONDS
    ):
        return
    if job.status == ImportStatus.INDEXING:
        job.status = ImportStatus.DONE
        job.message = _(
            "The rows were imported, but making them searchable stopped; "
            "an administrator runs “chainboard rebuild-search”."
        )
    else:
        job.status = ImportStatus.FAILED
        job.message = _(
            "The import stopped without finishing (the task worker was interrupted); nothing was written."
        )
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "finished_at", "updated_at"])


def settle_lost(job, *, also=None) -> None:
    """The job's task worker died (``chainboard.workers`` saw its process gone): settle the job now
    rather than after the stall window.

    The import writes its rows, their audit rows included, in one transaction; so the job's operation
    has audit rows exactly when that transaction committed. If it did not, nothing was written and the
    job failed. If it did, the rows are there, searchable (their search index is written in the same
    transaction: chainboard.search), and the job is done.

    ``also`` (failing the dead worker's task) runs in the transaction that settles the job, so nobody
    sees the job finished while its task still says it is running.
    """
    from chainboard.models import AuditEntry, ImportJob, ImportStatus

    job = ImportJob.objects.select_related("content_type").get(pk=job.pk)
    if not job.running:
        return
    written = bool(job.operation_id) and AuditEntry.objects.filter(operation_id=job.operation_id).exists()
    fields = {"finished_at": timezone.now(), "updated_at": timezone.now()}
    with translation.override(job.language):
        if not written:
            fields.update(
                status=ImportStatus.FAILED,
                message=_(
                    "The import stopped without finishing (the task worker was interrupted); nothing was written."
                ),
            )
        else:
            entries = AuditEntry.objects.filter(operation_id=job.operation_id, content_type=job.content_type)
            created = entries.filter(action=AuditAction.CREATE).count()
            updated = entries.filter(action=AuditAction.UPDATE).count()
            fields.update(
                status=ImportStatus.DONE,
                created_count=created,
                updated_count=updated,
                message=_("The task worker stopped after the rows were written; the import is complete."),
            )
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(**fields)
        if also is not None:
            also()


def run_job(job_id: int, *, commit: bool) -> None:
    """Check or import one uploaded file (the task body). Progress is written as it goes."""
    import logging

    from chainboard import tabular
    from chainboard.models import ImportJob, ImportStatus
    from chainboard.views.generic import viewset_for

    job = ImportJob.objects.select_related("user", "content_type").get(pk=job_id)
    jobs = ImportJob.objects.filter(pk=job.pk)

    def progress(done: int, total: int) -> None:
        jobs.update(processed_rows=done, total_rows=total, updated_at=timezone.now())

    def on_phase(phase: str) -> None:
        status = {"writing": ImportStatus.WRITING, "indexing": ImportStatus.INDEXING}[phase]
        if commit:
            jobs.update(status=status, processed_rows=0, updated_at=timezone.now())

    label = f"import:{job.file_name}"[:150]
    try:
        viewset = viewset_for(job.content_type.model_class())
        with translation.override(job.language):
            rows, origins = job_rows(job, viewset)
            with audit.operation(user=job.user, source=audit.Source.IMPORT, label=label) as op:
                if commit:
                    # Known before the write: if the worker dies, its audit rows tell whether the
                    # transaction committed (settle_lost).
                    jobs.update(operation_id=op.id)
                importer = Importer(
                    viewset,
                    job.user,
                    rows,
                    job.header_row,
                    job.mapping,
                    headers=job.headers,
                    origins=origins,
                    progress=progress,
                    on_phase=on_phase,
                    period=FilePeriod.from_options(job.options),
                )
                outcome = importer.run(commit=commit, versions=job.versions if commit else None)
    except (tabular.FileProblem, ImportError_, PermissionDenied) as exc:
        jobs.update(status=ImportStatus.FAILED, message=str(exc), finished_at=timezone.now())
        return
    except Exception:
        logging.getLogger(__name__).exception("import %s failed", job.pk)
        jobs.update(
            status=ImportStatus.FAILED,
            message=_("The import stopped on an unexpected error; nothing was written."),
            finished_at=timezone.now(),
        )
        raise
    fields = {
        "total_rows": outcome.total,
        "processed_rows": outcome.total,
        "created_count": outcome.created,
        "updated_count": outcome.updated,
        "unchanged_count": outcome.unchanged,
        "error_count": outcome.error_count,
        "errors": [e.as_dict() for e in outcome.errors],
        "related_counts": outcome.related,
        "skipped": outcome.skipped,
        "skipped_count": outcome.skipped_count,
        "updated_at": timezone.now(),
    }
    if not outcome.ok:
        fields["status"] = ImportStatus.FAILED if commit else ImportStatus.INVALID
        if commit:
            fields["message"] = _("Nothing was written: the file no longer passes the check.")
    elif commit:
        fields.update(status=ImportStatus.DONE, finished_at=timezone.now(), operation_id=op.id)
    else:
        fields.update(status=ImportStatus.READY, preview=outcome.preview, versions=outcome.versions)
        # What the check decided for the user (a chain defaulted from their scope), said in the preview.
        fields["message"] = "\n".join(outcome.notes)
    jobs.update(**fields)
    if commit and outcome.ok:
        # SQLite plans from statistics that only ANALYZE writes: a large import would otherwise be
        # planned on guesses until the nightly job (docs/planner.md). Nothing on PostgreSQL.
        from chainboard import planner

        planner.refresh_after(f"import {job.pk}")


def job_rows(job, viewset) -> tuple[list[list[str]], list[tuple[str, int]] | None]:
    """The rows of a job's stored file, read as they were at upload (its sheet, or all its sheets)."""
    from chainboard import tabular
    from chainboard.imports.reading import read_table

    if not job.all_sheets:
        return tabular.read(job.file.path, job.file_name, job.sheet or None), None
    spec = Spec(viewset, job.user)
    table = read_table(
        job.file.path, job.file_name, spec, header_at=job.header_at, all_sheets=True, checked=True
    )
    return table.rows, table.origins
