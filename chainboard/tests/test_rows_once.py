"""A filtered list with a facet across a to-many relation reads its rows' ids once, when they are few, and
takes its page, count and facets from them (chainboard/filters.py, ``ScopedFilterSet.filtered_ids``;
docs/lists.md): what the reader sees is what the filters give, with or without the read, and the API
counts the same rows."""

import pytest
from django.urls import reverse

from chainboard import filters
from chainboard.tests.test_api import api, token_for

pytestmark = pytest.mark.django_db

LIST = "enterprises:enterprise_list"


def seen(client, params) -> tuple:
    response = client.get(reverse(LIST), params)
    facets = {
        f["name"]: {str(v["label"]): v["count"] for v in f["values"]} for f in response.context["facets"]
    }
    names = [r["object"].name for r in response.context["rows"]]
    return response.context["page"].paginator.count, names, facets


@pytest.mark.parametrize("username", ["office", "county", "chief", "investment"])
def test_a_filtered_list_shows_the_same_with_its_rows_read_once_or_filtered_each_time(
    client, world, monkeypatch, username
):
    from chainboard.tests.test_imports import uscc
    from enterprises.models import Enterprise, Membership

    silk, other = world.chains["silk"], world.chains["other"]
    for i in range(6):  # more rows in each county and chain, some on both chains
        e = Enterprise.objects.create(
            name=f"示例企业{i}", region_id="140525" if i % 2 else "140581", uscc=uscc(80 + i)
        )
        Membership.objects.create(enterprise=e, chain=silk if i < 4 else other)
        if i % 3 == 0:
            Membership.objects.create(enterprise=e, chain=other, role="leader")
    client.force_login(world.users[username])
    cases = [
        {"chain": silk.pk},
        {"chain": other.pk, "role": "leader"},
        {"region": "140581"},
        {"region": "140525", "chain": silk.pk, "sort": "-name"},
        {"q": "示例", "chain": other.pk},
        {"q": "示例"},  # the search alone: its matches are the rows
        {"q": "企业", "sort": "-name"},
        {"q": "shili"},  # pinyin
        {"chain": silk.pk, "page_size": 25, "page": 2},
    ]
    for params in cases:
        monkeypatch.setattr(filters, "ROWS_ONCE", 0)  # never read: every query filters
        monkeypatch.setattr(filters, "ROWS_COUNTED", 0)
        filtered = seen(client, params)
        monkeypatch.setattr(filters, "ROWS_ONCE", 10_000)
        read_once = seen(client, params)
        assert read_once == filtered, params
        # Past ROWS_ONCE, under ROWS_COUNTED: the page filters, the count and facets take the ids.
        monkeypatch.setattr(filters, "ROWS_ONCE", 0)
        monkeypatch.setattr(filters, "ROWS_COUNTED", 10_000)
        counted = seen(client, params)
        assert counted == filtered, params
    # And past both the list is filtered as before: the count of a chain still right.
    monkeypatch.setattr(filters, "ROWS_ONCE", 1)
    monkeypatch.setattr(filters, "ROWS_COUNTED", 1)
    count, _names, _facets = seen(client, {"chain": silk.pk})
    assert count == filtered_count(world.users[username], silk)


def test_a_list_past_rows_once_is_counted_and_faceted_from_its_ids_and_paged_by_its_filters(
    client, world, monkeypatch
):
    """Past ``ROWS_ONCE``, up to ``ROWS_COUNTED``: the ids read give the count (no ``COUNT`` of its own)
    and the role facet (the memberships of those ids, no subquery of the enterprises), while the page is
    read by the filters, not by the ids (chainboard/filters.py, ``counted_ids``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    silk = world.chains["silk"]
    client.force_login(world.users["office"])
    monkeypatch.setattr(filters, "ROWS_ONCE", 0)
    monkeypatch.setattr(filters, "ROWS_COUNTED", 0)
    filtered = seen(client, {"chain": silk.pk, "region": "140500"})
    monkeypatch.setattr(filters, "ROWS_COUNTED", 10_000)
    with CaptureQueriesContext(connection) as queries:
        counted = seen(client, {"chain": silk.pk, "region": "140500"})
    assert counted == filtered and counted[0] == 2  # 景柏服饰 and 潞安府潞绸
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any(q.startswith('SELECT COUNT(*) AS "__count" FROM "enterprises_enterprise"') for q in sql)
    (role,) = [q for q in sql if q.startswith('SELECT "enterprises_membership"."role"')]
    assert 'FROM "enterprises_enterprise"' not in role  # the ids, not the list again
    (page,) = [
        q
        for q in sql
        if q.startswith('SELECT "enterprises_enterprise"."id", "enterprises_enterprise"."version"')
    ]
    assert "EXISTS" in page  # the page by its filters


def filtered_count(user, chain) -> int:
    from enterprises.models import Enterprise

    return Enterprise.objects.restrict(user, "view").filter(memberships__chain=chain).distinct().count()


def test_the_api_counts_a_filtered_list_as_the_page_does(client, world, monkeypatch):
    token = token_for("county")
    silk = world.chains["silk"].pk
    monkeypatch.setattr(filters, "ROWS_ONCE", 0)
    before = api(client, "get", f"enterprises?chain={silk}", token).json()
    monkeypatch.setattr(filters, "ROWS_ONCE", 10_000)
    after = api(client, "get", f"enterprises?chain={silk}", token).json()
    assert after == before and after["count"] == 1 and not after["count_capped"]  # 潞安府潞绸 only


def test_a_list_read_once_asks_no_count_of_its_own(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts(params) -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse(LIST), params)
        return sum(
            q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "enterprises_')
            for q in queries.captured_queries
        )

    client.force_login(world.users["office"])
    assert counts({"chain": world.chains["silk"].pk}) == 0
    assert counts({}) == 1  # no filter: counted


@pytest.mark.parametrize("rows_once", [filters.ROWS_ONCE, 0])
@pytest.mark.parametrize("username", ["office", "county"])
def test_a_searched_lists_facets_count_its_matches_without_reading_the_list_again(
    client, world, monkeypatch, username, rows_once
):
    """The search alone: the facets across the memberships select the matches' ids, read once in the
    reader's scope, instead of a subquery of the list (chainboard/filters.py, ``_searched_rows``);
    past ``ROWS_ONCE`` too, up to the search's cap, since the page selects those ids already (高平's
    9,982 enterprises of a million: the role facet 72 → 42 ms on PostgreSQL)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(filters, "ROWS_ONCE", rows_once)
    client.force_login(world.users[username])
    with CaptureQueriesContext(connection) as queries:
        count, names, facets = seen(client, {"q": "潞安"})
    assert (count, names) == (1, ["潞安府潞绸"])
    assert facets["chain"] == {"丝麻纺织服装产业链": 1}
    grouped = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "enterprises_membership"')
    ]
    assert len(grouped) == 2  # the chain and role facets
    assert not any('FROM "enterprises_enterprise"' in sql for sql in grouped)
