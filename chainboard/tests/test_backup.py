"""Backups and restores: the restore drill (back up, restore into a fresh database, compare every table
and the audit trail), a restore that refuses to overwrite data or to use a damaged backup, and the audit
rows both write.

These tests run on transactional_db: pg_dump and pg_restore are other processes, which see only committed
rows, and SQLite's backup API cannot write into a connection inside a transaction.
"""

import io
import json
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.db.utils import load_backend
from django.utils import translation

from chainboard import actions, auditchain
from chainboard.backup import census
from chainboard.models import AuditEntry
from chainboard.models.audit import AuditAction
from chainboard.scope import SystemActor
from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db(transaction=True)


# transactional_db: pg_dump and pg_restore see committed rows only, and SQLite's backup API cannot write
# into a connection inside a transaction. conftest.py lifts the audit triggers for the flush.
@pytest.fixture(autouse=True)
def _backups_in_tmp(audit_triggers_lifted_for_flush, settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"


@pytest.fixture
def fresh_database(transactional_db, tmp_path):
    """A second, empty database beside the test one, under the alias "drill": a new SQLite file, or a new
    PostgreSQL database created here and dropped at the end. Its connection is put in the handler directly,
    not in the settings: Django's test case allows such dynamically created connections."""
    alias = "drill"
    entry = {**connections["default"].settings_dict}
    if connection.vendor == "sqlite":
        entry["NAME"] = str(tmp_path / "drill.sqlite3")
    else:
        entry["NAME"] = f"{entry['NAME']}_drill_{uuid.uuid4().hex[:8]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{entry["NAME"]}"')
    connections[alias] = load_backend(entry["ENGINE"]).DatabaseWrapper(entry, alias)
    yield alias
    connections[alias].close()
    del connections[alias]
    if connection.vendor != "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{entry["NAME"]}" WITH (FORCE)')


def _census(alias="default", **kwargs):
    with connections[alias].cursor() as cursor:
        return census(cursor, connections[alias].vendor, **kwargs)


def _backup() -> Path:
    out = io.StringIO()
    call_command("backup", stdout=out)
    return Path(out.getvalue().strip().splitlines()[-1])


def _attachment_file() -> Path:
    path = Path(settings.MEDIA_ROOT) / "attachments" / "7" / "report.pdf"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"%PDF-1.4 chain report")
    return path


def test_a_restore_drill_gives_back_every_table_and_the_audit_trail_in_a_fresh_database(
    world, fresh_database
):
    document = _attachment_file()
    source = _census()
    manifest = _backup()
    document.unlink()

    call_command("restore", str(manifest), database=fresh_database, stdout=io.StringIO())

    restored = _census(fresh_database, audit_up_to=source.audit_last_id)
    assert restored.tables[AuditEntry._meta.db_table] == source.tables[AuditEntry._meta.db_table] + 1
    assert {t: n for t, n in restored.tables.items() if t != AuditEntry._meta.db_table} == {
        t: n for t, n in source.tables.items() if t != AuditEntry._meta.db_table
    }
    assert sum(source.tables.values()) > 100, "the drill restores a real data set"
    assert (restored.audit_count, restored.audit_last_id, restored.audit_digest) == (
        source.audit_count,
        source.audit_last_id,
        source.audit_digest,
    )
    assert document.read_bytes() == b"%PDF-1.4 chain report"


def test_the_restore_is_audited_in_the_restored_database_naming_the_backup(world, fresh_database):
    manifest = _backup()
    call_command("restore", str(manifest), database=fresh_database, stdout=io.StringIO())
    last = AuditEntry.objects.using(fresh_database).order_by("-id").first()
    assert last.action == AuditAction.RESTORE
    assert last.source == "command"
    assert last.user_name == "command:restore"
    assert last.object_repr == manifest.stem
    assert last.after["manifest"] == str(manifest)
    assert last.after["verified"] is True
    # The restored trail's hash chain is whole, the restore's own entry linked onto it.
    chain = auditchain.verify(using=fresh_database)
    assert chain.broken_id is None
    assert (chain.head_id, chain.count) == (last.pk, AuditEntry.objects.using(fresh_database).count())
    assert last.prev_hash == AuditEntry.objects.using(fresh_database).get(pk=last.pk - 1).hash


def test_a_backup_whose_audit_trail_was_tampered_with_is_restored_but_refused_as_unverified(
    world, fresh_database
):
    from chainboard.testing import set_audit_triggers

    first = AuditEntry.objects.order_by("id").first()
    set_audit_triggers(False)
    AuditEntry.objects.filter(pk=first.pk).update(object_repr="改写过的记录")
    set_audit_triggers(True)
    manifest = _backup()
    with pytest.raises(CommandError, match=str(first.pk)):
        call_command("restore", str(manifest), database=fresh_database, stdout=io.StringIO())
    assert AuditEntry.objects.using(fresh_database).order_by("-id").first().after["verified"] is False


