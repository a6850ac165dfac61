"""Indexed search (chainboard.search): Chinese substrings of any length, pinyin prefixes, polyphones, scope,
and an index that changes with the rows in their transaction."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from chainboard import actions, search
from chainboard.scope import SystemActor
from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed(world):
    # World objects are written through the actions; rebuilding also covers a checkout where the
    # actions do not index yet.
    call_command("rebuild_search", stdout=io.StringIO())
    return world


def names(text, queryset=None):
    queryset = Enterprise.objects.all() if queryset is None else queryset
    return set(queryset.filter(pk__in=search.matching_ids(Enterprise, text)).values_list("name", flat=True))


@pytest.mark.parametrize(
    "term",
    [
        "景柏",
        "柏",
        "服饰",
        "景柏服饰",
        "柏服饰",
        "jb",
        "jingbai",
        "JingBai",
        "jbfs",
        "j",
        "jing bai",
        "jingb",
    ],
)
def test_jingbai_is_found(indexed, term):
    assert "景柏服饰" in names(term)


@pytest.mark.parametrize("term", ["柏景", "xyz", "服饰景", "bj", "jingbaj", "景柏服饰有"])
def test_jingbai_is_not_found(indexed, term):
    assert "景柏服饰" not in names(term)


def test_a_term_matches_only_what_contains_it(indexed):
    assert names("其他") == {"高平其他企业", "泽州其他企业"}
    assert names("其他企业") == {"高平其他企业", "泽州其他企业"}
    assert names("高平其他") == {"高平其他企业"}
    assert names("潞") == {"潞安府潞绸"}
    assert names("lafl") == {"潞安府潞绸"}
    assert names("gpqt") == {"高平其他企业"}
    assert names("业") == {"高平其他企业", "泽州其他企业"}  # the last character of a name
    assert names("") == set()


def test_bigrams_that_occur_apart_do_not_match(indexed):
    # 景柏 and 柏服 are both keys of 景柏服饰 only when they overlap; "柏服景柏" has both bigrams' pieces
    # in another order and must be confirmed against the text.
    actor = SystemActor("test")
    actions.create_direct(actor, Enterprise(name="服饰景柏", region=indexed.regions["140525"]))
    call_command("rebuild_search", stdout=io.StringIO())
    assert names("景柏服饰") == {"景柏服饰"}
    assert names("饰景柏") == {"服饰景柏"}


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("chang", True),
        ("zhang", True),
        ("changcheng", True),
        ("zhangchengzhong", True),
        ("changchengchong", True),
        ("cczg", True),
        ("zccg", True),
        ("zhangcheng", True),
        ("chengchang", False),
    ],
)
def test_polyphonic_characters_match_on_every_reading(indexed, term, found):
    actions.create_direct(SystemActor("test"), Enterprise(name="长城重工", region=indexed.regions["140525"]))
    call_command("rebuild_search", stdout=io.StringIO())
    assert ("长城重工" in names(term)) is found


def test_short_name_and_uscc_are_searched(indexed):
    e = indexed.enterprises["luanfu"]
    e.short_name = "潞绸集团"
    e.uscc = "91140581MA0K123456"
    e.save()
    search.reindex(e)
    assert names("lcjt") == {"潞安府潞绸"}
    assert names("集团") == {"潞安府潞绸"}
    assert names("ma0k12") == {"潞安府潞绸"}  # a substring of the code
    assert names("91140581") == {"潞安府潞绸"}  # a prefix of the code


def test_reindex_follows_the_object(indexed):
    e = indexed.enterprises["jingbai"]
    e.name = "景柏丝绸"
    e.save()
    search.reindex(e)
    assert "景柏丝绸" in names("丝绸")
    assert names("服饰") == set()
    assert names("jbsc") == {"景柏丝绸"}


def test_the_index_changes_with_the_rows_transaction(indexed):
    actor = SystemActor("test")
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.save_fields(actor, indexed.enterprises["jingbai"], name="景柏纺织")
        assert names("纺织") == {"景柏纺织"}  # searchable inside the transaction that wrote it
        raise RuntimeError
    assert names("纺织") == set()
    assert names("服饰") == {"景柏服饰"}


def test_rows_written_around_the_actions_are_indexed_and_forgotten(indexed):
    """Raw SQL and queryset updates (a bulk load, a cascade) keep the index too: on SQLite by the table's
    triggers; on PostgreSQL deletes by a trigger, inserts and updates by the write path or a rebuild."""
    e = indexed.enterprises["jingbai"]
    Enterprise.objects.filter(pk=e.pk).update(name="景柏织造")
    if connection.vendor != "sqlite":
        call_command("rebuild_search", stdout=io.StringIO())
    assert names("织造") == {"景柏织造"} and names("服饰") == set()
    assert names("jbzz") == {"景柏织造"}
    for grant in e.grants.all():
        actions.delete(SystemActor("test"), grant)
    Enterprise.objects.filter(pk=e.pk).delete()  # no action: the table's trigger forgets the entry
    sql, params = search._Query(Enterprise, "织造").ids_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.fetchall() == []


def test_a_backslash_in_a_value_is_indexed_as_written(indexed):
    """PostgreSQL's entries go in as COPY text lines, where a backslash is an escape."""
    actions.save_fields(SystemActor("test"), indexed.enterprises["jingbai"], name="景柏\\服饰\\n")
    assert names("柏\\服") == {"景柏\\服饰\\n"}
    assert names("饰\\n") == {"景柏\\服饰\\n"} and names("柏服") == set()
    call_command("rebuild_search", "enterprises.Enterprise", stdout=io.StringIO())
    assert names("柏\\服") == {"景柏\\服饰\\n"} and names("jbfs") == {"景柏\\服饰\\n"}


