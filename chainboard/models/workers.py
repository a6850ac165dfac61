from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """A running task worker (``chainboard db_worker``): where it runs and when it last said so.

    django-tasks-db records on each task the ids of the workers that claimed it, and nothing about the
    workers themselves; a worker killed mid-task leaves its task RUNNING for good. With this row a
    worker starting up (and every running worker, at each heartbeat) can tell a dead worker's tasks
    from a live one's: on the same host by its process (id and start time), elsewhere by a heartbeat
    older than ``WORKER_STALE_SECONDS`` (chainboard/workers.py).
    """

    worker_id = models.CharField(
        verbose_name=_("worker"),
        max_length=64,
        primary_key=True,
    )
    host = models.CharField(
        verbose_name=_("host"),
        max_length=255,
    )
    pid = models.PositiveIntegerField(
        verbose_name=_("process id"),
    )
    # The process's start time in clock ticks since boot (Linux /proc/<pid>/stat), so that a process id
    # reused after a restart is not taken for the dead worker; null where the system does not tell.
    process_started = models.BigIntegerField(
        verbose_name=_("process start"),
        null=True,
        blank=True,
    )
    started_at = models.DateTimeField(
        verbose_name=_("started at"),
        auto_now_add=True,
    )
    beat_at = models.DateTimeField(
        verbose_name=_("last heartbeat"),
    )

    class Meta:
        verbose_name = _("task worker")
        verbose_name_plural = _("task workers")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"
