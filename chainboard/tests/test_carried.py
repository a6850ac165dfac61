"""Each membership carries its enterprise's region (``Membership.carried``, kept by the triggers of
``chainboard.schema.carried_column``): equal to the enterprise's after every kind of write, never in an
audit record, and a list over every enterprise filtered by a region and a chain counted, faceted and paged
off the memberships with the figures its rows give (docs/lists.md, "A region carried on the
memberships")."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainboard import actions, filters
from chainboard.models import AuditEntry
from chainboard.scope import SystemActor
from chainboard.tests.test_list_plans import _every_chain_office, by_hand
from enterprises.models import Enterprise, Membership

pytestmark = pytest.mark.django_db

ACTOR = SystemActor("test:carried")
LIST = "enterprises:enterprise_list"


def carried(enterprise) -> set[str | None]:
    return set(Membership.objects.filter(enterprise=enterprise).values_list("region_id", flat=True))


def test_a_membership_carries_its_enterprises_region_whatever_writes_it(world):
    silk, other = world.chains["silk"], world.chains["other"]
    moved = actions.create_direct(ACTOR, Enterprise(name="示例迁址企业", region_id="140581"))
    # Saved through the write path (the instance says nothing of the region), and inserted in bulk.
    actions.create_direct(ACTOR, Membership(enterprise=moved, chain=silk))
    Membership.objects.bulk_create([Membership(enterprise=moved, chain=other)])
    assert carried(moved) == {"140581"}

    # The enterprise moves through the write path (its form, an import's update) ...
    actions.save_fields(ACTOR, Enterprise.objects.get(pk=moved.pk), region=world.regions["140525"])
    assert carried(moved) == {"140525"}
    # ... and by a queryset update (a bulk edit).
    Enterprise.objects.filter(pk=moved.pk).update(region_id="140581101")
    assert carried(moved) == {"140581101"}

    # A membership saved from a stale instance, or moved to another enterprise, carries the right one.
    stale = Membership.objects.get(enterprise=moved, chain=silk)
    stale.region_id = "140525"
    stale.save()
    assert carried(moved) == {"140581101"}
    second = Membership.objects.get(enterprise=moved, chain=other)
    Membership.objects.filter(pk=second.pk).update(enterprise=world.enterprises["jingbai"])
    assert Membership.objects.get(pk=second.pk).region_id == "140525"

    # Every membership of the world carries its enterprise's region.
    assert not Membership.objects.exclude(region_id=F("enterprise__region_id")).exists()


def test_the_carried_region_is_in_no_audit_record(world):
    membership = actions.create_direct(
        ACTOR, Membership(enterprise=world.enterprises["jingbai"], chain=world.chains["other"])
    )
    actions.save_fields(
        ACTOR, Enterprise.objects.get(pk=membership.enterprise_id), region=world.regions["140581"]
    )
    entries = AuditEntry.objects.filter(
        object_id=str(membership.pk), content_type=ContentType.objects.get_for_model(Membership)
    )
    assert entries.exists()
    for entry in entries:
        assert "region_id" not in (entry.before or {}) and "region_id" not in (entry.after or {})
    moved = AuditEntry.objects.filter(
        object_id=str(membership.enterprise_id), content_type=ContentType.objects.get_for_model(Enterprise)
    )
    assert any((e.after or {}).get("region_id") == "140581" for e in moved)


def _facets(response) -> dict:
    return {f["name"]: {str(v["label"]): v["count"] for v in f["values"]} for f in response.context["facets"]}


@pytest.mark.parametrize("region", ["140581", "140500"], ids=["county", "city"])
@pytest.mark.parametrize("reads", ["counted-off-memberships", "rows-read"])
def test_a_region_and_a_chain_over_everything_count_and_group_as_the_rows_say(
    client, world, region, reads, monkeypatch
):
    """The office over every enterprise filters by a region and the silk chain: the rows shown, the count
    and both facets are those of the enterprises in the region on the chain, after an enterprise has moved
    into the region and another out of it. Past ROWS_ONCE (here 0) the count and the facets come off the
    memberships' carried region; read once, from the rows."""
    if reads == "counted-off-memberships":
        monkeypatch.setattr(filters, "ROWS_ONCE", 0)
        monkeypatch.setattr(filters, "ROWS_COUNTED", 0)
    silk = world.chains["silk"]
    newcomer = actions.create_direct(ACTOR, Enterprise(name="示例新入企业", region_id="140525"))
    actions.create_direct(ACTOR, Membership(enterprise=newcomer, chain=silk, role="core"))
    actions.create_direct(ACTOR, Membership(enterprise=world.enterprises["gaoping_other"], chain=silk))
    # One moves into 高平, one moves out of it (to the other province's region, outside the city too).
    actions.save_fields(ACTOR, Enterprise.objects.get(pk=newcomer.pk), region=world.regions["140581101"])
    actions.save_fields(
        ACTOR, Enterprise.objects.get(pk=world.enterprises["luanfu"].pk), region=world.regions["140000"]
    )
    user = _every_chain_office()
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(LIST), {"region": region, "chain": silk.pk, "page_size": 100})
    assert response.status_code == 200

    path = world.regions[region].path
    rows = Enterprise.objects.filter(region__path__startswith=path, memberships__chain=silk).distinct()
    expected = {e.name for e in rows}
    assert "示例新入企业" in expected and "潞安府潞绸" not in expected
    shown = [row["object"].name for row in response.context["rows"]]
    assert sorted(shown) == shown and set(shown) == expected
    assert response.context["page"].paginator.count == len(expected)
    memberships = list(Membership.objects.select_related("chain"))
    facets = _facets(response)
    assert facets["role"] == by_hand(rows, memberships)["role"]
    in_region = Enterprise.objects.filter(region__path__startswith=path)
    assert facets["chain"] == by_hand(in_region, memberships)["chain"]
    # The chain facet groups the region's memberships by their carried region; past ROWS_COUNTED the
    # list's count is taken off them too.
    carried_reads = [
        q["sql"] for q in ctx.captured_queries if '"enterprises_membership"."region_id"' in q["sql"]
    ]
    assert any('"enterprises_membership"."chain_id" AS' in sql and "GROUP BY" in sql for sql in carried_reads)
    counted = [
        sql
        for sql in carried_reads
        if sql.startswith('SELECT COUNT(*) AS "__count" FROM "enterprises_membership"')
    ]
    assert len(counted) == (reads == "counted-off-memberships")


