"""Imports of ledgers as offices write them: county names, headers, phrases, scope defaults, values."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from chainboard import actions, imports
from chainboard.imports.regions import RegionLookup
from chainboard.imports.values import convert, parse_boolean, parse_date, parse_number, split_list
from chainboard.models import CityConfig
from chainboard.scope import SystemActor
from chainboard.tests.test_imports import check, commit, csv_bytes, job_of, upload, uscc
from enterprises.models import Contact, Enterprise, Indicator
from regions.models import Region

pytestmark = pytest.mark.django_db

REGION_HEADER = "所在县（市、区）"


@pytest.fixture
def city(world):
    """The deployment runs 晋城 (as `chainboard setup` records it), with 城区 in it and in two other
    cities, 阳城县, and 太原's 迎泽区 (a name found only outside the city); a user for 泽州县."""
    from accounts.models import Grant, User
    from accounts.roles import Role
    from chainboard.testing import PASSWORD

    def region(code, name, level, parent):
        full = f"{parent.full_name} {name}" if parent else name
        r = Region.objects.create(
            code=code, name=name, level=level, parent=parent, path=Region.path_for(code), full_name=full
        )
        world.regions[code] = r
        return r

    shanxi, jincheng = world.regions["140000"], world.regions["140500"]
    region("140502", "城区", 3, jincheng)
    region("140522", "阳城县", 3, jincheng)
    yangquan = region("140300", "阳泉市", 2, shanxi)
    region("140302", "城区", 3, yangquan)
    changzhi = region("140400", "长治市", 2, shanxi)
    region("140402", "城区", 3, changzhi)
    taiyuan = region("140100", "太原市", 2, shanxi)
    region("140106", "迎泽区", 3, taiyuan)
    actor = SystemActor("test")
    actions.create_direct(actor, CityConfig(region=jincheng, name="晋城市"))
    user = User(username="county_zezhou", full_name="county_zezhou")
    user.set_password(PASSWORD)
    actions.create_direct(actor, user)
    actions.create_direct(actor, Grant(user=user, role=Role.COUNTY, region=world.regions["140525"]))
    world.users["county_zezhou"] = user
    return world


def check_and_commit(client, url_name, name, rows):
    """Upload, check and import a file into another entity than the enterprise."""
    job = job_of(upload(client, name, csv_bytes(rows), url=reverse(f"enterprises:{url_name}_import")))
    page = reverse(f"enterprises:{url_name}_import_job", args=[job.pk])
    response = client.post(page, {"action": "check", **{f"column-{k}": v for k, v in job.mapping.items()}})
    assert response.status_code == 302, (
        job.mapping,
        response.content.decode().split("alert-danger")[-1][:300],
    )
    job.refresh_from_db()
    assert job.status == "ready", job.errors
    client.post(page, {"action": "commit"})
    job.refresh_from_db()
    assert job.status == "done", job.message
    return job


def region_column(world):
    from enterprises.views import EnterpriseViewSet

    return imports.Spec(EnterpriseViewSet, world.users["office"]).columns["region"]


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("泽州", "140525"),
        ("泽州县", "140525"),
        ("高平", "140581"),
        ("阳城", "140522"),
        ("晋城市城区", "140502"),
        ("晋城市高平市", "140581"),
        ("晋城高平", "140581"),
        ("山西省晋城市泽州县", "140525"),
        ("山西省 晋城市 泽州县", "140525"),
        ("山西泽州", "140525"),
        ("城区", "140502"),  # eight in China; the city's own comes first
        ("140581", "140581"),
        ("１４０５８１", "140581"),  # full-width digits
        ("高平市米山镇", "140581101"),
        ("迎泽区", "140106"),  # not in the city, but the only one of its name
        ("迎泽", "140106"),
        ("阳泉市城区", "140302"),  # another city's 城区, by its city
        ("山西省长治市城区", "140402"),
    ],
)
def test_county_names_resolve_in_every_form(city, written, code):
    lookup = RegionLookup(region_column(city), {written})
    assert lookup.resolve(written).pk == code


