"""How the search box reads a kind's first hits when they would be walked to, and how PostgreSQL is asked
for a term with several parts: the hits a user sees are the same whichever way, and the way is the one
meant (bench/README.md, "Matches that sort together")."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainboard import search
from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture
def everything(world):
    """The chain office over every chain (no narrowing), and enterprises named so that 丝绸 matches the
    last ones in name order: 12 names before them (阿…, 八…) match nothing."""
    from accounts.models import Grant, User
    from accounts.roles import Role
    from chainboard import actions, audit
    from chainboard.scope import SystemActor

    actor = SystemActor("test")
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="test:box-plans"):
        user = User(username="every_chain")
        user.set_unusable_password()
        actions.create_direct(actor, user)
        actions.create_direct(actor, Grant(user=user, role=Role.OFFICE))
        region = world.enterprises["luanfu"].region
        for i in range(12):
            actions.create_direct(actor, Enterprise(name=f"阿{i:02d}机械厂", region=region))
        for i in range(9):
            actions.create_direct(actor, Enterprise(name=f"龙{i:02d}丝绸厂", region=region))
    call_command("rebuild_search", stdout=io.StringIO())
    return user


def box_hits(client, term: str) -> tuple[list[str], list[str]]:
    """The box's enterprise hits for ``term`` in order, and the statements the request sent."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("search"), {"q": term})
    names = [i.name for g in response.context["groups"] for i in g["items"] if isinstance(i, Enterprise)]
    return names, [q["sql"] for q in queries.captured_queries]


def test_hits_that_sort_together_late_are_read_and_sorted_not_walked_to(client, everything, monkeypatch):
    from chainboard.views import search as box

    monkeypatch.setattr(box, "COUNT_CAP", 1)  # past the count: the order is walked or sorted
    monkeypatch.setattr(search, "walks_order", lambda queryset: "probes")  # a walk is what the plan says
    client.force_login(everything)
    expected = [f"龙{i:02d}丝绸厂" for i in range(box.PER_KIND)]

    # 12 rows come before the first match: more than the walk may pass, so the matches are sorted.
    monkeypatch.setattr(search, "WALK_AHEAD", 10)
    hits, sql = box_hits(client, "丝绸")
    assert hits == expected
    assert any("OFFSET 0) AS rows ORDER BY" in s for s in sql)

    # Fewer than the walk may pass: walked, the same hits.
    monkeypatch.setattr(search, "WALK_AHEAD", 100)
    hits, sql = box_hits(client, "丝绸")
    assert hits == expected
    assert not any("OFFSET 0) AS rows ORDER BY" in s for s in sql)


SORTED = "OFFSET 0) AS rows ORDER BY"


