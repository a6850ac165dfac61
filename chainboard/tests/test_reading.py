"""Files as offices send them: title and 填报单位 lines over a two-row merged header, subtotal, note,
signature and blank rows, one sheet per county with a 汇总 sheet, renamed extensions, hostile zips, and
the command line refusing without a traceback. Every file is generated here."""

import io
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook

from chainboard import imports, tabular
from chainboard.models import ImportJob
from chainboard.tests import hostile_files
from chainboard.tests.test_imports import (
    HEADER,
    check,
    commit,
    csv_bytes,
    good_rows,
    job_of,
    upload,
    uscc,
    xls_bytes,
    xlsx_bytes,
)
from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db

SILK = "丝麻纺织服装产业链"


def ledger_bytes(sheets: dict[str, list[list[str]]], *, merged=True) -> bytes:
    """A county ledger: a title row, a 填报单位 line, then a two-row header (序号, 企业名称, 统一社会
    信用代码 merged down; 所在地 over 所在县区 and 产业链 merged across), then ``rows``."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.append(["晋城市丝麻纺织服装产业链企业名录"])
        sheet.merge_cells("A1:E1")
        sheet.append(["填报单位：高平市工业和信息化局", "", "", "填报日期：2024年6月30日"])
        sheet.append(["序号", "企业名称", "统一社会信用代码", "所在地", ""])
        sheet.append(["", "", "", "所在县区", "产业链"])
        if merged:
            for column in "ABC":
                sheet.merge_cells(f"{column}3:{column}4")
            sheet.merge_cells("D3:E3")
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def county_rows(first: int, region: str = "140581", n: int = 2) -> list[list[str]]:
    return [
        [str(i + 1), f"晋城台账企业{first + i}有限公司", uscc(first + i, region), region, SILK]
        for i in range(n)
    ]


def test_title_and_reporting_lines_over_a_two_row_merged_header(client, world):
    client.force_login(world.users["office"])
    job = job_of(upload(client, "台账.xlsx", ledger_bytes({"高平市": county_rows(300)})))
    assert job.header_row == 3  # the header's second row (0-based): the data start in row 5
    assert job.mapping == {"1": "name", "2": "uscc", "3": "region", "4": "chains"}
    job = check(client, job)
    assert job.status == "ready", job.errors
    assert [row["row"] for row in job.preview] == [5, 6]
    job = commit(client, job)
    assert Enterprise.objects.filter(uscc__in=[uscc(300), uscc(301)]).count() == 2


def test_find_header_merges_a_group_over_its_children(world):
    from enterprises.views import EnterpriseViewSet

    spec = imports.Spec(EnterpriseViewSet, world.users["office"])
    rows = [
        ["企业名录"],
        ["填报单位：泽州县"],
        ["企业名称", "统一社会信用代码", "所在地", ""],
        ["", "", "所在县区", "产业链"],
        ["甲公司", uscc(1), "140581", SILK],
    ]
    assert imports.find_header(rows, spec) == (3, ["企业名称", "统一社会信用代码", "所在县区", "产业链"])
    # The user's row: the header starts in row 3 (1-based), two rows read as one.
    assert imports.find_header(rows, spec, at=2)[0] == 3
    # A one-row header followed by data is not merged with its first data row.
    assert imports.find_header([HEADER, good_rows()[1]], spec) == (0, HEADER)


def test_the_header_row_and_the_sheet_are_chosen_on_the_page(client, world):
    client.force_login(world.users["office"])
    content = ledger_bytes({"说明": [["本表由各县填报"]], "高平市": county_rows(310)})
    job = job_of(upload(client, "选表.xlsx", content))
    assert job.sheets == ["说明", "高平市"] and job.sheet == "说明"
    url = reverse("enterprises:enterprise_import_job", args=[job.pk])
    page = client.get(url).content.decode()
    assert 'name="sheet"' in page and 'name="header_row"' in page
    response = client.post(url, {"action": "reread", "sheet": "高平市", "header_row": "3"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.sheet, job.header_at, job.header_row) == ("高平市", 2, 3)
    # A header row that is not a number is refused, naming what is wanted, and changes nothing.
    response = client.post(url, {"action": "reread", "header_row": "x"})
    assert response.status_code == 400 and "表头行应填写行号" in response.content.decode()
    job = check(client, job)
    assert job.status == "ready" and job.created_count == 2


def test_subtotals_notes_signatures_and_blank_rows_are_skipped_and_listed(client, world):
    client.force_login(world.users["office"])
    rows = [
        *county_rows(320),
        ["", "", "", "", ""],
        ["", "小计", "", "", ""],
        *county_rows(322),
        ["合计", "", "", "", ""],
        ["注：1.产业链按主营业务填写。"],
        ["填报人：张三", "", "审核人：李四", "联系电话：0356-1234567"],
        ["", "", "", "", ""],
    ]
    job = check(client, job_of(upload(client, "小计.xlsx", ledger_bytes({"泽州县": rows}))))
    assert job.status == "ready", job.errors
    assert job.created_count == 4
    skipped = [(s["row"], s["reason"]) for s in job.skipped]
    assert skipped == [
        (7, "空行"),
        (8, "小计或合计行"),
        (11, "小计或合计行"),
        (12, "注释"),
        (13, "签字行（填报人、审核人、联系电话）"),
    ]
    assert job.skipped_count == 5  # the trailing blank row is not news
    page = client.get(reverse("enterprises:enterprise_import_job", args=[job.pk])).content.decode()
    assert "import-skipped" in page and "签字行" in page


def test_all_county_sheets_are_read_as_one_and_errors_name_the_sheet(client, world):
    client.force_login(world.users["office"])
    bad = county_rows(340)
    bad[1][2] = "91140581MA0000000X"  # a wrong check character, in row 6 of 阳城县
    content = ledger_bytes(
        {"高平市": county_rows(330), "阳城县": bad, "汇总": [["1", "合计", "", "", ""]]},
    )
    job = job_of(upload(client, "分县.xlsx", content))
    url = reverse("enterprises:enterprise_import_job", args=[job.pk])
    assert client.post(url, {"action": "reread", "all_sheets": "1"}).status_code == 302
    job.refresh_from_db()
    assert job.all_sheets
    assert any("汇总" in note for note in job.notes)  # left out, and said so
    job = check(client, job)
    assert job.status == "invalid"
    assert [(e["sheet"], e["row"], e["column"]) for e in job.errors] == [("阳城县", 6, "统一社会信用代码")]
    page = client.get(url).content.decode()
    assert "阳城县" in page
    bad[1][2] = uscc(341)
    job = check(
        client, job_of(upload(client, "分县.xlsx", ledger_bytes({"高平市": county_rows(330), "阳城县": bad})))
    )
    assert job.status == "ready" and job.created_count == 2  # the first sheet only, by default


def test_all_sheets_on_the_command_line(world, tmp_path):
    path = tmp_path / "分县.xlsx"
    path.write_bytes(ledger_bytes({"高平市": county_rows(350), "陵川县": county_rows(352), "汇总": []}))
    out = io.StringIO()
    call_command("import_file", "enterprises", str(path), user="office", all_sheets=True, stdout=out)
    assert Enterprise.objects.filter(uscc__in=[uscc(350 + i) for i in range(4)]).count() == 4
    assert "汇总" in out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "told"),
    [
        ("改名.xlsx", csv_bytes(good_rows()), "CSV"),
        ("改名.csv", xlsx_bytes(good_rows()), ".xlsx"),
        ("改名2.xlsx", xls_bytes(good_rows()), ".xls"),
    ],
)
def test_a_renamed_file_is_read_as_what_it_is(client, world, name, content, told):
    client.force_login(world.users["office"])
    job = job_of(upload(client, name, content))
    assert len(job.notes) == 1 and told in job.notes[0] and name in job.notes[0]
    job = check(client, job)
    assert job.status == "ready" and job.created_count == 2
    assert (
        "import-notes"
        in client.get(reverse("enterprises:enterprise_import_job", args=[job.pk])).content.decode()
    )


def _refusal(tmp_path, content: bytes) -> str:
    path = tmp_path / "敌意.xlsx"
    path.write_bytes(content)
    started = time.perf_counter()
    with pytest.raises(tabular.FileProblem) as refused:
        tabular.check(str(path), path.name)
    assert time.perf_counter() - started < 2
    return str(refused.value)


def test_a_zip_whose_sizes_lie_is_refused_while_it_inflates(tmp_path, settings):
    # The directory declares 4 KiB for a sheet that inflates to 8 MiB: refused, not trusted.
    assert "不符" in _refusal(tmp_path, hostile_files.bomb(8, lying=True))
    # An honest bomb: refused by what it declares, before anything inflates.
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 4 * 1024 * 1024
    assert "MB" in _refusal(tmp_path, hostile_files.bomb(8))


def test_sheets_too_tall_or_too_wide_for_the_grid_are_refused_before_parsing(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 1_000
    assert "1048576" in _refusal(tmp_path, hostile_files.tall())  # two cells, a million-row grid
    assert "16384" in _refusal(tmp_path, hostile_files.wide())  # one row, as wide as Excel goes
    assert "2000" in _refusal(tmp_path, hostile_files.without_references(2_000))
    assert "1200" in _refusal(tmp_path, hostile_files.workbook(hostile_files.sheet_rows(1_200)))
    declared = hostile_files.SHEET_START.replace(b"<sheetData>", b'<dimension ref="A1:C300000"/><sheetData>')
    assert "300000" in _refusal(tmp_path, hostile_files.workbook([declared, hostile_files.SHEET_END]))
    ok = tmp_path / "ok.xlsx"
    ok.write_bytes(hostile_files.workbook(hostile_files.sheet_rows(900)))
    assert tabular.check(str(ok), ok.name) == "xlsx"
    assert len(tabular.read(str(ok), ok.name)) == 900


def _run_command(capsys, monkeypatch, *argv) -> tuple[int, str]:
    """The command as the shell runs it (run_from_argv: a CommandError is printed, the exit status 1),
    on the test's database connection (which run_from_argv would close when it ends)."""
    from django.db import connections

    from chainboard.management.commands.import_file import Command

    monkeypatch.setattr(connections, "close_all", lambda: None)
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "import_file", *argv])
    return exited.value.code, capsys.readouterr().err


