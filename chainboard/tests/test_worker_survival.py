"""The task worker survives a busy database, and ``chainboard serve`` restarts a worker that died and stops
both children on SIGTERM as on Ctrl-C."""

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from django.db import OperationalError
from django_tasks import task

from chainboard import workers

ROOT = Path(__file__).resolve().parents[2]


@task()
def noop() -> str:
    return "done"


def sturdy_worker(pauses: list) -> workers.SturdyWorker:
    return workers.SturdyWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="sturdy",
        excluded_queue_names=[],
        sleep=pauses.append,
    )


@pytest.fixture
def database_queue(settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    # The loop closes "old" connections, which inside a test's transaction is the test's own.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    monkeypatch.setattr(workers, "close_old_connections", lambda: None)


@pytest.mark.django_db
def test_a_worker_meeting_a_locked_database_pauses_and_keeps_going(database_queue, monkeypatch):
    from django_tasks_db.management.commands import db_worker as library
    from django_tasks_db.models import DBTaskResult

    real = library.exclusive_transaction
    locked = iter([True, True, True])  # the next three BEGIN EXCLUSIVE fail after the busy timeout

    def busy(using=None):
        if next(locked, False):
            raise OperationalError("database is locked")
        return real(using)

    monkeypatch.setattr(library, "exclusive_transaction", busy)
    result = noop.enqueue()
    pauses = []
    sturdy_worker(pauses).run()
    assert pauses == [1, 2, 5]  # logged and paused, longer each time
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"


@pytest.mark.django_db
def test_a_result_the_database_refused_is_recorded_when_it_comes_back(database_queue, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    monkeypatch.setattr("time.sleep", lambda seconds: None)  # django-tasks-db's own retries
    real_save = DBTaskResult.save
    # set_successful tries three times, then set_failed three times: all refused, and the error leaves
    # the library's task runner with the task still RUNNING in the database.
    refusals = iter(range(6))

    def save(self, *args, **kwargs):
        if self.status in {"SUCCESSFUL", "FAILED"} and next(refusals, None) is not None:
            raise OperationalError("database is locked")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(DBTaskResult, "save", save)
    result = noop.enqueue()
    pauses = []
    sturdy_worker(pauses).run()
    assert pauses == [1]
    stored = DBTaskResult.objects.get(id=result.id)
    assert stored.status == "FAILED"  # recorded, not left RUNNING, with the error that failed it
    assert stored.exception_class_path == "django.db.utils.OperationalError"


# ---- serve's supervisor, with real processes and signals -------------------------------------------

CHILD = """
import os, signal, sys
role = sys.argv[1]
def say(text):  # one write per line: the two children share the pipe
    os.write(1, (text + "\\n").encode())
def stop(signum, frame):
    say(f"{role} stopped by {signal.Signals(signum).name}")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
say(f"{role} up {os.getpid()}")
while True:
    signal.pause()
"""

SUPERVISOR = """
import sys
from chainboard.supervisor import Supervisor
child = [sys.executable, "-c", {child!r}]
log = lambda text: print("supervisor:", text, flush=True)
supervisor = Supervisor(
    web=child + ["web"], worker=child + ["worker"], scheduler=child + ["scheduler"], log=log, restart_delays=(0,)
)
sys.exit(supervisor.run())
"""


class Lines:
    """The supervisor's output (its own and its children's), read line by line with a bounded wait."""

    def __init__(self, stream):
        self.queue: queue.Queue[str] = queue.Queue()
        threading.Thread(
            target=lambda: [self.queue.put(line.strip()) for line in stream], daemon=True
        ).start()

    def until(self, predicate, timeout: float = 20.0) -> str:
        seen = []
        while True:
            try:
                line = self.queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"not seen within {timeout} s; saw {seen}") from None
            seen.append(line)
            if predicate(line):
                return line


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serves_supervisor_restarts_a_dead_worker_or_scheduler_and_stops_every_child_on_a_signal(stop):
    script = SUPERVISOR.format(child=textwrap.dedent(CHILD))
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        lines = Lines(proc.stdout)
        first = {}
        while len(first) < 3:
            role, _up, pid = lines.until(lambda line: " up " in line).split()
            first[role] = int(pid)
        restarted = {}
        for role in ("worker", "scheduler"):  # each dies, and comes back
            os.kill(first[role], signal.SIGKILL)
            assert "exited with status -9" in lines.until(lambda line: "exited with status" in line)
            restarted[role] = int(
                lines.until(lambda line, role=role: line.startswith(f"{role} up")).split()[-1]
            )
            assert restarted[role] != first[role]

        proc.send_signal(stop)
        name = signal.Signals(stop).name
        stopped = {lines.until(lambda line: "stopped by" in line) for _ in range(3)}
        assert stopped == {f"{role} stopped by {name}" for role in ("web", "worker", "scheduler")}
        assert proc.wait(timeout=20) == 0
        assert all(gone(pid) for pid in (*first.values(), *restarted.values()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