def test_rebuild_is_idempotent(indexed):
    before = {term: names(term) for term in ("jb", "其他", "柏", "gpqt")}
    assert before["jb"]
    call_command("rebuild_search", "enterprises.Enterprise", stdout=io.StringIO())
    assert search.rebuild(Enterprise) == Enterprise.objects.count()
    assert {term: names(term) for term in before} == before


def test_the_list_searches_the_index_within_scope(client, indexed):
    url = reverse("enterprises:enterprise_list")
    client.force_login(indexed.users["office"])
    response = client.get(url, {"q": "jb"})  # icontains could not find this: the index answers
    assert [e.name for e in response.context["page"].object_list] == ["景柏服饰"]

    client.force_login(indexed.users["county"])  # 高平市 only
    for term, expected in [("其他", ["高平其他企业"]), ("jb", []), ("景柏", []), ("gp", ["高平其他企业"])]:
        response = client.get(url, {"q": term})
        assert response.status_code == 200
        assert [e.name for e in response.context["page"].object_list] == expected, term


def test_without_an_index_the_list_falls_back_to_icontains(client, world, monkeypatch):
    monkeypatch.setattr(search, "is_indexed", lambda model: False)
    client.force_login(world.users["office"])
    response = client.get(reverse("enterprises:enterprise_list"), {"q": "景柏"})
    assert [e.name for e in response.context["page"].object_list] == ["景柏服饰"]


def test_a_three_character_search_does_not_scan(indexed):
    # The plan starts from the index (an FTS5 MATCH on SQLite), never from a scan of the enterprise table.
    ids = search.matching_ids(Enterprise, "景柏服")
    sql, params = Enterprise.objects.filter(pk__in=ids).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
            assert not re.search(r"SCAN enterprises_enterprise( |$)", plan), plan
            assert "VIRTUAL TABLE INDEX 0:M" in plan, plan
    assert names("景柏服") == {"景柏服饰"}


def test_tokens_of_a_name():
    assert search.words(["景柏服饰", None, "AB"]) == ["景柏", "柏服", "服饰", "饰", "ab", "b"]
    tokens = search.pinyin_tokens(["长城", "AB1"])
    assert {"00chang", "00zhang", "00c", "00z", "01cheng", "01c"} <= tokens
    assert not any(t.startswith("1") for t in tokens)  # a value in plain ASCII: its words find it
    many = search.pinyin_tokens(["长重行" * 10])  # every reading of each character once, no combinations
    assert len(many) <= 20 * search.PINYIN_POSITIONS  # linear in the characters, not exponential


def test_a_last_character_and_a_one_character_value_are_found(indexed):
    actor = SystemActor("test")
    actions.save_fields(actor, indexed.enterprises["jingbai"], name="饰品服饰", short_name="柏")
    assert "饰品服饰" in names("饰")
    assert "饰品服饰" in names("柏")


def test_pinyin_matches_one_value_from_its_start(indexed):
    actor = SystemActor("test")
    actions.save_fields(actor, indexed.enterprises["jingbai"], name="景柏服饰", short_name="高平")
    assert "景柏服饰" in names("gp")
    assert "景柏服饰" not in names("jp")  # 景 from the name, 平 from the short name: not one value
    assert "景柏服饰" not in names("bf")  # not from a value's start


@pytest.mark.skipif(not hasattr(actions, "search"), reason="chainboard.actions does not index yet")
def test_the_actions_keep_the_keys_current(world):
    # No rebuild here: the world was written through the actions, which index as they write.
    actor = SystemActor("test")
    assert names("jb") == {"景柏服饰"}
    e = actions.save_fields(actor, world.enterprises["jingbai"], name="景柏丝绸")
    assert names("丝绸") == {"景柏丝绸"}
    assert names("服饰") == set()
    for grant in e.grants.all():  # its enterprise user's log-in hangs on it (docs/roles.md, Deleting)
        actions.delete(actor, grant)
    actions.delete(actor, e)
    assert names("jb") == set()


