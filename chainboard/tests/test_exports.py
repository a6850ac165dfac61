import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from chainboard import actions

pytestmark = pytest.mark.django_db


def test_a_csv_export_holds_exactly_the_filtered_rows_in_scope(client, world):
    client.force_login(world.users["county"])
    response = client.get(reverse("enterprises:enterprise_list") + "?export=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    names = {row[0] for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert names == {"潞安府潞绸", "高平其他企业"}  # county scope: 高平市 only
    assert "filename*=utf-8''" in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("stored", "exported"),
    [
        ("=HYPERLINK(1)潞安", "=HYPERLINK(1)潞安"),  # as typed, in a text cell: never a formula
        ("-潞安府", "-潞安府"),  # no apostrophe in front
        ("潞安\x0b府\x1f潞绸", "潞安府潞绸"),  # control characters a worksheet cannot hold dropped
    ],
)
def test_an_xlsx_export_follows_the_search_and_writes_text_as_text(client, world, stored, exported):
    enterprise = world.enterprises["luanfu"]
    actions.save_fields(world.users["office"], enterprise, name=stored)
    client.force_login(world.users["office"])
    response = client.get(reverse("enterprises:enterprise_list") + "?q=潞安&export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows())
    assert len(rows) == 2  # header and the one match
    assert rows[1][0].value == exported
    assert rows[1][0].data_type == "s"  # a text cell, whatever it starts with


@pytest.mark.parametrize(
    ("text", "in_csv"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x","点")', '\'=HYPERLINK("http://x","点")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+A1", "'-2+A1"),
        ("-SUM(A1)", "'-SUM(A1)"),
        ("+A1", "'+A1"),
        ("-(1)", "'-(1)"),
        # what a spreadsheet reads as a value stays as typed
        ("-", "-"),
        ("--", "--"),
        ("-12.5", "-12.5"),
        ("+1,234.50", "+1,234.50"),
        ("-3%", "-3%"),
        ("+86 356 2021234", "+86 356 2021234"),
        ("+86 (356) 202-1234", "+86 (356) 202-1234"),
        ("+8613912345678", "+8613912345678"),
        ("0356-2021234", "0356-2021234"),
        ("晋城 = 城区", "晋城 = 城区"),
        ("", ""),
    ],
)
def test_a_csv_cell_is_neutralised_only_where_a_spreadsheet_would_run_it(text, in_csv):
    from chainboard.exports import neutralise

    assert neutralise(text) == in_csv


def test_numbers_and_yes_no_keep_their_kind_in_both_formats():
    from chainboard.exports import neutralise

    assert neutralise(-12) == -12 and neutralise(-0.5) == -0.5
    assert neutralise(True) == "是" and neutralise(None) == ""


def test_a_csv_export_keeps_a_phone_number_and_neutralises_a_formula(client, world):
    client.force_login(world.users["office"])
    for key, name in (("luanfu", "=1+2潞安"), ("jingbai", "-12.5")):
        actions.save_fields(world.users["office"], world.enterprises[key], name=name)
    response = client.get(reverse("enterprises:enterprise_list") + "?export=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    names = {row[0] for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert names == {"'=1+2潞安", "-12.5"}


@pytest.mark.parametrize("sort", ["name", "-name", "-uscc", ""])
def test_an_export_keeps_the_list_order(client, world, sort):
    from chainboard.tests.test_imports import uscc
    from enterprises.models import Enterprise

    for i, name in enumerate(["丙企业", "甲企业", "乙企业", "丙企业"]):  # one name twice: ties by id
        Enterprise.objects.create(name=name, region_id="140581", uscc=uscc(40 + i))
    client.force_login(world.users["county"])  # 高平市: these four and two more
    url = reverse("enterprises:enterprise_list") + (f"?sort={sort}" if sort else "")
    page = client.get(url + ("&" if sort else "?") + "page_size=100").context["page"]
    text = b"".join(client.get(url + ("&" if sort else "?") + "export=csv").streaming_content)
    exported = [row[0] for row in list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))[1:]]
    assert exported == [e.name for e in page.object_list]
    assert len(exported) >= 6


