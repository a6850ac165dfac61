"""A searched list's matches read from the search index alone (``search.index_ids``) where only the
scope the index knows narrows the search: the same keys as reading the table, never a row outside."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chainboard import actions, scope, search
from chainboard.scope import SystemActor
from chainboard.tests.test_search_rebuild import committed  # noqa: F401 (a fixture: committed rows)
from enterprises.models import Enterprise
from enterprises.views import EnterpriseViewSet

pytestmark = pytest.mark.django_db

TERMS = ["企业", "有限", "jb", "g", "服饰", "其他企业", "gpqt", "none-such", "q"]


@pytest.fixture
def indexed(world):
    from accounts.models import Grant, User
    from accounts.roles import Role

    actor = SystemActor("test")
    everything = User(username="every_chain")  # the chain office over every chain: no narrowing
    everything.set_unusable_password()
    actions.create_direct(actor, everything)
    actions.create_direct(actor, Grant(user=everything, role=Role.OFFICE))
    world.users["everything"] = everything
    call_command("rebuild_search", stdout=io.StringIO())
    return world


def searched(user, term):
    rows = Enterprise.objects.restrict(user, "view")
    return EnterpriseViewSet.filterset_class.matching(rows, term).order_by().values_list("pk", flat=True)


@pytest.mark.parametrize("term", TERMS)
def test_the_index_gives_the_keys_the_table_gives_for_everything_and_for_a_county(indexed, term):
    for name in ("everything", "county"):
        user = indexed.users[name]
        rows = searched(user, term)
        table = set(rows)
        read = search.index_ids(rows, 1000)
        if name == "county" and search.search_region(Enterprise) is None:
            # Without region tokens (PostgreSQL) the index cannot tell the county: the table is read.
            assert read is None
            continue
        assert read is not None and set(read) == table and len(read) == len(table), (name, term)


def test_a_limit_cuts_the_keys_to_as_many_of_the_matches(indexed):
    rows = searched(indexed.users["everything"], "企业")
    every = set(rows)
    assert len(every) >= 2
    for limit in (1, len(every), len(every) + 5):
        read = search.index_ids(rows, limit)
        assert len(read) == min(limit, len(every)) and set(read) <= every


def test_another_condition_or_a_negation_reads_the_table(indexed):
    rows = searched(indexed.users["everything"], "企业")
    assert search.index_ids(rows.filter(name__startswith="高"), 100) is None
    assert search.index_ids(rows.filter(region_id="140581101"), 100) is None  # a town: not a range
    assert search.index_ids(Enterprise.objects.exclude(search.matches(Enterprise, "企业")), 100) is None
    assert search.index_ids(rows[:2], 100) is None
    # A chain's scope is not in the index: the table is read.
    chief = indexed.users["chief"]
    assert scope.narrowing(chief, Enterprise)
    assert search.index_ids(searched(chief, "企业"), 100) is None


def test_a_deleted_row_is_not_read_from_the_index(indexed):
    everything = indexed.users["everything"]
    gone = indexed.enterprises["gaoping_other"]
    assert gone.pk in search.index_ids(searched(everything, "高平其他"), 100)
    actions.delete(SystemActor("test"), gone)
    assert search.index_ids(searched(everything, "高平其他"), 100) == []


def test_the_list_counts_and_shows_the_same_rows_as_before(client, indexed, monkeypatch):
    def listed(response):
        return response.context["page"].paginator.count, [r["object"].pk for r in response.context["rows"]]

    for name in ("everything", "county"):
        client.force_login(indexed.users[name])
        shown = listed(client.get("/enterprises/", {"q": "企业"}))
        with monkeypatch.context() as patched:
            patched.setattr(search, "index_ids", lambda rows, limit: None)
            assert listed(client.get("/enterprises/", {"q": "企业"})) == shown and shown[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index's bitmap is PostgreSQL's")
@pytest.mark.parametrize("term", TERMS)
def test_a_term_in_most_rows_is_read_by_a_scan_of_the_index_table_with_the_same_keys(
    indexed, monkeypatch, term
):
    """A very common term's first matches are read by scanning the index table and testing each entry's
    words (``_Query.scans_words``) rather than through the GIN index, whose bitmap holds every match
    before any is returned: the same keys."""
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{Enterprise._meta.db_table}_search"')  # reltuples and the tokens' stats
    rows = searched(indexed.users["everything"], term)
    table = set(rows)
    assert not search._Query(Enterprise, term).scans_words(2)  # four entries: never common enough
    monkeypatch.setattr(search, "SCAN_COST", 0)  # every term common enough
    query = search._Query(Enterprise, term)
    scanned = query.scans_words(2)
    # A 1-character term (a prefix of the tokens) and a term without words are never scanned.
    assert scanned == (query.words is not None and query.words[0] != "prefix")
    limit = Enterprise.objects.count()  # at most the table's entries: a scan is considered
    with CaptureQueriesContext(connection) as queries:
        read = search.index_ids(rows, limit)
    assert read is not None and set(read) == table and len(read) == len(table)
    keys = next(q["sql"] for q in queries.captured_queries if "object_id FROM" in q["sql"])
    assert bool(re.search(rf'WHERE strpos\("words", [^)]*\) > 0 LIMIT {limit}\)', keys)) == scanned, keys


def test_an_entry_matching_by_letters_and_by_pinyin_is_read_once_at_every_limit(indexed):
    """A term of letters asks two parts of the index (the letters in the text, the pinyin of the names):
    an entry matching both is one key, whatever limit cuts the read, and the keys are the table's."""
    actor = SystemActor("test")
    county = indexed.regions["140581"]
    both = actions.create_direct(actor, Enterprise(name="JB景柏纺织", region=county))  # letters and 景柏
    letters = actions.create_direct(actor, Enterprise(name="JB织造", region=county))  # letters only
    assert search.is_indexed(Enterprise)
    rows = searched(indexed.users["everything"], "jb")
    every = list(rows)
    assert {both.pk, letters.pk, indexed.enterprises["jingbai"].pk} <= set(every)  # 景柏服饰 by pinyin
    assert len(set(every)) == len(every)
    for limit in range(1, len(every) + 3):
        read = search.index_ids(rows, limit)
        assert len(read) == len(set(read)) == min(limit, len(every)), limit
        assert set(read) <= set(every)
    assert set(search.index_ids(rows, len(every))) == set(every)