def test_a_name_outside_the_city_resolves_only_if_unique(city):
    from django.core.exceptions import ValidationError

    column = region_column(city)
    # Without the city known, 城区 is three divisions here: the error names them with their codes.
    lookup = RegionLookup(column, {"城区", "城", "不存在县"}, city_path="")
    with pytest.raises(ValidationError) as raised:
        lookup.resolve("城区")
    message = raised.value.messages[0]
    assert "3" in message and "140302" in message and "140402" in message and "140502" in message
    with pytest.raises(ValidationError):
        lookup.resolve("城")  # 城区 without 区 is no name
    with pytest.raises(ValidationError):
        lookup.resolve("不存在县")


def test_a_files_names_resolve_in_a_bounded_number_of_queries(city, django_assert_max_num_queries):
    column = region_column(city)
    values = {f"不存在{i}县" for i in range(1200)} | {"泽州", "城区", "迎泽", "140581"}
    with django_assert_max_num_queries(8):
        lookup = RegionLookup(column, values)
    assert lookup.resolve("泽州").pk == "140525" and lookup.resolve("迎泽").pk == "140106"


@pytest.mark.parametrize(
    "header",
    ["所在县（市、区）", "所在县区", "县（市、区）", "区县", "所属区域", "所在县(市,区)", "县 (市、区)"],
)
def test_county_headers_map_to_the_region(world, header):
    from enterprises.views import EnterpriseViewSet

    spec = imports.Spec(EnterpriseViewSet, world.users["office"])
    assert imports.auto_mapping(spec, ["企业名称", header]) == {"0": "name", "1": "region"}


def test_list_cells_split_outside_brackets_only():
    assert split_list("纺织（缫丝、织造、印染）") == ["纺织（缫丝、织造、印染）"]
    assert split_list("缫丝、织造；服装") == ["缫丝", "织造", "服装"]
    assert split_list("纺织(缫丝,织造)、服装（成衣、家纺）") == ["纺织(缫丝,织造)", "服装（成衣、家纺）"]


def test_a_phrase_column_is_one_error_and_errors_count_once_each(client, city):
    """Ten rows with a descriptive 环节 column and three bad codes: four errors, not forty."""
    client.force_login(city.users["office"])
    rows = [["企业名称", "统一社会信用代码", REGION_HEADER, "产业链", "产业链环节"]]
    for i in range(10):
        code = uscc(100 + i) if i >= 3 else f"91140581MA00000{i}0X"  # three bad check characters
        phrase = ["纺织（缫丝、织造、印染）", "服装（成衣、家纺）", "丝绸（织造、印染）"][i % 3]
        rows.append([f"锦绣{i}号丝绸有限公司", code, "高平", "丝麻纺织服装产业链", phrase])
    job = check(client, job_of(upload(client, "环节.csv", csv_bytes(rows))))
    assert job.status == "invalid"
    assert job.error_count == 4, [e["message"] for e in job.errors]
    column_errors = [e for e in job.errors if e["row"] == 0]
    assert len(column_errors) == 1 and column_errors[0]["column"] == "产业链环节"
    assert column_errors[0]["message"].startswith("此列的 3 个值中有 3 个找不到对应的环节")
    assert "纺织（缫丝、织造、印染）" in column_errors[0]["value"]  # one value: not split in its brackets
    assert sorted(e["row"] for e in job.errors if e["row"]) == [2, 3, 4]


