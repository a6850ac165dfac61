"""The scheduler (chainboard/scheduler.py): due jobs fire once, whoever else runs a loop; missed runs fire
once; switched-off jobs never; what the administrator sees and does is on the page and in the trail.

Time is passed to ``run_due(now)`` explicitly: no clock is waited for.
"""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.signals import setting_changed
from django.db import connection
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from chainboard import scheduler
from chainboard.models import AuditEntry, ScheduledJob
from chainboard.scope import SystemActor
from chainboard.tests.test_worker_survival import sturdy_worker

pytestmark = pytest.mark.django_db

LOCAL = ZoneInfo("Asia/Shanghai")
CALLS: list[str] = []
CALLS_LOCK = threading.Lock()


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, second, tzinfo=LOCAL)


@task()
def count_call() -> str:
    with CALLS_LOCK:
        CALLS.append("tick")
    return "done"


@task()
def break_down() -> None:
    raise RuntimeError("the printer is on fire")


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog(django_db_blocker):
    call_command("compile_catalog", verbosity=0)
    setting_changed.send(sender=None, setting="LOCALE_PATHS", value=None, enter=True)


@pytest.fixture
def tick(monkeypatch):
    """Only the test's own job is registered: "tick", every day at 06:00, counting its calls."""
    monkeypatch.setattr(scheduler, "REGISTRY", {})
    CALLS.clear()
    scheduler.register("tick", cron="0 6 * * *", task=f"{__name__}.count_call", label="Tick")
    scheduler.run_due(at(4, 5))  # creates the row: next run today at 06:00
    return ScheduledJob.objects.get(name="tick")


def test_a_due_job_is_enqueued_once(tick):
    assert tick.next_run_at == at(4, 6)
    assert scheduler.run_due(at(4, 5, 59)) == []  # not yet due
    assert scheduler.run_due(at(4, 6)) == ["tick"]
    assert scheduler.run_due(at(4, 6, 0, 30)) == []  # the next pass, half a minute later
    assert CALLS == ["tick"]
    job = ScheduledJob.objects.get(name="tick")
    assert (job.last_run_at, job.next_run_at) == (at(4, 6), at(5, 6))
    assert (job.last_status, job.run_count, job.last_error) == ("succeeded", 1, "")
    assert job.last_task_id


def test_two_loops_that_read_the_same_due_run_enqueue_it_once(tick):
    # Two app servers' loops both read the job as due; the first claim moves next_run_at on, so the
    # second one's conditional UPDATE (on the value it read) matches no row.
    seen_by_a = ScheduledJob.objects.get(name="tick")
    seen_by_b = ScheduledJob.objects.get(name="tick")
    assert scheduler._claim(seen_by_a, at(4, 6)) is True
    assert scheduler._claim(seen_by_b, at(4, 6)) is False
    assert CALLS == ["tick"]
    assert ScheduledJob.objects.get(name="tick").run_count == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="truly concurrent writers: PostgreSQL")
def test_two_threads_claiming_the_same_run_on_postgresql_enqueue_it_once(
    monkeypatch, settings, audit_triggers_lifted_for_flush
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    monkeypatch.setattr(scheduler, "REGISTRY", {})
    scheduler.register("tick", cron="0 6 * * *", task=f"{__name__}.count_call", label="Tick")
    scheduler.sync(at(4, 5))
    both_read = threading.Barrier(2, timeout=30)
    # After each loop has read the rows and before either claims: both hold the same next_run_at.
    monkeypatch.setattr(scheduler, "_reconcile", lambda jobs: both_read.wait())
    fired, errors = [], []

    def loop():
        try:
            fired.extend(scheduler.run_due(at(4, 6)))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=loop) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert fired == ["tick"]
    assert DBTaskResult.objects.count() == 1
    assert ScheduledJob.objects.get(name="tick").run_count == 1