def test_an_xlsx_sheet_holds_each_value_as_written():
    """Text (any text) in text cells, numbers in number cells, blanks left out; read back by openpyxl
    and by python-calamine (the importer's reader), so an export can be imported again."""
    from python_calamine import CalamineWorkbook

    from chainboard.exports import cell_value, write_xlsx

    values = [
        "晋城市景柏纺织有限公司",
        "  leading and trailing spaces  ",
        "two\nlines & <b>tags</b> \"quoted\" 'single'",
        "😀 emoji",
        "=SUM(A1:A2)",
        "-1",
        "+86 356 2021234",
        "_x0041_ looks like an escape",
        "x" * 40_000,  # longer than a cell holds: cut to 32,767 characters
        "",
        None,
        0,
        -42,
        12345678901234,
        0.1,
        1234.5678,
        1e20,
        float("nan"),
        True,
    ]
    rows = [[f"row {i}", cell_value(value), "after it"] for i, value in enumerate(values)]
    rows.append(["", None, "third column"])  # empty cells before a value keep it in its column
    written = write_xlsx("企业", ["名称", "值", "备注"], iter(rows))
    sheet = load_workbook(io.BytesIO(written)).active
    assert sheet.title == "企业"
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    read = [cell.value for cell in cells]
    assert read[:9] == [
        "晋城市景柏纺织有限公司",
        "  leading and trailing spaces  ",
        "two\nlines & tags \"quoted\" 'single'",
        "😀 emoji",
        "=SUM(A1:A2)",
        "-1",
        "+86 356 2021234",
        "_x005F_x0041_ looks like an escape",  # OOXML's escape of a literal "_x0041_", which Excel undoes
        "x" * 32_767,
    ]
    assert {cells[i].data_type for i in range(9)} == {"s"}  # text, never a formula
    assert read[9:] == [None, None, 0, -42, 12345678901234, 0.1, 1234.5678, 1e20, None, "是", None]
    assert cells[11].data_type == "n" and cells[12].data_type == "n"
    assert [c.value for c in list(sheet.iter_rows())[-1]] == [None, None, "third column"]
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(written)).get_sheet_by_name("企业").to_python()
    assert calamine[1 + 4][1] == "=SUM(A1:A2)" and calamine[1 + 12][1] == -42
    assert calamine[1 + 7][1] == "_x0041_ looks like an escape"


# ---- the files, as they were before exports read values ----------------------------------------------------


@pytest.fixture
def kinds(world):
    """The world with a row of each kind a list exports: an enterprise at city level, sample, with a
    sample chain-core membership and a chain-leader one, an industry class and a USCC; names with tags, a
    formula and a phone number; investment leads with stages, sources, money (confidential), dates and a
    segment; a project with its stage, light and light rule, money and a planned start; a user's last
    login (a time, shown in local time)."""
    import datetime as dt
    from decimal import Decimal

    from accounts.models import User
    from chainboard.scope import SystemActor
    from chainboard.tests.test_imports import uscc
    from enterprises.models import Enterprise, Membership
    from industries.models import IndustryClass
    from investment.models import Lead, LeadStage, SourceKind, Team
    from projects.models import Light, Project, ProjectStage

    actor = SystemActor("test:exports")
    city = Enterprise(
        name="森鹅",
        region=world.regions["140500"],
        uscc=uscc(77),
        industry_class=IndustryClass.objects.get(code="C1741"),
        is_sample=True,
    )
    city = actions.create_direct(actor, city)
    actions.create_direct(
        actor, Membership(enterprise=city, chain=world.chains["silk"], role="core", is_sample=True)
    )
    actions.create_direct(actor, Membership(enterprise=city, chain=world.chains["other"], role="leader"))
    for name in ("<b>粗体</b>丝绸", "=HYPERLINK(1)", "+86 356 2021234"):
        actions.create_direct(actor, Enterprise(name=name, region=world.regions["140581"]))
    team = actions.create_direct(actor, Team(name="丝绸小分队", chain=world.chains["silk"]))
    for company, stage, source, amount, next_step, segment in (
        (
            "宁波锦绣丝绸有限公司",
            LeadStage.CONTACT,
            SourceKind.TEAM_VISIT,
            Decimal("300000000.00"),
            None,
            None,
        ),
        (
            "苏州云锦有限公司",
            LeadStage.NEGOTIATING,
            SourceKind.ONLINE,
            Decimal("1234.50"),
            dt.date(2026, 3, 1),
            "织造",
        ),
    ):
        lead = Lead(
            company_name=company,
            chain=world.chains["silk"],
            landing_region=world.regions["140581"],
            team=team,
            planned_investment=amount,
            opened_on=dt.date(2026, 1, 10),
            stage=stage,
            source_kind=source,
            next_step_on=next_step,
            segment=world.segments[segment] if segment else None,
        )
        if stage == LeadStage.NEGOTIATING:
            lead.negotiating_on = dt.date(2026, 2, 1)
        actions.create_direct(actor, lead)
    project = Project(
        name="年产万吨丝绸项目",
        chain=world.chains["silk"],
        region=world.regions["140581"],
        owner=world.enterprises["luanfu"],
        stage=ProjectStage.SIGNED,
        total_investment=Decimal("123456789.50"),
        planned_start=dt.date(2027, 3, 1),
    )
    project = actions.create_direct(actor, project)
    Project.objects.filter(pk=project.pk).update(
        light=Light.GREY, light_rule="start_ahead", light_params={"planned_start": "2027-03-01"}
    )
    User.objects.filter(pk=world.users["office"].pk).update(
        last_login=dt.datetime(2026, 12, 4, 6, 5, 9, tzinfo=dt.UTC)
    )
    return world


