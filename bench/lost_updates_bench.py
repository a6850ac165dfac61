"""Lost updates: W writers read, change and save ONE enterprise for D seconds; no save may be lost.

    .venv/bin/python bench/lost_updates_bench.py --writers 8 --seconds 600                  # SQLite
    .venv/bin/python bench/lost_updates_bench.py --writers 32 --seconds 600 \\
        --database-url postgres://postgres@127.0.0.1:5432/h_lost                            # PostgreSQL
    .venv/bin/python bench/lost_updates_bench.py --second-field   # half the writers edit another field
    .venv/bin/python bench/lost_updates_bench.py --via api        # API GET + PATCH ?version= instead

Everything runs on loopback against a database of the bench's own: the SQLite file
``bench/data/lost_updates.sqlite3`` (made afresh), or the PostgreSQL database ``--database-url`` names
(its public schema is dropped and migrated afresh). The set-up and the server are those of
``availability_bench.py`` (Django's threaded development server, as ``chainboard serve`` runs it).

Each writer is a thread with its own signed-in ``requests.Session`` (``--via web``: GET the edit form,
POST it back with its ``_version`` and the writer's field set to a value naming the writer and the attempt,
``w3-s17``) or its own API token (``--via api``: GET the record, PATCH the field with ``?version=``). A save
(302 from the form, 200 from the API) is counted with the value it wrote; a 409 is a conflict, expected:
the writer reads again and retries; anything else is an error. With ``--second-field`` the odd-numbered
writers edit the description and the even-numbered ones the address: saves of different fields must
both survive (only changed fields are written) while a stale version is still refused.

After the run, from the database: the record's version went up by exactly the number of saves; the audit
trail has exactly one update entry per save, in order, each starting from the state the previous one left
(its ``before`` equals the previous ``after``: nobody overwrote a save they had not seen), each changing
only the one field its writer edited, and together holding every value a writer saw saved; the record's
final state is the last entry's ``after``. A save missing from the trail, a broken link or an entry that
changed a field its writer did not edit counts as a lost update; there must be none.

Bounded: every request has a time-out (``--timeout``), the writers stop after ``--seconds`` or after
``--max-requests`` requests in all, whichever comes first.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import availability_bench as av
import requests

DB = av.DATA / "lost_updates.sqlite3"
FIELDS = ("address", "description")


class Writer(av.User):
    """One writer: read the record, change its field, save with the version read; on 409 read again."""

    def __init__(self, index: int, base: str, stop: threading.Event, field: str, via: str, budget: int):
        super().__init__(index, base, stop, [])
        self.field, self.via, self.budget = field, via, budget
        self.saved: list[str] = []  # the values this writer saw saved, in order
        self.pk = 0
        self.token = ""
        # Signed in before the clock starts: 32 password checks would otherwise eat the first seconds.
        self.ready, self.go = threading.Event(), threading.Event()

    def run(self) -> None:
        try:
            if self.via == "web":
                self.sign_in()
            else:
                self.http.headers["Authorization"] = f"Bearer {self.token}"
        except (requests.RequestException, AssertionError, AttributeError) as exc:
            self.results.append((self.index, "POST", "/login/", type(exc).__name__, 0.0))
            return
        finally:
            self.ready.set()
        self.go.wait()
        attempt = 0
        while not self.stop.is_set() and len(self.results) < self.budget:
            attempt += 1
            value = f"w{self.index}-s{attempt}"
            if self.via == "web":
                self.save_by_form(value)
            else:
                self.save_by_api(value)

    def save_by_form(self, value: str) -> None:
        path = f"/enterprises/{self.pk}/edit/"
        r = self.call("GET", path)
        if r is None or r.status_code != 200:
            return
        form = av.FormValues()
        form.feed(r.text)
        data = [(k, v) for k, v in form.values if k != self.field]
        data.append((self.field, value))
        r = self.call("POST", path, data=data, headers={"Referer": self.base + path})
        if r is not None and r.status_code == 302:
            self.saved.append(value)

    def save_by_api(self, value: str) -> None:
        path = f"/api/v1/enterprises/{self.pk}"
        r = self.call("GET", path)
        if r is None or r.status_code != 200:
            return
        version = r.json()["version"]
        r = self.call("PATCH", f"{path}?version={version}", json={self.field: value})
        if r is not None and r.status_code == 200:
            self.saved.append(value)


def prepare(writers: int, via: str) -> tuple[int, dict[int, str]]:
    """The shared record (user0's first enterprise) and, for the API, a token per writer."""
    from accounts.models import User
    from chainboard import actions, audit
    from chainboard.models import ApiToken
    from chainboard.models.tokens import hash_token
    from chainboard.scope import SystemActor
    from enterprises.models import Enterprise

    pk = Enterprise.objects.get(name="晋城试用0号0织造有限公司").pk
    tokens = {}
    if via == "api":
        actor = SystemActor("bench:lost-updates")
        with audit.operation(user=actor, source=audit.Source.COMMAND, label="bench:lost-updates"):
            for i in range(1, writers + 1):
                raw = ApiToken.generate()
                user = User.objects.get(username=f"user{i}")
                actions.create_direct(actor, ApiToken(user=user, prefix=raw[:8], key_hash=hash_token(raw)))
                tokens[i] = raw
    return pk, tokens


def state(pk: int) -> tuple[int, dict, int]:
    """The record's version, its audited snapshot and the last audit entry's id."""
    from chainboard import audit
    from chainboard.models import AuditEntry
    from enterprises.models import Enterprise

    enterprise = Enterprise.objects.get(pk=pk)
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return enterprise.version, json.loads(json.dumps(audit.snapshot(enterprise), default=str)), last


def verify(pk: int, start: tuple[int, dict, int], crowd: list[Writer]) -> dict:
    """What the database says about the saves the writers counted (see the module's docstring)."""
    from django.contrib.contenttypes.models import ContentType

    from chainboard.models import AuditEntry
    from chainboard.models.audit import AuditAction
    from enterprises.models import Enterprise

    start_version, start_snapshot, start_id = start
    version, final, _ = state(pk)
    entries = list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Enterprise),
            object_id=str(pk),
            action=AuditAction.UPDATE,
            id__gt=start_id,
        ).order_by("id")
    )
    saved = {value: w.field for w in crowd for value in w.saved}
    audited: dict[str, str] = {}
    previous, broken_links, stray_fields = start_snapshot, 0, 0
    for entry in entries:
        if entry.before != previous:
            broken_links += 1
        changed = {k for k in entry.after if entry.before.get(k) != entry.after.get(k)} - {
            "version",
            "updated_at",
        }
        field = next(iter(changed)) if len(changed) == 1 else None
        if field is None or saved.get(entry.after[field]) != field:
            stray_fields += 1  # changed nothing, or more than the one field, or a field not its writer's
        else:
            audited[entry.after[field]] = field
        previous = entry.after
    missing = len(set(saved) - set(audited))
    last_saved = {
        f: next((e.after[f] for e in reversed(entries) if e.before[f] != e.after[f]), None) for f in FIELDS
    }
    return {
        "saves": len(saved),
        "version_delta": version - start_version,
        "audit_updates": len(entries),
        "broken_links": broken_links,
        "stray_fields": stray_fields,
        "saves_missing_from_trail": missing,
        "final_is_last_after": final == previous,
        "final_values": {f: final[f] for f in FIELDS if last_saved[f] is not None},
        "last_saves": {f: v for f, v in last_saved.items() if v is not None},
        "lost_updates": missing + broken_links + stray_fields,
        "ok": version - start_version == len(saved) == len(entries)
        and missing + broken_links + stray_fields == 0
        and final == previous,
    }