def test_a_run_missed_while_nothing_ran_fires_once(tick):
    # The scheduler was stopped from the 4th to the 7th: three 06:00 slots passed.
    assert scheduler.run_due(at(7, 9, 30)) == ["tick"]
    assert scheduler.run_due(at(7, 9, 31)) == []
    assert CALLS == ["tick"]
    assert ScheduledJob.objects.get(name="tick").next_run_at == at(8, 6)


def test_a_switched_off_job_never_fires_and_switched_on_skips_what_it_missed(tick, world):
    scheduler.set_enabled(world.users["admin"], tick, False, now=at(4, 5))
    for moment in (at(4, 6), at(5, 6), at(6, 12)):
        assert scheduler.run_due(moment) == []
    assert CALLS == []
    job = ScheduledJob.objects.get(name="tick")
    scheduler.set_enabled(world.users["admin"], job, True, now=at(6, 12))
    assert ScheduledJob.objects.get(name="tick").next_run_at == at(7, 6)
    assert scheduler.run_due(at(6, 12, 1)) == []
    assert scheduler.run_due(at(7, 6)) == ["tick"]


def test_the_setting_moves_a_job_or_switches_it_off(tick, settings, client, world):
    settings.CHAINBOARD_SCHEDULE = {"tick": "15 7 * * *"}
    scheduler.sync(at(4, 5))
    job = ScheduledJob.objects.get(name="tick")
    assert (job.cron, job.next_run_at) == ("15 7 * * *", at(4, 7, 15))

    settings.CHAINBOARD_SCHEDULE = {"tick": None}
    assert scheduler.run_due(at(4, 7, 15)) == []
    assert scheduler.run_due(at(9, 7, 15)) == []
    job = ScheduledJob.objects.get(name="tick")
    assert (job.cron, job.next_run_at, CALLS) == ("", None, [])
    client.force_login(world.users["admin"])
    assert "data-switched-off" in client.get(reverse("schedule:scheduledjob_list")).content.decode()


def test_a_failing_task_is_recorded_with_its_error(tick, monkeypatch):
    scheduler.register("broken", cron="0 6 * * *", task=f"{__name__}.break_down", label="Broken")
    scheduler.run_due(at(4, 5))
    assert "broken" in scheduler.run_due(at(4, 6))
    job = ScheduledJob.objects.get(name="broken")
    assert job.last_status == "failed"
    assert "the printer is on fire" in job.last_error
    assert ScheduledJob.objects.get(name="tick").last_status == "succeeded"  # the others still ran


