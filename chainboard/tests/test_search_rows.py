"""A term checked on the rows themselves (docs/search.md, "Beside a few rows"; PostgreSQL): beside a
condition that selects few rows through an index of the table's own column (a county user's scope, a
unit's problems), a Chinese term is tested on those rows' own values instead of the index, and finds
exactly what the index finds, a value holding a control character included."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainboard import actions, search
from chainboard.scope import SystemActor, restrict
from enterprises.models import Enterprise

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's index carries the region instead"),
]

INDEX = "enterprises_enterprise_search"  # the PostgreSQL index's table
TERMS = ["企业", "其他", "业", "高平其他", "潞安府", "潞绸", "景柏", "府潞", "不在"]


@pytest.fixture
def indexed(world):
    call_command("rebuild_search", stdout=io.StringIO())
    return world


def found(queryset, term) -> tuple[set, list]:
    """The names ``term`` finds in ``queryset``, and the SQL that read the index (not the planner's
    estimate of a term: ``EXPLAIN``)."""
    with CaptureQueriesContext(connection) as queries:
        names = set(queryset.filter(search.matches(Enterprise, term)).values_list("name", flat=True))
    return names, [q["sql"] for q in queries.captured_queries if reads_index(q["sql"])]


def reads_index(sql: str) -> bool:
    return f'FROM "{INDEX}"' in sql and not sql.startswith("EXPLAIN")


@pytest.mark.parametrize("term", TERMS)
def test_a_county_users_term_is_checked_on_the_countys_rows_and_finds_what_the_index_finds(
    indexed, monkeypatch, term
):
    county = restrict(Enterprise.objects.all(), indexed.users["county"])
    on_rows, sql = found(county, term)
    assert not sql
    monkeypatch.setattr(search, "ROW_CHECK_ROWS", 0)  # no county is that small: the index
    by_index, sql = found(county, term)
    assert sql
    assert on_rows == by_index
    everywhere, _ = found(Enterprise.objects.all(), term)
    assert on_rows == {e.name for e in county if e.name in everywhere}


def test_a_value_with_a_control_character_is_found_as_the_index_finds_it(indexed):
    # The index removes control characters from a value; so does the check on the row.
    luanfu = indexed.enterprises["luanfu"]
    actions.save_fields(SystemActor(), luanfu, short_name="潞\x01绸")
    county = restrict(Enterprise.objects.all(), indexed.users["county"])
    names, sql = found(county, "潞绸")
    assert not sql
    assert "潞安府潞绸" in names
    actions.save_fields(SystemActor(), luanfu, name="潞安府")
    assert found(county, "潞绸")[0] == {"潞安府"}  # found through its short name alone
    assert found(county, "潞\x01")[0] == {"潞安府"}  # the term is normalised too: "潞"


@pytest.mark.parametrize("term", ["gp", "gaoping", "ABC企业", "企业a"])
def test_a_term_with_pinyin_or_letters_is_asked_of_the_index(indexed, term):
    county = restrict(Enterprise.objects.all(), indexed.users["county"])
    assert found(county, term)[1]


def test_more_rows_than_the_check_allows_are_asked_of_the_index(indexed, monkeypatch):
    county = restrict(Enterprise.objects.all(), indexed.users["county"])
    monkeypatch.setattr(search, "ROW_CHECK_ROWS", county.count() - 1)
    names, sql = found(county, "企业")
    assert sql
    assert names == {"高平其他企业"}
    # Without a condition on an indexed column (the office sees everything): the index.
    office = restrict(Enterprise.objects.all(), indexed.users["office"])
    assert found(office, "企业")[1]


def test_the_county_users_list_and_the_offices_county_filter_find_the_same(client, indexed):
    url = reverse("enterprises:enterprise_list")
    pages = []
    for user, params in (("county", {"q": "潞绸"}), ("office", {"q": "潞绸", "region": "140581"})):
        client.force_login(indexed.users[user])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        # The county user's matches are read in its scope, on its rows; the office's in its own scope (the
        # silk chain), before the county filter.
        assert any(reads_index(q["sql"]) for q in queries.captured_queries) == (user == "office")
        pages.append([e.name for e in response.context["page"].object_list])
    assert pages == [["潞安府潞绸"], ["潞安府潞绸"]]


def test_a_rare_term_is_read_from_the_index_once_the_planner_knows_it_is_rare(indexed, monkeypatch):
    # Forty enterprises of the county share a word: ANALYZE finds it among the most common tokens.
    Enterprise.objects.bulk_create(Enterprise(name=f"高平纺织{i}厂", region_id="140581") for i in range(40))
    call_command("rebuild_search", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{INDEX}"')
    county = restrict(Enterprise.objects.all(), indexed.users["county"])
    # 42 rows are checked whatever the term (fewer than ROW_CHECK_ALWAYS: no estimate is asked).
    rare, sql = found(county, "潞绸")
    assert rare == {"潞安府潞绸"} and not sql
    # A larger county asks the planner: the common word is checked on the rows; one enterprise of the
    # 42 is under a quarter of them, read from the index.
    monkeypatch.setattr(search, "ROW_CHECK_ALWAYS", 10)
    common, sql = found(county, "纺织")
    assert len(common) == 40 and not sql
    rare, sql = found(county, "潞绸")
    assert rare == {"潞安府潞绸"} and sql


@pytest.mark.parametrize("order", [("name",), ("-name",), ("-created_at", "name"), ("pk",)])
def test_a_few_rows_first_in_their_order_are_sorted_behind_a_fence(indexed, monkeypatch, order):
    # The box's window (views/search.py, _first): a county's first rows in the list's order.
    Enterprise.objects.bulk_create(Enterprise(name=f"高平{n}厂", region_id="140581") for n in "丙甲丁乙戊")
    county = restrict(Enterprise.objects.all(), indexed.users["county"]).order_by(*order)
    expected = list(county.values_list("pk", flat=True)[:4])
    with CaptureQueriesContext(connection) as queries:
        assert search.first_ids(county, 4) == expected
    assert any("OFFSET 0" in q["sql"] for q in queries.captured_queries)
    monkeypatch.setattr(search, "ROW_CHECK_ROWS", 0)  # more rows than that: the order's own plan
    with CaptureQueriesContext(connection) as queries:
        assert search.first_ids(county, 4) == expected
    assert not any("OFFSET 0" in q["sql"] for q in queries.captured_queries)


def test_an_order_by_an_expression_is_read_as_the_orm_reads_it(indexed):
    from django.db.models.functions import Lower

    county = restrict(Enterprise.objects.all(), indexed.users["county"]).order_by(Lower("name").desc())
    with CaptureQueriesContext(connection) as queries:
        assert search.first_ids(county, 4) == list(county.values_list("pk", flat=True)[:4])
    assert not any("OFFSET 0" in q["sql"] for q in queries.captured_queries)


def test_rows_without_a_match_are_what_excluding_the_search_leaves(indexed):
    # A value left unknown (no USCC: NULL) holds no match: the search's negation keeps its row, on the
    # rows as through the index.
    county = restrict(Enterprise.objects.all(), indexed.users["county"])
    assert county.filter(uscc__isnull=True).count() == 2
    kept = set(county.exclude(search.matches(Enterprise, "潞绸")).values_list("name", flat=True))
    assert kept == {"高平其他企业"}


def test_the_box_shows_a_countys_first_hits_in_the_lists_order_when_its_rows_are_checked(
    client, indexed, monkeypatch
):
    from chainboard.views import search as box

    # More matches than the box counts and than it sorts by their keys: the county's matches in order.
    monkeypatch.setattr(box, "COUNT_CAP", 1)
    monkeypatch.setattr(box, "SORTED_UP_TO", 1)
    actor = SystemActor("test")
    for name in ("高平乙企业", "高平甲企业", "高平丙企业"):
        actions.create_direct(actor, Enterprise(name=name, region=indexed.regions["140581"]))
    client.force_login(indexed.users["county"])
    county = restrict(Enterprise.objects.all(), indexed.users["county"])
    expected = list(
        county.filter(search.matches(Enterprise, "企业")).order_by("name").values_list("name", flat=True)
    )
    assert len(expected) > 1
    response = client.get(reverse("search"), {"q": "企业"})
    groups = {str(g["label"]): [h["object"].name for h in g["hits"]] for g in response.context["groups"]}
    assert groups["企业"] == expected[: box.PER_KIND]
