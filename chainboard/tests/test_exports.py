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


def test_an_xlsx_export_follows_the_search_and_neutralises_formulas(client, world):
    enterprise = world.enterprises["luanfu"]
    actions.save_fields(world.users["office"], enterprise, name="=HYPERLINK(1)潞安")
    client.force_login(world.users["office"])
    response = client.get(reverse("enterprises:enterprise_list") + "?q=潞安&export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2  # header and the one match
    assert rows[1][0] == "'=HYPERLINK(1)潞安"


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
