"""The list machinery's cheaper query paths give the answers of the plain ones (issue 13).

Facets grouped straight off the membership table when the scope is everything, to-many filters and scope
conditions as subqueries on the far table, region subtrees as ranges, display values read for the page's
rows only: each is checked against what the rows themselves say, on the small world.
"""

import re
from collections import Counter

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainboard import actions, scope
from chainboard.facets import facet_counts
from chainboard.scope import SystemActor
from enterprises.models import Enterprise, Membership, MembershipRole
from enterprises.views import EnterpriseViewSet
from regions.models import Region

pytestmark = pytest.mark.django_db

ACTOR = SystemActor("test:list-plans")


def facets_for(user, query: str = "") -> dict[str, dict[str, int]]:
    request = RequestFactory().get("/enterprises/?" + query)
    request.user = user
    base = Enterprise.objects.restrict(user, "view")
    with CaptureQueriesContext(connection) as ctx:
        found = facet_counts(EnterpriseViewSet, request, base)
    facets = {f["name"]: {str(v["label"]): v["count"] for v in f["values"]} for f in found}
    return facets, [q["sql"] for q in ctx.captured_queries]


def by_hand(enterprises, memberships) -> dict[str, Counter]:
    """Enterprises per chain and per role (an enterprise once per role, whatever its chains)."""
    ids = {e.pk for e in enterprises}
    chains = Counter(str(m.chain) for m in memberships if m.enterprise_id in ids)
    roles = Counter(
        str(m.get_role_display())
        for m in {(m.enterprise_id, m.role): m for m in memberships if m.enterprise_id in ids}.values()
    )
    return {"chain": dict(chains), "role": dict(roles)}


def test_a_facet_over_everything_reads_the_membership_table_alone_and_counts_as_the_scoped_ones(world):
    # A second leader role on another chain: one enterprise, one role, two memberships.
    actions.create_direct(
        ACTOR, Membership(enterprise=world.enterprises["luanfu"], chain=world.chains["other"], role="leader")
    )
    Membership.objects.filter(enterprise=world.enterprises["luanfu"]).update(role="leader")
    memberships = list(Membership.objects.select_related("chain"))

    everything, sql = facets_for(ACTOR)
    assert everything == by_hand(Enterprise.objects.all(), memberships)
    assert everything["role"][str(MembershipRole.LEADER.label)] == 1  # one enterprise, two chains led
    assert not any("enterprises_enterprise" in q for q in sql if "enterprises_membership" in q)

    # The county's facets are the same arithmetic over the county's enterprises, and the counties'
    # together with the rest of the city make up the whole.
    county, _sql = facets_for(world.users["county"])
    in_county = Enterprise.objects.filter(region__path__startswith="140581")
    assert county == by_hand(in_county, memberships)
    rest = by_hand(Enterprise.objects.exclude(pk__in=in_county), memberships)
    for name, counts in everything.items():
        assert counts == dict(Counter(county[name]) + Counter(rest[name]))


def test_a_filter_across_memberships_is_a_subquery_with_the_rows_and_count_of_the_join(client, world):
    client.force_login(world.users["county"])
    chain = world.chains["other"]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("enterprises:enterprise_list") + f"?chain={chain.pk}&role=member")
    shown = {row["object"].name for row in response.context["rows"]}
    joined = (
        Enterprise.objects.restrict(world.users["county"], "view")
        .filter(memberships__chain=chain)
        .filter(memberships__role="member")
        .distinct()
    )
    assert shown == {e.name for e in joined} == {"高平其他企业"}
    assert response.context["page"].paginator.count == joined.count() == 1
    # Neither the page nor its count sorts the matches to drop repeated rows (a facet may select the
    # distinct enterprises of the memberships with one role in the county, which repeat no row).
    assert not any(
        q["sql"].startswith("SELECT DISTINCT") or "FROM (SELECT DISTINCT" in q["sql"]
        for q in ctx.captured_queries
    )


def test_a_region_subtree_is_a_range_that_finds_what_a_prefix_finds(world):
    for path in ("14", "1405", "140581", "140581101", "140525"):
        by_range = set(Enterprise.objects.filter(scope.prefix_range("region__path", path)))
        by_code = set(
            Enterprise.objects.filter(scope.condition(Enterprise, "region__path", "startswith", path))
        )
        by_prefix = set(Enterprise.objects.filter(region__path__startswith=path))
        assert by_range == by_code == by_prefix
    # A region's code starts with its path: the range is on the enterprise's own column, no join.
    on_code = Enterprise.objects.filter(scope.condition(Enterprise, "region__path", "startswith", "1405"))
    assert "regions_region" not in str(on_code.query)
    assert str(Enterprise.objects.filter(scope.prefix_range("region__path", "1405")).query).count("LIKE") == 0
    # The ranges of two neighbouring codes do not overlap: 140581 is not inside 14058.
    Region.objects.create(code="140580", name="某县", level=3, parent=world.regions["140500"], path="140580")
    assert not Enterprise.objects.filter(scope.prefix_range("region__path", "140580")).exists()


