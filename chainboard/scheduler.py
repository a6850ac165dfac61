"""Periodic jobs: cron schedules read by ``cronsim``, a small loop of our own, django-tasks as the executor.

Apps declare their jobs in ``AppConfig.ready``::

    scheduler.register("purge-imports", cron="0 3 * * *", task="chainboard.tasks.purge_import_files",
                       label=_("Delete uploaded import files past their retention"))

Each job is a :class:`~chainboard.models.ScheduledJob` row. ``chainboard scheduler`` (started by
``chainboard serve`` beside the task worker) calls :func:`run_due` every ``SCHEDULER_SECONDS``. A due job
is *claimed* with a conditional UPDATE on the ``next_run_at`` it read, in the same transaction that
enqueues its task: when several app servers run the loop, the first UPDATE moves ``next_run_at`` on and
the others match no row, so each run is enqueued once. The next run is computed from *now*, not from the
missed slot, so a run missed while nothing was running fires once, not once per slot.

The task's own outcome comes back through django-tasks' ``task_started`` / ``task_finished`` signals
(sent by the worker, found by ``last_task_id``); a task whose worker died is failed by the next worker
(chainboard/workers.py) without a signal, which :func:`run_due` notices by reading the task's result.
docs/scheduler.md says why this and not APScheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from cronsim import CronSim, CronSimError
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError, close_old_connections, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks.base import Task, TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

from chainboard import audit, scope

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registration:
    name: str
    cron: str  # as registered; CHAINBOARD_SCHEDULE may override it
    task: str  # dotted path of a django-tasks Task
    label: Any  # lazy translated text

    def deployed_cron(self) -> str:
        """The cron this deployment runs the job on; "" when ``CHAINBOARD_SCHEDULE`` switched it off."""
        overrides = settings.CHAINBOARD_SCHEDULE or {}
        if self.name in overrides:
            return overrides[self.name] or ""
        return self.cron

    def get_task(self) -> Task:
        return import_string(self.task)


REGISTRY: dict[str, Registration] = {}
MAX_ERROR_CHARS = 2000


def register(name: str, cron: str, task: str, label) -> Registration:
    """Declare a periodic job (in ``AppConfig.ready``). The cron is checked now, so a typo stops the start."""
    validate_cron(cron)
    registration = Registration(name=name, cron=cron, task=task, label=label)
    REGISTRY[name] = registration
    return registration


# ---- cron ---------------------------------------------------------------------------------------------


def validate_cron(cron: str) -> None:
    try:
        CronSim(cron, timezone.localtime())
    except CronSimError as exc:
        raise ValidationError(
            _("%(cron)s is not a cron expression: %(error)s") % {"cron": cron, "error": exc}
        ) from None


def next_after(cron: str, moment: dt.datetime) -> dt.datetime:
    """The first time ``cron`` matches strictly after ``moment``, read in local time (Asia/Shanghai)."""
    return next(CronSim(cron, timezone.localtime(moment).replace(second=0, microsecond=0)))


WEEKDAYS = {
    "0": "Sunday",
    "1": "Monday",
    "2": "Tuesday",
    "3": "Wednesday",
    "4": "Thursday",
    "5": "Friday",
    "6": "Saturday",
    "7": "Sunday",
}
_NUMBER = r"(\d{1,2})"


def describe(cron: str) -> str:
    """The cron in words, in the reader's language, for the common shapes; "" for the others in Chinese
    (cronsim explains every shape, but only in English)."""
    if not cron:
        return ""
    fields = cron.split()
    if len(fields) == 5:
        minute, hour, day, month, weekday = fields
        time = f"{hour.zfill(2)}:{minute.zfill(2)}" if minute.isdigit() and hour.isdigit() else None
        if time and (day, month, weekday) == ("*", "*", "*"):
            return _("every day at %(time)s") % {"time": time}
        if time and re.fullmatch(_NUMBER, day) and (month, weekday) == ("*", "*"):
            return _("on day %(day)s of every month at %(time)s") % {"day": day, "time": time}
        if time and (day, month) == ("*", "*") and weekday in WEEKDAYS:
            names = {
                "Sunday": _("Sunday"),
                "Monday": _("Monday"),
                "Tuesday": _("Tuesday"),
                "Wednesday": _("Wednesday"),
                "Thursday": _("Thursday"),
                "Friday": _("Friday"),
                "Saturday": _("Saturday"),
            }
            return _("every %(weekday)s at %(time)s") % {"weekday": names[WEEKDAYS[weekday]], "time": time}
        step = re.fullmatch(r"\*/" + _NUMBER, minute)
        if step and (hour, day, month, weekday) == ("*", "*", "*", "*"):
            return _("every %(count)s minutes") % {"count": step.group(1)}
    if (translation.get_language() or "").startswith("en"):
        try:
            return CronSim(cron, timezone.localtime()).explain()
        except (CronSimError, ValueError):
            return ""
    return ""


# ---- the rows -----------------------------------------------------------------------------------------


def sync(now: dt.datetime | None = None) -> dict[str, Any]:
    """Make the job rows follow the registrations and ``CHAINBOARD_SCHEDULE``; every row by name.

    A new job gets its row; a cron that the deployment changed moves the next run (computed from now).
    Writes only what changed, so every loop of every app server may call it. Rows of jobs no longer
    registered stay (their history) and never fire."""
    from chainboard.models import ScheduledJob

    now = now or timezone.now()
    rows = {job.name: job for job in ScheduledJob.objects.all()}
    for name, registration in REGISTRY.items():
        cron = registration.deployed_cron()
        row = rows.get(name)
        if row is None:
            rows[name], _created = ScheduledJob.objects.get_or_create(
                name=name, defaults={"cron": cron, "next_run_at": next_after(cron, now) if cron else None}
            )
        elif row.cron != cron:
            upcoming = next_after(cron, now) if cron and row.enabled else None
            # Conditional on the cron read: two servers syncing at once write the same values anyway.
            ScheduledJob.objects.filter(pk=row.pk, cron=row.cron).update(cron=cron, next_run_at=upcoming)
            row.cron, row.next_run_at = cron, upcoming
    return rows


def _outcome(result) -> dict[str, Any]:
    """The job's status fields for a django-tasks result (immediate backends return finished ones)."""
    if result.status == TaskResultStatus.SUCCESSFUL:
        return {"last_status": "succeeded", "last_error": "", "last_finished_at": result.finished_at}
    if result.status == TaskResultStatus.FAILED:
        errors = getattr(result, "errors", None) or []
        text = errors[-1].traceback.strip().splitlines()[-1] if errors and errors[-1].traceback else ""
        return {
            "last_status": "failed",
            "last_error": text[-MAX_ERROR_CHARS:],
            "last_finished_at": result.finished_at,
        }
    if result.status == TaskResultStatus.RUNNING:
        return {"last_status": "running"}
    return {"last_status": "queued"}


