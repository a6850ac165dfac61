"""What a request's search plans are decided on (a table's size, the index's statistics, the planner's
estimate of a token) is read once per request, however many queries it plans; outside a request, when
asked."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainboard import actions, search
from chainboard.scope import SystemActor
from chainboard.tests.test_index_ids import indexed  # noqa: F401 (a fixture: an office over everything)
from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db

SIZE = 'SELECT MAX("id") FROM "enterprises_enterprise"'


def count(queries, text: str) -> int:
    return sum(q["sql"].startswith(text) for q in queries.captured_queries)


def test_a_searched_page_reads_each_fact_of_its_plans_once(client, indexed, monkeypatch):  # noqa: F811
    """The box plans every kind and a searched list its capped read and its page: each table's size,
    the index's statistics and a token's estimate (PostgreSQL) are asked once a request, and again on
    the next (a fact is not kept beyond its request)."""
    from chainboard.views import search as box

    monkeypatch.setattr(box, "COUNT_CAP", 1)  # each kind's first 2 matches: fewer than its rows
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{Enterprise._meta.db_table}_search"')  # the words' statistics
    client.force_login(indexed.users["everything"])
    planning = (
        "SELECT MAX(",
        "SELECT (SELECT MAX(",
        "SELECT array_agg(tablename::text) FROM pg_stats",
        "EXPLAIN (FORMAT JSON)",
    )
    first: dict[tuple, list[str]] = {}
    for url in [reverse("search"), reverse("enterprises:enterprise_list")] * 2:
        for term in ("jb", "企业"):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, {"q": term})
            assert response.status_code == 200
            asked = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(planning)]
            assert len(asked) == len(set(asked)), (url, term, asked)
            # The same request again asks the same facts again: none was kept from the first.
            assert first.setdefault((url, term), asked) == asked, (url, term)
    assert any(first.values())


def test_within_a_block_a_fact_is_read_once_and_outside_when_asked(world):
    actor = SystemActor("test")

    def size() -> int:
        with connection.cursor() as cursor:
            return search._size(cursor, Enterprise)

    with CaptureQueriesContext(connection) as queries:
        assert size() == size()
    assert count(queries, SIZE) == 2
    with search.facts_once(), CaptureQueriesContext(connection) as queries:
        first = size()
        added = actions.create_direct(actor, Enterprise(name="新企业", region=world.regions["140581"]))
        assert added.pk > first
        assert size() == first  # as the request first read it
    assert count(queries, SIZE) == 1
    assert size() == added.pk  # the next request reads it again


def sizes_asked(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("SELECT MAX(", "SELECT (SELECT MAX("))
    ]


def test_the_box_reads_its_kinds_table_sizes_in_one_statement(client, indexed, monkeypatch):  # noqa: F811
    """Each indexed kind's plan asks its table's size (a kind found through its enterprise, the
    enterprises' too): the box reads them all in one statement before planning, not one round trip a
    kind; the hits are those read without it."""
    from chainboard.views import search as box

    monkeypatch.setattr(box, "COUNT_CAP", 1)  # each kind's first 2 matches: fewer than its rows
    client.force_login(indexed.users["everything"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("search"), {"q": "企业"})
    assert response.status_code == 200
    asked = sizes_asked(queries)
    assert len(asked) == 1, asked
    tables = {model._meta.db_table for model in (Enterprise, *_indexed_kinds(box))}
    assert all(f'"{table}"' in asked[0] for table in tables), asked[0]
    shown = [(group["label"], [hit.pk for hit in group["items"]]) for group in response.context["groups"]]
    assert any(hits for _label, hits in shown)  # the comparison below is of hits, not of two empty pages
    monkeypatch.setattr(search, "plan_sizes", lambda tables: None)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(reverse("search"), {"q": "企业"})
    assert len(sizes_asked(queries)) > 1  # without it, one a kind
    assert [
        (group["label"], [hit.pk for hit in group["items"]]) for group in again.context["groups"]
    ] == shown


def _indexed_kinds(box) -> list:
    return [viewset.model for viewset in box._viewsets() if search.is_indexed(viewset.model)]


def test_sizes_are_read_in_one_statement_and_once_a_request(world):
    """``_sizes`` reads the tables not read yet in one statement, each size as ``_size`` reads it alone;
    within a request a size read once is not read again."""
    from projects.models import Project

    def sizes(tables) -> list[int]:
        with connection.cursor() as cursor:
            return search._sizes(cursor, tables)

    alone = [sizes([Enterprise])[0], sizes([Project])[0]]
    with CaptureQueriesContext(connection) as queries:
        assert sizes([Enterprise, Project]) == alone
    assert len(sizes_asked(queries)) == 1
    with search.facts_once(), CaptureQueriesContext(connection) as queries:
        assert sizes([Enterprise]) == alone[:1]
        assert sizes([Project, Enterprise]) == alone[::-1]
        assert sizes([Project]) == alone[1:]
    asked = sizes_asked(queries)
    assert asked == [SIZE, 'SELECT MAX("id") FROM "projects_project"'], asked
    assert alone[0] == max(Enterprise.objects.values_list("pk", flat=True))
