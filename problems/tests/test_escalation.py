"""Escalation of overdue items (problems/escalation.py, docs/closed-loop.md): time frozen, the level
reached at the configured working days late, once; who is told; the webhook event; the desk's due items;
provisional due dates counted again when a year's schedule is entered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings

from chainboard import desk
from chainboard.models import Notice, Transition, WebhookDelivery, WebhookEndpoint
from problems.escalation import escalate_overdue

from .conftest import ACTOR, assigned, make_problem, make_task

pytestmark = pytest.mark.django_db
D = dt.date


def at(time_machine, day: D) -> None:
    time_machine.move_to(dt.datetime.combine(day, dt.time(7, 0)), tick=False)


@pytest.fixture
def overdue(world):
    """A problem of 景柏's due Friday 26 September 2025, the bureau's; National Day follows (1–8 October
    off, Sunday 28 September and Saturday 11 October worked)."""
    return make_problem(
        world, **assigned(world, day=D(2025, 9, 19), days=5, handling_unit=world.organisations["bureau"])
    )


def test_an_overdue_item_rises_to_the_office_then_to_the_chief_at_the_configured_working_days(
    world, overdue, time_machine
):
    assert overdue.due_on == D(2025, 9, 26)
    at(time_machine, D(2025, 9, 27))  # a Saturday off: 0 working days late
    assert escalate_overdue() == []
    at(time_machine, D(2025, 9, 28))  # the Sunday worked: 1 working day late
    assert escalate_overdue() == []
    at(time_machine, D(2025, 9, 29))  # 2 working days late: the office
    assert escalate_overdue() == [("problem", overdue.pk, 1)]
    overdue.refresh_from_db()
    assert (overdue.escalation_level, overdue.escalated_on) == (1, D(2025, 9, 29))
    assert escalate_overdue() == []  # once a level
    at(time_machine, D(2025, 10, 8))  # the holiday week counts nothing: 3 working days late
    assert escalate_overdue() == []
    at(time_machine, D(2025, 10, 10))  # 9 and 10 October: 5 working days late, the chief
    assert escalate_overdue() == [("problem", overdue.pk, 2)]
    overdue.refresh_from_db()
    assert (overdue.escalation_level, overdue.escalated_on) == (2, D(2025, 10, 10))
    rows = Transition.objects.filter(
        content_type=ContentType.objects.get_for_model(overdue), object_id=str(overdue.pk), name="escalate"
    )
    assert [(r.data["escalation_level"], r.actor_name) for r in rows.order_by("id")] == [
        (1, "task:escalate_overdue"),
        (2, "task:escalate_overdue"),
    ]


@override_settings(CHAINBOARD_ESCALATE_OFFICE_AFTER=1, CHAINBOARD_ESCALATE_CHIEF_AFTER=3)
def test_the_thresholds_are_settings(world, overdue, time_machine):
    at(time_machine, D(2025, 9, 28))
    assert escalate_overdue() == [("problem", overdue.pk, 1)]
    at(time_machine, D(2025, 9, 30))
    assert escalate_overdue() == [("problem", overdue.pk, 2)]


def test_the_office_then_the_chief_in_scope_are_told_and_the_webhook_receives_the_event(
    world, overdue, time_machine, django_capture_on_commit_callbacks
):
    from chainboard import actions

    actions.create_direct(
        ACTOR, WebhookEndpoint(url="https://example.test/hook", secret="s", events="problem.")
    )
    at(time_machine, D(2025, 9, 29))
    with django_capture_on_commit_callbacks(execute=True):
        escalate_overdue()
    told = set(Notice.objects.filter(kind="problem.escalated").values_list("user__username", flat=True))
    assert told == {
        "office"
    }  # the silk chain's office; not the county's staff (another county), nor the chief yet
    at(time_machine, D(2025, 10, 10))
    with django_capture_on_commit_callbacks(execute=True):
        escalate_overdue()
    told = set(Notice.objects.filter(kind="problem.escalated").values_list("user__username", flat=True))
    assert told == {"office", "chief"}
    events = list(
        WebhookDelivery.objects.filter(event="problem.escalated")
        .order_by("id")
        .values_list("payload", flat=True)
    )
    assert [e["escalation_level"] for e in events] == [1, 2]
    assert all(e["id"] == overdue.pk and e["unit"] == "晋城市工业和信息化局" for e in events)


def test_answered_or_closed_items_and_items_without_a_deadline_never_escalate(world, time_machine):
    bureau = world.organisations["bureau"]
    answered = make_problem(
        world, **{**assigned(world, day=D(2025, 6, 2), days=2, handling_unit=bureau), "state": "answered"}
    )
    no_deadline = make_task(world, state="assigned", assigned_on=D(2025, 6, 2))
    at(time_machine, D(2025, 7, 1))
    assert escalate_overdue() == []
    answered.refresh_from_db()
    no_deadline.refresh_from_db()
    assert answered.escalation_level == no_deadline.escalation_level == 0


def test_the_desk_lists_the_units_due_items_by_state(world, time_machine):
    bureau, college = world.organisations["bureau"], world.organisations["college"]
    at(time_machine, D(2025, 6, 10))  # a Tuesday
    late = make_problem(world, **assigned(world, day=D(2025, 6, 2), days=5, handling_unit=bureau))  # 9 June
    today = make_task(world, **assigned(world, day=D(2025, 6, 3), days=5))  # 10 June
    soon = make_task(world, **assigned(world, day=D(2025, 6, 4), days=6))  # 12 June
    make_task(world, **assigned(world, day=D(2025, 6, 10), days=10))  # later: not listed
    make_problem(world, **assigned(world, day=D(2025, 6, 2), days=5, handling_unit=college))  # another unit's
    items = desk.due_for(world.users["unit"])
    assert [(i.url, i.state) for i in items] == [
        (late.get_absolute_url(), "overdue"),
        (today.get_absolute_url(), "due_today"),
        (soon.get_absolute_url(), "due_soon"),
    ]
    # The enterprise user who raised nothing has nothing due; the college's user only its own.
    assert desk.due_for(world.users["enterprise"]) == []
    assert [i.state for i in desk.due_for(world.users["unit_college"])] == ["overdue"]


def test_the_desks_due_items_are_one_query_of_each_kinds_earliest(world, time_machine, monkeypatch):
    # Problems and tasks in one query (the working days' overrides aside), each kind's earliest DUE_LIMIT.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from chainboard import scope
    from problems import desk as loop_desk

    bureau = world.organisations["bureau"]
    at(time_machine, D(2025, 6, 10))  # a Tuesday
    first = make_problem(world, **assigned(world, day=D(2025, 6, 2), days=5, handling_unit=bureau))  # 9 June
    make_problem(world, **assigned(world, day=D(2025, 6, 3), days=5, handling_unit=bureau))  # 10 June
    task = make_task(world, **assigned(world, day=D(2025, 6, 4), days=6))  # 12 June
    monkeypatch.setattr(loop_desk, "DUE_LIMIT", 1)
    unit = User.objects.get(pk=world.users["unit"].pk)
    scope.grants(unit)  # read once per request
    with CaptureQueriesContext(connection) as captured:
        items = loop_desk.due_items(unit)
    assert sorted(i.url for i in items) == sorted([first.get_absolute_url(), task.get_absolute_url()])
    assert len([q for q in captured if "workdayoverride" not in q["sql"]]) == 1


def test_provisional_due_dates_are_counted_again_when_the_year_is_entered(world, time_machine):
    from chainboard import actions, workdays
    from chainboard.models import WorkdayOverride, WorkdayYear

    year = D.today().year
    while workdays.calendar_covers(year):
        year += 1
    monday = next(D(year, 3, day) for day in range(1, 8) if D(year, 3, day).weekday() == 0)
    record = make_problem(
        world, **assigned(world, day=monday, days=5, handling_unit=world.organisations["bureau"])
    )
    record.refresh_from_db()
    assert record.due_provisional and record.due_on == monday + dt.timedelta(days=7)
    # The administrator enters the year: the Tuesday after is a holiday.
    actions.create_direct(ACTOR, WorkdayOverride(date=monday + dt.timedelta(days=1), is_workday=False))
    actions.create_direct(ACTOR, WorkdayYear(year=year, entered=True))
    workdays.schedule_changed.send(sender=None, year=year)
    record.refresh_from_db()
    assert (record.due_on, record.due_provisional) == (monday + dt.timedelta(days=8), False)