def _first_page(text, order="name", size=3):
    rows = Enterprise.objects.filter(search.matches(Enterprise, text)).order_by(order)
    return list(rows.values_list("name", flat=True)[:size])


@pytest.mark.parametrize("term", ["企业", "有限", "jb", "g", "服饰", "其他企业", "gpqt", "none-such"])
def test_a_common_term_gives_the_same_rows_by_either_plan(indexed, monkeypatch, term):
    """A page of a long result walks the name index and probes the keys (EXISTS); counts and short
    results read the matching ids (IN). Both give the same rows, in the same order."""
    expected = sorted(names(term))
    by_ids = _first_page(term, size=100)
    # Every term that matches anything counts as common, however high the table's ids have gone.
    monkeypatch.setattr(search, "COMMON_MIN", 1)
    monkeypatch.setattr(search, "PROBE_COST", 0)
    monkeypatch.setattr(search, "PG_WALK_PROBE_COST", 0)
    for few in (0, 10**9):  # each rule probed per row, or each rule's ids read once
        monkeypatch.setattr(search, "FEW", few)
        assert _first_page(term, size=100) == by_ids == expected
        assert _first_page(term, order="-name", size=2) == sorted(expected, reverse=True)[:2]
        assert Enterprise.objects.filter(search.matches(Enterprise, term)).count() == len(expected)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate: PostgreSQL only")
@pytest.mark.parametrize("term", ["企业", "有限", "g", "服饰", "无有"])
def test_a_term_judged_common_by_the_planners_estimate_gives_the_same_rows(indexed, monkeypatch, term):
    """On PostgreSQL a one-token term takes the planner's estimate of its matches instead of a count;
    whatever the estimate says (无有, found nowhere, is estimated at a row or more and walked), the
    rows are the same as by the count."""
    from django.test.utils import CaptureQueriesContext

    expected = sorted(names(term))
    monkeypatch.setattr(search, "COMMON_MIN", 1)
    monkeypatch.setattr(search, "PROBE_COST", 0)
    monkeypatch.setattr(search, "PG_WALK_PROBE_COST", 0)
    counted = _first_page(term, size=100)
    with connection.cursor() as cursor:  # the estimate is taken only where the index has statistics
        cursor.execute(f'ANALYZE "{Enterprise._meta.db_table}_search"')
    monkeypatch.setattr(search, "ESTIMATE_FROM", 0)
    for few in (0, 10**9):
        monkeypatch.setattr(search, "FEW", few)
        with CaptureQueriesContext(connection) as queries:
            estimated = _first_page(term, size=100)
        assert any(q["sql"].startswith("EXPLAIN") for q in queries.captured_queries)
        assert estimated == counted == expected
        assert _first_page(term, order="-name", size=2) == sorted(expected, reverse=True)[:2]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the sampled estimate: PostgreSQL only")
@pytest.mark.parametrize("term", ["jb", "gpqt", "其他企业", "企业产", "none-such", "zz"])
def test_a_term_of_several_tokens_judged_by_a_sample_gives_the_same_rows(indexed, monkeypatch, term):
    """On PostgreSQL a part of several tokens (a phrase, pinyin) takes a sample's estimate of its matches
    instead of a count; whatever the sample says, the rows are those of the count."""
    from django.test.utils import CaptureQueriesContext

    expected = sorted(names(term))
    monkeypatch.setattr(search, "COMMON_MIN", 1)
    monkeypatch.setattr(search, "PROBE_COST", 0)
    monkeypatch.setattr(search, "PG_WALK_PROBE_COST", 0)
    counted = _first_page(term, size=100)
    with connection.cursor() as cursor:  # the sample is scaled to the table's size in its statistics
        cursor.execute(f'ANALYZE "{Enterprise._meta.db_table}_search"')
    monkeypatch.setattr(search, "ESTIMATE_FROM", 0)
    monkeypatch.setattr(search, "SAMPLE_FROM", 0)
    for rows in (1, 10**9):  # a sample of one page, and of every page
        monkeypatch.setattr(search, "SAMPLE_ROWS", rows)
        for few in (0, 10**9):
            monkeypatch.setattr(search, "FEW", few)
            with CaptureQueriesContext(connection) as queries:
                sampled = _first_page(term, size=100)
            assert any("TABLESAMPLE" in q["sql"] for q in queries.captured_queries)
            assert sampled == counted == expected
            assert _first_page(term, order="-name", size=2) == sorted(expected, reverse=True)[:2]