def _membership_reads(ctx) -> list[str]:
    """The statements that read the memberships by the region they carry."""
    return [q["sql"] for q in ctx.captured_queries if '"enterprises_membership"."region_id"' in q["sql"]]


@pytest.mark.parametrize("query", [{}, {"chain": "silk"}, {"region": "140500"}, {"role": "core"}])
def test_a_county_users_facets_carry_its_county_and_count_as_its_rows_say(client, world, query):
    """A county user's list: its scope (高平市) is carried like a region filter, so the chain facet, and
    the role facet where no other filter is set, group the county's memberships by the region they carry,
    never reading the enterprises; every figure is that of the rows the list shows, after an enterprise
    has moved into the county and another out of it, and with a membership of the county's enterprise
    on a second chain."""
    silk, other = world.chains["silk"], world.chains["other"]
    newcomer = actions.create_direct(ACTOR, Enterprise(name="示例新入企业", region_id="140525"))
    actions.create_direct(ACTOR, Membership(enterprise=newcomer, chain=silk, role="core"))
    actions.create_direct(ACTOR, Membership(enterprise=newcomer, chain=other, role="core"))
    actions.save_fields(ACTOR, Enterprise.objects.get(pk=newcomer.pk), region=world.regions["140581101"])
    actions.save_fields(
        ACTOR,
        Enterprise.objects.get(pk=world.enterprises["gaoping_other"].pk),
        region=world.regions["140525"],
    )
    user = world.users["county"]
    params = {key: (world.chains[value].pk if key == "chain" else value) for key, value in query.items()}
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(LIST), params)
    assert response.status_code == 200

    in_county = Enterprise.objects.filter(region__path__startswith=world.regions["140581"].path)
    rows = in_county
    if "chain" in params:
        rows = rows.filter(memberships__chain_id=params["chain"])
    if "role" in params:
        rows = rows.filter(memberships__role=params["role"])
    rows = rows.distinct()
    shown = {row["object"].name for row in response.context["rows"]}
    assert shown == {e.name for e in rows} and "示例新入企业" in {e.name for e in in_county}
    assert "高平其他企业" not in shown
    assert response.context["page"].paginator.count == len(shown)
    memberships = list(Membership.objects.select_related("chain"))
    facets = _facets(response)
    but_chain = (
        in_county.filter(memberships__role=params["role"]).distinct() if "role" in params else in_county
    )
    assert facets["chain"] == by_hand(but_chain, memberships)["chain"]
    but_role = (
        in_county.filter(memberships__chain_id=params["chain"]).distinct() if "chain" in params else in_county
    )
    assert facets["role"] == by_hand(but_role, memberships)["role"]
    # The chain facet (its own filter aside, nothing across the memberships is left) groups the county's
    # memberships by their region; so does the role facet with no chain filter.
    reads = _membership_reads(ctx)
    grouped_by = {
        column
        for column in ("chain_id", "role")
        for sql in reads
        if f'"enterprises_membership"."{column}" AS' in sql
    }
    expected = (
        {"chain_id", "role"}
        - ({"role"} if "chain" in params else set())
        - ({"chain_id"} if "role" in params else set())
    )
    assert grouped_by == expected


