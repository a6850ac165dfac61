"""A filtered list past ``ROWS_ONCE`` on SQLite looks for its page among the first rows of the reader's
scope in its order (chainboard/filters.py, ``windowed_page``; docs/lists.md, "A page found in a
window"): the rows shown are those a sort of every filtered row gives, whether the window holds the page
or not, on the list page and in the API."""

import pytest
from django.db import connection
from django.urls import reverse

from chainboard import filters, search
from chainboard.tests.test_api import api, token_for

pytestmark = pytest.mark.django_db

LIST = "enterprises:enterprise_list"


@pytest.fixture
def shelf(world):
    """Sixty enterprises on the silk chain in 高平 and sixty on it in 泽州, in the office's scope (the silk
    chain), their names starting with the letters each test gives, so that 高平's come early or late in
    the order of names."""
    from chainboard.tests.test_imports import uscc
    from enterprises.models import Enterprise, Membership

    def build(gaoping_prefix: str, other_prefix: str):
        silk = world.chains["silk"]
        for i in range(60):
            gaoping = Enterprise.objects.create(
                name=f"{gaoping_prefix}{i:03d}", region_id="140581", uscc=uscc(200 + i)
            )
            other = Enterprise.objects.create(
                name=f"{other_prefix}{i:03d}", region_id="140525", uscc=uscc(300 + i)
            )
            Membership.objects.bulk_create(
                [Membership(enterprise=gaoping, chain=silk), Membership(enterprise=other, chain=silk)]
            )
        return silk

    return build


def by_hand(user, chain, descending=False) -> list[str]:
    from enterprises.models import Enterprise
    from regions.models import Region

    path = Region.objects.get(code="140581").path
    rows = Enterprise.objects.restrict(user, "view").filter(
        region__path__startswith=path, memberships__chain=chain
    )
    return sorted({e.name for e in rows}, reverse=descending)


def windows(monkeypatch) -> list[int]:
    """The windows read (their sizes), as ``search.first_ids`` is asked for them. The table's size is its
    rows (its largest id on a table without gaps; the test database's ids run on from earlier tests), so
    that a window is shorter than the table."""
    from enterprises.models import Enterprise

    monkeypatch.setattr(search, "table_size", lambda model: Enterprise.objects.count())
    asked: list[int] = []
    first_ids = search.first_ids

    def spy(queryset, limit):
        asked.append(limit)
        return first_ids(queryset, limit)

    monkeypatch.setattr(search, "first_ids", spy)
    return asked


def page_names(client, params) -> list[str]:
    response = client.get(reverse(LIST), params)
    assert response.status_code == 200
    return [r["object"].name for r in response.context["rows"]]


@pytest.mark.parametrize("early", [True, False], ids=["rows-early-in-the-order", "rows-late-in-the-order"])
def test_a_page_past_rows_once_is_the_page_a_sort_of_every_filtered_row_gives(
    client, world, shelf, monkeypatch, early
):
    # Early: 高平's names (A…) before the others' (B…), so a short window holds a page of them. Late:
    # after them (Z…), so the window holds none and the page is read by the filters.
    from enterprises.models import Enterprise

    silk = shelf("A" if early else "Z", "B")
    office = world.users["office"]
    monkeypatch.setattr(filters, "ROWS_ONCE", 10)  # 60 rows and more are past it
    monkeypatch.setattr(filters, "WINDOW_MARGIN", 1)  # windows shorter than the table's 120-odd rows
    asked = windows(monkeypatch)
    client.force_login(office)
    expected = by_hand(office, silk)
    assert len(expected) >= 60
    for params, rows in (
        ({"chain": silk.pk, "region": "140581"}, expected[:25]),
        ({"chain": silk.pk, "region": "140581", "page": 2}, expected[25:50]),
        ({"chain": silk.pk, "region": "140581", "page_size": 50}, expected[:50]),
        (
            {"chain": silk.pk, "region": "140581", "sort": "-name"},
            by_hand(office, silk, descending=True)[:25],
        ),
    ):
        asked.clear()
        assert page_names(client, params) == rows, params
        if connection.vendor == "sqlite":
            # Each page looked in a window (the ones sorted by name: the column's index leads).
            assert len(asked) == 1 and asked[0] < Enterprise.objects.count(), (params, asked)
        else:
            assert asked == [], params  # PostgreSQL walks the order's index to the page itself