def test_a_one_chain_user_gets_the_chain_defaulted_and_told(client, city):
    client.force_login(city.users["office"])
    rows = [["企业名称", REGION_HEADER], ["默认链企业", "泽州"], ["城区企业", "晋城市城区"]]
    job = check(client, job_of(upload(client, "无链.csv", csv_bytes(rows))))
    assert job.status == "ready", job.errors
    page = client.get(reverse("enterprises:enterprise_import_job", args=[job.pk])).content.decode()
    assert "产业链：未提供，按您的数据范围默认为 丝麻纺织服装产业链" in page
    job = commit(client, job)
    assert job.status == "done", job.message
    made = Enterprise.objects.get(name="城区企业")
    assert made.region_id == "140502"
    assert list(made.chains.values_list("name", flat=True)) == ["丝麻纺织服装产业链"]


def test_a_one_county_user_gets_rows_checked_against_the_county(client, city):
    client.force_login(city.users["county_zezhou"])
    rows = [["企业名称", REGION_HEADER], ["泽州企业", "泽州"], ["高平企业", "高平市"]]
    job = check(client, job_of(upload(client, "县.csv", csv_bytes(rows))))
    assert job.status == "invalid"
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
        (3, REGION_HEADER, "高平市 不在您的数据范围（泽州县）内")
    ]
    # Without a region column, the county is the default, said in the preview.
    job = check(client, job_of(upload(client, "县2.csv", csv_bytes([["企业名称"], ["无区划企业"]]))))
    assert job.status == "ready", job.errors
    page = client.get(reverse("enterprises:enterprise_import_job", args=[job.pk])).content.decode()
    assert "行政区划：未提供，按您的数据范围默认为 泽州县" in page


def test_the_command_line_defaults_and_checks_scope_too(city, tmp_path):
    path = tmp_path / "县.csv"
    path.write_bytes(csv_bytes([["企业名称", REGION_HEADER], ["高平企业", "高平"]]))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_file", "enterprises", str(path), user="county_zezhou", stderr=err)
    assert f"第2行 {REGION_HEADER}：高平市 不在您的数据范围（泽州县）内" in err.getvalue()
    path.write_bytes(csv_bytes([["企业名称", REGION_HEADER], ["命令行企业", "泽州"]]))
    out = io.StringIO()
    call_command("import_file", "enterprises", str(path), user="office", stdout=out)
    assert "产业链：未提供，按您的数据范围默认为 丝麻纺织服装产业链" in out.getvalue()
    assert Enterprise.objects.get(name="命令行企业").chains.get().name == "丝麻纺织服装产业链"


@pytest.mark.parametrize(
    ("text", "factor", "expected"),
    [
        ("1,234.5万元", 1, "12345000.00"),
        ("1.2亿", 1, "120000000.00"),
        ("３００万", 1, "3000000.00"),
        ("１，２３４．５", 10_000, "12345000.00"),  # full-width digits and comma, 万元 in the header
        ("92", 10_000, "920000.00"),
        ("0.43亿元", 10_000, "43000000.00"),  # the cell's unit wins over the header's
        ("—", 10_000, ""),
        ("约100", 1, "约100"),  # not a number: left for the form to name
    ],
)
def test_money_reads_units_separators_and_full_width_digits(text, factor, expected):
    assert parse_number(text, factor, money=True) == expected


def test_booleans_take_the_marks_offices_use():
    assert [parse_boolean(t) for t in ["是", "√", "✓", "Ｙ", "有"]] == ["true"] * 5
    assert [parse_boolean(t) for t in ["否", "×", "", "空", "无"]] == ["false"] * 5


def test_full_width_digits_import_as_numbers_codes_and_phones(client, city):
    client.force_login(city.users["office"])
    wide_code = uscc(7).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"})
    rows = [["企业名称", "统一社会信用代码", REGION_HEADER], ["全角企业", wide_code, "１４０５２５"]]
    job = commit(client, check(client, job_of(upload(client, "全角.csv", csv_bytes(rows)))))
    assert job.status == "done", job.errors or job.message
    made = Enterprise.objects.get(name="全角企业")
    assert (made.uscc, made.region_id) == (uscc(7), "140525")

    rows = [
        ["企业名称", "年份", "期间", "产值（万元）", "营业收入", "从业人员"],
        ["全角企业", "２０２４", "年度", "１，２３４．５", "1.2亿", "１２０"],
    ]
    check_and_commit(client, "indicator", "指标.csv", rows)
    figures = Indicator.objects.get(enterprise=made, year=2024)
    assert (figures.output_value, figures.revenue, figures.employees) == (12345000, 120000000, 120)

    rows = [["企业", "姓名", "电话"], ["全角企业", "张三", "＋８６　３５６　１２３４５６７"]]
    check_and_commit(client, "contact", "联系人.csv", rows)
    assert Contact.objects.get(enterprise=made).phone == "+86 356 1234567"  # kept as typed, normalised


