"""A page in an indexed order walked with a probe of each row's entry: on PostgreSQL from fewer matches than
on SQLite, since a probe there costs about two reads of a match (``PG_WALK_PROBE_COST``), not FTS5's 120
(``PROBE_COST``); and the search box reads such a kind's hits by the walk, without its window."""

from __future__ import annotations

import io
import math

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Max, QuerySet
from django.test.utils import CaptureQueriesContext

from chainboard import search
from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db

TERM = "走查"  # one bigram: counted, never estimated at this size
ROWS = 3


def _page(term: str) -> tuple[list[str], str]:
    rows = Enterprise.objects.filter(search.matches(Enterprise, term)).order_by("name")
    with CaptureQueriesContext(connection) as queries:
        names = list(rows.values_list("name", flat=True)[:ROWS])
    return names, queries.captured_queries[-1]["sql"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's probe cost")
def test_a_page_walks_from_the_matches_a_postgresql_probe_pays_for(world, monkeypatch):
    """Matches that pay a walk at PostgreSQL's probe cost but not at SQLite's: the page walks the name
    index and probes each row (``IS NOT NULL``); at SQLite's cost it reads every match (``IN``). The rows
    are the same either way."""
    region = world.regions["140581"]
    # Enough matches that matches² ≥ ROWS × PG_WALK_PROBE_COST × the table's size, and no more than
    # SQLite's cost would walk for; created in one batch, so the size is known before.
    size = (Enterprise.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    count = math.isqrt(ROWS * search.PG_WALK_PROBE_COST * (size + 200)) + 1
    Enterprise.objects.bulk_create(
        [Enterprise(name=f"{TERM}样本{i:03d}有限公司", region=region) for i in range(count)]
    )
    call_command("rebuild_search", stdout=io.StringIO())
    size = Enterprise.objects.aggregate(m=Max("pk"))["m"]
    assert count**2 >= ROWS * search.PG_WALK_PROBE_COST * size
    assert count**2 < ROWS * search.PROBE_COST * size
    expected = sorted(Enterprise.objects.filter(name__contains=TERM).values_list("name", flat=True))[:ROWS]
    monkeypatch.setattr(search, "COMMON_MIN", 1)
    monkeypatch.setattr(search, "FEW", 0)  # the walk probes each row's entry, not a set of the matches

    walked, sql = _page(TERM)
    assert walked == expected
    assert "IS NOT NULL" in sql and " IN (SELECT" not in sql

    monkeypatch.setattr(search, "PG_WALK_PROBE_COST", search.PROBE_COST)  # SQLite's ratio, as before
    read, sql = _page(TERM)
    assert read == expected
    assert " IN (SELECT" in sql and "IS NOT NULL" not in sql


def test_the_search_box_reads_a_kind_walked_with_probes_in_order_with_no_window(client, world, monkeypatch):
    """Past the box's count, a kind whose first hits are found by walking its order with probes
    (``search.walks_order``) is read by that walk at once: the window would probe its first 400 rows the
    same way, then read the matches again when they hold too few. Not walked, the window is read; the
    hits are the same."""
    from django.urls import reverse

    from accounts.models import Grant, User
    from accounts.roles import Role
    from chainboard import actions
    from chainboard.scope import SystemActor
    from chainboard.views import search as box

    call_command("rebuild_search", stdout=io.StringIO())
    actor = SystemActor("test")
    everything = User(username="every_chain")  # the chain office over every chain: no narrowing
    everything.set_unusable_password()
    actions.create_direct(actor, everything)
    actions.create_direct(actor, Grant(user=everything, role=Role.OFFICE))
    client.force_login(everything)
    monkeypatch.setattr(box, "COUNT_CAP", 1)  # every kind with two matches or more is "more"
    monkeypatch.setattr(search, "COMMON_MIN", 1)
    monkeypatch.setattr(search, "PROBE_COST", 0)
    monkeypatch.setattr(search, "PG_WALK_PROBE_COST", 0)

    def first() -> QuerySet:  # a new condition each time: a condition keeps the choices it made
        return Enterprise.objects.filter(search.matches(Enterprise, "企业")).order_by("name")[: box.PER_KIND]

    expected = list(first().values_list("pk", flat=True))
    assert len(expected) > 1
    assert search.walks_order(first()) == "probes"

    def hits() -> tuple[list, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("search"), {"q": "企业"})
        found = [i.pk for g in response.context["groups"] for i in g["items"] if isinstance(i, Enterprise)]
        return found, [q["sql"] for q in queries.captured_queries]

    found, sql = hits()
    assert found == expected
    assert not any(f"LIMIT {box.WINDOW}" in s for s in sql)
    # A probe dear enough that no walk pays, and no set walked either: the window is read.
    monkeypatch.setattr(search, "PROBE_COST", 10**9)
    monkeypatch.setattr(search, "PG_WALK_PROBE_COST", 10**9)
    monkeypatch.setattr(search, "SET_WALK_SPREAD", 10**9)
    monkeypatch.setattr(search, "SET_WALK_SHARE", 0)
    assert search.walks_order(first()) is None
    found, sql = hits()
    assert found == expected
    assert any(f"LIMIT {box.WINDOW}" in s for s in sql)