def test_the_restored_audit_trail_is_still_append_only(world, fresh_database):
    manifest = _backup()
    call_command("restore", str(manifest), database=fresh_database, stdout=io.StringIO())
    with pytest.raises(DatabaseError), transaction.atomic(using=fresh_database):
        AuditEntry.objects.using(fresh_database).filter(pk=AuditEntry.objects.order_by("id")[0].pk).delete()


def test_a_backup_is_audited_and_its_manifest_counts_every_table(world):
    before = _census()
    manifest_path = _backup()
    manifest = json.loads(manifest_path.read_text())
    assert manifest["database"] == connection.vendor
    assert manifest["tables"] == before.tables
    assert manifest["audit"] == {
        "count": before.audit_count,
        "last_id": before.audit_last_id,
        "digest": before.audit_digest,
    }
    assert manifest_path.name.startswith("chainboard-")
    assert set(manifest["sha256"]) == {manifest["database_file"], manifest["media_file"]}
    for name in (manifest_path.name, manifest["database_file"], manifest["media_file"]):
        assert manifest_path.with_name(name).stat().st_mode & 0o077 == 0, f"{name} is readable by others"
    entry = AuditEntry.objects.order_by("-id").first()
    assert (entry.action, entry.object_repr, entry.source) == (
        AuditAction.BACKUP,
        manifest_path.stem,
        "command",
    )
    assert entry.after["sha256"] == manifest["sha256"]


def test_restore_refuses_to_overwrite_a_database_holding_data_without_force(world):
    manifest = _backup()
    later = actions.create_direct(
        SystemActor("test"), Enterprise(name="备份后新建企业", region=world.regions["140581"])
    )
    with translation.override("zh-hans"), pytest.raises(CommandError) as refused:
        call_command("restore", str(manifest), stdout=io.StringIO())
    assert "--force" in str(refused.value)
    assert "数据库中已有数据" in str(refused.value)
    assert Enterprise.objects.filter(pk=later.pk).exists()


def test_restore_with_force_puts_back_the_backup_and_keeps_what_it_replaced(world):
    document = _attachment_file()
    manifest = _backup()
    later = actions.create_direct(
        SystemActor("test"), Enterprise(name="备份后新建企业", region=world.regions["140581"])
    )
    document.write_bytes(b"changed after the backup")

    out = io.StringIO()
    call_command("restore", str(manifest), force=True, stdout=out)

    assert not Enterprise.objects.filter(pk=later.pk).exists()
    assert document.read_bytes() == b"%PDF-1.4 chain report"
    # Nothing lost without a trace: the replaced data was backed up first, and the old media moved aside.
    restore_row = AuditEntry.objects.order_by("-id").first()
    assert restore_row.action == AuditAction.RESTORE
    replaced = json.loads(Path(restore_row.after["replaced_data_backup"]).read_text())
    assert replaced["tables"]["enterprises_enterprise"] == Enterprise.objects.count() + 1
    moved = Path(restore_row.after["media_moved_to"])
    assert (moved / "attachments" / "7" / "report.pdf").read_bytes() == b"changed after the backup"


def test_restore_refuses_a_damaged_backup_and_changes_nothing(world):
    manifest = _backup()
    data = json.loads(manifest.read_text())
    database_file = manifest.with_name(data["database_file"])
    with database_file.open("r+b") as f:
        f.seek(200)
        f.write(b"\x00garbage\x00")
    later = actions.create_direct(
        SystemActor("test"), Enterprise(name="备份后新建企业", region=world.regions["140581"])
    )
    before = _census()
    with pytest.raises(CommandError, match="checksum|校验和"):
        call_command("restore", str(manifest), force=True, stdout=io.StringIO())
    assert _census() == before
    assert Enterprise.objects.filter(pk=later.pk).exists()


def test_restore_takes_any_file_of_the_backup_and_names_a_missing_manifest(world, fresh_database, tmp_path):
    manifest = _backup()
    database_file = manifest.with_name(json.loads(manifest.read_text())["database_file"])
    call_command("restore", str(database_file), database=fresh_database, stdout=io.StringIO())
    assert AuditEntry.objects.using(fresh_database).order_by("-id").first().action == AuditAction.RESTORE
    with pytest.raises(CommandError, match="nothing.json"):
        call_command("restore", str(tmp_path / "nothing.json"), stdout=io.StringIO())