# (list, role) → the CSV's lines, as the code before values wrote them (2026-12-05, main at e6b1d7c).
FILES_BEFORE: dict[tuple[str, str], list[str]] = {
    ("enterprises", "office"): [
        "\ufeff名称,统一社会信用代码,行政区划,行业分类,所属产业链及角色,示例数据",
        "景柏服饰,,泽州县,,丝麻纺织服装产业链·成员企业,否",
        "森鹅,91140581MA0000077Y,晋城市（县区未知）,C1741,丝麻纺织服装产业链·链核企业（示例数据）,是",
        "潞安府潞绸,,高平市,,丝麻纺织服装产业链·成员企业,否",
        "",
    ],
    ("enterprises", "county"): [
        "\ufeff名称,统一社会信用代码,行政区划,行业分类,所属产业链及角色,示例数据",
        "+86 356 2021234,,高平市,,,否",
        "粗体丝绸,,高平市,,,否",
        "'=HYPERLINK(1),,高平市,,,否",
        "潞安府潞绸,,高平市,,丝麻纺织服装产业链·成员企业,否",
        "高平其他企业,,米山镇,,其他产业链·成员企业,否",
        "",
    ],
    ("leads", "investment"): [
        "\ufeff企业名称,阶段,产业链,招商小分队,环节,线索来源,计划投资（元）,下一步时间,登记日期,示例数据",
        "宁波锦绣丝绸有限公司,接触,丝麻纺织服装产业链,丝绸小分队,,小分队走访,300000000,,2026-01-10,否",
        "苏州云锦有限公司,洽谈,丝麻纺织服装产业链,丝绸小分队,织造,网络招商,1234.5,2026-03-01,2026-01-10,否",
        "",
    ],
    ("leads", "county"): [
        "\ufeff企业名称,阶段,产业链,招商小分队,环节,线索来源,下一步时间,登记日期,示例数据",
        "宁波锦绣丝绸有限公司,接触,丝麻纺织服装产业链,丝绸小分队,,小分队走访,,2026-01-10,否",
        "苏州云锦有限公司,洽谈,丝麻纺织服装产业链,丝绸小分队,织造,网络招商,2026-03-01,2026-01-10,否",
        "",
    ],
    ("projects", "office"): [
        "\ufeff名称,阶段,红黄绿灯,亮灯规则,项目业主,行政区划,总投资（元）,计划开工,示例数据",
        "年产万吨丝绸项目,签约,灰灯（无计划数据）,计划开工 2027-03-01，尚未到期。,潞安府潞绸,高平市,123456789.5,2027-03-01,否",
        "",
    ],
    ("users", "admin"): [
        "\ufeff用户名,姓名,单位,启用,上次登录,示例数据",
        "admin,admin,,是,,否",
        "auditor,auditor,,是,,否",
        "chief,chief,,是,,否",
        "county,county,,是,,否",
        "enterprise,enterprise,,是,,否",
        "investment,investment,,是,,否",
        "office,office,,是,2026-12-04 14:05:09,否",
        "outsider,outsider,,是,,否",
        "security_admin,security_admin,,是,,否",
        "",
    ],
    ("grants", "admin"): [
        "\ufeff用户,角色,产业链,行政区划,企业,承办单位,示例数据",
        "admin,系统管理员,,,,,否",
        "auditor,审计员,,,,,否",
        "county,县区/乡镇工作人员,,高平市,,,否",
        "enterprise,企业用户,,,景柏服饰,,否",
        "investment,招商小分队,丝麻纺织服装产业链,,,,否",
        "security_admin,安全管理员,,,,,否",
        "",
    ],
}