def test_the_first_page_of_a_common_term_probes_instead_of_reading_every_match(indexed, monkeypatch):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    def page_sql(text):
        with CaptureQueriesContext(conn) as queries:
            _first_page(text)
        return queries.captured_queries[-1]["sql"]

    assert " IN (SELECT" in page_sql("企业")  # two per cent of a small table is not common
    monkeypatch.setattr(search, "COMMON_MIN", 1)
    monkeypatch.setattr(search, "PROBE_COST", 0)
    monkeypatch.setattr(search, "PG_WALK_PROBE_COST", 0)
    monkeypatch.setattr(search, "FEW", 0)
    assert "IS NOT NULL" in page_sql("企业") and " IN (SELECT" not in page_sql("企业")
    # Ordered by a column without an index, the walk would read the whole table: not taken.
    with CaptureQueriesContext(conn) as queries:
        list(Enterprise.objects.filter(search.matches(Enterprise, "企业")).order_by("address")[:3])
    assert " IN (SELECT" in queries.captured_queries[-1]["sql"]
    with CaptureQueriesContext(conn) as queries:
        Enterprise.objects.filter(search.matches(Enterprise, "企业")).count()
    assert " IN (SELECT" in queries.captured_queries[-1]["sql"]


def test_pinyin_of_the_ordered_name_does_not_make_a_walk_of_that_order(indexed, monkeypatch):
    """Pinyin matches a value from its start, so in name order every name that reads "jb…" sits in one
    stretch: a walk of the name index would meet none of them until there. On SQLite, where a probe is
    dear, those matches do not make the walk pay; in another order (newest first) they do. The rows are
    the same either way."""
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    query = search._Query(Enterprise, "jb")
    pinyin = {i for i, (which, _c) in enumerate(query.parts()) if which == "pinyin"}
    gathered = search._gathered(query, ["name"])
    if conn.vendor != "sqlite":  # a probe costs little there: the walk past a stretch too
        assert gathered == frozenset()
        return
    assert len(gathered) == 1 and gathered < pinyin  # a part per value: the name's (value 0) only
    assert search._gathered(query, ["-id"]) == search._gathered(query, ()) == frozenset()
    assert search._gathered(search._Query(Enterprise, "景柏"), ["name"]) == frozenset()

    monkeypatch.setattr(search, "COMMON_MIN", 1)
    monkeypatch.setattr(search, "PROBE_COST", 0)
    monkeypatch.setattr(search, "PG_WALK_PROBE_COST", 0)
    monkeypatch.setattr(search, "FEW", 0)

    def page(order):
        with CaptureQueriesContext(conn) as queries:
            rows = list(
                Enterprise.objects.filter(search.matches(Enterprise, "jb"))
                .order_by(order)
                .values_list("name", flat=True)[:3]
            )
        return rows, queries.captured_queries[-1]["sql"]

    by_name, sql = page("name")
    assert by_name == ["景柏服饰"] and "IS NOT NULL" not in sql
    newest, sql = page("-id")
    assert newest == ["景柏服饰"] and "IS NOT NULL" in sql


def test_a_page_narrowed_by_an_indexed_column_walks_only_when_that_column_selects_few_rows(
    indexed, monkeypatch
):
    """A condition on an indexed column of the table (a county user's region) makes the database read
    that index and probe each of its rows: the walk is kept only when they are fewer than the matches
    (probing costs PROBE_COST reads, 1 here); the rows are the same either way."""
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(search, "COMMON_MIN", 1)
    monkeypatch.setattr(search, "PROBE_COST", 0)
    monkeypatch.setattr(search, "PG_WALK_PROBE_COST", 0)
    monkeypatch.setattr(search, "FEW", 0)
    # The index's plans, not a check of the rows themselves (PostgreSQL: test_search_rows.py).
    monkeypatch.setattr(search, "ROW_CHECK_ROWS", 0)

    def page(**narrowed):
        rows = Enterprise.objects.filter(search.matches(Enterprise, "企业"), **narrowed).order_by("name")
        with CaptureQueriesContext(conn) as queries:
            found = list(rows.values_list("name", flat=True)[:3])
        return found, queries.captured_queries[-1]["sql"]

    matching = sorted(names("企业"))
    everywhere = Enterprise.objects.filter(region_id__gte="14").count()
    assert everywhere > len(matching)  # the region condition selects more rows than match
    found, sql = page(region_id__gte="14")
    assert found == matching[:3] and " IN (SELECT" in sql and "IS NOT NULL" not in sql
    found, sql = page(region_id="140581101")  # one row: 高平其他企业
    assert found == ["高平其他企业"] and "IS NOT NULL" in sql
    # Beside rows picked by id (the box's window of the newest rows in scope) the walk probes only those
    # (PostgreSQL, whatever the matches); SQLite, where a probe is dear, tests them against a set of the
    # matches instead.
    found, sql = page(region_id__gte="14", pk__in=list(Enterprise.objects.values_list("pk", flat=True)))
    if conn.vendor == "sqlite":
        assert (
            found == matching[:3]
            and "IS NOT NULL" not in sql
            and '+"enterprises_enterprise"."id" IN (' in sql
        )
    else:
        assert found == matching[:3] and "IS NOT NULL" in sql
    # In no order (the search box's first matches) the walk stops at the rows it wants, whatever reads
    # the rows: it is kept (a county's 问题 in the box: 560 ms by reading every match, 62 by the walk).
    unordered = Enterprise.objects.filter(search.matches(Enterprise, "企业"), region_id__gte="14").order_by()
    with CaptureQueriesContext(conn) as queries:
        found = set(unordered.values_list("name", flat=True)[:100])
    assert found == set(matching) and "IS NOT NULL" in queries.captured_queries[-1]["sql"]