def test_the_worker_reports_the_outcome_of_a_task_it_ran(tick, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    assert scheduler.run_due(at(4, 6)) == ["tick"]
    job = ScheduledJob.objects.get(name="tick")
    assert job.last_status == "queued"  # for the worker to take
    queued = DBTaskResult.objects.get(id=job.last_task_id)
    worker = sturdy_worker(pauses=[])  # django-tasks-db's worker, as `chainboard db_worker` runs it
    worker.run_task(queued)  # task_started, then task_finished
    job.refresh_from_db()
    assert (job.last_status, CALLS) == ("succeeded", ["tick"])
    assert job.last_finished_at is not None


def test_a_task_failed_without_a_signal_is_noticed_by_the_next_pass(tick, settings):
    from django_tasks_db.models import DBTaskResult

    from chainboard.workers import WorkerLost

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    scheduler.run_due(at(4, 6))
    job = ScheduledJob.objects.get(name="tick")
    # Its worker was killed; the next worker failed the task (chainboard.workers.settle_dead_workers).
    DBTaskResult.objects.get(id=job.last_task_id).set_failed(WorkerLost("worker w1 stopped"))
    scheduler.run_due(at(4, 6, 1))
    job.refresh_from_db()
    assert job.last_status == "failed"
    assert "worker w1 stopped" in job.last_error


def test_the_page_shows_each_jobs_last_and_next_run(tick, client, world):
    scheduler.run_due(at(4, 6))
    client.force_login(world.users["admin"])
    page = client.get(reverse("schedule:scheduledjob_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "每天 06:00" in text  # the cron in words
    assert "2026-12-04 06:00" in text and "成功" in text  # last run and its status
    assert "2026-12-05 06:00" in text  # next run
    assert reverse("schedule:scheduledjob_list") in client.get(reverse("home")).content.decode()  # menu


def test_run_now_is_audited_and_leaves_the_next_run(tick, client, world):
    client.force_login(world.users["admin"])
    response = client.post(reverse("schedule:scheduledjob_run", args=[tick.pk]))
    assert response.status_code == 302
    assert CALLS == ["tick"]
    job = ScheduledJob.objects.get(name="tick")
    assert (job.next_run_at, job.run_count, job.last_status) == (at(4, 6), 1, "succeeded")
    entry = AuditEntry.objects.filter(action="run").get()
    assert (entry.user_name, entry.object_id, entry.source) == ("admin", str(job.pk), "web")
    assert entry.after["task"] == f"{__name__}.count_call"
    client.force_login(world.users["auditor"])  # the auditor reads it in the trail
    detail = client.get(reverse("audit:auditentry_detail", args=[entry.pk]))
    assert detail.status_code == 200 and "手动运行" in detail.content.decode()


def test_switching_a_job_off_is_audited(tick, client, world):
    client.force_login(world.users["admin"])
    client.post(reverse("schedule:scheduledjob_enable", args=[tick.pk]), {"enabled": "0"})
    assert ScheduledJob.objects.get(name="tick").enabled is False
    entry = AuditEntry.objects.filter(action="update", object_id=str(tick.pk)).latest("id")
    assert (entry.before["enabled"], entry.after["enabled"], entry.user_name) == (True, False, "admin")
    client.post(reverse("schedule:scheduledjob_enable", args=[tick.pk]), {"enabled": "0"})  # a stale page
    assert AuditEntry.objects.filter(action="update", object_id=str(tick.pk)).count() == 1


def test_only_the_administrator_runs_or_switches_jobs(tick, client, world):
    client.force_login(world.users["office"])
    assert client.post(reverse("schedule:scheduledjob_run", args=[tick.pk])).status_code == 403
    assert (
        client.post(reverse("schedule:scheduledjob_enable", args=[tick.pk]), {"enabled": "0"}).status_code
        == 403
    )
    assert (CALLS, ScheduledJob.objects.get(name="tick").enabled) == ([], True)


def test_the_command_lists_the_jobs_and_runs_one_audited(tick, capsys):
    call_command("schedule")
    assert "tick  [on]  cron 0 6 * * *  next 2026-12-04 06:00" in capsys.readouterr().out
    call_command("schedule", "run", "tick")
    assert CALLS == ["tick"]
    entry = AuditEntry.objects.filter(action="run").get()
    assert (entry.user_name, entry.source) == ("command:schedule run tick", "command")


def test_the_product_registers_its_periodic_jobs():
    assert {"purge-imports", "verify-audit-trail"} <= set(scheduler.REGISTRY)
    assert scheduler.REGISTRY["purge-imports"].get_task().call() == 0  # nothing to purge
    with scheduler.audit.operation(user=SystemActor("test"), source="command"):
        assert scheduler.REGISTRY["verify-audit-trail"].get_task().call()["count"] == 0


def test_cron_in_words():
    with translation.override("zh-hans"):
        assert scheduler.describe("0 6 * * *") == "每天 06:00"
        assert scheduler.describe("30 8 1 * *") == "每月1日 08:30"
        assert scheduler.describe("0 9 * * 1") == "每周一 09:00"
    with translation.override("en"):
        assert scheduler.describe("*/5 * * * *") == "every 5 minutes"
        assert scheduler.describe("0 6 * * 1-5") == "At 06:00 on Monday through Friday"


def test_a_cron_typo_stops_the_registration():
    with pytest.raises(scheduler.ValidationError):
        scheduler.register("typo", cron="0 25 * * *", task="x.y", label="Typo")
    assert "typo" not in scheduler.REGISTRY
