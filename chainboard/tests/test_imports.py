"""Imports through the web flow: upload, mapping, check, preview, import; formats, errors, scope, safety."""

import csv
import gc
import io
import zipfile
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import UniqueConstraint
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from chainboard import actions, imports
from chainboard.models import AuditEntry, ImportJob, ImportMapping
from enterprises.models import Enterprise, Indicator, Membership
from enterprises.uscc import check_character

pytestmark = pytest.mark.django_db

IMPORT = reverse("enterprises:enterprise_import")
HEADER = ["序号", "企业名称", "统一社会信用代码", "所在县区", "产业链"]


def uscc(serial: int, region: str = "140581") -> str:
    first = f"91{region}MA{serial:07d}"
    return first + check_character(first)


def csv_bytes(rows, encoding="utf-8", bom=False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, title=None, groups=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    if groups:
        sheet.append(groups)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xls_bytes(rows) -> bytes:
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("企业")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, int(value) if value.isdigit() and len(value) == 6 else value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, name, content, url=IMPORT):
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def job_of(response) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))


def check(client, job, mapping=None):
    url = reverse("enterprises:enterprise_import_job", args=[job.pk])
    data = {"action": "check"}
    for index, field in (mapping or job.mapping).items():
        data[f"column-{index}"] = field
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    job.refresh_from_db()
    return job


def commit(client, job):
    response = client.post(reverse("enterprises:enterprise_import_job", args=[job.pk]), {"action": "commit"})
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def good_rows():
    return [
        HEADER,
        ["1", "晋城锦绣丝绸有限公司", uscc(1), "140581", "丝麻纺织服装产业链"],
        ["2", "高平织锦服饰有限公司", uscc(2), "高平市", "丝麻纺织服装产业链"],
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("企业-utf8.csv", csv_bytes(good_rows())),
        ("企业-bom.csv", csv_bytes(good_rows(), bom=True)),
        ("企业-gb18030.csv", csv_bytes(good_rows(), encoding="gb18030")),
        ("企业.xlsx", xlsx_bytes(good_rows(), title="晋城市丝麻纺织企业名单（示例）")),
        ("企业.xls", xls_bytes(good_rows())),  # region codes as numbers, as Excel stores them
    ],
    ids=["utf8", "bom", "gb18030", "xlsx", "xls"],
)
def test_each_format_imports_through_check_preview_and_commit(client, world, name, content):
    client.force_login(world.users["office"])
    job = job_of(upload(client, name, content))
    assert job.mapping == {"1": "name", "2": "uscc", "3": "region", "4": "chains"}  # 序号 ignored
    page = client.get(reverse("enterprises:enterprise_import_job", args=[job.pk])).content.decode()
    assert "晋城锦绣丝绸有限公司" in page  # sample values beside the mapping
    job = check(client, job)
    assert job.status == "ready", job.errors
    assert (job.created_count, job.updated_count, job.error_count) == (2, 0, 0)
    assert not Enterprise.objects.filter(name="晋城锦绣丝绸有限公司").exists()  # the check is a dry run
    page = client.get(reverse("enterprises:enterprise_import_job", args=[job.pk])).content.decode()
    assert "高平织锦服饰有限公司" in page and "import-commit" in page
    job = commit(client, job)
    assert job.status == "done", job.message
    made = Enterprise.objects.get(uscc=uscc(2))
    assert made.name == "高平织锦服饰有限公司" and made.region_id == "140581"  # 高平市 by name
    assert list(made.chains.values_list("name", flat=True)) == ["丝麻纺织服装产业链"]
    entries = AuditEntry.objects.filter(operation_id=job.operation_id)
    kind = ContentType.objects.get_for_model(Enterprise)
    assert entries.filter(action="create", content_type=kind, object_id=str(made.pk)).count() == 1
    assert entries.filter(source="import").count() == entries.count() == 4  # 2 enterprises, 2 memberships
    # Searchable at once, by Chinese substring and by pinyin initials.
    listing = client.get(reverse("enterprises:enterprise_list") + "?q=织锦").content.decode()
    assert "高平织锦服饰有限公司" in listing
    listing = client.get(reverse("enterprises:enterprise_list") + "?q=gpzj").content.decode()
    assert "高平织锦服饰有限公司" in listing