def list_names(client, path: str, **headers) -> tuple[list[str], list[str]]:
    """The names on a searched list page or API list, in order, and the statements the request sent."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    if path.startswith("/api/"):
        names = [item["name"] for item in response.json()["items"]]
    else:
        names = [row["object"].name for row in response.context["rows"]]
    return names, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("ahead", [10, 100])
def test_a_list_searched_past_its_cap_shows_the_same_rows_sorted_or_walked(
    client, everything, monkeypatch, ahead
):
    """Past the search's cap the list page and the API list read their page in the list's order from the
    matches; where the matches sort together far into that order (12 rows before the first of them, more
    than ``WALK_AHEAD`` = 10), they are read and sorted instead of walked to, and the rows are the same,
    page after page (docs/lists.md, "Searched lists: a capped count")."""
    from chainboard import filters
    from chainboard.tests.test_api import token_for

    monkeypatch.setattr(filters, "SEARCH_COUNT_CAP", 5)  # 9 matches: past the cap
    monkeypatch.setattr(search, "walks_order", lambda queryset: "probes")  # a walk is what the plan says
    monkeypatch.setattr(search, "WALK_AHEAD", ahead)
    sorted_read = ahead == 10
    client.force_login(everything)

    names, sql = list_names(client, "/enterprises/?q=丝绸")
    assert names == [f"龙{i:02d}丝绸厂" for i in range(5)]  # the capped count's rows, in name order
    assert any(SORTED in s for s in sql) is sorted_read

    token = token_for(everything.username)
    bearer = {"Authorization": f"Bearer {token}"}
    for page, first in ((1, 0), (2, 2), (4, 6)):
        names, sql = list_names(client, f"/api/v1/enterprises?q=丝绸&page_size=2&page={page}", **bearer)
        assert names == [f"龙{i:02d}丝绸厂" for i in range(first, first + 2)]
        assert any(SORTED in s for s in sql) is sorted_read
    # Sorted, in the order asked for.
    monkeypatch.setattr(search, "far_into_order", lambda *args: True)
    names, _sql = list_names(client, "/enterprises/?q=丝绸&sort=-name")
    assert names == [f"龙{i:02d}丝绸厂" for i in (8, 7, 6, 5, 4)]


@pytest.mark.parametrize("q", ["", "丝绸"])
def test_rows_with_equal_values_follow_the_sorts_direction_by_key(client, everything, q):
    """A list sorted by a column shows the rows that hold the same value (here no credit code, as most
    enterprises in an office's ledger) in the sort's direction by key: the column's index then gives the
    whole order, so a searched page is read in order, not sorted after reading every such row
    (docs/lists.md, "Sorted by a column")."""
    client.force_login(everything)
    matching = Enterprise.objects.filter(uscc__isnull=True)
    if q:
        matching = matching.filter(name__contains=q)
    without_code = set(matching.values_list("name", flat=True))
    assert len(without_code) >= 5
    by_key = list(
        Enterprise.objects.filter(name__in=without_code).order_by("pk").values_list("name", flat=True)
    )
    for sort, expected in (("uscc", by_key), ("-uscc", by_key[::-1])):
        names, _sql = list_names(client, f"/enterprises/?q={q}&sort={sort}&page_size=100")
        assert Enterprise.objects.count() < 100  # one page holds them all
        assert [name for name in names if name in without_code] == expected


def test_far_into_order_judges_by_the_first_of_the_sample_in_the_order(everything, monkeypatch):
    """The first of the matches read, in the list's order, stands for the walk's first hit: a walk that
    would pass ``WALK_AHEAD`` rows or more before it is far, one fewer is not; in the reverse order the
    first is 龙08丝绸厂."""
    matching = Enterprise.objects.filter(search.matches(Enterprise, "丝绸"))
    sample = list(matching.order_by("-name").values_list("pk", flat=True))  # in no useful order
    everyone = Enterprise.objects.all()
    before = everyone.filter(name__lt="龙00丝绸厂").count()
    after = everyone.filter(name__gt="龙08丝绸厂").count()
    assert before >= 12 and after < before
    monkeypatch.setattr(search, "WALK_PER_MATCH", 0)  # the rows ahead against WALK_AHEAD alone
    monkeypatch.setattr(search, "WALK_AHEAD", before)
    assert search.far_into_order(matching.order_by("name"), everyone, sample)
    assert not search.far_into_order(matching.order_by("-name"), everyone, sample)
    monkeypatch.setattr(search, "WALK_AHEAD", before + 1)
    assert not search.far_into_order(matching.order_by("name"), everyone, sample)
    # Judged by the sample's first only: without 龙00丝绸厂, the first is a row further on.
    first = Enterprise.objects.get(name="龙00丝绸厂").pk
    assert search.far_into_order(matching.order_by("name"), everyone, [pk for pk in sample if pk != first])
    # Against the matches too: a walk past fewer rows than WALK_PER_MATCH per match costs no more than
    # reading and sorting them (9 matches, 2 rows each: 18).
    monkeypatch.setattr(search, "WALK_AHEAD", 1)
    monkeypatch.setattr(search, "WALK_PER_MATCH", 2)
    assert search.far_into_order(matching.order_by("name"), everyone, sample) is (before >= 18)
    monkeypatch.setattr(search, "WALK_PER_MATCH", before // len(sample) + 1)
    assert not search.far_into_order(matching.order_by("name"), everyone, sample)
    monkeypatch.setattr(search, "WALK_PER_MATCH", 0)
    # Nothing to judge by, or an order by another model's column: left to the walk.
    assert not search.far_into_order(matching.order_by("name"), everyone, [])
    assert not search.far_into_order(matching.order_by("region__name"), everyone, sample)


def test_a_sort_by_region_is_walked_and_judged_as_the_enterprises_own_column(everything, world, monkeypatch):
    """The region column sorts by the region's code, which the enterprise's own foreign key holds
    (``region__code``: ORDER BY region_id, no join). Its page is walked through that column's index as a
    sort by name is, with the rows of a sort by hand; and whether the matches sort together far into the
    order is judged on that column. The 丝绸 mills all lie in one county, after every enterprise of the
    counties before it."""
    monkeypatch.setattr(search, "COMMON_MIN", 1)
    monkeypatch.setattr(search, "PROBE_COST", 0)
    monkeypatch.setattr(search, "PG_WALK_PROBE_COST", 0)
    matching = Enterprise.objects.filter(search.matches(Enterprise, "丝绸"))
    for order in ("region__code", "-region__code"):
        page = matching.order_by(order, order.replace("region__code", "pk"))[:3]
        assert search.walks_order(page) == search.walks_order(matching.order_by("name", "pk")[:3]) == "probes"
        by_hand = sorted(matching, key=lambda e: (e.region_id, e.pk), reverse=order.startswith("-"))
        assert list(page) == by_hand[:3]
    # Another model's column is not the enterprise's: not walked.
    assert search.walks_order(matching.order_by("region__name", "pk")[:3]) is None

    region = world.enterprises["luanfu"].region_id
    everyone = Enterprise.objects.all()
    sample = list(matching.values_list("pk", flat=True))
    before = everyone.filter(region_id__lt=region).count()
    assert before >= 1
    monkeypatch.setattr(search, "WALK_PER_MATCH", 0)
    monkeypatch.setattr(search, "WALK_AHEAD", before)
    assert search.far_into_order(matching.order_by("region__code"), everyone, sample)
    monkeypatch.setattr(search, "WALK_AHEAD", before + 1)
    assert not search.far_into_order(matching.order_by("region__code"), everyone, sample)


def test_hits_in_descending_order_are_sorted_the_same_way(everything):
    """``search.sorted_ids`` keeps the order's direction, and reads nothing for a term that matches
    nothing."""
    matching = Enterprise.objects.filter(search.matches(Enterprise, "丝绸"))
    ids = search.sorted_ids(matching.order_by("-name"), 3)
    assert [Enterprise.objects.get(pk=pk).name for pk in ids] == ["龙08丝绸厂", "龙07丝绸厂", "龙06丝绸厂"]
    assert (
        search.sorted_ids(
            Enterprise.objects.filter(search.matches(Enterprise, "没有这个")).order_by("name"), 3
        )
        == []
    )
    assert search.sorted_ids(matching.order_by("?"), 3) is None  # a random order is not sorted here


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan for a term of several parts")
def test_a_pinyin_terms_parts_are_one_in_over_their_union_on_postgresql(everything, world):
    """A pinyin term is looked for in the words (a name holding the letters) and in the pinyin; PostgreSQL
    is asked one IN over both parts' ids, which it joins with the table, not an OR of two, which it tested
    row by row over the whole table for a term matching few rows."""
    from chainboard import actions, audit
    from chainboard.scope import SystemActor

    actor = SystemActor("test")
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="test:letters"):
        for name in ("LSC丝绸厂", "龙丝绸厂"):
            actions.create_direct(actor, Enterprise(name=name, region=world.enterprises["luanfu"].region))
    matching = Enterprise.objects.filter(search.matches(Enterprise, "lsc"))
    with CaptureQueriesContext(connection) as queries:
        names = sorted(matching.values_list("name", flat=True)[:101])
    # By its letters (LSC丝绸厂) and by its pinyin (龙丝绸厂: long si chou), each once.
    assert names == ["LSC丝绸厂", "龙丝绸厂"]
    sql = queries.captured_queries[-1]["sql"]
    assert " UNION ALL " in sql and sql.count('"enterprises_enterprise"."id" IN (') == 1


@pytest.mark.parametrize("checked", [True, False], ids=["tested-on-rows", "read-from-index"])
def test_a_term_tested_on_the_rows_past_its_cap_is_sorted_not_walked_to(
    client, everything, monkeypatch, checked
):
    """A term tested on a county's own rows (``search.checks_rows``: PostgreSQL, a Chinese term beside the
    county's range) walks nothing of ours, but the database may walk the order's index testing each row
    (the county user's 高平 at a million enterprises: 972,793 rows passed, 2.1 s). Past the cap, where the
    matches sort together far into the order, the list page and the API list read them and sort them
    instead; the rows are the same either way."""
    from chainboard import filters
    from chainboard.tests.test_api import token_for

    monkeypatch.setattr(filters, "SEARCH_COUNT_CAP", 5)  # 9 matches: past the cap
    monkeypatch.setattr(search, "walks_order", lambda queryset: None)  # no walk of ours
    monkeypatch.setattr(search, "checks_rows", lambda queryset: checked)
    monkeypatch.setattr(search, "WALK_AHEAD", 10)  # 12 rows before the first match: far into the order
    client.force_login(everything)
    names, sql = list_names(client, "/enterprises/?q=丝绸")
    assert names == [f"龙{i:02d}丝绸厂" for i in range(5)]
    assert any(SORTED in s for s in sql) is checked
    bearer = {"Authorization": f"Bearer {token_for(everything.username)}"}
    names, sql = list_names(client, "/api/v1/enterprises?q=丝绸&page_size=2&page=2", **bearer)
    assert names == ["龙02丝绸厂", "龙03丝绸厂"]
    assert any(SORTED in s for s in sql) is checked