def run(args: argparse.Namespace) -> dict:
    av.TIMEOUT = args.timeout
    av.use_database(args.database_url, DB)
    av.setup(args.writers)
    pk, tokens = prepare(args.writers, args.via)
    start = state(pk)
    port = av.free_port()
    server = av.start_server(port)
    stop = threading.Event()
    crowd = []
    for i in range(1, args.writers + 1):
        field = FIELDS[i % 2] if args.second_field else FIELDS[0]
        budget = max(2, args.max_requests // args.writers)
        writer = Writer(i, f"http://127.0.0.1:{port}", stop, field, args.via, budget)
        writer.pk, writer.token = pk, tokens.get(i, "")
        crowd.append(writer)
    try:
        for w in crowd:
            w.start()
        for w in crowd:
            w.ready.wait(timeout=args.timeout)
        started = time.perf_counter()
        for w in crowd:
            w.go.set()
        deadline = started + args.seconds
        while time.perf_counter() < deadline and any(w.is_alive() for w in crowd):
            time.sleep(min(1.0, max(0.0, deadline - time.perf_counter())))
        stop.set()
        for w in crowd:
            w.join(timeout=args.timeout + 5)
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        for w in crowd:
            w.go.set()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    results = [r for w in crowd for r in w.results]
    writes = [r for r in results if r[1] in {"POST", "PATCH"}]
    reads = [r for r in results if r[1] == "GET"]
    saved_status = 302 if args.via == "web" else 200
    statuses = Counter(r[3] for r in writes)
    errors = sum(1 for r in reads if r[3] != 200) + sum(
        c for s, c in statuses.items() if s not in (saved_status, 409)
    )
    save_times = sorted(r[4] for r in writes if r[3] == saved_status)
    out = {
        "database": "postgresql" if args.database_url else "sqlite",
        "via": args.via,
        "writers": args.writers,
        "fields": sorted({w.field for w in crowd}),
        "seconds": round(elapsed, 1),
        "requests": len(results),
        "saves": statuses[saved_status],
        "conflicts": statuses[409],
        "errors": errors,
        "write_statuses": dict(statuses),
        "saves_per_second": round(statuses[saved_status] / elapsed, 2) if elapsed else None,
        "save_p50_ms": round(1000 * save_times[len(save_times) // 2]) if save_times else None,
        "save_max_ms": round(1000 * save_times[-1]) if save_times else None,
        "saves_by_field": dict(Counter(w.field for w in crowd for _ in w.saved)),
    }
    out["check"] = verify(pk, start, crowd)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writers", type=int, default=8, help="concurrent writers (default 8)")
    parser.add_argument("--seconds", type=float, default=600, help="how long they write (default 600)")
    parser.add_argument(
        "--max-requests", type=int, default=500_000, help="upper bound on requests, all writers together"
    )
    parser.add_argument("--timeout", type=float, default=60, help="seconds one request may take (default 60)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="a loopback PostgreSQL database of the bench's own, dropped and migrated afresh "
        "(default: SQLite, bench/data/lost_updates.sqlite3)",
    )
    parser.add_argument(
        "--second-field",
        action="store_true",
        help="odd-numbered writers edit the description, not the address",
    )
    parser.add_argument("--via", choices=("web", "api"), default="web", help="the edit form or the API")
    parser.add_argument("--json", type=Path, default=None, help="also write the result to this file")
    args = parser.parse_args()
    result = run(args)
    for key, value in result.items():
        print(f"{key}: {value}")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    if not result["check"]["ok"]:
        raise SystemExit("LOST UPDATES or an inconsistent trail: see check above")


if __name__ == "__main__":
    main()