@pytest.mark.parametrize("cap", [0, 1, 2, 3, 50])
def test_a_capped_count_of_the_whole_table_reads_no_more_ids_than_it_counts(indexed, cap):
    """Counting the first cap + 1 matches with no other condition reads at most that many ids of each
    part of the index (LIMIT inside the IN), and counts what the exact count would, up to the cap."""
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    from chainboard.filters import capped_count

    for term in ("企业", "jb", "有限", "景柏", "none-such"):
        exact = Enterprise.objects.filter(search.matches(Enterprise, term)).count()
        with CaptureQueriesContext(conn) as queries:
            counted = capped_count(Enterprise.objects.filter(search.matches(Enterprise, term)), cap)
        assert counted == (min(exact, cap), exact > cap), term
        sql = queries.captured_queries[-1]["sql"]
        # The outer LIMIT of the count, and one inside each part's IN.
        assert sql.count(f"LIMIT {cap + 1}") >= 2 or "1 = 0" in sql, sql
        # Beside another condition, the ids are not cut: the count is still right.
        scoped = Enterprise.objects.filter(search.matches(Enterprise, term), region_id__gte="140581")
        exact = scoped.count()
        assert capped_count(scoped, cap) == (min(exact, cap), exact > cap), term


def _enterprise_group(response):
    label = str(Enterprise._meta.verbose_name_plural)
    return next(g for g in response.context["groups"] if str(g["label"]) == label)


def test_the_search_box_counts_a_common_term_up_to_a_cap(client, indexed, monkeypatch):
    from chainboard.views import search as search_view
    from enterprises.models import Membership

    actor = SystemActor("test")
    second = actions.create_direct(actor, Enterprise(name="景柏织造", region=indexed.regions["140525"]))
    actions.create_direct(actor, Membership(enterprise=second, chain=indexed.chains["silk"]))
    client.force_login(indexed.users["office"])  # the silk chain: 景柏服饰 and 景柏织造 match
    term = "景柏"
    total = 2
    group = _enterprise_group(client.get(reverse("search"), {"q": term}))
    assert group["count"] == total and not group["more"]

    monkeypatch.setattr(search_view, "COUNT_CAP", total - 1)
    response = client.get(reverse("search"), {"q": term})
    group = _enterprise_group(response)
    assert group["count"] == total - 1 and group["more"]
    assert f"超过{total - 1}条" in response.content.decode()


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("ccz", True),  # 长城 as one pair token, 重 (zhong) by its initial alone
        ("ccc", True),  # 重 read chong
        ("zcz", True),
        ("ccg", False),  # no reading of 重 starts with g
        ("cczgx", False),
    ],
)
def test_a_lone_initial_after_a_pair_matches_every_reading_of_its_character(indexed, term, found):
    # An odd number of initials leaves the last one alone: on PostgreSQL a prefix of that position's
    # syllables (no initials token is stored), on SQLite its own token.
    actions.create_direct(SystemActor("test"), Enterprise(name="长城重工", region=indexed.regions["140525"]))
    call_command("rebuild_search", stdout=io.StringIO())
    assert ("长城重工" in names(term)) is found
    assert ("景柏服饰" in names("jbf")) and "景柏服饰" not in names("jbx")


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("changchengz", True),  # 重 by its initial after two whole syllables: zhong
        ("zhangchengc", True),  # 长 read zhang, 重 chong
        ("changz", False),  # 城 is not read with z
        ("changchengg", False),  # no reading of 重 starts with g
    ],
)
def test_an_initial_after_a_syllable_matches_every_reading_of_its_character(indexed, term, found):
    # The initial is asked as its pair with the piece before it (search._way_tokens): the same answers as
    # a prefix of its position's syllables.
    actions.create_direct(SystemActor("test"), Enterprise(name="长城重工", region=indexed.regions["140525"]))
    call_command("rebuild_search", stdout=io.StringIO())
    assert ("长城重工" in names(term)) is found


