"""Availability probe on SQLite: users at work during a 100,000-row import, and imports killed with -9.

    .venv/bin/python bench/availability_bench.py                    # both parts, 100,000 rows, 5 kills
    .venv/bin/python bench/availability_bench.py --kills 0          # users during an import only
    .venv/bin/python bench/availability_bench.py --n 0 --kills 5    # kills only

Everything runs on loopback against a file database of its own (``bench/data/availability.sqlite3``):
Django's development server (threaded, as ``chainboard serve`` runs it) and ``chainboard db_worker`` as
child processes. Bounded: every request has a time-out, the users stop when the import ends or after
``--max-seconds``, the kills are ``--kills`` imports of ``--kill-rows`` rows.

Part 1, users during an import: the import of N enterprise rows is queued (check, then write, then
search keys, as the web flow runs it) and ``--users`` signed-in users work through the web pages until it
is done: the enterprise list (pages and searches), a record's page, its edit form, and a save of the
form with a changed address (their own records, so no edit conflicts). Every answer other than 200/302 is
an error; printed are the counts by status and the slowest answers.

Part 2, kill -9: an import of ``--kill-rows`` rows is started and its worker killed with SIGKILL in a
phase (checking, writing, indexing) after a random delay; a new worker is started, which must settle the
job at once. Then: the import's rows are all there or none, every imported row has its search keys, no
task is left RUNNING, and the job is finished (done or failed) with its message.
"""

from __future__ import annotations

import argparse
import html.parser
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
DB = DATA / "availability.sqlite3"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PASSWORD = "Bench-availability-2026"  # noqa: S105 - loopback only, a throw-away database
TIMEOUT = 120  # seconds a request may take before it counts as an error

# The database the set-up and the child processes use (``use_database``): SQLite at SQLITE_PATH unless
# DATABASE_URL names a PostgreSQL database.
DATABASE_URL: str | None = None
SQLITE_PATH: Path = DB


# -- set-up (in this process, through Django) ----------------------------------------------------------


def use_database(database_url: str | None = None, sqlite_path: Path = DB) -> None:
    """Point this process and the children it starts (``child_env``) at a database of the bench's own:
    the SQLite file ``sqlite_path``, or the PostgreSQL database ``database_url`` (loopback only)."""
    global DATABASE_URL, SQLITE_PATH
    if database_url and urllib.parse.urlsplit(database_url).hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit(f"the bench runs on loopback only, not {database_url}")
    DATABASE_URL, SQLITE_PATH = database_url, sqlite_path
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chainboard.settings")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ["CHAINBOARD_SQLITE_PATH"] = str(sqlite_path)
        os.environ.pop("DATABASE_URL", None)


def setup(users: int) -> None:
    """A fresh database (the one ``use_database`` named; by default bench/data/availability.sqlite3), the
    Jincheng set-up, and users user0..user<users>, each an office member of the silk chain with five
    enterprises of their own."""
    use_database(DATABASE_URL, SQLITE_PATH)
    DATA.mkdir(parents=True, exist_ok=True)
    if not DATABASE_URL:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if DATABASE_URL:
        # The bench's own database: start from an empty schema (the audit trail's triggers refuse a flush).
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    call_command("load_regions", province="14", verbosity=0)
    call_command("load_industries", verbosity=0)
    call_command("setup", str(ROOT / "chains" / "cities" / "jincheng.yaml"), verbosity=0)

    from import_bench import SILK, uscc

    from accounts.models import User
    from chainboard import actions, audit
    from chainboard.scope import SystemActor
    from chains.models import Chain, Position, PositionKind
    from enterprises.models import Enterprise, Membership
    from regions.models import Region

    actor = SystemActor("bench:availability")
    chain = Chain.objects.get(name=SILK)
    region = Region.objects.get(code="140581")
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="bench:availability"):
        for i in range(users + 1):
            user = User(username=f"user{i}", full_name=f"用户{i}")
            user.set_password(PASSWORD)
            user = actions.create_direct(actor, user)
            actions.create_direct(actor, Position(chain=chain, kind=PositionKind.OFFICE_MEMBER, user=user))
            for j in range(5):
                e = actions.create_direct(
                    actor,
                    Enterprise(
                        name=f"晋城试用{i}号{j}织造有限公司",
                        uscc=uscc(900_000 + i * 10 + j, "140581"),
                        region=region,
                    ),
                )
                actions.create_direct(actor, Membership(enterprise=e, chain=chain))


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z