def test_the_command_line_refuses_without_a_traceback(world, tmp_path, capsys, monkeypatch):
    nothing = tmp_path / "无表头.csv"
    nothing.write_bytes(csv_bytes([["甲", "乙"], ["1", "2"]]))
    code, err = _run_command(capsys, monkeypatch, "enterprises", str(nothing), "--user", "office")
    assert code == 1 and "Traceback" not in err and "请至少为一列选择对应的字段" in err
    bomb = tmp_path / "炸弹.xlsx"
    bomb.write_bytes(hostile_files.bomb(4, lying=True))
    code, err = _run_command(capsys, monkeypatch, "enterprises", str(bomb), "--user", "office")
    assert code == 1 and "Traceback" not in err and "炸弹.xlsx" in err
    ledger = tmp_path / "台账.xlsx"
    ledger.write_bytes(ledger_bytes({"高平市": county_rows(360)}))
    code, err = _run_command(
        capsys, monkeypatch, "enterprises", str(ledger), "--user", "office", "--sheet", "无此表"
    )
    assert code == 1 and "无此表" in err and "高平市" in err
    code, err = _run_command(
        capsys, monkeypatch, "enterprises", str(ledger), "--user", "office", "--header-row", "99"
    )
    assert code == 1 and "99" in err and "Traceback" not in err
    code, err = _run_command(
        capsys, monkeypatch, "enterprises", str(tmp_path / "无.xlsx"), "--user", "office"
    )
    assert code == 1 and "Traceback" not in err
    assert not ImportJob.objects.exists() and not Enterprise.objects.filter(uscc=uscc(360)).exists()
    # The header row chosen on the command line.
    out = io.StringIO()
    call_command("import_file", "enterprises", str(ledger), user="office", header_row=3, stdout=out)
    assert Enterprise.objects.filter(uscc=uscc(360)).exists()
