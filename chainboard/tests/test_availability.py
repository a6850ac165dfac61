"""Availability under a busy database: sessions are not written on every request, a lock held too long
answers 503 with Retry-After (never 500 or 400), and a task worker that died is noticed at the next
worker's start, its jobs settled (failed, or done when their rows were committed)."""

import os
import time
from io import StringIO

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainboard.middleware import SESSION_REFRESHED_KEY


def locked(*args, **kwargs):
    raise OperationalError("database is locked")


def session_writes(ctx) -> list[str]:
    return [
        q["sql"] for q in ctx.captured_queries if "django_session" in q["sql"] and "SELECT" not in q["sql"]
    ]


def signed_in(client, world, username="office"):
    client.force_login(world.users[username])
    client.get(reverse("home"))  # the first page after signing in stamps the session once
    return Session.objects.get(pk=client.session.session_key)


# ---- sessions ---------------------------------------------------------------------------------------


def test_a_plain_get_does_not_write_the_session(client, world):
    before = signed_in(client, world)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 200
    assert session_writes(ctx) == []
    assert Session.objects.get(pk=before.pk).expire_date == before.expire_date


def test_a_session_idle_past_the_refresh_interval_is_extended_by_the_next_request(client, world):
    signed_in(client, world)
    store = SessionStore(client.session.session_key)
    store[SESSION_REFRESHED_KEY] = int(time.time()) - 3600
    store.set_expiry(120)  # about to time out
    store.save()
    old_expiry = Session.objects.get(pk=store.session_key).expire_date
    response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 200
    row = Session.objects.get(pk=store.session_key)
    assert row.get_decoded()[SESSION_REFRESHED_KEY] >= int(time.time()) - 60
    assert row.expire_date > old_expiry


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's busy time-out")
def test_a_session_refresh_does_not_wait_behind_a_long_write(client, world, settings):
    # Extending the idle time-out is not worth holding a page up behind an import's write lock: the
    # refresh waits 0.1 s at most (then the page is served unrefreshed), every other write the full time.
    signed_in(client, world)
    store = SessionStore(client.session.session_key)
    store[SESSION_REFRESHED_KEY] = int(time.time()) - 3600
    store.save()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("enterprises:enterprise_list")).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    write = next(i for i, q in enumerate(sql) if "django_session" in q and q.startswith("UPDATE"))
    shortened = [i for i, q in enumerate(sql) if q.startswith("PRAGMA busy_timeout = 100")]
    assert shortened and shortened[-1] < write
    assert sql[-1] == f"PRAGMA busy_timeout = {settings.SQLITE_BUSY_SECONDS * 1000}"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == settings.SQLITE_BUSY_SECONDS * 1000


def test_a_busy_database_does_not_fail_a_page_for_the_session_refresh(client, world, monkeypatch):
    signed_in(client, world)
    store = SessionStore(client.session.session_key)
    store[SESSION_REFRESHED_KEY] = 0
    store.save()

    def busy_save(self, must_create=False):
        try:
            locked()
        except OperationalError as exc:
            raise UpdateError from exc

    monkeypatch.setattr(SessionStore, "save", busy_save)
    response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 200


def test_a_busy_database_when_saving_a_changed_session_answers_503_not_400(client, world, monkeypatch):
    signed_in(client, world)

    def busy_save(self, must_create=False):
        try:
            locked()
        except OperationalError as exc:
            raise UpdateError from exc

    def changes_the_session(self, request):
        request.session["filters"] = "changed"
        return HttpResponse("ok")

    monkeypatch.setattr(SessionStore, "save", busy_save)
    monkeypatch.setattr("chainboard.views.generic.ListView.get", changes_the_session)
    response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


# ---- a locked database in a view ----------------------------------------------------------------------


def test_a_locked_database_in_a_view_answers_503_with_retry_after_and_a_translated_page(
    client, world, monkeypatch
):
    signed_in(client, world)
    monkeypatch.setattr("chainboard.views.generic.ListView.get", locked)
    response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "数据库正忙" in response.content.decode()