def queue_import(n: int, seed: int) -> int:
    """An import job of n new rows, mapped as the web flow maps it, queued for the worker (check + write)."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.files import File
    from import_bench import make_rows, write_xlsx

    from accounts.models import User
    from chainboard import imports, tabular
    from chainboard.models import ImportJob, ImportStatus
    from enterprises.models import Enterprise
    from enterprises.uscc import check_character
    from enterprises.views import EnterpriseViewSet

    rows = make_rows(n, seed=seed)
    for i, row in enumerate(rows):
        # Distinct names and USCCs for every import of the run: the seed is one USCC character (digits,
        # then the letters a USCC may hold), so up to 30 imports a run.
        row[0] = f"{row[0]}-{seed}"
        first = f"91{row[3]}M{USCC_CHARS[seed]}{i + 1:07d}"
        row[2] = first + check_character(first)
    path = DATA / f"availability-{n}-{seed}.xlsx"
    write_xlsx(rows, path)
    user = User.objects.get(username="user0")
    spec = imports.Spec(EnterpriseViewSet, user)
    table = tabular.read(str(path), path.name)
    header_row, headers = imports.find_header(table, spec)
    with path.open("rb") as f:
        job = ImportJob.objects.create(
            user=user,
            content_type=ContentType.objects.get_for_model(Enterprise),
            file=File(f, name=path.name),
            file_name=path.name,
            header_row=header_row,
            headers=headers,
            mapping=imports.auto_mapping(spec, headers),
            status=ImportStatus.READY,
        )
    imports.start_job(job, commit=True)
    return job.pk


# -- the server and the worker ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env() -> dict:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "chainboard.settings"
    if DATABASE_URL:
        env["DATABASE_URL"] = DATABASE_URL
        env.pop("CHAINBOARD_SQLITE_PATH", None)
    else:
        env["CHAINBOARD_SQLITE_PATH"] = str(SQLITE_PATH)
        env.pop("DATABASE_URL", None)
    return env


def start_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-startup-delay",
            "--interval",
            "0.2",
            "--no-reload",
            "-v",
            "0",
        ],
        cwd=ROOT,
        env=child_env(),
    )


def start_server(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            requests.get(f"http://127.0.0.1:{port}/login/", timeout=2)
            return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def job_state(job_id: int) -> tuple[str, int]:
    with sqlite3.connect(f"file:{DB}?mode=ro", uri=True, timeout=60) as c:
        status, processed = c.execute(
            "SELECT status, processed_rows FROM chainboard_importjob WHERE id = ?", (job_id,)
        ).fetchone()
    return status, processed


# -- users ----------------------------------------------------------------------------------------------------


class FormValues(html.parser.HTMLParser):
    """The values a browser would submit from the page's form with a ``version`` field."""

    def __init__(self):
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self.select: str | None = None
        self.textarea: str | None = None
        self.in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "").lower() == "post":
            self.in_form = True
        if not self.in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") not in {"submit", "button", "file"}:
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                return
            self.values.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self.values.append((self.select, a.get("value") or ""))
        elif tag == "textarea":
            self.textarea = a.get("name")
            self.values.append((self.textarea, ""))

    def handle_data(self, data):
        if self.textarea:
            name, text = self.values[-1]
            self.values[-1] = (name, text + data)

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form" and self.in_form:
            self.in_form = False


