"""The loop's world: the shared test world (chainboard/testing.py) plus a second organisation, a handler
and a handling unit's user (a ``unit`` grant naming the city bureau), both made here unless the shared world has them."""

from __future__ import annotations

import datetime as dt

import pytest

from chainboard import actions, audit
from chainboard.scope import SystemActor
from chainboard.testing import build_world

ACTOR = SystemActor("test:loop")


@pytest.fixture
def world(db):
    from accounts.models import Grant, User
    from accounts.roles import Role
    from organisations.models import Organisation, Person

    w = build_world()
    with audit.operation(user=ACTOR, source=audit.Source.COMMAND, label="test:loop"):
        bureau = w.organisations["bureau"]
        w.organisations["college"] = actions.create_direct(
            ACTOR, Organisation(name="晋城职业技术学院", kind="college", region=bureau.region)
        )
        w.people = {"handler": actions.create_direct(ACTOR, Person(organisation=bureau, name="工信局经办人"))}
        for key, org in (("unit", bureau), ("unit_college", w.organisations["college"])):
            if key in w.users:
                continue  # the shared world's own unit user
            user = User(username=key, full_name=key)
            user.set_password("x")
            actions.create_direct(ACTOR, user)
            actions.create_direct(ACTOR, Grant(user=user, role=Role.UNIT, organisation=org))
            w.users[key] = user
    return w


def make_problem(w, enterprise="jingbai", **fields):
    from problems.models import Problem, ProblemKind

    kind = ProblemKind.objects.get(name="融资")
    values = {"title": f"{enterprise}的诉求", "kind": kind, "enterprise": w.enterprises[enterprise]}
    return actions.create_direct(ACTOR, Problem(**{**values, **fields}))


def make_task(w, **fields):
    from problems.models import Task

    values = {"title": "推进任务", "owner_unit": w.organisations["bureau"], "chain": w.chains["silk"]}
    return actions.create_direct(ACTOR, Task(**{**values, **fields}))


def assigned(w, day=dt.date(2025, 6, 3), days=10, **fields):
    """Fields of an item assigned to the bureau on ``day`` (its due date as the loop would set it)."""
    from chainboard import workdays

    found = workdays.deadline(day, days)
    return {
        "state": "assigned",
        "assigned_on": day,
        "deadline_days": days,
        "due_on": found.due_on,
        "due_provisional": found.provisional,
        **fields,
    }
