"""SQLite: a page in an indexed order walked against a set of every match (``Matches._walks_set``): the
same rows, in the same order, as the other plans; used only where it is meant to be."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext

from chainboard import search
from enterprises.models import Enterprise

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the set is walked on SQLite only"),
]

SET = '+"enterprises_enterprise"."id" IN ('
TERMS = ["企业", "有限", "jb", "g", "服饰", "其他企业", "gpqt", "jbfs", "none-such"]


@pytest.fixture
def indexed(world):
    call_command("rebuild_search", stdout=io.StringIO())
    return world


@pytest.fixture
def not_walked(indexed, monkeypatch):
    """The matches too few to pay a probe per row (the walk counts up to the table's size and never
    reaches it), so the order is walked against the set when the matches spread far enough."""
    monkeypatch.setattr(search, "COMMON_MIN", Enterprise.objects.aggregate(m=Max("pk"))["m"])
    monkeypatch.setattr(search, "PROBE_COST", 0)
    monkeypatch.setattr(search, "SET_WALK_SPREAD", 1)
    return monkeypatch


def page(queryset, order="name", size=100) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as queries:
        rows = list(queryset.order_by(order).values_list("name", flat=True)[:size])
    return rows, queries.captured_queries[-1]["sql"]


def matching(term):
    return Enterprise.objects.filter(search.matches(Enterprise, term))


@pytest.mark.parametrize("term", TERMS)
def test_the_set_gives_the_rows_the_other_plans_give(not_walked, term):
    expected = sorted(
        Enterprise.objects.filter(pk__in=search.matching_ids(Enterprise, term)).values_list("name", flat=True)
    )
    rows, sql = page(matching(term))
    assert rows == expected
    assert (SET in sql) == bool(expected)  # a term without matches has nothing to spread
    assert page(matching(term), "-name", 2)[0] == sorted(expected, reverse=True)[:2]
    negated, _sql = page(Enterprise.objects.exclude(search.matches(Enterprise, term)))
    assert negated == sorted(set(Enterprise.objects.values_list("name", flat=True)) - set(expected))
    # Neither spread far enough nor a share of the table large enough: each match read by its key.
    not_walked.setattr(search, "SET_WALK_SPREAD", 10**9)
    not_walked.setattr(search, "SET_WALK_SHARE", 0)
    rows, sql = page(matching(term))
    assert rows == expected and SET not in sql


def test_matches_that_are_a_large_share_of_the_table_are_read_into_the_set_even_gathered(not_walked):
    not_walked.setattr(search, "SET_WALK_SPREAD", 10**9)
    not_walked.setattr(search, "SET_WALK_SHARE", 10**9)
    rows, sql = page(matching("jb"))
    assert rows == ["景柏服饰"] and SET in sql
    not_walked.setattr(search, "SET_WALK_SHARE", 0)  # never
    rows, sql = page(matching("jb"))
    assert rows == ["景柏服饰"] and SET not in sql


def test_rows_named_by_key_are_tested_against_the_set_and_a_region_is_not(not_walked):
    expected = sorted(names := list(matching("企业").values_list("name", flat=True)))
    keys = list(Enterprise.objects.values_list("pk", flat=True))
    rows, sql = page(matching("企业").filter(pk__in=keys))
    assert rows == expected and SET in sql
    # Beside another indexed column SQLite might read that index instead of the order: not used.
    rows, sql = page(matching("企业").filter(region_id__gte="14"))
    assert rows == sorted(n for n in names if n in rows) and SET not in sql
    assert set(rows) == set(matching("企业").filter(region_id__gte="14").values_list("name", flat=True))
    # ... but rows named by key beside it are, whatever the counts (a county's box window).
    not_walked.setattr(search, "SET_WALK_SPREAD", 10**9)
    not_walked.setattr(search, "SET_WALK_SHARE", 0)
    rows, sql = page(matching("企业").filter(region_id__gte="14", pk__in=keys))
    assert rows == expected and SET in sql
    # More keys than SET_TEST_KEYS: not named few enough.
    not_walked.setattr(search, "SET_TEST_KEYS", len(keys) - 1)
    rows, sql = page(matching("企业").filter(region_id__gte="14", pk__in=keys))
    assert rows == expected and SET not in sql


def test_a_count_and_an_unsliced_list_read_the_matches_as_before(not_walked):
    with CaptureQueriesContext(connection) as queries:
        count = matching("企业").count()
        every = list(matching("企业").order_by("name").values_list("name", flat=True))
    assert count == len(every) > 1
    assert not any(SET in q["sql"] for q in queries.captured_queries)


def test_the_search_box_reads_the_matches_in_order_when_it_walks_the_set_with_no_window(
    not_walked, client, world
):
    """Past the box's count, a kind whose order is walked against the set of its matches
    (``search.walks_order``) is read in order at once: the window of the first 400 rows would read the
    same set to test them, and read it again when they hold too few."""
    from django.urls import reverse

    from accounts.models import Grant, User
    from accounts.roles import Role
    from chainboard import actions
    from chainboard.scope import SystemActor
    from chainboard.views import search as box

    actor = SystemActor("test")
    everything = User(username="every_chain")  # the chain office over every chain: no narrowing
    everything.set_unusable_password()
    actions.create_direct(actor, everything)
    actions.create_direct(actor, Grant(user=everything, role=Role.OFFICE))

    not_walked.setattr(box, "COUNT_CAP", 1)  # every kind with two matches or more is "more"
    expected = list(matching("企业").order_by("name").values_list("pk", flat=True)[: box.PER_KIND])
    assert len(expected) > 1
    assert search.walks_order(matching("企业").order_by("name")[: box.PER_KIND]) == "set"
    client.force_login(everything)

    def hits(response) -> list:
        return [i.pk for g in response.context["groups"] for i in g["items"] if isinstance(i, Enterprise)]

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("search"), {"q": "企业"})
    assert hits(response) == expected
    assert not any(f"LIMIT {box.WINDOW}" in q["sql"] for q in queries.captured_queries)
    # The set not chosen (matches neither spread nor many): the window is read, the same hits found.
    not_walked.setattr(search, "SET_WALK_SPREAD", 10**9)
    not_walked.setattr(search, "SET_WALK_SHARE", 0)
    assert search.walks_order(matching("企业").order_by("name")[: box.PER_KIND]) != "set"
    with CaptureQueriesContext(connection) as queries:
        again = client.get(reverse("search"), {"q": "企业"})
    assert hits(again) == expected
    assert any(f"LIMIT {box.WINDOW}" in q["sql"] for q in queries.captured_queries)