def test_a_lone_initial_after_another_piece_is_asked_as_a_pair_not_as_a_prefix():
    # PostgreSQL's GIN index gathers every entry of a prefix before anything else: gaoping's initials
    # way ended in "06g":*, a name's seventh character read with g (公司 among them).
    for term in ("gaoping", "jcg", "changchengz"):
        for way in search._Query(Enterprise, term).pinyin:
            alone = [token for token, _prefix in way[1:] if search._lone_initial(token)]
            assert not alone, (term, way)
    assert search._Query(Enterprise, "g").pinyin[0] == [("00g", False)]  # alone at the start: itself


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("lvse", {"绿色纺织"}),  # lǜ: ü with a tone mark, written v
        ("lvye", {"铝业制品"}),  # pinyin is matched from the start of a value
        ("nvzhuang", {"女装工坊"}),
        ("lvs", {"绿色纺织"}),  # the last syllable cut short
    ],
)
def test_full_pinyin_with_u_diaeresis_written_v_is_found(indexed, term, expected):
    actor, region = SystemActor("test"), indexed.regions["140525"]
    for name in ("绿色纺织", "铝业制品", "女装工坊"):
        actions.create_direct(actor, Enterprise(name=name, region=region))
    call_command("rebuild_search", stdout=io.StringIO())
    assert names(term) & {"绿色纺织", "铝业制品", "女装工坊"} == expected


def test_every_reading_of_every_character_is_a_syllable_a_term_may_ask():
    # A term splits into these syllables, and on PostgreSQL a syllable cut short is asked as the OR of
    # those it begins: a reading missing here could never be found by its full pinyin (lǜ, nǚ were).
    from pypinyin.pinyin_dict import pinyin_dict

    syllables = search._syllables()
    missing = {
        chr(code): r for code in pinyin_dict for r in search._readings(chr(code)) if r not in syllables
    }
    assert not missing


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("youxian", {"有线传媒", "油香食品"}),  # xian cut short: xian and xiang
        ("youxiang", {"油香食品"}),
        ("youx", {"有线传媒", "油香食品"}),
        ("youxianc", {"有线传媒"}),
    ],
)
def test_a_syllable_cut_short_finds_every_syllable_it_begins(indexed, term, expected):
    actor, region = SystemActor("test"), indexed.regions["140525"]
    for name in ("有线传媒", "油香食品"):
        actions.create_direct(actor, Enterprise(name=name, region=region))
    call_command("rebuild_search", stdout=io.StringIO())
    assert names(term) & {"有线传媒", "油香食品"} == expected


def test_a_syllable_cut_short_is_asked_as_the_few_syllables_it_begins():
    token = search._pinyin_token
    if connection.vendor == "sqlite":
        assert token("01xian", True) == '("01xian" OR "01xiang")'
        assert token("01ping", True) == '("01ping")'
        assert token("01ch", True).count(" OR ") == 18  # its 19 syllables
        assert token("01b", False) == '"01b"'  # a lone initial: its own token
    else:
        assert token("01xian", True) == "('01xian' | '01xiang')"
        assert token("01ping", True) == "('01ping')"
        assert token("01ch", True) == "'01ch':*"  # 19 syllables: a prefix
        assert token("01b", False) == "'01b':*"  # a lone initial: a prefix of its position's syllables
    assert token("01xian", False) in ('"01xian"', "'01xian'")


def test_a_phrase_whose_bigrams_all_occur_but_apart_is_not_found(indexed, monkeypatch):
    # 纺织纺: 纺织 and 织纺 are both in 纺织织纺, and in 纺织厂 + 织纺 (name and short name), but the
    # three characters in a row only in 纺织纺线. PostgreSQL keeps no positions: its bigrams' AND must
    # be confirmed on the text, by either plan.
    actor, region = SystemActor("test"), indexed.regions["140525"]
    actions.create_direct(actor, Enterprise(name="纺织织纺", region=region))
    actions.create_direct(actor, Enterprise(name="纺织厂", short_name="织纺", region=region))
    actions.create_direct(actor, Enterprise(name="纺织纺线", region=region))
    call_command("rebuild_search", stdout=io.StringIO())
    assert names("纺织纺") == {"纺织纺线"}
    assert names("织纺") == {"纺织织纺", "纺织厂", "纺织纺线"}
    monkeypatch.setattr(search, "COMMON_MIN", 1)
    monkeypatch.setattr(search, "PROBE_COST", 0)
    monkeypatch.setattr(search, "PG_WALK_PROBE_COST", 0)
    monkeypatch.setattr(search, "FEW", 0)  # the page probes each row's entry
    assert _first_page("纺织纺", size=10) == ["纺织纺线"]