def test_dates_as_offices_type_them():
    assert [parse_date(t) for t in ["2024年3月1日", "２０２４．３．１", "2024/03/01", "2024-3-1"]] == [
        "2024-03-01"
    ] * 4
    assert parse_date("三月初") == "三月初"  # not a date: left for the form to name


def test_a_phone_number_excel_turned_into_a_number_is_explained(world):
    from django.core.exceptions import ValidationError

    from enterprises.views import ContactViewSet

    phone = imports.Spec(ContactViewSet, world.users["office"]).columns["phone"]
    assert convert(phone, "0356 - 1234567 转 8") == "0356 - 1234567 转 8"  # kept as typed
    with pytest.raises(ValidationError, match="设置单元格格式"):
        convert(phone, "1.39123E+10")


EXCEL_MESSAGE = "Excel 将代码存成了数字，丢失了末尾几位"


def test_a_code_excel_turned_into_a_number_is_explained(client, city):
    client.force_login(city.users["office"])
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["企业名称", "统一社会信用代码", REGION_HEADER])
    sheet.append(["文本形式企业", "9.14405E+17", "泽州"])
    sheet.append(["数值形式企业", 914405000000000000, "泽州"])  # a numeric cell, as Excel keeps it
    sheet.append(["补零形式企业", "914405000000000000", "泽州"])  # the number written out in full
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = check(client, job_of(upload(client, "科学计数.xlsx", buffer.getvalue())))
    assert job.status == "invalid"
    assert [e["row"] for e in job.errors] == [2, 3, 4]
    for error in job.errors:
        assert error["column"] == "统一社会信用代码"
        assert EXCEL_MESSAGE in error["message"] and "设置单元格格式→文本" in error["message"]


def _county_outcome(world, rows):
    from chainboard import audit
    from enterprises.views import EnterpriseViewSet

    user = world.users["county_zezhou"]
    spec = imports.Spec(EnterpriseViewSet, user)
    header_row, headers = imports.find_header(rows, spec)
    with audit.operation(user=user, source=audit.Source.IMPORT, label="test"):
        importer = imports.Importer(
            EnterpriseViewSet, user, rows, header_row, imports.auto_mapping(spec, headers), headers=headers
        )
        outcome = importer.run(commit=False)
    return [(e.row, e.column, e.message) for e in outcome.errors], outcome.created


def test_worker_processes_check_scope_as_the_parent_does(city, settings, monkeypatch):
    rows = [["企业名称", REGION_HEADER]]
    rows += [[f"分批企业{i}", "高平" if i % 7 == 3 else "泽州"] for i in range(40)]
    settings.IMPORT_PROCESSES = 1
    alone = _county_outcome(city, rows)
    assert alone[0][0] == (5, REGION_HEADER, "高平市 不在您的数据范围（泽州县）内")
    assert (len(alone[0]), alone[1]) == (6, 34)
    settings.IMPORT_PROCESSES, settings.IMPORT_PARALLEL_ROWS = 2, 10
    monkeypatch.setattr(imports.parallel, "SHARE_ROWS", 5)
    used = []
    real = imports.parallel._parallel_check
    monkeypatch.setattr(imports.parallel, "_parallel_check", lambda *a: used.append(a[3]) or real(*a))
    assert _county_outcome(city, rows) == alone
    assert used == [2]