LISTS = {
    "enterprises": "enterprises:enterprise_list",
    "leads": "investment:lead_list",
    "projects": "projects:project_list",
    "users": "accounts:user_list",
    "grants": "accounts:grant_list",
}
LIST_ROLES = [
    ("enterprises", "office"),
    ("enterprises", "county"),
    ("leads", "investment"),
    ("leads", "county"),  # without the right to the planned amounts
    ("projects", "office"),
    ("users", "admin"),
    ("grants", "admin"),
]


def csv_lines(client, user, list_name: str) -> list[str]:
    from accounts.models import User

    last_login = User.objects.filter(pk=user.pk).values_list("last_login", flat=True).get()
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(last_login=last_login)  # as before: the users list shows it
    response = client.get(reverse(LISTS[list_name]), {"export": "csv"})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8").split("\r\n")


@pytest.mark.parametrize(("list_name", "role"), LIST_ROLES)
def test_a_csv_export_is_the_file_it_was_before_exports_read_values(client, kinds, list_name, role):
    """Choices, dates, times, decimals, money, to-many text, yes/no, foreign keys' names, a computed
    display, tags, formulas, confidential columns left out for a role without the right, and scope."""
    assert csv_lines(client, kinds.users[role], list_name) == FILES_BEFORE[(list_name, role)]


def test_an_xlsx_export_writes_dates_and_times_as_date_cells_and_numbers_as_numbers(client, kinds):
    from python_calamine import CalamineWorkbook

    client.force_login(kinds.users["investment"])
    leads = client.get(reverse("investment:lead_list"), {"export": "xlsx"}).content
    sheet = load_workbook(io.BytesIO(leads)).active
    header = [c.value for c in next(sheet.iter_rows())]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    opened = rows["苏州云锦有限公司"][header.index("登记日期")]
    assert opened.is_date and opened.number_format == "yyyy-mm-dd"
    assert opened.value.date().isoformat() == "2026-01-10"
    amount = rows["苏州云锦有限公司"][header.index("计划投资（元）")]
    assert amount.data_type == "n" and amount.value == 1234.5
    assert rows["宁波锦绣丝绸有限公司"][header.index("下一步时间")].value is None  # unknown: blank
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(leads)).get_sheet_by_index(0).to_python()
    assert str(calamine[1][header.index("登记日期")]).startswith("2026-01-10")  # the importer reads a date

    client.force_login(kinds.users["admin"])
    users = client.get(reverse("accounts:user_list"), {"export": "xlsx"}).content
    sheet = load_workbook(io.BytesIO(users)).active
    header = [c.value for c in next(sheet.iter_rows())]
    (office,) = [row for row in sheet.iter_rows(min_row=2) if row[0].value == "office"]
    login = office[header.index("上次登录")]
    assert login.is_date and login.number_format == "yyyy-mm-dd hh:mm:ss"
    assert f"{login.value:%Y-%m-%d %H:%M:%S}" == "2026-12-04 14:05:09"  # 06:05:09 UTC, in local time


def test_a_render_is_read_from_values_when_it_says_what_it_reads(world):
    from django.core.exceptions import ImproperlyConfigured

    from chainboard import exports
    from chainboard.tables import Column, Table
    from enterprises.models import Enterprise

    queryset = Enterprise.objects.order_by("name")

    def exported(*columns):
        table = Table(columns=list(columns))
        return exports._plan(table, queryset, "csv"), list(exports.export_rows(table, queryset, "csv"))

    shout = Column("name", render=lambda row: f"{row.name}!{row.region_id}")
    plan, from_instances = exported(shout)
    assert plan is None  # a render that declares nothing: model instances
    plan, from_values = exported(Column("name", render=shout.render, reads=("name", "region_id")))
    assert plan is not None and [list(row) for row in from_values] == [list(row) for row in from_instances]
    assert from_values[0] == ("景柏服饰!140525", "否")
    for reads in (("nickname",), ("memberships",), ("_state",)):  # not a field; to-many; not an attribute
        with pytest.raises(ImproperlyConfigured):
            exported(Column("name", render=shout.render, reads=reads))