_OLD_INDEX = [  # the PostgreSQL index as enterprises 0004 and investment 0003 left it
    'CREATE TABLE "{docs}" ("object_id" bigint PRIMARY KEY, "words" tsvector NOT NULL,'
    ' "pinyin" tsvector NOT NULL)',
    'CREATE INDEX "{docs}_words" ON "{docs}" USING gin (words)',
    'CREATE INDEX "{docs}_pinyin" ON "{docs}" USING gin (pinyin)',
    'CREATE FUNCTION "{table}_search_forget"() RETURNS trigger LANGUAGE plpgsql AS $$'
    ' BEGIN DELETE FROM "{docs}" WHERE object_id = OLD.id; RETURN OLD; END $$',
    'CREATE TRIGGER "{table}_search_forget" AFTER DELETE ON "{table}" FOR EACH ROW'
    ' EXECUTE FUNCTION "{table}_search_forget"()',
]


def _old_index(model) -> None:
    """Replace the index of ``model`` by one in the tsvector form, filled as that code filled it."""
    table = model._meta.db_table
    fields = search.search_fields(model)
    with connection.cursor() as cursor:
        for sql in search.uninstall_sql("postgresql", table):
            cursor.execute(sql)
        for sql in _OLD_INDEX:
            cursor.execute(sql.format(table=table, docs=table + "_search"))
        for row in model._base_manager.values_list("pk", *fields):
            values = row[1:]
            tokens = search.words(values)
            cursor.execute(  # only the table's name is formatted in; the values are parameters
                f'INSERT INTO "{table}_search" VALUES (%s, %s::tsvector, %s::tsvector)',  # noqa: S608
                [
                    row[0],
                    " ".join(f"{search._ts_quote(t)}:{i}" for i, t in enumerate(tokens, 1)),
                    " ".join(search._ts_quote(t) for t in search.pinyin_tokens(values)),
                ],
            )


def _migrate(module: str) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module(module).Migration
    with connection.schema_editor() as editor:
        for operation in migration.operations:
            operation.code(apps, editor)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="on SQLite these migrations do nothing")
def test_the_compact_migrations_convert_an_index_in_the_tsvector_form(indexed):
    from investment.models import Lead

    actor = SystemActor("test")
    lead = actions.create_direct(
        actor, Lead(company_name="宁波锦绣丝绸有限公司", chain=indexed.chains["silk"])
    )
    _old_index(Enterprise)
    _old_index(Lead)
    _migrate("enterprises.migrations.0005_search_index_compact")
    _migrate("investment.migrations.0004_lead_search_index_compact")
    _migrate("enterprises.migrations.0007_search_region")  # and the region tokens, as they come later

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_name IN ('enterprises_enterprise_search', 'investment_lead_search')"
            " AND column_name IN ('words', 'pinyin')"
        )
        assert {row[2] for row in cursor.fetchall()} == {"text"}
    assert names("景柏服饰") == {"景柏服饰"}
    assert names("jbfs") == {"景柏服饰"}
    assert names("其他企业") == {"高平其他企业", "泽州其他企业"}
    leads = Lead.objects.filter(search.matches(Lead, "锦绣丝绸"))
    assert list(leads) == [lead] and list(Lead.objects.filter(search.matches(Lead, "nbjx"))) == [lead]
    # Written after the conversion: the write path and the delete trigger keep the new table.
    actions.save_fields(actor, indexed.enterprises["jingbai"], name="景柏丝绸")
    assert names("丝绸") == {"景柏丝绸"} and names("服饰") == set()
    actions.delete(actor, lead)
    assert not Lead.objects.filter(search.matches(Lead, "锦绣")).exists()


