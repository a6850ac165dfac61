"""A facet's values with equal counts come in the order of their values (a choice's declared order, a
chain's key), on either database and from one request to the next (chainboard/facets.py, ``_top``)."""

import pytest
from django.urls import reverse

from chainboard import actions, audit
from chainboard.scope import SystemActor
from enterprises.models import Enterprise, Membership, MembershipRole

pytestmark = pytest.mark.django_db

ACTOR = SystemActor("test:facet-order")


def facet(response, name: str) -> list[tuple[str, int]]:
    (found,) = [f for f in response.context["facets"] if f["name"] == name]
    return [(str(v["label"]), v["count"]) for v in found["values"]]


def test_equal_counts_come_in_the_order_of_their_values(client, world):
    silk, other = world.chains["silk"], world.chains["other"]
    placed = [
        ("并列测试甲", silk, MembershipRole.CORE),
        ("并列测试乙", silk, MembershipRole.MEMBER),
        ("并列测试丙", other, MembershipRole.CORE),
        ("并列测试丁", other, MembershipRole.MEMBER),
    ]
    with audit.operation(user=ACTOR, source=audit.Source.COMMAND, label="test:facet-order"):
        for name, chain, role in placed:
            enterprise = actions.create_direct(ACTOR, Enterprise(name=name, region=world.regions["140581"]))
            actions.create_direct(ACTOR, Membership(enterprise=enterprise, chain=chain, role=role))
    client.force_login(world.users["county"])  # sees every chain in 高平市
    response = client.get(reverse("enterprises:enterprise_list") + "?q=并列测试")
    assert response.context["page"].paginator.count == 4
    # Two of each role: member before core, as MembershipRole declares them (not core, member by name).
    assert facet(response, "role") == [
        (str(MembershipRole.MEMBER.label), 2),
        (str(MembershipRole.CORE.label), 2),
    ]
    first, second = sorted([silk, other], key=lambda c: c.pk)
    assert facet(response, "chain") == [(first.name, 2), (second.name, 2)]
    # A count that differs still comes first.
    with audit.operation(user=ACTOR, source=audit.Source.COMMAND, label="test:facet-order"):
        enterprise = actions.create_direct(
            ACTOR, Enterprise(name="并列测试戊", region=world.regions["140581"])
        )
        actions.create_direct(
            ACTOR, Membership(enterprise=enterprise, chain=second, role=MembershipRole.CORE)
        )
    response = client.get(reverse("enterprises:enterprise_list") + "?q=并列测试")
    assert facet(response, "role") == [
        (str(MembershipRole.CORE.label), 3),
        (str(MembershipRole.MEMBER.label), 2),
    ]
    assert facet(response, "chain") == [(second.name, 3), (first.name, 2)]