def test_an_export_asks_the_same_queries_for_more_rows(client, world):
    """Related rows' names (a grant's user, chain, region, enterprise) are read a chunk at a time, not
    per row: the queries of an export do not grow with its rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Grant, User
    from accounts.roles import Role
    from chainboard.scope import SystemActor

    client.force_login(world.users["admin"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("accounts:grant_list"), {"export": "csv"})
            b"".join(response.streaming_content)
        return len(ctx.captured_queries)

    queries()  # the first request after the login saves the session
    before = queries()
    actor = SystemActor("test:exports")
    for i in range(12):
        user = User(username=f"clerk{i}", full_name=f"clerk{i}")
        user.set_unusable_password()
        user = actions.create_direct(actor, user)
        actions.create_direct(actor, Grant(user=user, role=Role.COUNTY, region=world.regions["140525"]))
    assert queries() == before


def test_a_path_through_an_empty_foreign_key_exports_a_blank_cell_as_instances_do(kinds, monkeypatch):
    """A choice, a computed display, a measured number and a related row's name, each through a foreign
    key that one lead fills and the other leaves empty: read as values, the cells an instance gives."""
    from chainboard import exports
    from chainboard.tables import Column, Table, reads
    from investment.models import Lead
    from projects.models import Project

    Lead.objects.filter(company_name="苏州云锦有限公司").update(project=Project.objects.get())
    # A display that answers even for empty fields: an empty project must still give a blank cell.
    monkeypatch.setattr(
        Project, "get_light_rule_display", reads("light_rule")(lambda self: f"rule {self.light_rule}")
    )
    table = Table(
        columns=[
            Column("company_name"),
            Column("project.light_rule"),  # a model's own display that says what it reads
            Column("project.total_investment"),  # money
            Column("project.region"),  # the region's name
            Column("segment.chain.level"),  # a choice, two keys away
        ]
    )
    queryset = Lead.objects.order_by("company_name")
    for fmt in ("csv", "xlsx"):
        assert exports._plan(table, queryset, fmt) is not None
        from_values = [list(row) for row in exports.export_rows(table, queryset, fmt)]
        cell = exports.neutralise if fmt == "csv" else exports.xlsx_value
        from_instances = list(exports._rows(table, queryset, cell))
        assert from_values == from_instances
    assert from_values == [
        ["宁波锦绣丝绸有限公司", "", "", "", "", "否"],
        ["苏州云锦有限公司", "rule start_ahead", 123456789.5, "高平市", "市", "否"],
    ]


def test_an_xlsx_export_longer_than_a_sheet_is_refused_with_the_count_and_changes_nothing(
    client, world, monkeypatch
):
    """XlsxWriter drops rows past a sheet's last row without failing: the export says so instead of
    sending a file that silently lacks the rest (the limit lowered to 1 row under the header here)."""
    from chainboard import exports

    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    from django.conf import settings

    client.force_login(world.users["office"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("enterprises:enterprise_list")
    response = client.get(url + "?q=&export=xlsx")
    assert response.status_code == 302
    assert response["Location"] == url + "?q="  # back to the same list, without the export
    page = client.get(response["Location"]).content.decode()
    from enterprises.models import Enterprise

    count = Enterprise.objects.restrict(world.users["office"], "view").count()
    assert count > 1
    assert f"This list has {count:,} rows; an XLSX sheet holds at most 1." in page
    assert "export it as CSV" in page
    # a list that fits is still exported, and CSV has no such limit
    fits = client.get(url + "?q=潞安&export=xlsx")
    assert fits.status_code == 200
    assert len(list(load_workbook(io.BytesIO(fits.content)).active.iter_rows())) == 2
    assert client.get(url + "?export=csv").status_code == 200


def test_write_xlsx_refuses_rows_past_a_sheet_rather_than_dropping_them(monkeypatch):
    from chainboard import exports

    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    assert len(exports.write_xlsx("t", ["a"], [["1"], ["2"]])) > 0
    with pytest.raises(exports.TooManyRows):
        exports.write_xlsx("t", ["a"], [["1"], ["2"], ["3"]])


def test_postgresql_plans_an_export_cursor_for_all_its_rows_and_compiles_nothing():
    """An export reads its server-side cursor to the end: PostgreSQL must plan it for every row (its
    default plans a cursor for the first tenth, and an export sorted by name then walked the name index
    over the whole table: 2.4 s against 0.4 s for a city's 100,000 enterprises), and without JIT, whose
    compiling cost more than it saved (bench/README.md, "PostgreSQL without JIT, cursors planned for every row")."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL session settings")
    with connection.cursor() as cursor:
        cursor.execute("SHOW cursor_tuple_fraction")
        assert float(cursor.fetchone()[0]) == 1.0
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