FORMER_WORDS = (  # the words function before chainboard 0022: pairs kept within the values
    "array_to_tsvector(array_remove(string_to_array(translate("
    r"regexp_replace(t, '[^\x1f]{1,2}', '\&' || chr(30), 'g') || chr(30) || "
    r"regexp_replace(regexp_replace(t, '(^|\x1f)[^\x1f]', '\1', 'g'), '[^\x1f]{1,2}', '\&' || chr(30), 'g')"
    ", chr(31), chr(30)), chr(30)), ''))"
)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's words function")
def test_the_pairs_migration_replaces_the_words_function_with_the_same_answers(indexed):
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {search.PG_WORDS}(t text) RETURNS tsvector LANGUAGE sql IMMUTABLE"
            f" STRICT PARALLEL SAFE AS $$ SELECT {FORMER_WORDS} $$"
        )
        cursor.execute("REINDEX INDEX enterprises_enterprise_search_words")
        cursor.execute(f"SELECT {search.PG_WORDS}(%s)::text", ["景柏服饰" + search.SEP + "景柏"])
        assert cursor.fetchone()[0] == "'景柏' '服饰' '柏' '柏服' '饰'"
    terms = ("柏", "饰", "服饰", "景柏服饰", "柏服饰", "其他企业", "业", "高")
    before = {term: names(term) for term in terms}
    assert before["饰"] and before["业"]

    _migrate("chainboard.migrations.0022_search_words_pairs")

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {search.PG_WORDS}(%s)::text", ["景柏服饰" + search.SEP + "景柏"])
        # Each value's pairs, and the pairs across SEP ("饰\x1f", "\x1f景") where it had a last character.
        assert cursor.fetchone()[0] == "'\x1f景' '景柏' '服饰' '柏' '柏服' '饰\x1f'"
    assert {term: names(term) for term in terms} == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's shared token functions")
def test_uninstalling_one_index_keeps_the_others_functions_and_the_last_drops_them(indexed):
    from investment.models import Lead
    from problems.models import Problem

    lead = actions.create_direct(
        SystemActor("test"), Lead(company_name="锦绣丝绸", chain=indexed.chains["silk"])
    )
    search.rebuild(Lead)

    def functions() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'chainboard_search_%%'")
            return {row[0] for row in cursor.fetchall()}

    with connection.cursor() as cursor:
        for sql in search.uninstall_sql("postgresql", "enterprises_enterprise"):
            cursor.execute(sql)
    assert functions() == {search.PG_WORDS, search.PG_PINYIN}
    assert list(Lead.objects.filter(search.matches(Lead, "锦绣丝绸"))) == [lead]
    with connection.cursor() as cursor:
        for sql in search.uninstall_sql("postgresql", "investment_lead"):
            cursor.execute(sql)
    assert list(Problem.objects.filter(search.matches(Problem, "锦绣"))) == []  # its own index stands
    with connection.cursor() as cursor:
        for model in search.searchable_models():
            for sql in search.uninstall_sql("postgresql", model._meta.db_table):
                cursor.execute(sql)
    assert functions() == set()


def _reads(term: str, name: str) -> bool:
    """Does ``term`` read ``name`` from its start, by the rules the index answers (docs/search.md): some
    way of reading the term (``search._readings_of``) whose pieces each match a character in turn, a
    one-letter piece or one cut short by a reading that starts with it, any other by a reading itself."""
    chars = [c for c in name if search._readings(c)][: search.PINYIN_POSITIONS]
    for way in search._readings_of(term):
        if len(way) > len(chars):
            continue
        if all(
            any(r.startswith(piece) if prefix or len(piece) == 1 else r == piece for r in search._readings(c))
            for (piece, prefix), c in zip(way, chars, strict=False)
        ):
            return True
    return False


def test_pinyin_answers_as_the_reading_rules_say_for_random_names_and_terms(indexed):
    # The index's tokens and each database's query (pairs, a syllable cut short as its syllables, prefixes)
    # against the rules themselves, on names of polyphones (长 chang/zhang, 重 chong/zhong, 行 hang/xing,
    # 乐 le/yue, 绿 lv/lu) and terms made from their readings, some of them altered.
    import random

    rng = random.Random(24)
    pool = "长重行银乐都绿女铝旅城平高晋丝麻纺织服装有限公司中国山西阳泽沁川安潞府绸景柏"
    actor, region = SystemActor("test"), indexed.regions["140525"]
    made = set()
    while len(made) < 30:
        made.add("".join(rng.choice(pool) for _ in range(rng.randint(3, 7))))
    for name in made:
        actions.create_direct(actor, Enterprise(name=name, region=region))
    call_command("rebuild_search", stdout=io.StringIO())
    terms = set()
    for name in sorted(made):
        for _ in range(4):
            readings = [rng.choice(search._readings(c)) for c in name[: rng.randint(1, 5)]]
            if rng.random() < 0.4:
                term = "".join(r[0] for r in readings)
            else:
                term = "".join(readings)
                term = term[: rng.randint(max(1, len(term) - 3), len(term))]
            if rng.random() < 0.3:  # one letter altered: mostly no match, sometimes another reading
                at = rng.randrange(len(term))
                term = term[:at] + rng.choice("abcdeghijlnosuvxyz") + term[at + 1 :]
            terms.add(term)
    assert len(terms) > 80
    found = 0
    for term in sorted(terms):
        expected = {name for name in made if _reads(term, name)}
        assert names(term) & made == expected, term
        found += bool(expected)
    assert found > len(terms) // 2  # most terms find something: the test is not only of misses
