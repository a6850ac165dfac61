"""Task workers that died: noticed by the next worker at its start, and by every live worker's heartbeat.

django-tasks-db (0.13) marks a task RUNNING when a worker claims it and FAILED or SUCCESSFUL when the
worker finishes it; a worker killed in between (kill -9, a machine restart, the OOM killer) leaves the
task RUNNING for good, and its import job "importing" until the job page's stall window ran out. It
offers no hook at a worker's start, so ``chainboard db_worker`` (chainboard/management/commands/
db_worker.py) wraps its command: it records a :class:`~chainboard.models.WorkerHeartbeat`, settles the
tasks of dead workers, then runs django-tasks-db's worker with a heartbeat thread beside it.

A worker is dead when its process is gone from this host (checked at once, by process id and start
time), or, for a worker on another host, when its heartbeat is older than ``WORKER_STALE_SECONDS``.
Same-host workers are judged by their process and not by their heartbeat because, under SQLite, a
worker inside a long import transaction cannot write its heartbeat until it commits.

:class:`SturdyWorker` is django-tasks-db's worker made to survive a busy or dropped database: its loop
takes ``BEGIN EXCLUSIVE`` outside its own error handling, so one ``database is locked`` after the busy
timeout (``CHAINBOARD_SQLITE_BUSY_SECONDS``), or a PostgreSQL connection dropped by a restart, used to end
the worker for good. Here such an error is logged, unusable connections are closed, and the loop starts
again after a growing pause (``RETRY_SECONDS``); a task whose result could not be recorded is recorded
then.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger(__name__)

HOST = socket.gethostname()[:255]


class WorkerLost(Exception):
    """Recorded on a task whose worker died while running it."""


def process_started(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot, or None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
    fields = stat[stat.rindex(b")") + 2 :].split()
    try:
        return int(fields[19])  # field 22 of the whole line
    except (IndexError, ValueError):
        return None


def _process_alive(pid: int, started: int | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if started is not None:
        now = process_started(pid)
        if now is not None and now != started:
            return False  # the id was given to a new process
    return True


def is_alive(beat, me: str | None = None) -> bool:
    """Whether the worker of heartbeat row ``beat`` is still running."""
    if beat.worker_id == me:
        return True
    if beat.host == HOST:
        if beat.pid == os.getpid():
            return False  # this process is another worker now: that one is gone
        return _process_alive(beat.pid, beat.process_started)
    return beat.beat_at > timezone.now() - dt.timedelta(seconds=settings.WORKER_STALE_SECONDS)


def register(worker_id: str) -> None:
    from chainboard.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "host": HOST,
            "pid": os.getpid(),
            "process_started": process_started(os.getpid()),
            "beat_at": timezone.now(),
        },
    )


def beat(worker_id: str) -> None:
    from chainboard.models import WorkerHeartbeat

    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(beat_at=timezone.now()):
        register(worker_id)


def unregister(worker_id: str) -> None:
    from chainboard.models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def settle_dead_workers(me: str | None = None) -> list[str]:
    """Fail every RUNNING task whose worker is dead, and settle its import job (which repairs the search
    keys of rows it committed). Returns the ids of the tasks settled."""
    from django_tasks_db.models import DBTaskResult

    from chainboard import imports
    from chainboard.models import ImportJob, SearchDebt, WorkerHeartbeat

    running = list(DBTaskResult.objects.running().only("id", "worker_ids", "started_at"))
    if not running:
        return []
    beats = {b.worker_id: b for b in WorkerHeartbeat.objects.all()}
    stale_start = timezone.now() - dt.timedelta(seconds=settings.WORKER_STALE_SECONDS)
    settled, dead_workers = [], set()
    for result in running:
        worker = result.worker_ids[-1] if result.worker_ids else None
        if worker == me:
            continue
        known = beats.get(worker)
        if known is not None and is_alive(known, me):
            continue
        if known is None and result.started_at and result.started_at > stale_start:
            continue  # a worker without a heartbeat row (started before this code): give it time

        def fail_task(result=result, worker=worker):
            current = DBTaskResult.objects.select_for_update().filter(pk=result.pk, status="RUNNING").first()
            if current is not None:
                current.set_failed(WorkerLost(f"worker {worker} stopped while running this task"))
                settled.append(str(result.id))

        # The import's rows first (idempotent; may take a while), then the job and the task in one
        # transaction: a job seen finished never has its task still RUNNING.
        for job in ImportJob.objects.filter(task_id=str(result.id)):
            imports.settle_lost(job, also=fail_task)
            if job.running and job.operation_id:  # settle_lost rebuilt its keys: the debt is paid
                SearchDebt.objects.filter(operation_id=job.operation_id).delete()
        with transaction.atomic():
            fail_task()  # no job, or a job already settled: the task alone
        if known is not None:
            dead_workers.add(known.worker_id)
        logger.warning("task %s: its worker %s is gone; marked failed", result.id, worker)
    # A dead worker's row is only bookkeeping: it goes once its tasks are settled.
    WorkerHeartbeat.objects.filter(worker_id__in=dead_workers).delete()
    return settled


class Heartbeat:
    """A daemon thread that records the worker's heartbeat every ``WORKER_HEARTBEAT_SECONDS`` and
    settles other dead workers' tasks; a failure (a busy database) is logged and tried next time."""

    def __init__(self, worker_id: str):
        self.worker_id = worker_id
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="chainboard-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        try:
            register(self.worker_id)
            settle_dead_workers(self.worker_id)
        except DATABASE_ERRORS:  # a busy database at start: the first beat tries again
            logger.warning(
                "worker %s could not register; trying at the next beat", self.worker_id, exc_info=True
            )
        self.upkeep()
        self.thread.start()
        return self

    def upkeep(self) -> None:
        """Search keys that imports left unwritten (chainboard.searchdebts), at start and at every beat.
        (Uploaded files past their retention are the scheduler's job ``purge-imports``.)"""
        from chainboard import searchdebts

        try:
            searchdebts.repair()
        except Exception:
            logger.warning("worker %s: upkeep failed; trying at the next beat", self.worker_id, exc_info=True)

    def _run(self) -> None:
        try:
            while not self.stopped.wait(settings.WORKER_HEARTBEAT_SECONDS):
                close_old_connections()
                try:
                    beat(self.worker_id)
                    settle_dead_workers(self.worker_id)
                except Exception:
                    logger.warning(
                        "heartbeat of worker %s failed; trying again", self.worker_id, exc_info=True
                    )
                self.upkeep()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        try:
            unregister(self.worker_id)
        except Exception:
            logger.warning("could not remove the heartbeat of worker %s", self.worker_id, exc_info=True)


DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_SECONDS = (1, 2, 5, 10, 30)  # pauses after consecutive database errors, the last one repeated
CALM_SECONDS = 300  # an error this long after the last one starts the pauses again from the first


class SturdyWorker(Worker):
    """django-tasks-db's worker that a busy or dropped database does not stop (see the module's text).

    ``sleep`` is how it pauses (tests pass one that records instead of waiting)."""

    def __init__(self, *args, sleep=time.sleep, **kwargs):
        super().__init__(*args, **kwargs)
        self.sleep = sleep
        self.failures = 0
        self.last_failure = 0.0
        self.unrecorded = None  # a task that ran but whose result the database refused

    def run(self) -> None:
        while True:
            try:
                self._record_unrecorded()
                super().run()
                return
            except DATABASE_ERRORS as exc:
                if not self.running:
                    raise
                self._pause(exc)

    def _pause(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self.last_failure > CALM_SECONDS:
            self.failures = 0
        self.failures += 1
        self.last_failure = now
        delay = RETRY_SECONDS[min(self.failures, len(RETRY_SECONDS)) - 1]
        logger.warning(
            "worker %s: the database failed (%s); trying again in %s s", self.worker_id, exc, delay
        )
        close_old_connections()  # a dropped connection is unusable: closed, and opened afresh next time
        self.startup_delay = False
        self.sleep(delay)

    def run_task(self, db_task_result) -> None:
        from chainboard import searchdebts

        self.unrecorded = db_task_result
        super().run_task(db_task_result)  # records the result, or raises if the database refused it
        self.unrecorded = None
        try:  # an import that failed in its key step left its debt to this live process: give it up
            searchdebts.release_mine()
        except DATABASE_ERRORS:
            logger.warning("worker %s: could not release search debts", self.worker_id, exc_info=True)

    def _record_unrecorded(self) -> None:
        """Save the outcome a task's ``set_successful``/``set_failed`` set but could not write."""
        result, self.unrecorded = self.unrecorded, None
        if result is None:
            return
        try:
            if result.status == "RUNNING":  # failed before an outcome was set: the worker's error
                result.set_failed(WorkerLost("the database failed while the task's result was recorded"))
            else:
                fields = ["status", "return_value", "finished_at", "exception_class_path", "traceback"]
                result.save(update_fields=fields)
        except DATABASE_ERRORS:
            self.unrecorded = result
            raise
        logger.info("worker %s: recorded task %s after the database came back", self.worker_id, result.id)
