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


def test_the_carried_region_is_not_used_within_a_narrower_scope(client, world, monkeypatch):
    """A county user's list by chain: the scope is not every row, so its rows are counted as before, and
    show only the county's."""
    monkeypatch.setattr(filters, "ROWS_ONCE", 0)
    monkeypatch.setattr(filters, "ROWS_COUNTED", 0)
    silk = world.chains["silk"]
    client.force_login(world.users["county"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(LIST), {"region": "140500", "chain": silk.pk})
    assert [row["object"].name for row in response.context["rows"]] == ["潞安府潞绸"]
    assert response.context["page"].paginator.count == 1
    assert not [q for q in ctx.captured_queries if '"enterprises_membership"."region_id"' in q["sql"]]


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
