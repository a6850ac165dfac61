"""Background tasks (django-tasks; the database is the queue, ``chainboard serve`` runs a worker)."""

from django_tasks import task


@task()
def check_import(job_id: int) -> None:
    """The dry run behind an import's preview: every row validated, written and rolled back."""
    from chainboard import importlog
    from chainboard.imports import run_job

    with importlog.attempt(job_id):
        run_job(job_id, commit=False)


@task()
def commit_import(job_id: int) -> None:
    """Write an import's rows in one transaction (or none), with their audit rows and search index."""
    from chainboard import importlog
    from chainboard.imports import run_job

    with importlog.attempt(job_id):
        run_job(job_id, commit=True)


# ---- periodic jobs (registered with chainboard.scheduler in ChainboardConfig.ready) ---------------------


class AuditTrailBroken(Exception):
    """The audit trail's hash chain does not verify: the scheduled job shows it as failed."""


@task()
def purge_import_files() -> int:
    """Delete uploaded import files past their retention (CHAINBOARD_IMPORT_RETENTION_DAYS), audited."""
    from chainboard import importlog

    return importlog.purge_expired()


@task()
def verify_audit_trail() -> dict:
    """Recompute the audit trail's hash chain; a broken link fails the task, naming the entry."""
    from chainboard import auditchain

    result = auditchain.verify()
    if not result.ok:
        raise AuditTrailBroken(
            f"the audit trail is broken at entry {result.broken_id} ({result.reason}); "
            f"{result.count} entries before it are intact"
        )
    return {"count": result.count, "head_id": result.head_id, "head_hash": result.head_hash}


@task()
def remind_workday_schedule(today: str | None = None) -> list[int]:
    """From November, remind the administrators (a notice, chainboard/notices.py) to enter the working-day
    schedule of a year the calendar does not cover yet, each Monday until it is entered. The years."""
    import datetime as dt

    from chainboard import workdays

    day = dt.date.fromisoformat(today) if today else None
    years = workdays.years_to_enter(day)
    if years:
        workdays.remind(years)
    return years


@task()
def send_webhook(delivery_id: int) -> str | None:
    """Try one webhook delivery now (enqueued by ``webhooks.emit``); retries are the scheduled job's."""
    from chainboard import webhooks

    return webhooks.attempt(delivery_id)


@task()
def retry_webhooks() -> int:
    """Attempt every webhook delivery whose next attempt is due (exponential backoff)."""
    from chainboard import webhooks

    return webhooks.retry_due()


@task()
def daily_digest() -> dict:
    """Each user's daily digest: a notice and a mail with their own to-dos, due items and unread notices."""
    from chainboard import digest

    return digest.send_all()


@task()
def merge_search_index() -> dict:
    """SQLite: merge the search index's FTS5 segments into one b-tree per table, a step at a time
    (chainboard.search.merge_segments); the steps per table. Nothing on PostgreSQL."""
    from chainboard import search

    return search.merge_segments()


@task()
def refresh_planner_statistics() -> dict:
    """SQLite: ANALYZE each table whose planner statistics are missing or stale
    (chainboard.planner.refresh); the tables analysed with their rows. Nothing on PostgreSQL."""
    from chainboard import planner

    return planner.refresh()


@task()
def fold_kept_counts() -> int:
    """PostgreSQL: the rows of changes of the counts kept on write folded into one per value
    (chainboard.keptcounts.fold); the rows removed. Nothing on SQLite."""
    from chainboard import keptcounts

    return keptcounts.fold()