def _parallel_workers(cursor=None) -> str:
    if cursor is not None:
        cursor.execute("SELECT current_setting('max_parallel_workers_per_gather')")
        return cursor.fetchone()[0]
    with connection.cursor() as own:
        return _parallel_workers(own)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's parallel workers")
def test_the_capped_read_is_planned_without_parallel_workers_and_the_rest_keeps_them(indexed):
    """PostgreSQL plans a read of many matches with two parallel workers, which cost a searched list's
    capped read more than they saved (bench/README.md); grouped counts over many rows gain from them, so
    the read's statement goes without and the connection's other statements keep them."""
    before = _parallel_workers()
    assert before != "0"
    seen = []

    def spy(execute, sql, params, many, context):
        if "object_id FROM" in sql:  # the read of the keys from the index
            seen.append(_parallel_workers(context["cursor"].cursor))
        return execute(sql, params, many, context)

    rows = searched(indexed.users["everything"], "企业")
    with connection.execute_wrapper(spy):
        read = search.index_ids(rows, 1000)
    assert read and set(read) == set(rows)
    assert seen == ["0"]
    assert _parallel_workers() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's parallel workers")
def test_a_callers_transaction_gets_its_own_setting_back_after_the_read_or_its_error():
    from django.db import DatabaseError, transaction

    from chainboard.dbfunctions import without_parallel_workers

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 1")
        with without_parallel_workers():
            assert _parallel_workers() == "0"
        assert _parallel_workers() == "1"
        with pytest.raises(DatabaseError), without_parallel_workers(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
        # The block's savepoint was rolled back: the caller's transaction and its setting go on.
        assert _parallel_workers() == "1"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's parallel workers")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed")  # rows committed, the index emptied after
def test_a_searched_list_leaves_the_connection_planning_as_before(client, indexed):
    """Outside a transaction (a request), the read runs in one of its own, whose end ends the setting."""
    assert not connection.in_atomic_block
    before = _parallel_workers()
    client.force_login(indexed.users["everything"])
    response = client.get("/enterprises/", {"q": "企业"})
    assert response.status_code == 200 and response.context["page"].paginator.count
    assert _parallel_workers() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index's bitmap is PostgreSQL's")
@pytest.mark.parametrize("term", TERMS)
def test_the_first_matches_in_no_order_of_a_common_term_are_found_by_a_scan_with_the_same_rows(
    indexed, monkeypatch, term
):
    """The box's count of a kind (its first 101 matches in no order, nothing else selecting them) reads a
    common term's words by scanning the index table, not through the bitmap of all of its matches: the
    same rows at every limit."""
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{Enterprise._meta.db_table}_search"')
    every = set(searched(indexed.users["everything"], term))
    monkeypatch.setattr(search, "SCAN_COST", 0)  # every term common enough
    query = search._Query(Enterprise, term)
    for limit in (1, 2, len(every) + 1):
        scanned = query.scans_words(limit)
        rows = (
            Enterprise.objects.filter(search.matches(Enterprise, term))
            .order_by()
            .values_list("pk", flat=True)
        )
        with CaptureQueriesContext(connection) as queries:
            first = list(rows[:limit])
        assert len(first) == len(set(first)) == min(limit, len(every)) and set(first) <= every, limit
        sql = queries.captured_queries[-1]["sql"]
        assert bool(re.search(rf'WHERE strpos\("words", [^)]*\) > 0 LIMIT {limit}\)', sql)) == scanned, sql
