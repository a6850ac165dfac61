"""Deletes: a record others hang on is refused with what depends on it, whoever asks; a role deletes only
what its work creates; a malformed version is bad input on every delete path (docs/roles.md, Deleting).

The per-role, per-entity outcomes are in the permission matrix (test_scope_matrix.py); these are the
cases the issue names, on the demo's own records where it names them.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Grant
from chainboard import actions
from chainboard.models import AuditEntry
from chainboard.models.audit import AuditAction
from chainboard.scope import SystemActor
from chainboard.tests.test_write_integrity import api
from chains.models import Chain, Position, PositionKind, Segment
from enterprises.models import Enterprise, Membership, MembershipRole
from organisations.models import Organisation, OrganisationKind

LOGIN_ACTIONS = (AuditAction.LOGIN, AuditAction.LOGOUT, AuditAction.LOGIN_FAILED)
ACTOR = SystemActor("test:deletes")


def make_leader(world, key="luanfu") -> Enterprise:
    enterprise = world.enterprises[key]
    membership = Membership.objects.get(enterprise=enterprise)
    actions.save_fields(ACTOR, membership, role=MembershipRole.LEADER)
    return enterprise


def writes() -> int:
    """Audit rows of writes (a log-in is audited too, and is not what these tests count)."""
    return AuditEntry.objects.exclude(action__in=LOGIN_ACTIONS).count()


def post_delete(client, user, name: str, obj, version=None):
    client.force_login(user)
    data = {"_version": str(obj.version if version is None else version)}
    return client.post(reverse(name, args=[obj.pk]), data)


def test_a_county_clerk_cannot_delete_the_chain_leader_the_city_named(client, world):
    luanfu = make_leader(world)  # 潞安府潞绸, in 高平市: inside the county clerk's scope
    rows = writes()
    response = post_delete(client, world.users["county"], "enterprises:enterprise_delete", luanfu)
    assert response.status_code == 409
    html = response.content.decode()
    assert "潞安府潞绸是丝麻纺织服装产业链的链主企业" in html
    assert Enterprise.objects.filter(pk=luanfu.pk).exists()
    assert writes() == rows


def test_a_chain_leader_is_not_deleted_by_the_office_either_until_its_role_changes(client, world):
    luanfu = make_leader(world)
    office = world.users["office"]
    assert post_delete(client, office, "enterprises:enterprise_delete", luanfu).status_code == 409
    membership = Membership.objects.get(enterprise=luanfu)
    actions.save_fields(office, membership, role=MembershipRole.MEMBER)
    luanfu.refresh_from_db()
    response = post_delete(client, office, "enterprises:enterprise_delete", luanfu)
    assert response.status_code == 302
    assert not Enterprise.objects.filter(pk=luanfu.pk).exists()
    # The cascade is audited row by row under the enterprise.
    assert AuditEntry.objects.filter(
        action="delete", content_type__model="membership", object_id=str(membership.pk)
    ).exists()


def test_a_county_clerk_deletes_an_enterprise_of_their_own_that_is_on_no_chain(client, world):
    county = world.users["county"]
    mine = actions.create_direct(ACTOR, Enterprise(name="高平新登记企业", region=world.regions["140581"]))
    assert post_delete(client, county, "enterprises:enterprise_delete", mine).status_code == 302
    assert not Enterprise.objects.filter(pk=mine.pk).exists()


def test_the_county_clerk_is_told_which_records_stand_in_the_way(client, world):
    gaoping = world.enterprises["gaoping_other"]  # a member of the other chain: the office's record
    client.force_login(world.users["county"])
    response = client.get(reverse("enterprises:enterprise_delete", args=[gaoping.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "会连带删除您无权删除的记录" in html
    assert "高平其他企业 · 其他产业链 · 成员" in html
    assert 'type="submit" class="btn btn-danger' not in html


def test_the_office_neither_adds_nor_deletes_a_chain(client, world):
    office = world.users["office"]
    silk = world.chains["silk"]
    assert post_delete(client, office, "chains:chain_delete", silk).status_code == 403
    client.force_login(office)
    assert client.get(reverse("chains:chain_add")).status_code == 403
    assert client.get(reverse("chains:chain_edit", args=[silk.pk])).status_code == 200


def test_a_chain_others_hang_on_is_refused_whoever_asks_naming_them(world):
    silk = world.chains["silk"]
    with pytest.raises(actions.DeleteRefused) as refused:
        actions.delete(ACTOR, silk)
    kinds = {d.model._meta.label_lower: d.count for d in refused.value.dependents}
    assert kinds == {
        "chains.segment": 3,
        "chains.position": 2,
        "enterprises.membership": 2,
        "accounts.grant": 1,
    }
    assert "环节3条（丝麻纺织服装产业链 · 缫丝、丝麻纺织服装产业链 · 织造、丝麻纺织服装产业链 · 服装）" in (
        refused.value.message
    )
    assert Chain.objects.filter(pk=silk.pk).exists()


def test_a_segment_with_enterprises_on_it_is_refused(client, world):
    reeling = world.segments["缫丝"]
    actions.set_related(ACTOR, world.enterprises["jingbai"], "segments", [reeling.pk])
    reeling.refresh_from_db()
    response = post_delete(client, world.users["office"], "chains:segment_delete", reeling)
    assert response.status_code == 409
    assert [d.model for d in response.context["refusal"].dependents] == [Enterprise]
    assert Segment.objects.filter(pk=reeling.pk).exists()


def test_a_held_position_is_vacated_before_the_administrator_deletes_it(client, world):
    admin = world.users["admin"]
    chief = Position.objects.get(chain=world.chains["silk"], kind=PositionKind.CHIEF)
    response = post_delete(client, admin, "chains:position_delete", chief)
    assert response.status_code == 409
    assert "请先解除该用户与职务的关联" in response.content.decode()
    actions.save_fields(admin, chief, user=None)
    chief.refresh_from_db()
    assert post_delete(client, admin, "chains:position_delete", chief).status_code == 302


def test_the_leading_group_is_not_deleted_while_its_office_is_a_unit_of_it(client, world):
    admin = world.users["admin"]
    group = actions.create_direct(
        ACTOR, Organisation(name="丝麻纺织服装产业链推进领导小组", kind=OrganisationKind.LEADING_GROUP)
    )
    actions.create_direct(
        ACTOR,
        Organisation(
            name="丝麻纺织服装产业链领导小组办公室", kind=OrganisationKind.LEADING_GROUP, parent=group
        ),
    )
    response = post_delete(client, admin, "organisations:organisation_delete", group)
    assert response.status_code == 409
    assert "丝麻纺织服装产业链领导小组办公室" in response.content.decode()
    assert Organisation.objects.filter(pk=group.pk).exists()


def test_the_demo_puts_the_office_of_the_leading_group_under_it():
    from demo import jincheng

    names = {row[0] for row in jincheng.ORGANISATIONS}
    assert set(jincheng.PARENT_UNITS.items()) <= {(a, b) for a in names for b in names}


def test_a_user_who_holds_a_position_is_not_deleted(client, world):
    chief = world.users["chief"]
    response = post_delete(client, world.users["admin"], "accounts:user_delete", chief)
    assert response.status_code == 409
    assert [d.model for d in response.context["refusal"].dependents] == [Position]


def test_the_api_answers_a_refused_delete_with_409_and_the_dependents(client, world):
    jingbai = world.enterprises["jingbai"]  # its enterprise user's grant hangs on it
    response = api(
        client, "delete", f"enterprises/{jingbai.pk}?version={jingbai.version}", world.users["office"]
    )
    assert response.status_code == 409
    body = response.json()
    assert body["title"] == "这条记录不能删除。"
    assert "仍有其他记录依赖景柏服饰" in body["detail"]
    assert body["dependents"] == [
        {
            "kind": "accounts.grant",
            "label": "授权",
            "count": 1,
            "examples": [str(Grant.objects.get(enterprise=jingbai))],
        }
    ]


# ---- a malformed version is bad input on every delete path ----------------------------------------------

BAD_VERSIONS = ["x", "1.0", "-1", "", " ", "١", "99999999999999999999999", "Infinity", "NaN"]


@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_a_web_delete_with_a_malformed_version_is_refused_not_an_error(client, world, version):
    contact = world.enterprises["jingbai"].contacts.get()
    response = post_delete(client, world.users["office"], "enterprises:contact_delete", contact, version)
    assert response.status_code == 400
    assert type(contact).objects.filter(pk=contact.pk).exists()


# "1.0" is not here: the API's schema reads it as the whole number 1 (pydantic), which is no harm.
@pytest.mark.parametrize("version", [*(v for v in BAD_VERSIONS if v != "1.0"), "1e3", str(2**63)])
def test_an_api_delete_with_a_malformed_version_is_refused_with_422(client, world, version):
    contact = world.enterprises["jingbai"].contacts.get()
    response = api(client, "delete", f"contacts/{contact.pk}?version={version}", world.users["office"])
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "version"
    assert type(contact).objects.filter(pk=contact.pk).exists()


@pytest.mark.parametrize("version", ["x", "1.5", -1, 10**30, None, [1]])
def test_the_delete_action_refuses_a_malformed_version_as_bad_input(world, version):
    contact = world.enterprises["jingbai"].contacts.get()
    if version is None:
        actions.delete(world.users["office"], contact, version=None)  # none given: an unchecked delete
        return
    with pytest.raises(actions.InvalidData) as refused:
        actions.delete(world.users["office"], contact, version=version)
    assert list(refused.value.errors) == ["version"]


@pytest.mark.parametrize(
    "records", ["[[1, Infinity]]", "[[1, NaN]]", "[" * 5000, '[[1, "x"]]', "{}", "[[1e400, 1]]"]
)
def test_a_bulk_edit_with_malformed_versions_is_refused_not_an_error(client, world, records):
    client.force_login(world.users["office"])
    response = client.post(
        reverse("enterprises:contact_bulk_edit"), {"_records": records, "_fields": ["name"]}
    )
    assert response.status_code in {400, 403}
