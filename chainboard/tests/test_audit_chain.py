"""The audit trail is append-only for real and tamper-evident: the database refuses every way of
rewriting it (UPDATE, DELETE, TRUNCATE, INSERT OR REPLACE), each entry's hash is chained over the
previous one's, `chainboard audit verify` names the first broken link, and `chainboard audit purge`
keeps the retention period and leaves a chain that still verifies."""

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from chainboard import actions, audit, auditchain, bulkwrite
from chainboard.models import AuditEntry, AuditPurgePermit, CityConfig
from chainboard.models.audit import AuditAction
from chainboard.scope import SystemActor
from chainboard.testing import set_audit_triggers

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL only")
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite only")


def entries(n: int, label: str = "entry") -> list[AuditEntry]:
    return [
        audit.record(
            AuditAction.LOAD, model=CityConfig, object_repr=f"{label} {i}", after={"n": i, "名": "晋城"}
        )
        for i in range(n)
    ]


def verify() -> auditchain.Verification:
    return auditchain.verify(chunk_size=3)  # several chunks even for a short trail


def behind_the_triggers_back(sql: str, params: list) -> None:
    """What someone with the database owner's rights could do: lift the triggers, write, put them back."""
    set_audit_triggers(False)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    set_audit_triggers(True)


def run(*args) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


# ---- the database refuses every rewrite --------------------------------------------------------------


@pytest.fixture
def trail(db):
    return entries(3)


@postgres_only
def test_postgresql_refuses_to_truncate_the_trail(trail):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign-key check left pending to hold TRUNCATE up
        c.execute("TRUNCATE chainboard_auditentry")
    assert AuditEntry.objects.count() == 3


@sqlite_only
def test_sqlite_refuses_insert_or_replace_onto_an_entry(trail):
    first = trail[0]
    columns = [f.column for f in AuditEntry._meta.concrete_fields]
    selected = ["'forged'" if column == "user_name" else column for column in columns]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        # The same row with another name: REPLACE deletes the old row without firing the delete trigger.
        c.execute(
            f"INSERT OR REPLACE INTO chainboard_auditentry ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {', '.join(selected)} FROM chainboard_auditentry WHERE id = %s",
            [first.pk],
        )
    assert AuditEntry.objects.get(pk=first.pk).user_name == first.user_name