def _enqueue(registration: Registration):
    return registration.get_task().enqueue()


def _claim(job, now: dt.datetime) -> bool:
    """Claim the due run of ``job`` and enqueue its task, in one transaction; False when another loop
    claimed it first (its UPDATE moved ``next_run_at``, so ours matches no row)."""
    from chainboard.models import ScheduledJob

    registration = REGISTRY[job.name]
    with transaction.atomic():
        claimed = ScheduledJob.objects.filter(pk=job.pk, enabled=True, next_run_at=job.next_run_at).update(
            next_run_at=next_after(job.cron, now),
            last_run_at=now,
            last_finished_at=None,
            last_status="queued",
            last_error="",
            run_count=F("run_count") + 1,
        )
        if not claimed:
            return False
        # Inside the claim's transaction: a failed enqueue gives the run back, and the worker cannot start
        # the task before the row naming it is committed.
        result = _enqueue(registration)
        ScheduledJob.objects.filter(pk=job.pk).update(last_task_id=str(result.id), **_outcome(result))
    return True


def _reconcile(jobs) -> None:
    """Settle jobs whose task finished without a signal reaching them (a worker killed mid-task and
    failed by the next one; a signal whose write the database refused)."""
    from chainboard.models import ScheduledJob

    for job in jobs:
        if job.last_status not in ("queued", "running") or not job.last_task_id:
            continue
        registration = REGISTRY.get(job.name)
        if registration is None:
            continue
        backend = registration.get_task().get_backend()
        if not backend.supports_get_result:
            continue
        try:
            result = backend.get_result(job.last_task_id)
        except TaskResultDoesNotExist:  # deleted with django-tasks' old results: nothing more to learn
            continue
        fields = _outcome(result)
        if fields["last_status"] != job.last_status:
            ScheduledJob.objects.filter(pk=job.pk, last_task_id=job.last_task_id).update(**fields)