def test_a_locked_database_in_an_api_call_answers_503_problem_json(client, world, monkeypatch, settings):
    settings.BUSY_RETRY_SECONDS = 7
    out = StringIO()
    call_command("token", "create", "office", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    monkeypatch.setattr("chainboard.api.RowReader.rows", locked)
    response = client.get("/api/v1/enterprises", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 503


def test_other_database_errors_are_not_taken_for_a_busy_database(client, world, monkeypatch):
    signed_in(client, world)

    def broken(*args, **kwargs):
        raise OperationalError("no such table: nowhere")

    monkeypatch.setattr("chainboard.views.generic.ListView.get", broken)
    client.raise_request_exception = False
    response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 500


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's busy time-out")
def test_sqlite_waits_for_the_write_lock_as_long_as_configured(db, settings):
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == settings.SQLITE_BUSY_SECONDS * 1000 == 60_000


# ---- a task worker that died -----------------------------------------------------------------------


class Killed(BaseException):
    """What kill -9 looks like from inside: nothing after it runs (no except Exception catches it)."""


def dead_pid() -> int:
    import subprocess

    proc = subprocess.Popen(["true"])  # noqa: S607 - a process that has exited, for its free id
    proc.wait()
    return proc.pid


def killed_import(client, world, monkeypatch, where: str, rows):
    """An import whose worker died in ``where``, left as the worker left it: the job running and its
    task RUNNING, claimed by a worker whose process is gone."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from chainboard import imports
    from chainboard.models import ImportJob, WorkerHeartbeat
    from chainboard.tests.test_imports import check, csv_bytes, job_of, upload
    from chainboard.workers import HOST

    client.force_login(world.users["office"])
    job = check(client, job_of(upload(client, "被杀.csv", csv_bytes(rows))))
    assert job.status == "ready"

    def kill(self, *args, **kwargs):
        raise Killed

    monkeypatch.setattr(imports.Importer, where, kill)
    ImportJob.objects.filter(pk=job.pk).update(status="writing")
    with pytest.raises(Killed):
        imports.run_job(job.pk, commit=True)
    monkeypatch.undo()
    result = DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [job.pk], "kwargs": {}},
        task_path="chainboard.tasks.commit_import",
        backend_name="default",
        queue_name="default",
        run_after=timezone.now(),
        started_at=timezone.now(),
        worker_ids=["killed-worker"],
    )
    WorkerHeartbeat.objects.create(
        worker_id="killed-worker", host=HOST, pid=dead_pid(), process_started=None, beat_at=timezone.now()
    )
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    return ImportJob.objects.get(pk=job.pk), result


def start_worker(settings, monkeypatch):
    # The worker's loop closes "old" connections, which inside a test's transaction is the test's own.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    call_command("db_worker", "--batch", "--no-startup-delay", "--worker-id", "fresh-worker", verbosity=0)


def new_rows():
    from chainboard.tests.test_imports import HEADER, uscc

    return [
        HEADER,
        ["1", "晋城锦绣丝绸有限公司", uscc(1), "140581", "丝麻纺织服装产业链"],
        ["2", "高平织锦服饰有限公司", uscc(2), "高平市", "丝麻纺织服装产业链"],
    ]


def test_an_import_killed_while_indexing_is_failed_at_worker_start_with_nothing_written(
    client, world, monkeypatch, settings
):
    # The search index is written in the import's transaction (chainboard.search): a kill while indexing
    # rolls the rows back with it, so no row is ever committed unsearchable.
    from enterprises.models import Enterprise

    job, result = killed_import(client, world, monkeypatch, "_index", new_rows())
    assert not Enterprise.objects.filter(name__in=["晋城锦绣丝绸有限公司", "高平织锦服饰有限公司"]).exists()

    start_worker(settings, monkeypatch)

    result.refresh_from_db()
    assert result.status == "FAILED"
    job.refresh_from_db()
    assert job.status == "failed"
    assert "未写入" in job.message or "nothing was written" in job.message


def test_an_import_killed_while_writing_is_failed_at_worker_start_with_nothing_written(
    client, world, monkeypatch, settings
):
    from chainboard.models import AuditEntry
    from enterprises.models import Enterprise

    def audits_but_log_ins() -> int:  # the test's own log-in, and the attempt's own trace, are audited too
        return AuditEntry.objects.exclude(action="login").exclude(content_type__model="importjob").count()

    audits = audits_but_log_ins()
    job, result = killed_import(client, world, monkeypatch, "_write_related", new_rows())
    assert job.status == "writing"

    start_worker(settings, monkeypatch)

    result.refresh_from_db()
    assert result.status == "FAILED"
    job.refresh_from_db()
    assert job.status == "failed"
    assert "未写入" in job.message or "nothing was written" in job.message
    assert not Enterprise.objects.filter(name="晋城锦绣丝绸有限公司").exists()
    assert audits_but_log_ins() == audits


def test_a_killed_imports_job_and_task_are_settled_together(client, world, monkeypatch, settings):
    # Whoever reads the job as finished reads its task as failed too: both change in one transaction
    # (the availability probe once saw the job failed and the task still RUNNING for seconds).
    job, _result = killed_import(client, world, monkeypatch, "_write_related", new_rows())
    with CaptureQueriesContext(connection) as ctx:
        start_worker(settings, monkeypatch)
    sql = [q["sql"] for q in ctx.captured_queries]
    job_update = next(i for i, q in enumerate(sql) if q.startswith('UPDATE "chainboard_importjob"'))
    task_update = next(
        i for i, q in enumerate(sql) if q.startswith('UPDATE "django_tasks_database_dbtaskresult"')
    )
    between = sql[min(job_update, task_update) : max(job_update, task_update)]
    assert not [q for q in between if q.startswith(("RELEASE SAVEPOINT", "SAVEPOINT"))], between


def test_tasks_of_live_workers_are_left_running(db):
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from chainboard import workers
    from chainboard.models import WorkerHeartbeat

    parent = os.getppid()
    WorkerHeartbeat.objects.create(
        worker_id="same-host",
        host=workers.HOST,
        pid=parent,
        process_started=workers.process_started(parent),
        beat_at=timezone.now() - dt.timedelta(hours=1),  # busy in a long transaction: no heartbeat
    )
    WorkerHeartbeat.objects.create(worker_id="elsewhere", host="other-host", pid=1, beat_at=timezone.now())
    WorkerHeartbeat.objects.create(
        worker_id="elsewhere-silent", host="other-host", pid=1, beat_at=timezone.now() - dt.timedelta(hours=1)
    )
    results = {
        worker: DBTaskResult.objects.create(
            status="RUNNING",
            args_kwargs={"args": [0], "kwargs": {}},
            task_path="chainboard.tasks.check_import",
            backend_name="default",
            queue_name="default",
            run_after=timezone.now(),
            started_at=timezone.now(),
            worker_ids=[worker],
        )
        for worker in ["same-host", "elsewhere", "elsewhere-silent"]
    }
    settled = workers.settle_dead_workers("me")
    assert settled == [str(results["elsewhere-silent"].id)]
    statuses = {w: DBTaskResult.objects.get(pk=r.pk).status for w, r in results.items()}
    assert statuses == {"same-host": "RUNNING", "elsewhere": "RUNNING", "elsewhere-silent": "FAILED"}
