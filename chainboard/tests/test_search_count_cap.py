"""A searched list counts its matches up to a cap, then says "more than" and leaves its facets uncounted:
the page and the API alike (docs/lists.md, "Searched lists: a capped count"). The cap is lowered here
so that a handful of rows cross it."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from chainboard import filters
from chainboard.tests.test_api import api, token_for

pytestmark = pytest.mark.django_db

LIST = "enterprises:enterprise_list"


@pytest.fixture
def spinners(world, monkeypatch):
    """Seven spinning mills (纺纱) on the silk chain (the office's scope): five in 泽州县, two in 高平市
    (the county user's county); cap 3."""
    from chainboard.tests.test_imports import uscc
    from enterprises.models import Enterprise, Membership

    for i in range(7):
        region = "140525" if i < 5 else "140581"
        mill = Enterprise.objects.create(name=f"示例纺纱厂{i}", region_id=region, uscc=uscc(60 + i))
        Membership.objects.create(enterprise=mill, chain=world.chains["silk"])
    call_command("rebuild_search")
    monkeypatch.setattr(filters, "SEARCH_COUNT_CAP", 3)
    return world


def test_a_search_past_the_cap_says_more_than_and_counts_no_facet(client, spinners):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(spinners.users["office"])
    response = client.get(reverse(LIST), {"q": "纺纱"})
    paginator = response.context["page"].paginator
    assert (paginator.count, paginator.capped) == (3, True)
    assert response.context["facets"] == []
    text = response.content.decode()
    assert "Showing 1–3 of more than 3" in text
    assert "More than 3 rows match this search: narrow it" in text
    # The same list in Chinese.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    text = client.get(reverse(LIST), {"q": "纺纱"}).content.decode()
    assert "共超过3条" in text and "请缩小搜索范围" in text


def test_a_search_within_the_cap_is_counted_exactly_with_its_facets(client, spinners):
    client.force_login(spinners.users["county"])  # 高平市: two of the seven
    response = client.get(reverse(LIST), {"q": "纺纱"})
    paginator = response.context["page"].paginator
    assert (paginator.count, paginator.capped) == (2, False)
    assert {r["object"].name for r in response.context["rows"]} == {"示例纺纱厂5", "示例纺纱厂6"}
    # Counted, beside the filters: the two facets of the enterprise list.
    assert [f["name"] for f in response.context["facets"]] == ["chain", "role"]
    assert "cb-facets-capped" not in response.content.decode()


def test_an_unsearched_list_is_counted_exactly_past_the_cap(client, spinners):
    client.force_login(spinners.users["office"])
    response = client.get(reverse(LIST))
    paginator = response.context["page"].paginator
    assert paginator.count > 3 and not paginator.capped
    assert response.context["facets"] != []


def test_the_api_caps_a_searched_count_as_the_page_does(client, spinners):
    office, county = token_for("office"), token_for("county")
    body = api(client, "get", "enterprises?q=纺纱", office).json()
    assert (body["count"], body["count_capped"]) == (3, True)
    assert len(body["items"]) == 7  # the page's rows are all there: only the count stopped
    # Pages past the count still answer: the rows are there, the count only stopped.
    body = api(client, "get", "enterprises?q=纺纱&page_size=2&page=3", office).json()
    assert len(body["items"]) == 2 and body["count_capped"]
    body = api(client, "get", "enterprises?q=纺纱", county).json()
    assert (body["count"], body["count_capped"]) == (2, False)
    body = api(client, "get", "enterprises", office).json()
    assert body["count"] > 3 and body["count_capped"] is False


def test_a_search_within_the_cap_asks_the_index_once_for_its_page_count_and_facets(
    client, spinners, monkeypatch
):
    from chainboard import search

    # The index's reads, not a check of the county's rows themselves (PostgreSQL: test_search_rows.py).
    monkeypatch.setattr(search, "ROW_CHECK_ROWS", 0)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from enterprises.models import Enterprise

    index = f"{Enterprise._meta.db_table}_search"
    client.force_login(spinners.users["county"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(LIST), {"q": "纺纱"})
    assert response.context["page"].paginator.count == 2
    # The queries that read the index's matching ids: not a check that the index is installed, nor the
    # plan's count of how common the term is (SELECT 1 FROM the index, up to a limit).
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if any(f'{key} FROM "{index}' in q["sql"] for key in ("SELECT rowid", "SELECT object_id"))
    ]
    assert len(reads) == 1, reads
    # Another filter beside the search: counted over both, its facets too.
    silk, other = spinners.chains["silk"].pk, spinners.chains["other"].pk
    response = client.get(reverse(LIST), {"q": "纺纱", "chain": silk})
    assert response.context["page"].paginator.count == 2
    chains = {
        str(v["label"]): v["count"]
        for f in response.context["facets"]
        if f["name"] == "chain"
        for v in f["values"]
    }
    assert chains == {"丝麻纺织服装产业链": 2}
    response = client.get(reverse(LIST), {"q": "纺纱", "chain": other})
    assert response.context["page"].paginator.count == 0 and response.context["rows"] == []


def test_the_search_box_still_counts_up_to_its_own_cap(client, spinners):
    client.force_login(spinners.users["office"])
    groups = {str(g["label"]): g for g in client.get(reverse("search"), {"q": "纺纱"}).context["groups"]}
    assert groups["企业"]["count"] == 7 and not groups["企业"]["more"]