def test_a_scope_of_several_grants_is_not_carried(client, world):
    """Two county grants (an OR of two regions) are no list of conditions that hold together: the facets
    count the scope's rows as before, and show both counties' figures."""
    from accounts.models import Grant
    from accounts.roles import Role

    user = world.users["county"]
    actions.create_direct(ACTOR, Grant(user=user, role=Role.COUNTY, region=world.regions["140525"]))
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(LIST))
    in_scope = Enterprise.objects.filter(region__path__startswith="1405")
    memberships = list(Membership.objects.select_related("chain"))
    assert _facets(response) == by_hand(in_scope, memberships)
    assert {row["object"].name for row in response.context["rows"]} == {e.name for e in in_scope}
    assert not _membership_reads(ctx)


def test_an_imports_memberships_carry_their_enterprises_region(client, world):
    """An import writes its memberships in bulk with the region given (chainboard/imports/writing.py); a
    second import that moves an enterprise to another county moves its memberships' region with it."""
    from chainboard.tests.test_imports import HEADER, check, commit, csv_bytes, job_of, upload, uscc

    client.force_login(world.users["office"])
    rows = [HEADER, ["1", "示例导入企业", uscc(7), "140581", "丝麻纺织服装产业链"]]
    job = commit(client, check(client, job_of(upload(client, "企业.csv", csv_bytes(rows)))))
    assert job.status == "done", job.message
    made = Enterprise.objects.get(uscc=uscc(7))
    assert carried(made) == {"140581"}
    rows[1][3] = "140525"
    job = commit(client, check(client, job_of(upload(client, "企业.csv", csv_bytes(rows)))))
    assert job.status == "done", job.message
    assert Enterprise.objects.get(pk=made.pk).region_id == "140525"
    assert carried(made) == {"140525"}


@pytest.mark.parametrize("region", ["140581", "140500"], ids=["county", "city"])
def test_a_region_filter_whose_facets_are_carried_reads_no_rows_first(client, world, region):
    """The office filters every enterprise by a region alone: both facets group the region's memberships
    by what they carry, so the list's rows are not read first for them (a city's 100,000 ids read for
    nothing); the figures are those of the rows shown."""
    user = _every_chain_office()
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(LIST), {"region": region})
    rows = Enterprise.objects.filter(region__path__startswith=world.regions[region].path)
    assert {row["object"].name for row in response.context["rows"]} == {e.name for e in rows}
    assert response.context["page"].paginator.count == rows.count()
    assert _facets(response) == by_hand(rows, list(Membership.objects.select_related("chain")))
    read = f"LIMIT {max(filters.ROWS_ONCE, filters.ROWS_COUNTED) + 1}"
    assert not [q for q in ctx.captured_queries if q["sql"].endswith(read)]
    assert len(_membership_reads(ctx)) == 2  # the chain facet and the role facet


def test_the_scope_as_conditions_that_hold_together(world):
    """``scope.scope_conditions``: what restrict() selects, as one grant's conditions, or None."""
    from accounts.models import Grant
    from accounts.roles import Role
    from chainboard import scope

    county = world.users["county"]
    path = world.regions["140581"].path
    assert scope.scope_conditions(Enterprise, county) == [("region__path", "startswith", path)]
    assert scope.scope_conditions(Enterprise, _every_chain_office()) == []
    # The same conditions twice are still one list; a second, different grant makes an OR.
    actions.create_direct(ACTOR, Grant(user=county, role=Role.COUNTY, region=world.regions["140581"]))
    scope.forget(county)
    assert scope.scope_conditions(Enterprise, county) == [("region__path", "startswith", path)]
    actions.create_direct(ACTOR, Grant(user=county, role=Role.COUNTY, region=world.regions["140525"]))
    scope.forget(county)
    assert scope.scope_conditions(Enterprise, county) is None
    # A chain's investment user is narrowed across the memberships: a condition, not carried.
    chain = [("memberships__chain", "in", [world.chains["silk"].pk])]
    assert scope.scope_conditions(Enterprise, world.users["investment"]) == chain
    # No grant that allows the action: no scope to carry.
    assert scope.scope_conditions(Enterprise, world.users["investment"], "delete") is None