def test_update_and_delete_are_still_refused(trail):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=trail[0].pk).update(object_repr="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=trail[0].pk).delete()
    assert AuditEntry.objects.get(pk=trail[0].pk).object_repr == "entry 0"


def test_a_purge_permit_does_not_let_an_entry_younger_than_183_days_go(trail):
    # The permit alone is not enough: the trigger itself keeps six months, whatever the application does.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditPurgePermit.objects.create(below_id=trail[-1].pk + 1)
        AuditEntry.objects.filter(pk=trail[0].pk).delete()
    assert AuditEntry.objects.filter(pk=trail[0].pk).exists()


def test_an_old_entry_is_not_deleted_without_a_permit(db):
    with time_machine.travel(timezone.now() - dt.timedelta(days=400), tick=False):
        (old,) = entries(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=old.pk).delete()
    assert AuditEntry.objects.filter(pk=old.pk).exists()


# ---- the hash chain ----------------------------------------------------------------------------------


def test_each_entry_carries_the_hash_of_the_one_before(trail):
    rows = list(AuditEntry.objects.order_by("id"))
    assert [r.prev_hash for r in rows] == ["", rows[0].hash, rows[1].hash]
    assert all(len(r.hash) == 64 for r in rows)
    assert len({r.hash for r in rows}) == 3


def test_verify_passes_on_a_clean_trail_written_by_every_path(client, world):
    # world: actions (record) ; then an import (the bulk path), a web edit and a savepoint rolled back
    client.force_login(world.users["office"])
    product = world.enterprises["jingbai"].products.get()
    client.post(
        reverse("enterprises:product_edit", kwargs={"pk": product.pk}),
        {"enterprise": product.enterprise_id, "name": "新名", "_version": product.version},
    )
    with transaction.atomic():
        sid = transaction.savepoint()
        entries(2, "rolled back")
        transaction.savepoint_rollback(sid)
    audit.record_many(
        [
            audit.values(AuditAction.CREATE, model=CityConfig, object_repr=f"bulk {i}", after={"i": i})
            for i in range(7)
        ]
    )
    entries(1, "after the bulk")
    result = verify()
    assert result.ok, result
    assert result.count == AuditEntry.objects.count()
    assert result.head_hash == AuditEntry.objects.order_by("-id").first().hash
    out = run("verify")
    assert str(result.count) in out and result.head_hash in out


def test_a_bulk_append_taken_from_a_generator_in_batches_makes_one_unbroken_chain(db, monkeypatch):
    # An import hands its entries over as they are made; they are chained and written a batch at a time.
    monkeypatch.setattr(auditchain, "APPEND_BATCH", 3)
    entries(2, "before")
    made = []

    def generated():
        for i in range(8):
            made.append(i)
            yield audit.values(AuditAction.CREATE, model=CityConfig, object_repr=f"bulk {i}", after={"i": i})

    pulled = []
    original = bulkwrite.insert_values

    def insert(model, rows):
        pulled.append((len(rows), len(made)))
        return original(model, rows)

    monkeypatch.setattr(bulkwrite, "insert_values", insert)
    ids = audit.record_many(generated())
    assert pulled == [(3, 3), (3, 6), (2, 8)]  # never more made than one batch ahead of the writes
    bulk = list(AuditEntry.objects.filter(pk__in=ids).order_by("id"))
    assert [e.object_repr for e in bulk] == [f"bulk {i}" for i in range(8)]
    assert len({e.time for e in bulk}) == 1
    result = verify()
    assert result.ok, result
    assert result.count == 10


def test_verify_names_the_first_entry_altered_behind_the_triggers_back(db):
    trail = entries(5)
    behind_the_triggers_back(
        "UPDATE chainboard_auditentry SET object_repr = %s WHERE id IN (%s, %s)",
        ["forged", trail[2].pk, trail[4].pk],
    )
    result = verify()
    assert (result.broken_id, result.reason, result.count) == (trail[2].pk, "hash", 2)
    with pytest.raises(CommandError, match=str(trail[2].pk)):
        run("verify")


def test_verify_names_the_entry_after_one_deleted_behind_the_triggers_back(db):
    trail = entries(4)
    behind_the_triggers_back("DELETE FROM chainboard_auditentry WHERE id = %s", [trail[1].pk])
    result = verify()
    assert (result.broken_id, result.reason) == (trail[2].pk, "previous hash")


def test_verify_notices_a_rehashed_entry_at_the_next_link(db):
    trail = entries(4)
    forged = {**{f: getattr(trail[1], f) for f in auditchain.HASHED}, "object_repr": "forged"}
    rehashed = auditchain.digest(trail[1].prev_hash, forged)
    behind_the_triggers_back(
        "UPDATE chainboard_auditentry SET object_repr = %s, hash = %s WHERE id = %s",
        ["forged", rehashed, trail[1].pk],
    )
    assert verify().broken_id == trail[2].pk


def test_verify_notices_the_first_entries_removed(db):
    trail = entries(3)
    behind_the_triggers_back("DELETE FROM chainboard_auditentry WHERE id = %s", [trail[0].pk])
    result = verify()
    assert (result.broken_id, result.reason) == (trail[1].pk, "anchor")


def test_a_hash_covers_the_json_as_the_database_gives_it_back(db):
    # Nested, unordered, non-ASCII and null values come back from jsonb (PostgreSQL) reordered; the
    # hash is over a canonical form, so it still matches.
    after = {"z": [3, 1, {"b": None, "a": "晋城"}], "a": {"y": True, "x": "1.50"}, "空": ""}
    audit.record(AuditAction.UPDATE, model=CityConfig, object_repr="json", before={"k": 1}, after=after)
    assert verify().ok


# ---- two writers ---------------------------------------------------------------------------------------


@postgres_only
def test_a_second_writer_cannot_append_while_the_first_holds_the_chain(db):
    """The test's transaction appends and stays open; another connection's append must wait for it
    (it would otherwise chain onto the same head and fork the trail). It waits at most 200 ms here, then
    gives up: that it gave up is the claim, not how long it took."""
    entries(1)
    outcome = {}

    def second_writer():
        from django.db import connection as own

        try:
            with transaction.atomic():
                with own.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '200ms'")
                with audit.operation(label="second writer"):
                    entries(1, "second")
            outcome["appended"] = True
        except DatabaseError as exc:
            outcome["refused"] = str(exc)
        finally:
            own.close()

    thread = threading.Thread(target=second_writer)
    thread.start()
    thread.join()
    assert "lock timeout" in outcome.get("refused", ""), outcome


def test_appends_from_several_operations_interleaved_keep_one_chain(db):
    for n in range(3):
        with audit.operation(label=f"writer {n}"):
            entries(2, f"writer {n}")
            audit.record_many(
                [
                    audit.values(AuditAction.CREATE, model=CityConfig, object_repr=f"bulk {n}.{i}")
                    for i in range(3)
                ]
            )
    rows = list(AuditEntry.objects.order_by("id").values_list("prev_hash", "hash"))
    assert [p for p, _h in rows[1:]] == [h for _p, h in rows[:-1]]
    assert verify().ok


# ---- retention and purge -------------------------------------------------------------------------------


def test_a_purge_inside_the_retention_period_is_refused_and_changes_nothing(db):
    trail = entries(2)
    inside = timezone.localdate() - dt.timedelta(days=182)
    with pytest.raises(CommandError) as error:
        run("purge", "--before", inside.isoformat())
    assert "183" in str(error.value)
    assert list(AuditEntry.objects.order_by("id")) == trail


def test_the_retention_setting_lengthens_the_period_but_never_shortens_it(db, settings):
    settings.CHAINBOARD_AUDIT_RETENTION_DAYS = 400
    entries(1)
    with pytest.raises(CommandError):
        run("purge", "--before", (timezone.localdate() - dt.timedelta(days=300)).isoformat())
    settings.CHAINBOARD_AUDIT_RETENTION_DAYS = 30  # below the floor: the floor holds
    with pytest.raises(auditchain.RetentionError):
        auditchain.purge(timezone.localdate() - dt.timedelta(days=100))
    assert AuditEntry.objects.count() == 1


def test_a_retention_setting_below_six_months_is_refused_at_start():
    env = {
        **os.environ,
        "CHAINBOARD_AUDIT_RETENTION_DAYS": "90",
        "DJANGO_SETTINGS_MODULE": "chainboard.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "CHAINBOARD_AUDIT_RETENTION_DAYS" in done.stderr


def test_a_bad_date_is_refused_with_the_option_named(db):
    with pytest.raises(CommandError, match="--before"):
        run("purge", "--before", "2026-13-01")
    with pytest.raises(CommandError, match="--before"):
        run("purge")


def test_a_purge_outside_the_period_deletes_the_old_entries_audits_itself_and_verifies(db):
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=300), tick=False):
        old = entries(3, "old")
    with time_machine.travel(now - dt.timedelta(days=100), tick=False):
        kept = entries(2, "kept")
    before = (now - dt.timedelta(days=200)).date()

    out = run("purge", "--before", before.isoformat())

    assert not AuditEntry.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert list(AuditEntry.objects.filter(pk__in=[e.pk for e in kept]).order_by("id")) == kept
    purge = AuditEntry.objects.get(action=AuditAction.PURGE)
    assert purge.source == "command" and purge.user_name == "command:audit purge"
    assert purge.after["deleted"] == 3
    assert purge.after["before"] == before.isoformat()
    assert purge.after["first_kept_prev_hash"] == kept[0].prev_hash == old[-1].hash
    assert "3" in out and str(purge.pk) in out
    assert verify().ok
    assert not AuditPurgePermit.objects.exists()  # the permit went with the purge's transaction
    # ... and the trigger refuses a delete again once the purge is over
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=kept[0].pk).delete()


