"""The closed loop as a workflow (docs/closed-loop.md): every move allowed or refused per role, what each
move requires, the whole loop of a problem and of a task, the working-day deadlines it sets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from chainboard import actions, workdays
from chainboard.models import Transition
from problems.models import Problem, RaisedVia, Task
from problems.raising import raise_problem

from .conftest import ACTOR, assigned, make_problem, make_task

pytestmark = pytest.mark.django_db
D = dt.date

ROLES = ("chief", "office", "county", "investment", "enterprise", "auditor", "unit", "unit_college")

# move → (the state it starts from and what else the record holds, the move's data); written out from
# docs/closed-loop.md. ``unit`` is the bureau's user, ``unit_college`` another unit's.
PROBLEM_MOVES = {
    "accept": ({"state": "submitted"}, {}),
    "return": ({"state": "submitted"}, {"return_reason": "不属于受理范围"}),
    "assign": ({"state": "accepted"}, {"handling_unit": "bureau", "deadline_days": 5}),
    "transfer": ("assigned", {"handling_unit": "college", "return_reason": "职责不符"}),
    "start": ("assigned", {}),
    "answer": ("in_progress", {"answer": "已协调解决"}),
    "request_extension": ("in_progress", {"extension_requested_days": 3, "extension_reason": "需省厅批复"}),
    "approve_extension": ("requested", {}),
    "refuse_extension": ("requested", {}),
    "rate": ({"state": "answered", "answer": "已解决"}, {"rating": "satisfied"}),
}
PROBLEM_ALLOWED = {
    "accept": {"office"},
    "return": {"office"},
    "assign": {"office"},
    "transfer": {"office"},
    "start": {"unit"},
    "answer": {"unit"},
    "request_extension": {"unit"},
    "approve_extension": {"office"},
    "refuse_extension": {"office"},
    "rate": {"office", "enterprise"},  # the enterprise rates; the office records a rating given by phone
}
TASK_MOVES = {
    "assign": ({"state": "submitted"}, {"owner_unit": "bureau"}),
    "transfer": ("assigned", {"owner_unit": "college", "return_reason": "职责不符"}),
    "start": ("assigned", {}),
    "answer": ("in_progress", {"answer": "已完成"}),
    "request_extension": ("in_progress", {"extension_requested_days": 3, "extension_reason": "等待资金"}),
    "approve_extension": ("requested", {}),
    "refuse_extension": ("requested", {}),
    "confirm": ({"state": "answered", "answer": "已完成"}, {}),
    "send_back": ({"state": "answered", "answer": "已完成"}, {}),
}
TASK_ALLOWED = {
    "assign": {"office"},
    "transfer": {"office"},
    "start": {"unit"},
    "answer": {"unit"},
    "request_extension": {"unit"},
    "approve_extension": {"office"},
    "refuse_extension": {"office"},
    "confirm": {"office"},
    "send_back": {"office"},
}
COMMENTED = {"refuse_extension", "send_back"}  # the move needs a comment


def _fields(world, model, start) -> dict:
    unit = {"handling_unit" if model is Problem else "owner_unit": world.organisations["bureau"]}
    if isinstance(start, dict):
        return start
    if start == "requested":
        return assigned(world, **unit, extension_requested_days=3, extension_reason="需省厅批复")
    return {**assigned(world, **unit), "state": start}


def _data(world, data: dict) -> dict:
    out = {}
    for key, value in data.items():
        out[key] = world.organisations[value].pk if key in ("handling_unit", "owner_unit") else value
    return out


def _try(world, model, role, move, start, data) -> bool:
    """Make the move as ``role`` on a fresh 景柏 record (silk chain, 泽州县, the bureau's); True when made."""
    with transaction.atomic():
        fields = _fields(world, model, start)
        record = make_problem(world, **fields) if model is Problem else make_task(world, **fields)
        try:
            actions.transition(
                world.users[role],
                record,
                move,
                comment="理由" if move in COMMENTED else "",
                data=_data(world, data),
                version=record.version,
            )
        except PermissionDenied:
            made = False
        else:
            made = True
        transaction.set_rollback(True)
    return made


@pytest.mark.parametrize(
    ("model", "moves", "allowed"),
    [(Problem, PROBLEM_MOVES, PROBLEM_ALLOWED), (Task, TASK_MOVES, TASK_ALLOWED)],
)
def test_every_move_is_allowed_to_its_roles_and_refused_to_every_other(world, model, moves, allowed):
    assert set(moves) == set(allowed) == {m.name for m in model.workflow.transitions} - {"escalate"}
    for move, (start, data) in moves.items():
        for role in ROLES:
            if model is Task and role == "enterprise":
                continue  # an enterprise user sees no task at all (below)
            assert _try(world, model, role, move, start, data) == (role in allowed[move]), (move, role)


def test_nobody_escalates_by_hand(world):
    record = make_problem(world, **assigned(world, handling_unit=world.organisations["bureau"]))
    for role in ROLES:
        with pytest.raises(PermissionDenied):
            actions.transition(
                world.users[role],
                record,
                "escalate",
                data={"escalation_level": 2, "escalated_on": "2025-06-30"},
            )


def test_a_move_the_state_does_not_allow_is_refused_naming_the_state(world):
    record = make_problem(world, **assigned(world, handling_unit=world.organisations["bureau"]))
    with pytest.raises(actions.MoveRefused) as refused:
        actions.transition(world.users["office"], record, "rate", data={"rating": "satisfied"})
    assert "assigned" in str(refused.value.message) or "交办" in str(refused.value.message)
    record.refresh_from_db()
    assert record.state == "assigned" and record.rating == ""


@pytest.mark.parametrize(
    ("start", "move", "data", "field"),
    [
        ({"state": "submitted"}, "return", {}, "return_reason"),
        ({"state": "accepted"}, "assign", {"handling_unit": "bureau"}, "deadline_days"),
        ({"state": "accepted"}, "assign", {"deadline_days": 5}, "handling_unit"),
        ("assigned", "transfer", {"handling_unit": "bureau", "return_reason": "错派"}, "handling_unit"),
        ("assigned", "transfer", {"handling_unit": "college"}, "return_reason"),
        ("requested", "refuse_extension", {}, "comment"),
        ("assigned", "approve_extension", {}, "comment"),  # nothing was requested
    ],
)
def test_a_move_without_what_it_needs_is_refused_by_field_and_changes_nothing(
    world, start, move, data, field
):
    record = make_problem(world, **_fields(world, Problem, start))
    before = (record.state, record.version)
    with pytest.raises(actions.InvalidData) as invalid:
        actions.transition(
            world.users["office"], record, move, data=_data(world, data), version=record.version
        )
    assert field in invalid.value.errors
    record.refresh_from_db()
    assert (record.state, record.version) == before


def test_the_handler_must_belong_to_the_unit(world):
    record = make_problem(world, state="accepted")
    other = world.organisations["college"]
    with pytest.raises(actions.InvalidData) as invalid:
        actions.transition(
            world.users["office"],
            record,
            "assign",
            data={"handling_unit": other.pk, "handler": world.people["handler"].pk, "deadline_days": 5},
        )
    assert "handler" in invalid.value.errors


def test_the_whole_loop_of_a_problem_raised_by_its_enterprise(world, time_machine):
    time_machine.move_to(dt.datetime(2025, 9, 29, 10, 0), tick=False)  # a Monday before National Day
    enterprise, office, unit = (world.users[k] for k in ("enterprise", "office", "unit"))
    problem = raise_problem(
        enterprise,
        {
            "title": "用电增容",
            "kind": Problem._meta.get_field("kind").related_model.objects.get(name="要素保障").pk,
            "description": "需增容",
        },
    )
    assert (problem.state, problem.raised_via, problem.raised_by) == (
        "submitted",
        RaisedVia.ENTERPRISE,
        enterprise,
    )
    # The enterprise's own region and its only chain, by default.
    assert problem.region == world.enterprises["jingbai"].region and problem.chain == world.chains["silk"]

    def move(user, name, **data):
        nonlocal problem
        problem = actions.transition(user, problem, name, data=data, version=problem.version)

    move(office, "accept")
    move(
        office,
        "assign",
        handling_unit=world.organisations["bureau"].pk,
        handler=world.people["handler"].pk,
        deadline_days=5,
    )
    # Counted from the next working day: 30 September, then 9, 10, 11 (the adjusted Saturday) and
    # 13 October; 1–8 October are the National Day holiday.
    assert (problem.assigned_on, problem.due_on, problem.due_provisional) == (
        D(2025, 9, 29),
        D(2025, 10, 13),
        False,
    )
    move(unit, "start")
    move(unit, "answer", answer="已协调供电公司")
    assert problem.answered_on == D(2025, 9, 29)
    move(enterprise, "rate", rating="dissatisfied")
    assert (problem.state, problem.reopen_count, problem.closed_on) == ("in_progress", 1, None)
    move(unit, "answer", answer="已完成增容")
    move(enterprise, "rate", rating="basically_satisfied")
    assert (problem.state, problem.closed_on, problem.rating) == (
        "closed",
        D(2025, 9, 29),
        "basically_satisfied",
    )
    rows = Transition.objects.filter(
        content_type=ContentType.objects.get_for_model(Problem), object_id=str(problem.pk)
    ).order_by("id")
    assert [(r.name, r.from_state, r.to_state) for r in rows] == [
        ("accept", "submitted", "accepted"),
        ("assign", "accepted", "assigned"),
        ("start", "assigned", "in_progress"),
        ("answer", "in_progress", "answered"),
        ("rate", "answered", "in_progress"),
        ("answer", "in_progress", "answered"),
        ("rate", "answered", "closed"),
    ]


def test_a_task_is_confirmed_by_the_office_or_sent_back(world):
    office, unit = world.users["office"], world.users["unit"]
    task = make_task(world)
    task = actions.transition(office, task, "assign", data={"owner_unit": world.organisations["bureau"].pk})
    assert task.due_on is None  # no deadline given: none invented
    task = actions.transition(unit, task, "answer", data={"answer": "初稿"})
    task = actions.transition(office, task, "send_back", comment="请补充数据")
    assert (task.state, task.reopen_count) == ("in_progress", 1)
    task = actions.transition(unit, task, "answer", data={"answer": "终稿"})
    task = actions.transition(office, task, "confirm")
    assert task.state == "closed" and task.closed_on is not None


def test_a_transfer_gives_the_new_unit_the_item_and_its_full_time(world, time_machine):
    time_machine.move_to(dt.datetime(2025, 6, 9, 9, 0), tick=False)
    record = make_problem(world, **assigned(world, handling_unit=world.organisations["bureau"]))
    record = actions.transition(
        world.users["office"],
        record,
        "transfer",
        data={"handling_unit": world.organisations["college"].pk, "return_reason": "应由学院办理"},
    )
    assert record.handling_unit == world.organisations["college"] and record.state == "assigned"
    assert (record.assigned_on, record.due_on) == (D(2025, 6, 9), workdays.deadline(D(2025, 6, 9), 10).due_on)
    assert Problem.objects.restrict(world.users["unit_college"]).filter(pk=record.pk).exists()
    assert not Problem.objects.restrict(world.users["unit"]).filter(pk=record.pk).exists()


def test_deadlines_count_working_days_across_spring_festival(world, time_machine):
    # 2025: 28 January to 4 February off; Sunday 26 January and Saturday 8 February worked.
    time_machine.move_to(dt.datetime(2025, 1, 27, 9, 0), tick=False)
    record = make_problem(world, state="accepted")
    record = actions.transition(
        world.users["office"],
        record,
        "assign",
        data={"handling_unit": world.organisations["bureau"].pk, "deadline_days": 4},
    )
    # 5, 6, 7 February, then the adjusted Saturday the 8th.
    assert (record.due_on, record.due_provisional) == (D(2025, 2, 8), False)


def _first_uncovered_year() -> int:
    year = D.today().year
    while workdays.calendar_covers(year):
        year += 1
    return year


def test_a_deadline_in_a_year_without_a_published_schedule_is_provisional(world, time_machine):
    year = _first_uncovered_year()
    monday = next(D(year, 3, day) for day in range(1, 8) if D(year, 3, day).weekday() == 0)
    time_machine.move_to(dt.datetime.combine(monday, dt.time(9)), tick=False)
    record = make_problem(world, state="accepted")
    record = actions.transition(
        world.users["office"],
        record,
        "assign",
        data={"handling_unit": world.organisations["bureau"].pk, "deadline_days": 5},
    )
    # Plain weekdays: the Monday after, flagged provisional.
    assert (record.due_on, record.due_provisional) == (monday + dt.timedelta(days=7), True)


def test_an_approved_extension_moves_the_due_date_by_working_days(world, time_machine):
    time_machine.move_to(dt.datetime(2025, 9, 25, 9, 0), tick=False)
    bureau = world.organisations["bureau"]
    record = make_problem(
        world,
        **assigned(world, day=D(2025, 9, 23), days=5, handling_unit=bureau),
        extension_requested_days=3,
        extension_reason="需省厅批复",
    )
    # 24, 25, 26, Sunday 28 (worked in place of a holiday) and 29 September.
    assert record.due_on == D(2025, 9, 29)
    record = actions.transition(world.users["office"], record, "approve_extension")
    # Three more: 30 September, then 9 and 10 October after the National Day holiday.
    assert (record.due_on, record.deadline_days, record.extension_requested_days) == (
        D(2025, 10, 10),
        8,
        None,
    )


def test_the_enterprise_user_raises_on_the_phone_form_for_its_own_enterprise_only(world, client):
    from problems.models import ProblemKind

    client.force_login(world.users["enterprise"])
    kind = ProblemKind.objects.get(name="用工")
    response = client.get(reverse("problems:problem_raise"))
    assert response.status_code == 200 and b'name="photos"' in response.content
    response = client.post(
        reverse("problems:problem_raise"), {"title": "招工难", "kind": kind.pk, "description": ""}
    )
    assert response.status_code == 400 and not Problem.objects.exists()  # what the matter is, required
    response = client.post(
        reverse("problems:problem_raise"), {"title": "招工难", "kind": kind.pk, "description": "缺熟练工"}
    )
    problem = Problem.objects.get()
    assert response.status_code == 302 and problem.enterprise == world.enterprises["jingbai"]
    client.force_login(world.users["office"])
    assert client.get(reverse("problems:problem_raise")).status_code == 403  # staff use the full form


def test_a_meeting_records_decisions_become_tasks_in_one_action(world, client):
    from problems.models import MeetingRecord

    meeting = actions.create_direct(
        ACTOR,
        MeetingRecord(
            title="链长办调度会",
            held_on=D(2025, 6, 3),
            chain=world.chains["silk"],
            decisions="一、建设检测中心\n二、组织招聘会\n",
        ),
    )
    client.force_login(world.users["office"])
    url = reverse("problems:meetingrecord_make_items", kwargs={"pk": meeting.pk})
    response = client.post(url, {"make": "task", "owner_unit": world.organisations["bureau"].pk})
    assert response.status_code == 302
    tasks = Task.objects.filter(meeting=meeting).order_by("pk")
    assert [t.title for t in tasks] == ["一、建设检测中心", "二、组织招聘会"]
    assert all(
        t.owner_unit == world.organisations["bureau"] and t.chain == world.chains["silk"] for t in tasks
    )
    client.force_login(world.users["chief"])
    assert (
        client.post(url, {"make": "task", "owner_unit": world.organisations["bureau"].pk}).status_code == 403
    )


def test_each_named_action_has_its_page_for_its_own_moves_only(world, client):
    record = make_problem(world, **assigned(world, handling_unit=world.organisations["bureau"]))

    def page(action: str, move: str) -> int:
        return client.get(
            reverse(f"problems:problem_{action}", kwargs={"pk": record.pk, "move": move})
        ).status_code

    client.force_login(world.users["unit"])
    assert page("handle", "answer") == 200
    assert page("handle", "transfer") == 404  # the office's move, not under "handle"
    assert page("assign", "transfer") == 403
    response = client.post(
        reverse("problems:problem_handle", kwargs={"pk": record.pk, "move": "answer"}),
        {"answer": "已办结", "_version": record.version},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.state, record.answer) == ("answered", "已办结")
    client.force_login(world.users["office"])
    assert page("assign", "transfer") == 409  # answered: no transfer from there, the state is named