def run_due(now: dt.datetime | None = None) -> list[str]:
    """One pass of the loop: sync the rows, settle lost outcomes, claim and enqueue every due job.
    Returns the names of the jobs this call enqueued."""
    now = now or timezone.now()
    jobs = sync(now)
    _reconcile(jobs.values())
    fired = []
    for job in jobs.values():
        due = job.enabled and job.cron and job.next_run_at is not None and job.next_run_at <= now
        if not due or job.name not in REGISTRY:
            continue
        try:
            if _claim(job, now):
                fired.append(job.name)
                logger.info("scheduled job %s enqueued", job.name)
        except DATABASE_ERRORS:
            raise
        except Exception:  # one job's broken task must not stop the others
            logger.exception("scheduled job %s could not be enqueued; trying at the next pass", job.name)
    return fired


# ---- a person's actions: audited ----------------------------------------------------------------------


def run_now(user, job, now: dt.datetime | None = None):
    """Enqueue ``job``'s task at once (the administrator's "run now", or ``chainboard schedule run``),
    leaving its next scheduled run as it is. Audited as a run by hand. Returns the django-tasks result."""
    from chainboard.models import ScheduledJob
    from chainboard.models.audit import AuditAction

    if not scope.has_permission(user, "change", ScheduledJob):
        raise PermissionDenied(_("You may not do this."))
    registration = REGISTRY.get(job.name)
    if registration is None:
        raise ValidationError(_("%(name)s is no longer a registered job.") % {"name": job.name})
    now = now or timezone.now()
    with transaction.atomic():
        locked = ScheduledJob.objects.select_for_update().get(pk=job.pk)
        result = _enqueue(registration)
        fields = {"last_run_at": now, "last_finished_at": None, "last_error": "", **_outcome(result)}
        ScheduledJob.objects.filter(pk=locked.pk).update(
            last_task_id=str(result.id), run_count=F("run_count") + 1, **fields
        )
        audit.record(AuditAction.RUN, locked, after={"task": registration.task, "task_id": str(result.id)})
    return result


def set_enabled(user, job, enabled: bool, now: dt.datetime | None = None):
    """Switch a job on or off through the write path (audited). Switched on, it next runs at its next
    slot from now: the runs it missed while off do not fire."""
    from chainboard import actions

    now = now or timezone.now()
    upcoming = next_after(job.cron, now) if enabled and job.cron else None
    return actions.save_fields(user, job, enabled=enabled, next_run_at=upcoming)


# ---- what the task worker tells -----------------------------------------------------------------------


def _scheduled_paths() -> set[str]:
    return {registration.task for registration in REGISTRY.values()}


def on_task_started(sender, task_result, **kwargs) -> None:
    if task_result.task.module_path in _scheduled_paths():
        _record(task_result)


def on_task_finished(sender, task_result, **kwargs) -> None:
    if task_result.task.module_path in _scheduled_paths():
        _record(task_result)


def _record(task_result) -> None:
    from chainboard.models import ScheduledJob

    try:
        ScheduledJob.objects.filter(last_task_id=str(task_result.id)).update(**_outcome(task_result))
    except DATABASE_ERRORS:  # the loop's reconciliation reads the result later
        logger.warning("could not record the outcome of task %s", task_result.id, exc_info=True)


# ---- the loop -----------------------------------------------------------------------------------------

DATABASE_ERRORS = (OperationalError, InterfaceError)


class Loop:
    """``chainboard scheduler``: :func:`run_due` every ``interval`` seconds until stopped. A busy or
    dropped database is logged and tried again at the next pass; the loop does not die of it."""

    def __init__(self, interval: float | None = None):
        self.interval = settings.SCHEDULER_SECONDS if interval is None else interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            close_old_connections()
            try:
                run_due()
            except DATABASE_ERRORS as exc:
                logger.warning("scheduler: the database failed (%s); trying at the next pass", exc)
                close_old_connections()
            self.stopped.wait(self.interval)

    def stop(self, *args) -> None:
        self.stopped.set()
