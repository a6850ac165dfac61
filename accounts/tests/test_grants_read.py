"""A user's grants and positions as ``chainboard.scope`` reads them (accounts/scope.py: two statements
compiled once per database): each grant's reach and each position's role, as the rows hold them."""

import pytest

from accounts.models import Grant, Role
from accounts.roles import POSITION_ROLES, permissions_for
from accounts.scope import grants_for
from chainboard import actions
from chainboard.scope import SystemActor
from chains.models import Position, PositionKind

pytestmark = pytest.mark.django_db

ACTOR = SystemActor("test:grants-read")


def by_hand(user) -> list[tuple]:
    """(role, chains, region path, enterprise, unit) per grant in key order, then per position."""
    out = [
        (
            g.role,
            frozenset([g.chain_id]) if g.chain_id else None,
            g.region.path if g.region_id else None,
            g.enterprise_id,
            g.organisation_id,
        )
        for g in Grant.objects.filter(user=user).select_related("region").order_by("pk")
    ]
    out += [
        (POSITION_ROLES[p.kind], frozenset([p.chain_id]), None, None, None)
        for p in Position.objects.filter(user=user).order_by("pk")
    ]
    return out


def read(user) -> list[tuple]:
    specs = grants_for(user)
    for spec in specs:
        assert spec.permissions == permissions_for(spec.role)
    return [(s.role, s.chain_ids, s.region_path, s.enterprise_id, s.unit_id) for s in specs]


def test_every_users_grants_and_positions_are_read_as_the_rows_hold_them(world):
    for user in world.users.values():
        assert read(user) == by_hand(user)
    assert read(world.users["outsider"]) == []
    assert read(world.users["county"])[0][2] == world.regions["140581"].path


def test_a_grant_or_position_added_later_is_read_at_once(world):
    user = world.users["county"]
    actions.create_direct(
        ACTOR, Grant(user=user, role=Role.ENTERPRISE, enterprise=world.enterprises["luanfu"])
    )
    # A city's reach is its path (1405), not its code (140500).
    actions.create_direct(ACTOR, Grant(user=user, role=Role.COUNTY, region=world.regions["140500"]))
    actions.create_direct(
        ACTOR, Position(chain=world.chains["other"], kind=PositionKind.OFFICE_MEMBER, user=user)
    )
    found = read(user)
    assert found == by_hand(user)
    assert (Role.ENTERPRISE, None, None, world.enterprises["luanfu"].pk, None) in found
    assert (Role.COUNTY, None, "1405", None, None) in found
    assert (
        POSITION_ROLES[PositionKind.OFFICE_MEMBER],
        frozenset([world.chains["other"].pk]),
        None,
        None,
        None,
    ) in found
