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
        ("=HYPERLINK(1)潞安", "'=HYPERLINK(1)潞安"),  # a formula neutralised
        ("潞安\x0b府\x1f潞绸", "潞安府潞绸"),  # control characters a worksheet cannot hold dropped
    ],
)
def test_an_xlsx_export_follows_the_search_and_writes_only_safe_text(client, world, stored, exported):
    enterprise = world.enterprises["luanfu"]
    actions.save_fields(world.users["office"], enterprise, name=stored)
    client.force_login(world.users["office"])
    response = client.get(reverse("enterprises:enterprise_list") + "?q=潞安&export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2  # header and the one match
    assert rows[1][0] == exported


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


def _xlsx(write) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    write(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_sheet_reads_back_as_openpyxls_own_writer_would_write_it():
    """Exports write their rows as one element each; the file must hold what openpyxl's append writes."""
    from python_calamine import CalamineWorkbook

    from chainboard.exports import _xlsx_sheet, neutralise

    values = [
        "晋城市景柏纺织有限公司",
        "  leading and trailing spaces  ",
        "two\nlines & <tags> \"quoted\" 'single'",
        "😀 emoji",
        neutralise("=SUM(A1:A2)"),
        neutralise("-1"),
        "x" * 40_000,  # longer than a cell holds: cut to 32,767 characters, as openpyxl does
        "",
        None,
        0,
        -42,
        12345678901234,
        0.1,
        1234.5678,
        1e20,
    ]
    rows = [["名称", "值", "备注"]] + [[f"row {i}", value, "after it"] for i, value in enumerate(values)]
    rows.append(["", None, "third column"])  # empty cells before a value keep it in its column

    def ours(workbook):
        sheet = _xlsx_sheet(workbook, "企业")
        for row in rows:
            sheet.append(row)

    def openpyxls(workbook):
        sheet = workbook.create_sheet(title="企业")
        for row in rows:
            sheet.append(row)

    written, expected = _xlsx(ours), _xlsx(openpyxls)
    read = list(load_workbook(io.BytesIO(written)).active.iter_rows(values_only=True))
    assert read == list(load_workbook(io.BytesIO(expected)).active.iter_rows(values_only=True))
    assert read[1 + 6][1] == "x" * 32_767 and read[1 + 4][1] == "'=SUM(A1:A2)"
    assert read[1 + 1][1] == "  leading and trailing spaces  "
    assert read[-1] == (None, None, "third column") and read[1 + 7] == ("row 7", None, "after it")
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(written)).get_sheet_by_name("企业").to_python()
    assert (
        calamine == CalamineWorkbook.from_filelike(io.BytesIO(expected)).get_sheet_by_name("企业").to_python()
    )
