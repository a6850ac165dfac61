"""An import's rows are searchable when it commits and never half-indexed, every import attempt is
audited, and uploaded files are deleted (audited) after their retention period."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from chainboard import audit, importlog, imports, search
from chainboard.models import AuditEntry, ImportJob
from chainboard.tests.test_imports import HEADER, check, csv_bytes, job_of, upload, uscc
from enterprises.models import Enterprise
from enterprises.views import EnterpriseViewSet

pytestmark = pytest.mark.django_db

NAMES = ["晋城锦绣丝绸有限公司", "高平织锦服饰有限公司", "阳城绣球纺织有限公司"]


class Killed(Exception):
    pass


def import_rows(user, monkeypatch, *, kill_after_batches: int | None = None):
    rows = [HEADER] + [
        [str(i), name, uscc(i), "140581", "丝麻纺织服装产业链"] for i, name in enumerate(NAMES, 1)
    ]
    spec = imports.Spec(EnterpriseViewSet, user)
    header_row, headers = imports.find_header(rows, spec)
    mapping = imports.auto_mapping(spec, headers)
    if kill_after_batches is not None:
        monkeypatch.setattr(imports.writing, "BATCH", 1)  # one index batch per two rows: 2 batches for 3 rows
        real, batches = search.index_many, []

        def index_many(model, instances, *, fresh):
            if instances:
                if len(batches) == kill_after_batches:
                    raise Killed  # the process dies while indexing, inside the import's transaction
                batches.append(instances)
            return real(model, instances, fresh=fresh)

        monkeypatch.setattr(search, "index_many", index_many)
    with audit.operation(user=user, source=audit.Source.IMPORT, label="import:test") as op:
        importer = imports.Importer(EnterpriseViewSet, user, rows, header_row, mapping, headers=headers)
        if kill_after_batches is None:
            assert importer.run(commit=True).ok
        else:
            with pytest.raises(Killed):
                importer.run(commit=True)
    monkeypatch.undo()
    return op


def unfindable() -> list[str]:
    return [n for n in NAMES if not Enterprise.objects.filter(search.matches(Enterprise, n[2:6])).exists()]


def test_an_import_interrupted_while_indexing_leaves_no_row_unindexed(world, monkeypatch):
    import_rows(world.users["office"], monkeypatch, kill_after_batches=1)
    # The index is written in the rows' transaction: the rows went with it, none is left unfindable.
    assert not Enterprise.objects.filter(name__in=NAMES).exists()


def test_a_completed_import_is_searchable_at_once(world, monkeypatch):
    import_rows(world.users["office"], monkeypatch)
    assert unfindable() == []
    assert Enterprise.objects.filter(search.matches(Enterprise, "gpzj")).count() == 1  # pinyin initials


# ---- attempts ----------------------------------------------------------------------------------------


def attempts(job=None):
    rows = AuditEntry.objects.filter(content_type__model="importjob").order_by("id")
    return rows.filter(object_id=str(job.pk)) if job is not None else rows


def test_a_file_refused_at_upload_is_audited_and_kept(client, world):
    client.force_login(world.users["office"])
    response = upload(client, "企业.xlsx", b"this is not a workbook at all")
    assert response.status_code == 400
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.user == world.users["office"] and job.file
    (entry,) = attempts(job)
    assert entry.action == "create" and entry.user_name == "office"
    assert entry.after["file_name"] == "企业.xlsx" and entry.after["status"] == "failed"
    assert entry.after["message"] == job.message and job.message  # what the user was told, kept
    page = client.get(reverse("enterprises:enterprise_import_job", args=[job.pk]))
    assert page.status_code == 200 and job.message in page.content.decode()
    assert "企业.xlsx" in client.get(reverse("enterprises:enterprise_import")).content.decode()  # listed


def test_a_check_that_finds_bad_rows_is_audited_with_why(client, world):
    client.force_login(world.users["office"])
    rows = [HEADER, ["1", "晋城锦绣丝绸有限公司", "123", "140581", "丝麻纺织服装产业链"]]
    job = job_of(upload(client, "企业.csv", csv_bytes(rows)))
    job = check(client, job)
    assert job.status == "invalid"
    uploaded, checked = attempts(job)
    assert uploaded.action == "create" and uploaded.after["status"] == "uploaded"
    assert checked.action == "transition" and checked.user_name == "office"
    assert checked.before == {"status": "checking"} and checked.after["status"] == "invalid"
    assert checked.after["errors"] == 1 and "统一社会信用代码" in checked.after["problems"][0]


def test_a_command_line_import_is_audited_refused_or_done(world, tmp_path):
    path = tmp_path / "企业.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="企业.csv"):
        call_command("import_file", "enterprises", str(path), "--user", "office")
    path.write_bytes(csv_bytes([HEADER, ["1", NAMES[0], uscc(1), "140581", "丝麻纺织服装产业链"]]))
    call_command("import_file", "enterprises", str(path), "--user", "office")
    refused, done = attempts()
    assert refused.object_repr == "企业.csv" and refused.after["status"] == "failed"
    assert done.after["status"] == "done" and done.after["created"] == 1 and done.user_name == "office"


# ---- retention ---------------------------------------------------------------------------------------


def test_uploaded_files_are_deleted_after_the_retention_period_each_deletion_audited(client, world, settings):
    client.force_login(world.users["office"])
    rows = [HEADER, ["1", NAMES[0], uscc(1), "140581", "丝麻纺织服装产业链"]]
    old = job_of(upload(client, "旧.csv", csv_bytes(rows)))
    young = job_of(upload(client, "新.csv", csv_bytes(rows)))
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    storage, old_name = old.file.storage, old.file.name
    assert storage.exists(old_name)

    assert importlog.purge_expired() == 1  # CHAINBOARD_IMPORT_RETENTION_DAYS: 30 by default

    old.refresh_from_db()
    assert not old.file and not storage.exists(old_name) and old.file_name == "旧.csv"
    (purge,) = attempts(old).filter(action="purge")
    assert purge.before == {"file": old_name} and purge.after["file"] is None
    assert storage.exists(young.file.name)
    assert importlog.purge_expired() == 0  # nothing twice

    call_command("purge_imports", "--days", "0")  # on demand
    young.refresh_from_db()
    assert not young.file and attempts(young).filter(action="purge", source="command").exists()
