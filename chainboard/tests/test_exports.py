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