def test_merged_two_row_header_and_units_are_read(client, world):
    """A group header over its columns (联系人 → 姓名) and 万元 in a header, as bureau sheets have."""
    client.force_login(world.users["office"])
    rows = [
        ["", "年份", "期间", "产值（万元）", "营业收入（亿元）"],
        ["景柏服饰", "2024", "年度", "92", "0.43"],
    ]
    url = reverse("enterprises:indicator_import")
    response = upload(
        client, "指标.xlsx", xlsx_bytes(rows, groups=["企业名称", "统计期", "", "主要指标", ""]), url=url
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    job = ImportJob.objects.latest("pk")
    assert job.mapping == {
        "0": "enterprise",
        "1": "year",
        "2": "period_type",
        "3": "output_value",
        "4": "revenue",
    }
    response = client.post(
        reverse("enterprises:indicator_import_job", args=[job.pk]),
        {"action": "check", **{f"column-{k}": v for k, v in job.mapping.items()}},
    )
    job.refresh_from_db()
    assert job.status == "ready", job.errors
    client.post(reverse("enterprises:indicator_import_job", args=[job.pk]), {"action": "commit"})
    job.refresh_from_db()
    assert job.status == "done", job.message
    made = Indicator.objects.get(enterprise=world.enterprises["jingbai"], year=2024)
    assert made.output_value == Decimal("920000.00")  # 92万元
    assert made.revenue == Decimal("43000000.00")  # 0.43亿元


def test_bad_rows_are_named_by_row_and_field_and_nothing_is_written(client, world):
    client.force_login(world.users["office"])
    rows = [
        HEADER,
        ["1", "好企业", uscc(3), "140581", "丝麻纺织服装产业链"],
        ["2", "", uscc(4), "140581", "丝麻纺织服装产业链"],  # no name
        ["3", "坏代码企业", "91140581MA0000000X", "140581", "丝麻纺织服装产业链"],  # check character
        ["4", "无此地区企业", uscc(5), "999999", "丝麻纺织服装产业链"],
        ["5", "重复代码企业", uscc(3), "140581", "丝麻纺织服装产业链"],  # same USCC as row 2
    ]
    job = check(client, job_of(upload(client, "坏.csv", csv_bytes(rows))))
    assert job.status == "invalid"
    found = {(e["row"], e["column"]) for e in job.errors}
    assert {(3, "企业名称"), (4, "统一社会信用代码"), (5, "所在县区"), (6, "统一社会信用代码")} <= found
    by_row = {e["row"]: e["message"] for e in job.errors}
    assert by_row[5] == "行政区划代码 999999 不存在。"
    assert by_row[6] == "与第2行的值重复。"  # the first row with that USCC
    assert not Enterprise.objects.filter(name="好企业").exists()
    page = client.get(reverse("enterprises:enterprise_import_job", args=[job.pk])).content.decode()
    assert "import-commit" not in page  # nothing to import until the file is fixed
    response = client.get(reverse("enterprises:enterprise_import_job", args=[job.pk]) + "?errors=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "无此地区企业" not in text and "999999" in text
    # Trying to commit anyway is refused.
    commit(client, job)
    assert not Enterprise.objects.filter(name="好企业").exists()


def test_english_page_gets_english_messages(client, world):
    client.force_login(world.users["office"])
    client.cookies["django_language"] = "en"
    rows = [HEADER, ["1", "X公司", uscc(6), "999999", "丝麻纺织服装产业链"]]
    job = check(client, job_of(upload(client, "bad.csv", csv_bytes(rows))))
    assert job.errors[0]["message"] == "Unknown region code 999999."


def test_a_key_column_updates_only_the_filled_cells(client, world):
    enterprise = world.enterprises["luanfu"]
    actions.save_fields(world.users["office"], enterprise, uscc=uscc(7), address="高平市原地址")
    enterprise.refresh_from_db()
    version = enterprise.version
    client.force_login(world.users["office"])
    rows = [["统一社会信用代码", "简称", "地址"], [uscc(7).lower(), "潞绸", ""]]
    job = check(client, job_of(upload(client, "更新.csv", csv_bytes(rows))))
    assert (job.status, job.created_count, job.updated_count) == ("ready", 0, 1), job.errors
    job = commit(client, job)
    enterprise.refresh_from_db()
    assert enterprise.short_name == "潞绸"
    assert enterprise.address == "高平市原地址"  # blank cell: unchanged
    assert enterprise.name == "潞安府潞绸"  # unmapped: unchanged
    assert enterprise.version == version + 1
    entry = AuditEntry.objects.get(
        operation_id=job.operation_id, object_id=str(enterprise.pk), action="update"
    )
    assert entry.before["short_name"] == "" and entry.after["short_name"] == "潞绸"
    assert Membership.objects.filter(enterprise=enterprise).count() == 1  # memberships untouched


def test_an_edit_between_check_and_import_stops_the_import(client, world):
    enterprise = world.enterprises["luanfu"]
    actions.save_fields(world.users["office"], enterprise, uscc=uscc(8))
    client.force_login(world.users["office"])
    rows = [["统一社会信用代码", "简称"], [uscc(8), "潞绸"]]
    job = check(client, job_of(upload(client, "更新.csv", csv_bytes(rows))))
    assert job.status == "ready"
    enterprise.refresh_from_db()
    actions.save_fields(world.users["county"], enterprise, short_name="别人改的")
    job = commit(client, job)
    assert job.status == "failed"
    assert job.errors[0]["row"] == 2 and "别人改的" in job.errors[0]["message"]  # named as it is now
    enterprise.refresh_from_db()
    assert enterprise.short_name == "别人改的"


def test_an_out_of_scope_row_rolls_the_whole_import_back(client, world):
    """The county user (高平市) may add enterprises in 高平市 only: one 泽州县 row stops all."""
    client.force_login(world.users["county"])
    rows = [
        ["企业名称", "所在县区"],
        ["高平新企业甲", "140581"],
        ["泽州新企业乙", "140525"],
        ["高平新企业丙", "140581101"],
    ]
    job = check(client, job_of(upload(client, "县.csv", csv_bytes(rows))))
    assert job.status == "invalid"
    assert [e["row"] for e in job.errors] == [3]
    assert not Enterprise.objects.filter(name__contains="新企业").exists()
    # Without the bad row it goes through.
    del rows[2]
    job = commit(client, check(client, job_of(upload(client, "县.csv", csv_bytes(rows)))))
    assert job.status == "done"
    assert Enterprise.objects.filter(name__contains="新企业").count() == 2


def test_updating_a_record_outside_scope_is_refused(client, world):
    other = world.enterprises["jingbai"]  # 泽州县: outside the county user's 高平市
    actions.save_fields(world.users["office"], other, uscc=uscc(9, "140525"))
    client.force_login(world.users["county"])
    rows = [["统一社会信用代码", "企业名称", "所在县区"], [uscc(9, "140525"), "改名", "140581"]]
    job = check(client, job_of(upload(client, "越权.csv", csv_bytes(rows))))
    assert job.status == "invalid"
    other.refresh_from_db()
    assert other.name == "景柏服饰"


def test_an_interrupted_import_leaves_nothing_behind(client, world, monkeypatch):
    client.force_login(world.users["office"])
    job = check(client, job_of(upload(client, "中断.csv", csv_bytes(good_rows()))))
    assert job.status == "ready"
    records = AuditEntry.objects.exclude(content_type__model="importjob")  # not the attempt's own trace
    enterprises, audits = Enterprise.objects.count(), records.count()
    members = Membership.objects.count()

    def crash(self, *args, **kwargs):
        raise RuntimeError("worker lost")

    # The enterprises are written, then the process dies while writing the memberships.
    monkeypatch.setattr(imports.Importer, "_write_related", crash)
    job = commit(client, job)
    assert job.status == "failed"
    assert "nothing was written" in job.message or "未写入" in job.message
    assert Enterprise.objects.count() == enterprises
    assert Membership.objects.count() == members
    assert records.count() == audits


def test_mapping_is_remembered_per_entity(client, world):
    client.force_login(world.users["office"])
    rows = [["单位全称", "区划"], ["记忆企业", "140581"]]
    job = job_of(upload(client, "记忆.csv", csv_bytes(rows)))
    assert job.mapping == {}  # neither title is known
    response = client.post(
        reverse("enterprises:enterprise_import_job", args=[job.pk]), {"action": "check", "column-0": "name"}
    )
    assert response.status_code == 400  # region is required and has no column
    assert "行政区划" in response.content.decode() or "region" in response.content.decode()
    check(client, job, {"0": "name", "1": "region"})
    remembered = ImportMapping.objects.get(
        user=world.users["office"], content_type=ContentType.objects.get_for_model(Enterprise)
    )
    assert remembered.columns == {"单位全称": "name", "区划": "region"}
    again = job_of(upload(client, "记忆2.csv", csv_bytes(rows)))
    assert again.mapping == {"0": "name", "1": "region"}


def test_templates_list_every_column_and_read_back(client, world):
    client.force_login(world.users["office"])
    response = client.get(reverse("enterprises:enterprise_import_template", args=["xlsx"]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    headers = [c.value for c in workbook.worksheets[0][1]]
    assert "名称*" in headers and "统一社会信用代码" in headers and "行政区划*" in headers
    assert len(workbook.worksheets) == 2  # the instructions sheet
    response = client.get(reverse("enterprises:enterprise_import_template", args=["csv"]))
    assert response.content.startswith("\ufeff".encode())
    assert "filename*=utf-8''" in response["Content-Disposition"]


def test_every_entity_with_a_form_imports_its_own_template(world):
    """Every ViewSet with a form: the template's headers map back onto every one of its columns."""
    from chainboard.tests.test_scope_matrix import registered_viewsets

    user = world.users["office"]
    count = 0
    for viewset in registered_viewsets():
        if viewset.form_class is None:
            continue
        spec = imports.Spec(viewset, user)
        headers = spec.template_headers()
        header_row, found = imports.find_header([["标题"], headers], spec)
        assert header_row == 1
        mapping = imports.auto_mapping(spec, found)
        assert sorted(mapping.values()) == sorted(spec.columns), viewset
        count += 1
    assert count >= 15


@pytest.mark.parametrize("role", ["auditor", "enterprise", "outsider", "investment"])
def test_roles_that_may_not_add_get_no_import(client, world, role):
    client.force_login(world.users[role])
    assert client.get(IMPORT).status_code == 403
    response = upload(client, "x.csv", csv_bytes(good_rows()))
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_someone_elses_import_is_not_found(client, world):
    client.force_login(world.users["office"])
    job = job_of(upload(client, "我的.csv", csv_bytes(good_rows())))
    client.force_login(world.users["county"])  # may import enterprises too, but not see this job
    assert client.get(reverse("enterprises:enterprise_import_job", args=[job.pk])).status_code == 404


def _zip_with(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_files_are_refused_before_parsing(client, world, settings):
    client.force_login(world.users["office"])
    # XML entities (billion laughs) in a sheet part.
    good = xlsx_bytes(good_rows())
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    parts["xl/worksheets/sheet1.xml"] = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>' + parts["xl/worksheets/sheet1.xml"][38:]
    )
    response = upload(client, "实体.xlsx", _zip_with(parts))
    assert response.status_code == 400 and "XML" in response.content.decode()
    # Too many zip entries.
    settings.IMPORT_MAX_ZIP_ENTRIES = 5
    response = upload(client, "多.xlsx", good)
    assert response.status_code == 400
    settings.IMPORT_MAX_ZIP_ENTRIES = 1000
    # Too much uncompressed data.
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 1000
    response = upload(client, "炸弹.xlsx", good)
    assert response.status_code == 400 and "MB" in response.content.decode()
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
    # Too large.
    settings.IMPORT_MAX_BYTES = 100
    response = upload(client, "大.csv", csv_bytes(good_rows() * 10))
    assert response.status_code == 400 and "MB" in response.content.decode()
    settings.IMPORT_MAX_BYTES = 50 * 1024 * 1024
    # A type that is not a table (a workbook renamed .csv is read as one: test_reading.py).
    assert upload(client, "x.pdf", b"%PDF-1.4").status_code == 400
    # Nothing went further than the upload: each refusal is a failed attempt on record (importlog).
    assert set(ImportJob.objects.values_list("status", flat=True)) == {"failed"}


def test_the_command_imports_a_file(world, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "命令.csv"
    path.write_bytes(csv_bytes(good_rows()))
    out = io.StringIO()
    call_command("import_file", "enterprises", str(path), user="office", stdout=out)
    assert Enterprise.objects.filter(uscc=uscc(1)).exists()
    assert "2" in out.getvalue()


def test_model_rules_apply_to_imported_rows(client, world):
    """The model's own rules run too: a longitude without a latitude is refused, naming the row."""
    client.force_login(world.users["office"])
    rows = [["企业名称", "所在县区", "经度"], ["坐标企业", "140581", "112.9"]]
    job = check(client, job_of(upload(client, "坐标.csv", csv_bytes(rows))))
    assert job.status == "invalid"
    assert [(e["row"], e["field"]) for e in job.errors] == [(2, "纬度")]


def test_an_import_whose_worker_died_is_shown_as_stopped(client, world, settings):
    """A job left 'importing' by a killed worker is not stuck forever: after IMPORT_STALL_SECONDS
    without progress its page says it stopped and nothing was written, and it can be checked again."""
    import datetime as dt

    from django.utils import timezone

    client.force_login(world.users["office"])
    job = check(client, job_of(upload(client, "停.csv", csv_bytes(good_rows()))))
    ImportJob.objects.filter(pk=job.pk).update(status="writing")  # as a killed worker leaves it
    url = reverse("enterprises:enterprise_import_job", args=[job.pk])
    assert client.get(url).context["job"].status == "writing"  # still within the stall time
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    page = client.get(url)
    assert page.context["job"].status == "failed"
    assert not Enterprise.objects.filter(uscc=uscc(1)).exists()
    job = check(client, ImportJob.objects.get(pk=job.pk))  # and it can be checked again
    assert job.status == "ready"


def test_a_value_one_record_holds_is_not_offered_to_another_row(client, world):
    """景柏服饰 is also on 其他产业链, which the silk office may not see: updating it keeps that chain,
    but a new row in the same file cannot pick 其他产业链 by naming it."""
    jingbai = world.enterprises["jingbai"]
    actions.save_fields(world.users["office"], jingbai, uscc=uscc(11, "140525"))
    other = world.chains["other"]
    Membership.objects.create(enterprise=jingbai, chain=other)
    client.force_login(world.users["office"])
    rows = [
        ["统一社会信用代码", "企业名称", "所在县区", "产业链"],
        [uscc(11, "140525"), "景柏服饰", "140525", f"丝麻纺织服装产业链、{other.pk}"],
        ["", "借道企业", "140581", f"丝麻纺织服装产业链、{other.pk}"],
    ]
    job = check(client, job_of(upload(client, "借道.csv", csv_bytes(rows))))
    assert job.status == "invalid"
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "产业链")]


def test_row_validator_agrees_with_the_form(world):
    """The import's row validator (one form re-bound per row, relation columns resolved from the file's
    lookups, uniqueness left to the bulk check) gives, for every entity, the same errors, cleaned values
    and instance as the entity's form as the web page builds it for each submission."""
    import random

    from chainboard.tests.test_scope_matrix import registered_viewsets

    rng = random.Random(5)
    user = world.users["office"]
    samples = [
        "",
        "x" * 300,
        "abc",
        "-5",
        "0",
        "12.5",
        "2024-01-01",
        "2024-13-40",
        "true",
        "91140581MA0000001X",
    ]

    def outcome(form, model, related):
        # Uniqueness is the importer's bulk check, not the row's. A relation the lookup refuses says so
        # in its own words (naming the value): compared by field.
        unique = {
            str(c.get_violation_error_message())
            for c in model._meta.constraints
            if isinstance(c, UniqueConstraint)
        }
        errors = {
            name: [
                e.message % (e.params or {}) if name not in related else "refused"
                for e in found
                if e.code not in ("unique", "unique_together") and str(e.message) not in unique
            ]
            for name, found in form.errors.as_data().items()
        }
        instance = {
            f.attname: getattr(form.instance, f.attname)
            for f in model._meta.concrete_fields
            if not callable(f.default)  # a time of creation differs between any two instances
        }
        cleaned = {
            k: sorted(o.pk for o in v) if hasattr(v, "all") or isinstance(v, list) else v
            for k, v in form.cleaned_data.items()
        }
        return {k: v for k, v in errors.items() if v}, repr(cleaned), repr(instance)

    compared = failed = passed = 0
    for viewset in registered_viewsets():
        if viewset.form_class is None:
            continue
        spec = imports.Spec(viewset, user)
        lookups = {}
        values = {}
        for name, column in spec.columns.items():
            if column.related is not None and hasattr(column.form_field, "queryset"):
                first = column.form_field.queryset.first()
                values[name] = ["", "no-such-thing", str(first.pk) if first else ""]
                lookups[name] = imports._Lookup(column, set(values[name]))
            elif column.choices:
                values[name] = ["", "not-a-choice", *list(column.choices.values())[:2]]
            else:
                values[name] = samples
        validator = imports.RowValidator(spec, lookups)
        rng.seed(viewset.__name__)
        for _ in range(60):
            data = {}
            for name, choices in values.items():
                if name == "id" or rng.random() < 0.2:
                    continue
                value = rng.choice(choices)
                data[name] = [value] if spec.columns[name].many and value else value
            imported = outcome(validator.validate(data, viewset.model()), viewset.model, lookups)
            web = viewset.form_class(data=data, instance=viewset.model(), user=user)
            expected = outcome(web, viewset.model, lookups)
            assert imported == expected, (viewset, data)
            failed += bool(expected[0])
            passed += not expected[0]
        compared += 1
    assert compared >= 15
    assert failed > 50 and passed > 10, (failed, passed)  # both outcomes were compared, many times


def _mixed_file(world):
    """New rows, bad rows of every kind and updates (one of a record on a chain the user cannot see)."""
    jingbai = world.enterprises["jingbai"]
    actions.save_fields(world.users["office"], jingbai, uscc=uscc(11, "140525"))
    Membership.objects.create(enterprise=jingbai, chain=world.chains["other"])
    rows = [["企业名称", "统一社会信用代码", "所在县区", "产业链", "地址"]]
    for i in range(40):
        rows.append(
            [f"晋城分批企业{i}有限公司", uscc(100 + i), "140581", "丝麻纺织服装产业链", f"建设路{i}号"]
        )
    rows[5][0] = ""  # no name
    rows[9][1] = "91140581MA0000000X"  # a wrong check character
    rows[14][2] = "999999"  # no such region
    rows[20][1] = rows[3][1]  # the same USCC as an earlier row
    rows[27][3] = str(world.chains["other"].pk)  # a chain the user may not pick
    other = world.chains["other"].pk  # the record's own value: it may keep it, though no new row may pick it
    rows.append(
        ["景柏服饰（改）", uscc(11, "140525"), "140525", f"丝麻纺织服装产业链、{other}", "陵川县新址"]
    )
    return rows


def _outcome(world, rows, commit=False):
    from chainboard import audit
    from enterprises.views import EnterpriseViewSet

    user = world.users["office"]
    spec = imports.Spec(EnterpriseViewSet, user)
    header_row, headers = imports.find_header(rows, spec)
    mapping = imports.auto_mapping(spec, headers)
    seen = []
    with audit.operation(user=user, source=audit.Source.IMPORT, label="test"):
        importer = imports.Importer(
            EnterpriseViewSet,
            user,
            rows,
            header_row,
            mapping,
            headers=headers,
            progress=lambda d, t: seen.append(d),
        )
        outcome = importer.run(commit=commit)
    errors = [e.as_dict() for e in outcome.errors]
    return (errors, outcome.error_count, outcome.preview, outcome.created, outcome.updated), seen


def test_a_large_file_is_checked_by_worker_processes_with_the_same_outcome(world, settings, monkeypatch):
    rows = _mixed_file(world)
    settings.IMPORT_PROCESSES = 1
    alone, _ = _outcome(world, rows)
    errors, error_count, preview, created, updated = alone
    assert [(e["row"], e["column"]) for e in errors] == [  # listed by row, whichever step found them
        (6, "企业名称"),
        (10, "统一社会信用代码"),
        (15, "所在县区"),
        (21, "统一社会信用代码"),
        (28, "产业链"),
    ]
    assert (error_count, created, updated) == (5, 36, 1)

    parallel = []
    real = imports._parallel_check
    monkeypatch.setattr(imports.parallel, "_parallel_check", lambda *a: parallel.append(a[3]) or real(*a))
    settings.IMPORT_PROCESSES, settings.IMPORT_PARALLEL_ROWS = 2, 10
    monkeypatch.setattr(imports.parallel, "SHARE_ROWS", 5)
    shared, progress = _outcome(world, rows)
    assert parallel == [2]  # two worker processes checked the rows
    assert gc.get_freeze_count() == 0  # what the import froze is collectable again
    assert shared == alone  # the same errors, counts and preview
    assert progress == [6, 12, 18, 24, 30, 36, 41, 41]  # the bar moved share by share


@pytest.mark.parametrize("processes", [1, 2])
def test_rows_checked_by_workers_are_written_as_checked(world, settings, processes):
    settings.IMPORT_PROCESSES, settings.IMPORT_PARALLEL_ROWS = processes, 10
    rows = [r for r in _mixed_file(world) if r[0] and r[1] != "91140581MA0000000X"]
    rows = [r for r in rows if r[2] != "999999" and not r[3].isdigit()]  # the rows that fail, left out
    rows = [r for i, r in enumerate(rows) if i == 0 or r[1] not in {x[1] for x in rows[1:i]}]
    (errors, _count, _preview, created, updated), _ = _outcome(world, rows, commit=True)
    assert errors == [] and (created, updated) == (35, 1)
    made = Enterprise.objects.get(uscc=uscc(139))
    assert (made.name, made.region_id, made.address) == ("晋城分批企业39有限公司", "140581", "建设路39号")
    assert list(made.chains.values_list("name", flat=True)) == ["丝麻纺织服装产业链"]
    jingbai = Enterprise.objects.get(pk=world.enterprises["jingbai"].pk)
    assert (jingbai.name, jingbai.address) == ("景柏服饰（改）", "陵川县新址")
    # The chain the user cannot see stays, as the row names it (the record's current value).
    assert set(jingbai.chains.values_list("pk", flat=True)) == {
        world.chains["silk"].pk,
        world.chains["other"].pk,
    }
    entry = AuditEntry.objects.get(object_id=str(jingbai.pk), action="update", source="import")
    assert entry.before["name"] == "景柏服饰" and entry.after["name"] == "景柏服饰（改）"
    assert AuditEntry.objects.filter(source="import", action="create").count() == 35 * 2  # and memberships


def test_a_worker_that_would_query_the_database_leaves_its_rows_to_the_parent(world, settings, monkeypatch):
    """Workers share the parent's connection; a row whose check queries is checked by the parent."""
    rows = _mixed_file(world)
    settings.IMPORT_PROCESSES = 1
    alone, _ = _outcome(world, rows)
    real = imports.Importer._validate_row

    def querying(self, row, target, context):
        Enterprise.objects.filter(pk=0).exists()  # a form's clean that asks the database
        return real(self, row, target, context)

    monkeypatch.setattr(imports.Importer, "_validate_row", querying)
    settings.IMPORT_PROCESSES, settings.IMPORT_PARALLEL_ROWS = 2, 10
    shared, _ = _outcome(world, rows)
    assert shared == alone


def test_the_bulk_builder_makes_what_the_constructor_makes():
    """``bulkwrite.builder`` skips Model.__init__; every model's new instance must come out the same."""
    from django.apps import apps

    from chainboard import bulkwrite

    compared = 0
    for model in apps.get_models():
        if model._meta.abstract or model._meta.proxy:
            continue
        usual, built = model(), bulkwrite.builder(model)()
        for f in model._meta.concrete_fields:
            a, b = getattr(usual, f.attname), getattr(built, f.attname)
            if callable(f.default) and f.has_default():
                assert type(a) is type(b), (model, f.name)  # a fresh value each (a time, a new dict)
            else:
                assert a == b, (model, f.name)
        assert (built._state.adding, built._state.db) == (True, None)
        assert not built._state.fields_cache
        compared += 1
    assert compared > 20
    made = bulkwrite.builder(Enterprise)(name="甲", region_id="140581")
    assert (made.name, made.region_id, made.version) == ("甲", "140581", 1)
