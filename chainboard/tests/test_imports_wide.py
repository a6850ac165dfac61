"""Wide ledgers: one enterprise file fills the enterprise and its indicators, above-size status, contact
and products in one import (chainboard/imports/related.py, docs/imports.md)."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import ROLE_PERMISSIONS, Role
from chainboard import audit, imports
from chainboard.imports.related import FilePeriod, RelatedSpec, parse_period
from chainboard.models import AuditEntry, ImportJob
from chainboard.tests.test_imports import commit, job_of, upload, uscc, xlsx_bytes
from enterprises.models import AboveSizeStatus, Contact, Enterprise, Indicator, Product
from enterprises.views import EnterpriseViewSet

pytestmark = pytest.mark.django_db

WIDE = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所在县区",
    "产业链",
    "产值（万元）",
    "规上",
    "联系人",
    "电话",
    "主要产品",
    "备注",
]
CHAIN = "丝麻纺织服装产业链"


def wide_rows(
    count: int = 2, *, output: str = "92", above: str = "是", phone: str = "0356-1234567", products=None
):
    rows = [WIDE]
    for n in range(1, count + 1):
        rows.append(
            [
                str(n),
                f"宽表企业{n}",
                uscc(900 + n),
                "140581",
                CHAIN,
                output,
                above,
                f"联系人{n}",
                phone,
                products or "丝绸、真丝围巾",
                "县里备注",
            ]
        )
    return rows


def job_url(job) -> str:
    return reverse("enterprises:enterprise_import_job", args=[job.pk])


def check_wide(client, job, period=("year", "2025", ""), status_year="", mapping=None):
    data = {"action": "check", "period_type": period[0], "period_year": period[1], "period_month": period[2]}
    data["status_year"] = status_year
    for index, field in (mapping if mapping is not None else job.mapping).items():
        data[f"column-{index}"] = field
    response = client.post(job_url(job), data)
    job.refresh_from_db()
    return response, job


def run(world, rows, username="office", period="annual:2025", commit=True):
    user = world.users[username]
    spec = imports.Spec(EnterpriseViewSet, user)
    related = RelatedSpec(EnterpriseViewSet, user)
    mapping = related.default_mapping(rows[0], imports.auto_mapping(spec, rows[0]))
    with audit.operation(user=user, source=audit.Source.IMPORT, label="import:wide") as op:
        importer = imports.Importer(EnterpriseViewSet, user, rows, 0, mapping, period=parse_period(period))
        return importer.run(commit=commit), op.id


def test_a_wide_ledger_fills_the_enterprise_and_four_related_entities(client, world):
    client.force_login(world.users["office"])
    page = client.get(reverse("enterprises:enterprise_import")).content.decode()
    assert "经济指标·产值" in page and "联系人·电话" in page  # the upload page lists what a ledger may carry
    job = job_of(upload(client, "宽表.xlsx", xlsx_bytes(wide_rows(2), title="2025年丝绸企业台账")))
    assert job.mapping == {
        "1": "name",
        "2": "uscc",
        "3": "region",
        "4": "chains",
        "5": "indicator.output_value",
        "6": "abovesizestatus.is_above_size",
        "7": "contact.name",
        "8": "contact.phone",
        "9": "product.name",
    }
    page = client.get(job_url(job)).content.decode()
    assert 'name="period_year"' in page and 'value="indicator.output_value" selected' in page
    _response, job = check_wide(client, job)
    assert job.status == "ready", job.errors
    assert job.options["year"] == 2025
    assert job.related_counts["indicator"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert job.related_counts["product"]["created"] == 4
    assert not Indicator.objects.filter(year=2025).exists()  # the check is a dry run
    page = client.get(job_url(job)).content.decode()
    assert "产值（万元）" in page and "→ 经济指标·产值（2025年度）" in page
    assert "→ 规上企业认定·规上（2025年）" in page and "→ 联系人·电话" in page
    assert "92万元" in page  # the preview shows the figure as it will be saved
    job = commit(client, job)
    assert job.status == "done", job.message
    enterprise = Enterprise.objects.get(uscc=uscc(901))
    indicator = Indicator.objects.get(enterprise=enterprise)
    assert (indicator.period_type, indicator.year, indicator.month) == ("year", 2025, None)
    assert indicator.output_value == Decimal("920000.00")
    assert AboveSizeStatus.objects.get(enterprise=enterprise).year == 2025
    assert AboveSizeStatus.objects.get(enterprise=enterprise).is_above_size is True
    contact = Contact.objects.get(enterprise=enterprise)
    assert (contact.name, contact.phone) == ("联系人1", "0356-1234567")
    assert set(enterprise.products.values_list("name", flat=True)) == {"真丝围巾", "丝绸"}
    # One operation for everything the file wrote, each related row naming its enterprise.
    entries = AuditEntry.objects.filter(operation_id=job.operation_id)
    kinds = {
        model: entries.filter(content_type__model=model).count()
        for model in ("enterprise", "membership", "indicator", "abovesizestatus", "contact", "product")
    }
    assert kinds == {
        "enterprise": 2,
        "membership": 2,
        "indicator": 2,
        "abovesizestatus": 2,
        "contact": 2,
        "product": 4,
    }
    assert set(entries.filter(content_type__model="product").values_list("parent_object_id", flat=True)) == {
        str(e.pk) for e in Enterprise.objects.filter(name__startswith="宽表企业")
    }
    assert (
        AuditEntry.objects.filter(content_type__model="indicator", object_id=str(indicator.pk)).count() == 1
    )


def test_the_preview_lists_ignored_columns_and_a_column_can_be_ignored(client, world):
    client.force_login(world.users["office"])
    job = job_of(upload(client, "宽表.xlsx", xlsx_bytes(wide_rows(1))))
    mapping = {**job.mapping, "8": ""}  # 电话 → ignore
    _response, job = check_wide(client, job, mapping=mapping)
    assert job.status == "ready", job.errors
    page = client.get(job_url(job)).content.decode()
    assert "忽略的列（不导入）：" in page
    ignored = page.split('id="import-ignored"', 1)[1].split("</div>", 1)[0]
    assert "备注" in ignored and "电话" in ignored and "序号" in ignored
    commit(client, job)
    assert Contact.objects.get(name="联系人1").phone == ""
    # The choice is remembered for the next file with the same headers, "ignore" included.
    again = job_of(upload(client, "宽表2.xlsx", xlsx_bytes(wide_rows(1))))
    assert "8" not in again.mapping and again.mapping["5"] == "indicator.output_value"


def test_reimporting_the_same_ledger_updates_rather_than_duplicates(world):
    outcome, _op = run(world, wide_rows(2))
    assert outcome.ok, outcome.errors
    again, _op = run(world, wide_rows(2))
    assert again.ok and again.unchanged == 2
    assert again.related["indicator"] == {"created": 0, "updated": 0, "unchanged": 2}
    changed, _op = run(
        world, wide_rows(2, output="1,200", above="否", phone="13900000000", products="丝绸、领带")
    )
    assert changed.ok, changed.errors
    assert changed.related == {
        "indicator": {"created": 0, "updated": 2, "unchanged": 0},
        "abovesizestatus": {"created": 0, "updated": 2, "unchanged": 0},
        "contact": {"created": 0, "updated": 2, "unchanged": 0},
        "product": {"created": 2, "updated": 0, "unchanged": 2},
    }
    enterprise = Enterprise.objects.get(uscc=uscc(901))
    assert Indicator.objects.get(enterprise=enterprise).output_value == Decimal("12000000.00")
    assert AboveSizeStatus.objects.get(enterprise=enterprise).is_above_size is False
    assert Contact.objects.get(enterprise=enterprise).phone == "13900000000"
    # Products one per name; the one the new file no longer lists is kept.
    assert set(enterprise.products.values_list("name", flat=True)) == {"真丝围巾", "丝绸", "领带"}
    # Another period is another indicator, not a change of this one.
    other, _op = run(world, wide_rows(2), period="month:2025-06")
    assert other.related["indicator"]["created"] == 2
    assert enterprise.indicators.count() == 2


def test_a_user_without_add_indicator_gets_an_error_naming_the_column(world, monkeypatch):
    office = {**ROLE_PERMISSIONS[Role.OFFICE], "enterprises.indicator": ("view",)}
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.OFFICE, office)
    outcome, _op = run(world, wide_rows(2))
    assert not outcome.ok
    [error] = outcome.errors
    assert (error.row, error.column) == (0, "产值（万元）")
    assert error.message.startswith("您无权新增经济指标")
    assert not Enterprise.objects.filter(name__startswith="宽表企业").exists()
    assert not Contact.objects.filter(name="联系人1").exists()


def test_a_bad_value_in_a_related_column_names_row_and_column_and_writes_nothing(world):
    rows = wide_rows(3)
    rows[2][5] = "九十二"  # 产值 of the second enterprise
    rows[3][6] = "也许"  # 规上 of the third
    outcome, _op = run(world, rows)
    assert {(e.row, e.column) for e in outcome.errors} == {(3, "产值（万元）"), (4, "规上")}
    assert any("九十二" == e.value for e in outcome.errors)
    assert not Enterprise.objects.filter(name__startswith="宽表企业").exists()
    assert not Product.objects.filter(name="真丝围巾").exists()


def test_indicator_columns_need_a_period(client, world):
    client.force_login(world.users["office"])
    job = job_of(upload(client, "宽表.xlsx", xlsx_bytes(wide_rows(1))))
    response, job = check_wide(client, job, period=("year", "", ""))
    assert response.status_code == 400 and job.status == "uploaded"
    assert "1949" in response.content.decode()
    response, job = check_wide(client, job, period=("month", "2025", "1"))
    assert response.status_code == 400 and "1–2月" in response.content.decode()


def test_the_command_prints_each_columns_destination_and_the_ignored_ones(world, tmp_path):
    path = tmp_path / "宽表.xlsx"
    path.write_bytes(xlsx_bytes(wide_rows(2)))
    with pytest.raises(CommandError, match="annual:2025"):
        call_command("import_file", "enterprises", str(path), user="office", period="2025")
    out = io.StringIO()
    call_command("import_file", "enterprises", str(path), user="office", period="annual:2025", stdout=out)
    text = out.getvalue()
    assert "产值（万元） → 经济指标·产值（2025年度）" in text
    assert "忽略的列：序号、备注" in text
    assert Indicator.objects.filter(year=2025, enterprise__uscc=uscc(902)).exists()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_file", "enterprises", str(path), user="office", stdout=io.StringIO(), stderr=err)
    assert "产值（万元）" in err.getvalue()  # no period: the error names the column


def test_the_query_count_does_not_grow_with_the_rows(world):
    def queries(count: int, start: int) -> int:
        rows = wide_rows(count)
        for n, row in enumerate(rows[1:], start):
            row[1], row[2] = f"宽表企业{n}", uscc(n)
        with CaptureQueriesContext(connection) as captured:
            outcome, _op = run(world, rows)
        assert outcome.ok, outcome.errors
        return len(captured)

    queries(3, 4000)  # content types and other caches warmed
    assert queries(40, 2000) == queries(5, 3000)


def test_a_file_period_reads_as_the_command_line_writes_it():
    assert parse_period("annual:2025") == FilePeriod("year", 2025, None)
    assert parse_period("month:2025-03", 2024) == FilePeriod("month", 2025, 3, 2024)
    assert parse_period("ytd:2025-06").fixed(Indicator_related()) == {
        "period_type": "ytd",
        "year": 2025,
        "month": 6,
    }


def Indicator_related():  # noqa: N802 - reads as the declaration it returns
    return next(r for r in EnterpriseViewSet.import_related if r.model is Indicator)


def test_a_job_remembers_its_period(client, world):
    client.force_login(world.users["office"])
    job = job_of(upload(client, "宽表.xlsx", xlsx_bytes(wide_rows(1))))
    check_wide(client, job, period=("ytd", "2025", "6"), status_year="2024")
    job = ImportJob.objects.get(pk=job.pk)
    assert job.options == {"period_type": "ytd", "year": 2025, "month": 6, "status_year": 2024}
    commit(client, job)
    assert Indicator.objects.get(enterprise__uscc=uscc(901)).period == "2025年1–6月累计"
    assert AboveSizeStatus.objects.get(enterprise__uscc=uscc(901)).year == 2024


def test_a_file_that_changes_only_related_records_can_be_imported(client, world):
    run(world, wide_rows(1))
    client.force_login(world.users["office"])
    job = job_of(upload(client, "宽表.xlsx", xlsx_bytes(wide_rows(1, output="100"))))
    _response, job = check_wide(client, job)
    assert (job.status, job.created_count, job.updated_count) == ("ready", 0, 0)
    assert job.related_counts["indicator"] == {"created": 0, "updated": 1, "unchanged": 0}
    page = client.get(job_url(job)).content.decode()
    assert "import-commit" in page and "经济指标：新增 0，修改 1，不变 0。" in page
    job = commit(client, job)
    assert job.status == "done", job.message
    assert Indicator.objects.get(enterprise__uscc=uscc(901), year=2025).output_value == Decimal("1000000.00")


def test_rows_checked_by_worker_processes_fill_the_same_related_records(world, settings):
    settings.IMPORT_PROCESSES = 2
    settings.IMPORT_PARALLEL_ROWS = 10
    rows = wide_rows(30)
    rows[7][5] = "九十二"
    outcome, _op = run(world, rows, commit=False)
    assert [(e.row, e.column) for e in outcome.errors] == [(8, "产值（万元）")]
    rows[7][5] = "92"
    outcome, _op = run(world, rows)
    assert outcome.ok, outcome.errors
    assert Indicator.objects.filter(year=2025, output_value=Decimal("920000.00")).count() == 30
    assert Product.objects.filter(enterprise__name__startswith="宽表企业").count() == 60


def test_the_import_template_carries_the_related_columns_and_they_map_back(client, world):
    client.force_login(world.users["office"])
    response = client.get(reverse("enterprises:enterprise_import_template", args=["xlsx"]))
    assert response.status_code == 200
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.content))
    headers = [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))]
    for header in ("产值（万元）", "规上", "联系人", "电话", "主要产品"):
        assert header in headers  # a clerk fills the enterprise and its records in one sheet
    instructions = " ".join(str(c.value) for row in book.worksheets[1].iter_rows() for c in row if c.value)
    assert "联系人" in instructions and "主要产品" in instructions
    # The template's own headers map back to the related fields when it is uploaded filled in.
    job = job_of(upload(client, "模板.xlsx", xlsx_bytes([headers])))
    mapped = {headers[int(index)]: field for index, field in job.mapping.items()}
    assert mapped["产值（万元）"] == "indicator.output_value"
    assert mapped["联系人"] == "contact.name" and mapped["电话"] == "contact.phone"
    assert mapped["主要产品"] == "product.name" and mapped["规上"] == "abovesizestatus.is_above_size"
