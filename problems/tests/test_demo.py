"""The demo's closed loop (demo/problems.py): the letter's next-step commitments as the bureau's tasks with
their sources and no invented dates, and sample problems in every state so each demo role sees its part."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from chainboard import actions, desk
from chainboard.models import Notice
from enterprises.models import Enterprise, Membership
from problems.models import LoopState, Problem, Task

from .conftest import ACTOR

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 6, 18)


@pytest.fixture
def demo(world, time_machine):
    from demo import problems as demo_problems
    from demo import users as demo_users

    time_machine.move_to(dt.datetime.combine(TODAY, dt.time(9)), tick=False)
    for name in ("绿洲纺织", "森鹅"):  # on the silk chain, as in the demo
        enterprise = actions.create_direct(ACTOR, Enterprise(name=name, region=world.regions["140525"]))
        actions.create_direct(ACTOR, Membership(enterprise=enterprise, chain=world.chains["silk"]))
    demo_users.ensure(ACTOR)
    demo_problems.load(ACTOR)
    demo_problems.load_samples(ACTOR, today=TODAY)
    return world


def test_the_letters_commitments_are_the_bureaus_tasks_without_invented_dates(demo):
    tasks = Task.objects.filter(is_sample=False).order_by("pk")
    assert [t.source for t in tasks] == [
        "TA0302 reply, 三(一)",
        "TA0302 reply, 三(二)",
        "TA0302 reply, 三(三)",
        "TA0302 reply, 三(四)",
        "TA0302 reply, 结尾",
    ]
    assert {t.owner_unit.name for t in tasks} == {"晋城市工业和信息化局"}
    assert all(t.due_on is None and t.assigned_on is None and t.deadline_days is None for t in tasks)


def test_the_samples_cover_every_state_and_the_overdue_reopened_and_transferred_cases(demo):
    from demo import problems as demo_problems

    samples = Problem.objects.filter(is_sample=True)
    assert {p.state for p in samples} == set(LoopState.values)
    overdue = samples.get(title="示例：染整废水排放指标")
    assert overdue.due_on < TODAY and overdue.escalation_level == 2
    reopened = samples.get(title="示例：厂区道路照明")
    assert (reopened.state, reopened.reopen_count, reopened.rating) == ("in_progress", 1, "dissatisfied")
    transferred = samples.get(title="示例：服装专业订单班")
    assert transferred.handling_unit.name == "晋城职业技术学院"
    assert demo_problems.load_samples(ACTOR, today=TODAY) == {"problems": 0, "escalated": 0}


def test_each_demo_role_sees_its_part_of_the_loop(demo):
    from accounts.models import User

    users = {u.username: u for u in User.objects.all()}
    with translation.override("en"):
        office = {str(t.label): t.count for t in desk.todos_for(users["office"])}
        jingbai = {str(t.label): t.count for t in desk.todos_for(users["enterprise_jingbai"])}
    assert office["Problems to accept"] == 1 and office["Extension requests to decide (problems)"] == 1
    assert jingbai["Answers to rate"] == 1
    assert set(
        Problem.objects.restrict(users["enterprise_jingbai"]).values_list("enterprise__name", flat=True)
    ) == {"景柏服饰"}
    due = desk.due_for(users["unit_bureau"])
    assert "overdue" in {item.state for item in due}
    assert Notice.objects.filter(user=users["chief"], kind="problem.escalated").exists()