class User(threading.Thread):
    def __init__(self, index: int, base: str, stop: threading.Event, results: list):
        super().__init__(daemon=True)
        self.index, self.base, self.stop, self.results = index, base, stop, results
        self.http = requests.Session()
        self.rng = random.Random(index)

    def call(self, method: str, path: str, **kwargs) -> requests.Response | None:
        started = time.perf_counter()
        try:
            r = self.http.request(method, self.base + path, timeout=TIMEOUT, allow_redirects=False, **kwargs)
            status = r.status_code
        except requests.RequestException as exc:
            r, status = None, type(exc).__name__
        self.results.append((self.index, method, path.split("?")[0], status, time.perf_counter() - started))
        return r

    def sign_in(self) -> None:
        page = self.http.get(self.base + "/login/", timeout=TIMEOUT)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        r = self.http.post(
            self.base + "/login/",
            data={"username": f"user{self.index}", "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.base + "/login/"},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        assert r.status_code == 302, f"user{self.index} could not sign in: {r.status_code}"

    def run(self) -> None:
        self.sign_in()
        mine = None
        while not self.stop.is_set():
            q = self.rng.choice(["", "", "?q=织造", "?q=jc", "?page=2", f"?q=试用{self.index}号"])
            r = self.call("GET", f"/enterprises/{q}")
            if mine is None:
                r = self.call("GET", f"/enterprises/?q=试用{self.index}号")
                if r is not None and r.status_code == 200:
                    mine = sorted(set(re.findall(r'href="/enterprises/(\d+)/"', r.text)))
                continue
            pk = self.rng.choice(mine)
            self.call("GET", f"/enterprises/{pk}/")
            r = self.call("GET", f"/enterprises/{pk}/edit/")
            if r is None or r.status_code != 200:
                continue
            form = FormValues()
            form.feed(r.text)
            data = [(k, v) for k, v in form.values if k != "address"]
            data.append(("address", f"晋城市测试路{self.rng.randint(1, 9999)}号"))
            self.call(
                "POST",
                f"/enterprises/{pk}/edit/",
                data=data,
                headers={"Referer": self.base + f"/enterprises/{pk}/edit/"},
            )


def users_during_import(n: int, users: int, max_seconds: float) -> dict:
    port = free_port()
    server, worker = start_server(port), start_worker()
    try:
        started = time.perf_counter()
        job = queue_import(n, seed=1)
        stop, results = threading.Event(), []
        crowd = [User(i + 1, f"http://127.0.0.1:{port}", stop, results) for i in range(users)]
        for u in crowd:
            u.start()
        phases = {}
        while time.perf_counter() - started < max_seconds:
            status, _done = job_state(job)
            phases.setdefault(status, time.perf_counter() - started)
            if status in {"done", "failed", "invalid"}:
                break
            time.sleep(0.2)
        stop.set()
        for u in crowd:
            u.join(timeout=TIMEOUT + 5)
        elapsed = time.perf_counter() - started
    finally:
        for proc in (server, worker):
            proc.send_signal(signal.SIGINT)
        for proc in (server, worker):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    statuses = Counter(r[3] for r in results)
    errors = sum(c for s, c in statuses.items() if s not in (200, 302))
    slow = sorted(results, key=lambda r: -r[4])[:5]
    saves = sorted(r[4] for r in results if r[1] == "POST")
    reads = sorted(r[4] for r in results if r[1] == "GET")
    return {
        "job": job_state(job)[0],
        "phases": phases,
        "seconds": elapsed,
        "requests": len(results),
        "statuses": dict(statuses),
        "errors": errors,
        "saves": len(saves),
        "save_p50": saves[len(saves) // 2] if saves else None,
        "save_max": saves[-1] if saves else None,
        "read_p50": reads[len(reads) // 2] if reads else None,
        "read_max": reads[-1] if reads else None,
        "slowest": slow,
    }


# -- kill -9 ---------------------------------------------------------------------------------------------------


def counts(tag: str) -> tuple[int, int, int]:
    """Imported enterprises of one import (their names end in the tag), those without search keys, and
    tasks left RUNNING."""
    with sqlite3.connect(f"file:{DB}?mode=ro", uri=True, timeout=60) as c:
        (ct,) = c.execute(
            "SELECT id FROM django_content_type WHERE app_label = 'enterprises' AND model = 'enterprise'"
        ).fetchone()
        (rows,) = c.execute(
            "SELECT count(*) FROM enterprises_enterprise WHERE name LIKE ?", (f"%-{tag}",)
        ).fetchone()
        (unindexed,) = c.execute(
            "SELECT count(*) FROM enterprises_enterprise e WHERE e.name LIKE ? AND NOT EXISTS "
            "(SELECT 1 FROM chainboard_searchkey k WHERE k.content_type_id = ? AND k.object_id = e.id)",
            (f"%-{tag}", ct),
        ).fetchone()
        (running,) = c.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
        ).fetchone()
    return rows, unindexed, running


def kills(number: int, rows: int, max_seconds: float, first: int = 1) -> list[dict]:
    phases = ["writing", "writing", "indexing", "indexing", "writing"]
    out = []
    rng = random.Random(2026 + first - 1)
    for k in range(first - 1, first - 1 + number):
        seed = 2 + k  # the import's USCC character and its name tag
        worker = start_worker()
        job = queue_import(rows, seed=seed)
        phase = phases[k % len(phases)]
        started = time.perf_counter()
        # The job is "writing" from the start (the commit run checks every row again, then writes): a
        # kill in "writing" lands in the check or the write transaction, depending on the delay.
        while time.perf_counter() - started < max_seconds:
            status, _ = job_state(job)
            if status == phase or status in {"done", "failed"}:
                break
            time.sleep(0.05)
        delay = rng.uniform(0, 8 if phase == "writing" else 2)
        time.sleep(delay)
        status_at_kill, processed = job_state(job)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        before = counts(str(seed))
        restarted = time.perf_counter()
        worker = start_worker()
        while time.perf_counter() - restarted < max_seconds:
            status, _ = job_state(job)
            if status in {"done", "failed", "invalid"}:
                break
            time.sleep(0.1)
        settle_seconds = time.perf_counter() - restarted
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        with sqlite3.connect(f"file:{DB}?mode=ro", uri=True) as c:
            final, message = c.execute(
                "SELECT status, message FROM chainboard_importjob WHERE id = ?", (job,)
            ).fetchone()
        after = counts(str(seed))
        out.append(
            {
                "kill": k + 1,
                "phase": status_at_kill,
                "processed_at_kill": processed,
                "after_delay": round(delay, 1),
                "rows_at_kill": before[0],
                "unindexed_at_kill": before[1],
                "job": final,
                "message": message,
                "rows": after[0],
                "unindexed": after[1],
                "running_tasks": after[2],
                "settled_in": round(settle_seconds, 1),
                "ok": after[0] in (0, rows)
                and after[1] == 0
                and after[2] == 0
                and final in {"done", "failed"}
                and (final == "done") == (after[0] == rows),
            }
        )
        print(out[-1], flush=True)  # noqa: T201
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n", type=int, default=100_000, help="rows of the import the users work beside (0: skip)"
    )
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--kill-rows", type=int, default=10_000)
    parser.add_argument("--first-kill", type=int, default=1, help="number the kills from this one (1-28)")
    parser.add_argument("--max-seconds", type=float, default=900, help="upper bound for one import")
    args = parser.parse_args()
    os.environ["CHAINBOARD_IMPORT_MAX_ROWS"] = str(max(args.n, args.kill_rows, 200_000))
    setup(args.users)
    if args.n:
        result = users_during_import(args.n, args.users, args.max_seconds)
        for key, value in result.items():
            print(f"{key}: {value}")  # noqa: T201
    if args.kills:
        results = kills(args.kills, args.kill_rows, args.max_seconds, args.first_kill)
        print(f"kills: {len(results)}, consistent: {sum(r['ok'] for r in results)}")  # noqa: T201


if __name__ == "__main__":
    main()