def test_the_api_pages_a_filtered_list_as_the_list_page_does(client, world, shelf, monkeypatch):
    silk = shelf("A", "B")
    monkeypatch.setattr(filters, "ROWS_ONCE", 10)
    monkeypatch.setattr(filters, "WINDOW_MARGIN", 1)
    asked = windows(monkeypatch)
    token = token_for("office")
    expected = by_hand(world.users["office"], silk)
    for page in (1, 2, 3):
        asked.clear()
        body = api(
            client, "get", f"enterprises?chain={silk.pk}&region=140581&page_size=25&page={page}", token
        ).json()
        assert [item["name"] for item in body["items"]] == expected[(page - 1) * 25 : page * 25]
        assert body["count"] == len(expected) and not body["count_capped"]
        assert len(asked) == (1 if connection.vendor == "sqlite" else 0)


def test_no_window_past_its_limit_or_below_rows_once(client, world, shelf, monkeypatch):
    silk = shelf("A", "B")
    office = world.users["office"]
    client.force_login(office)
    asked = windows(monkeypatch)
    params = {"chain": silk.pk, "region": "140581"}
    expected = by_hand(office, silk)[:25]
    assert page_names(client, params) == expected
    assert asked == []  # at most ROWS_ONCE rows: the page selects the ids read once
    monkeypatch.setattr(filters, "ROWS_ONCE", 10)
    monkeypatch.setattr(filters, "WINDOW_MOST", 0)
    assert page_names(client, params) == expected
    assert asked == []  # the window would pass its limit: the page filters
    monkeypatch.setattr(filters, "WINDOW_MOST", 8_000)
    monkeypatch.setattr(filters, "ROWS_ONCE", 0)
    assert page_names(client, {"chain": silk.pk, "q": "潞安"}) == ["潞安府潞绸"]
    assert asked == []  # a searched list has plans of its own


def test_over_every_enterprise_a_page_the_window_misses_is_sorted_from_the_carried_keys(
    client, world, shelf, monkeypatch
):
    """Over every enterprise a region and a chain are counted off the memberships, which carry the
    region (docs/lists.md, "A region carried on the memberships"): no ids are read for the count. When the
    window holds too few (高平's names sort late), the page sorts those memberships' keys, read for it:
    the same rows a sort of every filtered row gives, on SQLite; PostgreSQL walks its order to the page."""
    from django.test.utils import CaptureQueriesContext

    from chainboard.tests.test_list_plans import _every_chain_office

    silk = shelf("Z", "B")
    user = _every_chain_office()
    monkeypatch.setattr(filters, "ROWS_ONCE", 10)
    monkeypatch.setattr(filters, "WINDOW_MARGIN", 1)
    asked = windows(monkeypatch)
    client.force_login(user)
    expected = by_hand(user, silk)
    assert len(expected) >= 60
    for params, rows in (
        ({"chain": silk.pk, "region": "140581"}, expected[:25]),
        ({"chain": silk.pk, "region": "140581", "page": 2}, expected[25:50]),
        ({"chain": silk.pk, "region": "140581", "sort": "-name"}, by_hand(user, silk, descending=True)[:25]),
    ):
        asked.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert page_names(client, params) == rows, params
        keys_read = [
            q["sql"]
            for q in ctx.captured_queries
            if q["sql"].startswith('SELECT "enterprises_membership"."enterprise_id"')
            and q["sql"].endswith(f"LIMIT {filters.ROWS_COUNTED + 1}")
        ]
        if connection.vendor == "sqlite":
            # Sorted by -name, 高平's names come first: the window holds the page.
            assert len(asked) == 1 and len(keys_read) == ("sort" not in params), (params, asked)
        else:
            assert asked == [] and keys_read == [], params  # PostgreSQL walks its order to the page
