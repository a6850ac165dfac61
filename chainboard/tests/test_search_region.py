"""Region tokens in the search index (docs/search.md, "Region tokens"; SQLite): a search held to a region
(a county user's scope, a list's county filter) asks the index for the term and the region at once, and
finds exactly the rows it found without the tokens, whatever the kind of term and wherever the row
moves. The same behaviour is tested on PostgreSQL, whose index carries no region tokens."""

import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainboard import actions, search
from chainboard.scope import SystemActor, restrict
from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db

GAOPING = search.REGION_MARK + "140581"
TERMS = ["企业", "其他", "业", "高平其他", "潞安府", "gp", "gaoping", "gpqt", "lafl", "g", "jb", "景柏"]


@pytest.fixture
def indexed(world):
    call_command("rebuild_search", stdout=io.StringIO())
    return world


def found(queryset, term):
    return set(queryset.filter(search.matches(Enterprise, term)).values_list("name", flat=True))


def asked(queryset, term) -> list:
    """The SQL of the queries that list ``term``'s first page in ``queryset``."""
    with CaptureQueriesContext(connection) as queries:
        list(queryset.filter(search.matches(Enterprise, term)).order_by("name")[:25])
    return [q["sql"] for q in queries.captured_queries]


def test_region_tokens_are_the_codes_prefixes_at_each_level():
    mark = search.REGION_MARK
    assert search.region_tokens("140581101") == [mark + "1405", mark + "140581", mark + "140581101"]
    assert search.region_tokens("140500") == [mark + "1405", mark + "140500"]  # the city: no province
    assert search.region_tokens(None) == [] and search.region_tokens("") == []
    assert search.normalise(mark + "1405") == "1405"  # no term can ask for a region token


@pytest.mark.parametrize("term", TERMS)
def test_a_county_users_search_finds_what_it_found_without_the_tokens(indexed, monkeypatch, term):
    county = restrict(Enterprise.objects.all(), indexed.users["county"])
    with_tokens = found(county, term)
    everywhere = found(Enterprise.objects.all(), term)
    assert with_tokens == {e.name for e in county if e.name in everywhere}
    monkeypatch.setattr(search, "_within", lambda query, model: (None, []))
    assert found(county, term) == with_tokens


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's index carries no region tokens")
def test_the_county_is_asked_of_the_index_with_the_term(indexed):
    county = restrict(Enterprise.objects.all(), indexed.users["county"])
    assert any(GAOPING in sql for sql in asked(county, "企业"))
    assert any(GAOPING in sql for sql in asked(county, "gpqt"))  # the pinyin part too
    # A town's code is one of the levels: its own token.
    assert any(
        search.REGION_MARK + "140581101" in sql
        for sql in asked(Enterprise.objects.filter(region_id="140581101"), "企业")
    )
    # The office's scope is everything: no region is asked.
    office = restrict(Enterprise.objects.all(), indexed.users["office"])
    assert not any(search.REGION_MARK in sql for sql in asked(office, "企业"))


def test_the_county_filter_of_the_list_and_the_county_scope_find_the_same(client, indexed):
    url = reverse("enterprises:enterprise_list")
    client.force_login(indexed.users["county"])
    scoped = client.get(url, {"q": "潞安"})
    client.force_login(indexed.users["office"])  # the silk chain, every county
    filtered = client.get(url, {"q": "潞安", "region": "140581"})
    elsewhere = client.get(url, {"q": "潞安", "region": "140525"})
    names = [[e.name for e in r.context["page"].object_list] for r in (scoped, filtered, elsewhere)]
    assert names == [["潞安府潞绸"], ["潞安府潞绸"], []]