@pytest.mark.parametrize(
    ("query", "off_memberships"), [("chain=silk", True), ("chain=silk&role=core", True), ("role=core", False)]
)
def test_a_county_users_filtered_list_is_counted_off_the_countys_memberships(
    client, world, query, off_memberships, monkeypatch
):
    """A county user's list by a chain (and a role), more rows than are read once: counted off the
    chain's memberships in the county (the driver's far rows with the region they carry), with the count
    of the rows shown; an enterprise core on two chains is one row. By a role alone, the role's
    memberships would be sought within the county by an index that begins with the region, which
    SQLite without statistics passes over for the role's own: its enterprises are counted as before."""
    monkeypatch.setattr(filters, "ROWS_ONCE", 0)
    monkeypatch.setattr(filters, "ROWS_COUNTED", 0)
    silk, other = world.chains["silk"], world.chains["other"]
    both = actions.create_direct(ACTOR, Enterprise(name="示例两链企业", region_id="140581101"))
    actions.create_direct(ACTOR, Membership(enterprise=both, chain=silk, role="core"))
    actions.create_direct(ACTOR, Membership(enterprise=both, chain=other, role="core"))
    outside = actions.create_direct(ACTOR, Enterprise(name="示例县外企业", region_id="140525"))
    actions.create_direct(ACTOR, Membership(enterprise=outside, chain=silk, role="core"))
    user = world.users["county"]
    client.force_login(user)
    params = query.replace("silk", str(silk.pk))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(LIST) + f"?{params}&page_size=100")
    rows = Enterprise.objects.filter(region__path__startswith=world.regions["140581"].path)
    for key, value in (pair.split("=") for pair in query.split("&")):
        rows = rows.filter(
            **({"memberships__chain": silk} if key == "chain" else {"memberships__role": value})
        )
    rows = rows.distinct()
    shown = {row["object"].name for row in response.context["rows"]}
    assert shown == {e.name for e in rows} and "示例县外企业" not in shown
    assert response.context["page"].paginator.count == len(shown)
    # The list's count (not the driver's probe of each filter's far rows, up to DRIVE_CAP).
    probe = f"LIMIT {filters.DRIVE_CAP + 1})"
    counted = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT COUNT(*)")
        and "chainboard_notice" not in q["sql"]
        and probe not in q["sql"]
    ]
    # By the region the memberships carry (the table's own, or a subquery's), not the enterprises'.
    assert len(counted) == 1, counted
    carried = '"enterprises_membership"."region_id" >=' in counted[0] or 'U0."region_id" >=' in counted[0]
    assert carried is off_memberships


def test_a_county_users_api_list_by_a_chain_is_counted_off_the_countys_memberships(
    client, world, monkeypatch
):
    """The API list filters as the list page does: a county user's enterprises on the silk chain are
    counted off the chain's memberships in the county, and the count is that of the rows returned."""
    from chainboard.tests.test_api import token_for

    monkeypatch.setattr(filters, "ROWS_ONCE", 0)
    monkeypatch.setattr(filters, "ROWS_COUNTED", 0)
    silk = world.chains["silk"]
    actions.create_direct(ACTOR, Membership(enterprise=world.enterprises["gaoping_other"], chain=silk))
    outside = actions.create_direct(ACTOR, Enterprise(name="示例县外企业", region_id="140525"))
    actions.create_direct(ACTOR, Membership(enterprise=outside, chain=silk))
    token = token_for("county")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(
            f"/api/v1/enterprises?chain={silk.pk}&page_size=100", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
    assert response.status_code == 200, response.content
    body = response.json()
    in_county = Enterprise.objects.filter(region__path__startswith="140581", memberships__chain=silk)
    assert (
        {item["name"] for item in body["items"]}
        == {e.name for e in in_county}
        == {"潞安府潞绸", "高平其他企业"}
    )
    assert body["count"] == 2
    assert any(
        q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "enterprises_membership"')
        and '"enterprises_membership"."region_id" >=' in q["sql"]
        for q in ctx.captured_queries
    )


def test_a_far_filters_seek_wants_an_index_that_begins_with_its_field():
    """A facet groups a carried range off any index that begins with the range's field and its own; a
    count seeks one value's far rows within the range, and wants that value's field first."""
    from chainboard import scope

    assert scope.indexed_together(Membership, "role", "region")  # (region, role, enterprise)
    assert not scope.indexed_together(Membership, "role", "region", first="role")
    assert scope.indexed_together(Membership, "chain", "region", first="chain")  # (chain, region, enterprise)