def test_a_purge_of_the_whole_trail_keeps_its_own_entry_as_the_first_link(db):
    with time_machine.travel(timezone.now() - dt.timedelta(days=300), tick=False):
        entries(3, "old")
    run("purge", "--before", (timezone.localdate() - dt.timedelta(days=190)).isoformat())
    (purge,) = AuditEntry.objects.all()
    assert purge.action == AuditAction.PURGE and purge.after["deleted"] == 3
    assert verify().ok
    entries(1, "later")
    assert verify().ok


def test_removing_entries_after_a_purge_is_still_noticed(db):
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=300), tick=False):
        entries(2, "old")
    with time_machine.travel(now - dt.timedelta(days=250), tick=False):
        kept = entries(2, "kept")
    run("purge", "--before", (now - dt.timedelta(days=280)).date().isoformat())
    behind_the_triggers_back("DELETE FROM chainboard_auditentry WHERE id = %s", [kept[0].pk])
    assert verify().broken_id == kept[1].pk


# ---- the export ---------------------------------------------------------------------------------------


def test_the_exported_before_and_after_are_json(client, world):
    # Beside the readable "field: value" columns (test_audit_words), the stored JSON, for programs.
    product = world.enterprises["luanfu"].products.get()
    actions.save_fields(SystemActor("test"), product, name="潞绸新品")
    client.force_login(world.users["auditor"])
    response = client.get(reverse("audit:auditentry_export"), {"action": "update"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert len(header) == 13  # ... before, after, hash, before (JSON), after (JSON)
    (row,) = [r for r in rows if json.loads(r[12]).get("name") == "潞绸新品"]
    before, after = json.loads(row[11]), json.loads(row[12])
    assert (before["name"], after["name"]) == ("潞安府潞绸产品", "潞绸新品")
    entry = AuditEntry.objects.get(hash=row[10])
    assert entry.after == after
    creations = client.get(reverse("audit:auditentry_export"), {"action": "create"})
    created = list(csv.reader(io.StringIO(b"".join(creations.streaming_content).decode("utf-8-sig"))))[1]
    assert json.loads(created[11]) is None
    assert isinstance(json.loads(created[12]), dict)
