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
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

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
    from chainboard.models import ImportJob, WorkerHeartbeat

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
        register(self.worker_id)
        settle_dead_workers(self.worker_id)
        self.thread.start()
        return self

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
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        try:
            unregister(self.worker_id)
        except Exception:
            logger.warning("could not remove the heartbeat of worker %s", self.worker_id, exc_info=True)
