from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import AuditedModel


class JobStatus(models.TextChoices):
    """Where a scheduled job's last run stands. Each status has a colour for the UI."""

    NEVER = "", _("never run")
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")

    @property
    def colour(self) -> str:
        return {"queued": "blue", "running": "azure", "succeeded": "green", "failed": "red"}.get(
            self.value, "secondary"
        )


class ScheduledJob(AuditedModel):
    """One periodic job of ``chainboard.scheduler``: the row mirrors a registration in the code (its name
    and task) with the deployment's cron (``CHAINBOARD_SCHEDULE``), and keeps what the scheduler and the
    task worker record about its runs.

    A person's changes (enabled, a run started by hand) are audited; the run bookkeeping the scheduler
    writes every time a job fires is not (``audit_exclude``), as a task worker's heartbeat is not.
    """

    name = models.CharField(
        verbose_name=_("name"),
        max_length=100,
        unique=True,
    )
    # The cron the scheduler follows: the registered one, or the deployment's override; empty when the
    # deployment switched the job off (CHAINBOARD_SCHEDULE = {name: None}).
    cron = models.CharField(
        verbose_name=_("schedule"),
        max_length=100,
        blank=True,
    )
    enabled = models.BooleanField(
        verbose_name=_("enabled"),
        default=True,
    )
    # Claimed with a conditional UPDATE on this very value (chainboard/scheduler.py): indexed because
    # every loop of every app server asks which jobs are due.
    next_run_at = models.DateTimeField(
        verbose_name=_("next run"),
        null=True,
        blank=True,
        db_index=True,
    )
    last_run_at = models.DateTimeField(
        verbose_name=_("last run"),
        null=True,
        blank=True,
    )
    last_finished_at = models.DateTimeField(
        verbose_name=_("last finished"),
        null=True,
        blank=True,
    )
    last_status = models.CharField(
        verbose_name=_("last status"),
        max_length=20,
        choices=JobStatus.choices,
        blank=True,
        default=JobStatus.NEVER,
    )
    last_error = models.TextField(
        verbose_name=_("last error"),
        blank=True,
    )
    # The django-tasks result of the last run: the worker's signals find the job by it.
    last_task_id = models.CharField(
        verbose_name=_("last task"),
        max_length=64,
        blank=True,
        db_index=True,
    )
    run_count = models.PositiveIntegerField(
        verbose_name=_("runs"),
        default=0,
    )

    audit_exclude = (
        "created_at",
        "updated_at",
        "next_run_at",
        "last_run_at",
        "last_finished_at",
        "last_status",
        "last_error",
        "last_task_id",
        "run_count",
    )

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")
        ordering = ("name",)

    def __str__(self) -> str:
        from chainboard.scheduler import REGISTRY

        registration = REGISTRY.get(self.name)
        return str(registration.label) if registration is not None else self.name

    @property
    def status(self) -> JobStatus:
        return JobStatus(self.last_status)
