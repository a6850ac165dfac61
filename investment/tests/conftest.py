"""The investment tests' world: the shared one (chainboard/testing.py) with a team on the silk chain,
a person on it whose user is the investment user, and a factory of leads."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from chainboard import actions
from chainboard.scope import SystemActor
from chainboard.testing import build_world
from investment.models import Lead, LeadStage, Team
from organisations.models import Person

ACTOR = SystemActor("test:investment")


@pytest.fixture
def w(db):
    world = build_world()
    bureau = world.organisations["bureau"]
    world.person = actions.create_direct(
        ACTOR, Person(organisation=bureau, name="招商队员", user=world.users["investment"])
    )
    world.team = actions.create_direct(ACTOR, Team(name="丝绸小分队", chain=world.chains["silk"]))
    world.other_team = actions.create_direct(ACTOR, Team(name="其他小分队", chain=world.chains["other"]))
    return world


def make_lead(w, *, chain="silk", county="140581", stage=LeadStage.CONTACT, **extra) -> Lead:
    values = {
        "company_name": "宁波锦绣丝绸有限公司",
        "chain": w.chains[chain],
        "landing_region": w.regions[county] if county else None,
        "team": w.team if chain == "silk" else w.other_team,
        "planned_investment": Decimal("300000000"),
        "opened_on": dt.date(2026, 1, 10),
        "stage": stage,
        **extra,
    }
    if stage == LeadStage.NEGOTIATING:
        values.setdefault("negotiating_on", dt.date(2026, 2, 1))
    return actions.create_direct(ACTOR, Lead(**values))


@pytest.fixture
def lead(w):
    return lambda **extra: make_lead(w, **extra)


def token(user) -> dict:
    out = io.StringIO()
    call_command("token", "create", user.username, stdout=out)
    return {"HTTP_AUTHORIZATION": f"Bearer {out.getvalue().strip().splitlines()[-1]}"}