def test_an_enterprise_that_moves_is_found_in_its_new_county_only(indexed):
    """The tokens follow the row: through the actions on both databases, through a queryset update on
    SQLite (its triggers) and after a rebuild on PostgreSQL, as for a changed name."""
    county = restrict(Enterprise.objects.all(), indexed.users["county"])  # 高平市
    jingbai = indexed.enterprises["jingbai"]  # 泽州县
    assert found(county, "景柏") == set() and found(county, "jbfs") == set()
    actions.save_fields(SystemActor("test"), jingbai, region=indexed.regions["140581101"])  # 米山镇, 高平市
    assert found(county, "景柏") == {"景柏服饰"} and found(county, "jbfs") == {"景柏服饰"}
    zezhou = Enterprise.objects.filter(region_id__gte="140525", region_id__lt="140526")
    assert found(zezhou, "景柏") == set()

    Enterprise.objects.filter(pk=jingbai.pk).update(region_id="140525")
    if connection.vendor != "sqlite":
        call_command("rebuild_search", "enterprises.Enterprise", stdout=io.StringIO())
    assert found(county, "景柏") == set() and found(county, "jbfs") == set()
    assert found(zezhou, "景柏") == {"景柏服饰"} and found(zezhou, "jbfs") == {"景柏服饰"}


def test_the_migration_builds_the_tokens_of_the_rows_already_there(indexed):
    """``search.carry_region`` backwards (an index without region tokens) and forwards again: the county
    search finds its rows from tokens built out of the rows in the table."""
    operation = search.carry_region(
        "enterprises_enterprise", "id", ["name", "short_name", "uscc"], "region_id"
    )[0]
    editor = SimpleNamespace(connection=connection)
    operation.reverse_code(None, editor)
    operation.code(None, editor)
    county = restrict(Enterprise.objects.all(), indexed.users["county"])
    assert found(county, "企业") == {"高平其他企业"} and found(county, "lafl") == {"潞安府潞绸"}
    assert found(Enterprise.objects.all(), "企业") == {"高平其他企业", "泽州其他企业"}


@pytest.mark.parametrize("cap", [0, 1, 2, 50])
def test_a_county_users_capped_count_reads_no_more_ids_than_it_counts(indexed, cap):
    """Held to a county by a range of its code (the county user's scope, the list's county filter), the
    region token asks exactly what the range does: the capped count reads at most cap + 1 ids of each
    part of the index, and counts what the exact count would. Beside a code's equality (a town), which
    its token does not say exactly (a village under it carries it too), the ids are not cut."""
    from chainboard.filters import capped_count

    county = restrict(Enterprise.objects.all(), indexed.users["county"])
    town = Enterprise.objects.filter(region_id="140581101")
    for term in TERMS:
        for queryset, cut in ((county, connection.vendor == "sqlite"), (town, False)):
            exact = queryset.filter(search.matches(Enterprise, term)).count()
            with CaptureQueriesContext(connection) as queries:
                counted = capped_count(queryset.filter(search.matches(Enterprise, term)), cap)
            assert counted == (min(exact, cap), exact > cap), term
            sql = queries.captured_queries[-1]["sql"]
            assert (sql.count(f"LIMIT {cap + 1}") >= 2) == cut, (term, sql)


def test_a_village_under_a_towns_code_is_not_counted_as_the_town(indexed):
    """The token of a town's code is also a village's under it: a list of the town's own rows counts
    only those, capped or not."""
    from chainboard.filters import capped_count
    from regions.models import Region

    village = Region.objects.create(
        code="140581101201",
        name="示例村",
        level=5,
        parent=indexed.regions["140581101"],
        path=Region.path_for("140581101201"),
        full_name="示例村",
    )
    actions.save_fields(SystemActor("test"), indexed.enterprises["luanfu"], region=village)
    town = Enterprise.objects.filter(region_id="140581101")
    under = Enterprise.objects.filter(region_id__gte="140581101", region_id__lt="140581102")
    assert found(under, "潞安") == {"潞安府潞绸"}
    assert found(town, "潞安") == set()
    assert capped_count(town.filter(search.matches(Enterprise, "潞安")), 10) == (0, False)