def test_the_page_reads_display_values_for_its_own_rows_only(client, world):
    client.force_login(world.users["county"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("enterprises:enterprise_list") + "?sort=name")
    cells = {row["object"].name: row["cells"] for row in response.context["rows"]}
    assert "高平市" in str(cells["潞安府潞绸"][2])
    assert "丝麻纺织服装产业链" in str(cells["潞安府潞绸"][4])
    listed = [
        q["sql"] for q in ctx.captured_queries if "GROUP_CONCAT" in q["sql"] or "STRING_AGG" in q["sql"]
    ]
    assert len(listed) == 1 and " IN (" in listed[0]  # the page's ids, not every match


def test_a_chains_enterprises_are_counted_off_its_memberships_with_the_rows_count(world):
    chief = world.users["chief"]  # the silk chain's chief: its enterprises, through their memberships
    silk, other = world.chains["silk"], world.chains["other"]
    # An enterprise on both chains is one enterprise of the silk chain.
    actions.create_direct(ACTOR, Membership(enterprise=world.enterprises["gaoping_other"], chain=silk))
    rows = Enterprise.objects.restrict(chief, "view")
    on_silk = {e.pk for e in rows}
    assert on_silk == set(Membership.objects.filter(chain=silk).values_list("enterprise_id", flat=True))
    with CaptureQueriesContext(connection) as ctx:
        assert rows.count() == rows.order_by("name").select_related("region").count() == len(on_silk) == 3
    assert all("enterprises_enterprise" not in q["sql"] for q in ctx.captured_queries)

    # Any further condition, a slice or DISTINCT counts the rows themselves.
    in_gaoping = rows.filter(region__path__startswith="140581")
    assert in_gaoping.count() == 2
    assert rows.filter(memberships__chain=other).distinct().count() == 1
    assert rows.none().count() == 0
    assert Enterprise.objects.restrict(chief, "view")[:2].count() == 2

    # Two chains: an enterprise on both would be counted twice off the memberships, so it is not.
    many = scope.GrantSpec(role="x", permissions=frozenset(), chain_ids=frozenset({silk.pk, other.pk}))
    assert scope.far_rows(Enterprise, many) is None
    one = scope.GrantSpec(role="x", permissions=frozenset(), chain_ids=frozenset({silk.pk}))
    assert scope.far_rows(Enterprise, one).count() == 3
    # A county narrows enterprises by their own region: nothing to count off another table.
    county = scope.GrantSpec(role="x", permissions=frozenset(), region_path="140581")
    assert scope.far_rows(Enterprise, county) is None


def _facets_block(html: str) -> str:
    start = html.index('<div id="list-facets"')
    return html[html.index(">", start) + 1 : html.index("</div>\n", html.rindex("list-group", start))]


def test_a_filter_changed_in_place_brings_the_facets_of_the_new_filter(client, world):
    # The filter form swaps the table through htmx; the facets come with it (out of band), so their counts
    # are those of the filters now applied, as the same page loaded whole would show them.
    client.force_login(world.users["county"])
    url = reverse("enterprises:enterprise_list")
    chain = f"chain={world.chains['silk'].pk}"
    unfiltered = client.get(url).content.decode()
    whole = client.get(f"{url}?{chain}").content.decode()
    swapped = client.get(f"{url}?{chain}", HTTP_HX_REQUEST="true").content.decode()
    assert '<div id="list-facets" hx-swap-oob="true">' in swapped
    assert "<html" not in swapped  # the table and the facets, not the page
    assert _facets_block(swapped) == _facets_block(whole)
    assert _facets_block(whole) != _facets_block(unfiltered)


def _every_chain_office():
    """An office over every chain and region: a scope of everything (the world's office has one chain)."""
    from accounts.models import Grant, User
    from accounts.roles import Role

    user = User(username="every_chain")
    user.set_unusable_password()
    actions.create_direct(ACTOR, user)
    actions.create_direct(ACTOR, Grant(user=user, role=Role.OFFICE))
    return user


@pytest.mark.parametrize("who", ["everything", "county", "office"])
def test_one_chain_filter_counts_and_groups_as_the_rows_say(client, world, who, monkeypatch):
    """The list filtered by one chain alone, more rows than are read once: over every enterprise (the
    office) its count and its role facet are read off the chain's memberships, which stand one for one
    for its rows (with a region, those the region's memberships carry), and so it is for a county user's,
    whose county the memberships carry too; a scope narrowed by a chain (the office of one chain) counts
    its own rows. Either way the figures are those of the rows the list shows."""
    from chainboard import filters

    monkeypatch.setattr(filters, "ROWS_ONCE", 0)  # as a chain's 228,000 enterprises: not read once
    monkeypatch.setattr(filters, "ROWS_COUNTED", 0)  # nor for the count
    silk = world.chains["silk"]
    # An enterprise on both chains, leading the other one: one enterprise of the silk chain, one role each.
    actions.create_direct(
        ACTOR, Membership(enterprise=world.enterprises["gaoping_other"], chain=silk, role="member")
    )
    user = _every_chain_office() if who == "everything" else world.users[who]
    client.force_login(user)
    for extra in ("", "role=member", "region=140581"):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(
                reverse("enterprises:enterprise_list") + f"?chain={silk.pk}&{extra}&page_size=100"
            )
        rows = Enterprise.objects.restrict(user, "view").filter(memberships__chain=silk)
        if extra == "role=member":
            rows = rows.filter(memberships__role="member")
        elif extra:
            rows = rows.filter(region__path__startswith="140581")
        rows = rows.distinct()
        shown = {row["object"].pk for row in response.context["rows"]}
        assert shown == {e.pk for e in rows}
        assert response.context["page"].paginator.count == len(shown) == rows.count()
        facets = {
            f["name"]: {str(v["label"]): v["count"] for v in f["values"]} for f in response.context["facets"]
        }
        if not extra:
            memberships = list(Membership.objects.select_related("chain"))
            assert facets["role"] == by_hand(rows, memberships)["role"]
        counts = [
            q["sql"]
            for q in ctx.captured_queries
            if q["sql"].startswith(
                ('SELECT COUNT(*) AS "__count" FROM "enter', "SELECT COUNT(*) FROM (SELECT DISTINCT")
            )
        ]
        assert len(counts) == 1
        # Off the memberships over everything or a county, for the chain alone or with a region the
        # memberships carry (chainboard/tests/test_carried.py): with a role filter too, the rows are
        # counted among those keys; a chain's office counts its rows.
        off_memberships = '"enterprises_enterprise"' not in counts[0]
        assert off_memberships is (who in ("everything", "county") and extra != "role=member")


@pytest.mark.parametrize("cap", [None, 0])
@pytest.mark.parametrize("query", ["role=core", "role=leader&chain=silk", "chain=silk&role=member"])
def test_role_and_chain_filters_over_everything_count_as_the_rows_say(client, world, query, cap, monkeypatch):
    """Filters across the memberships alone, over every enterprise, more rows than are read once: the
    count and each facet are those of the rows the list shows, whether they are taken from the
    memberships of the most selective filter (under DRIVE_CAP) or from the enterprises tested one by
    one (cap 0). An enterprise core on two chains is one core enterprise."""
    from chainboard import filters

    # Not read once, nor for the count: the count and facets as the memberships or the rows give them.
    monkeypatch.setattr(filters, "ROWS_ONCE", 0)
    monkeypatch.setattr(filters, "ROWS_COUNTED", 0)
    if cap is not None:
        monkeypatch.setattr(filters, "DRIVE_CAP", cap)
    silk, other = world.chains["silk"], world.chains["other"]
    both = world.enterprises["gaoping_other"]
    actions.create_direct(ACTOR, Membership(enterprise=both, chain=silk, role="core"))
    Membership.objects.filter(enterprise=both, chain=other).update(role="core")
    Membership.objects.filter(enterprise=world.enterprises["luanfu"]).update(role="leader")
    user = _every_chain_office()
    client.force_login(user)
    params = query.replace("silk", str(silk.pk))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("enterprises:enterprise_list") + f"?{params}&page_size=100")

    wanted = dict(pair.split("=") for pair in query.split("&"))
    rows = Enterprise.objects.all()
    if "chain" in wanted:
        rows = rows.filter(memberships__chain=silk)
    rows = rows.filter(memberships__role=wanted["role"]).distinct()
    shown = [row["object"].pk for row in response.context["rows"]]
    assert sorted(shown) == sorted(e.pk for e in rows) != []
    assert response.context["page"].paginator.count == len(shown)
    facets = {
        f["name"]: {str(v["label"]): v["count"] for v in f["values"]} for f in response.context["facets"]
    }
    memberships = list(Membership.objects.select_related("chain"))
    if "chain" in wanted:
        without_role = Enterprise.objects.filter(memberships__chain=silk).distinct()
        assert facets["role"] == by_hand(without_role, memberships)["role"]
    without_chain = Enterprise.objects.filter(memberships__role=wanted["role"]).distinct()
    assert facets["chain"] == by_hand(without_chain, memberships)["chain"]
    # Under the cap the count starts from the role's or the chain's memberships, not from every enterprise.
    (count,) = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT COUNT(*)")
        and not re.search(r"LIMIT \d+\) subquery$", q["sql"])  # a far set counted up to the cap
        and "chainboard_notice" not in q["sql"]
    ]
    from_memberships = (
        'FROM (SELECT DISTINCT "enterprises_membership"' in count
        or '"enterprises_enterprise"."id" IN (SELECT' in count
    )
    assert from_memberships is (cap is None)
