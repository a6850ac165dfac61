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
    monkeypatch.setattr(box, "WALK_AHEAD", 10)
    hits, sql = box_hits(client, "丝绸")
    assert hits == expected
    assert any("OFFSET 0) AS rows ORDER BY" in s for s in sql)

    # Fewer than the walk may pass: walked, the same hits.
    monkeypatch.setattr(box, "WALK_AHEAD", 100)
    hits, sql = box_hits(client, "丝绸")
    assert hits == expected
    assert not any("OFFSET 0) AS rows ORDER BY" in s for s in sql)


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
