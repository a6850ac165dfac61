"""The closed loop's card on the desk (problems/desk.py): the items in scope by state, the overdue and the
escalated, each figure the count of the list behind its link, whatever the role's scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from .conftest import assigned, make_problem, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def loop(world):
    from problems.models import Problem, Task

    today = timezone.localdate()
    bureau = world.organisations["bureau"]
    past = today - dt.timedelta(days=40)
    # 景柏 (泽州县, the silk chain): overdue and escalated; overdue only; not yet due; closed long ago.
    for enterprise, overdue, level, state in [
        ("jingbai", True, 1, "assigned"),
        ("jingbai", True, 0, "in_progress"),
        ("jingbai", False, 0, "assigned"),
        ("luanfu", True, 2, "in_progress"),  # 高平市, the silk chain
        ("gaoping_other", True, 1, "assigned"),  # 高平市, the other chain
        ("luanfu", True, 1, "closed"),  # closed: neither overdue nor escalated any more
    ]:
        p = make_problem(world, enterprise, **assigned(world, day=past, days=5, handling_unit=bureau))
        due = today - dt.timedelta(days=3) if overdue else today + dt.timedelta(days=30)
        Problem.objects.filter(pk=p.pk).update(state=state, due_on=due, escalation_level=level)
    task = make_task(world, **assigned(world, day=past, days=5))
    Task.objects.filter(pk=task.pk).update(due_on=today - dt.timedelta(days=1), escalation_level=1)
    return world


def listed(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


@pytest.mark.parametrize(
    ("username", "figures"),
    [
        ("office", {"诉求": (3, 2), "任务": (1, 1)}),  # the silk chain
        ("county", {"诉求": (2, 2)}),  # 高平市: 潞安府潞绸 and 高平其他企业
    ],
)
def test_the_loop_cards_overdue_and_escalated_are_the_counts_of_their_lists(client, loop, username, figures):
    client.force_login(loop.users[username])
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("home"))
    rows = {
        str(row["label"]): row
        for row in next(c for c in response.context["cards"] if c["card"].name == "problems")["rows"]
    }
    shown = {
        label: (row["overdue"], row["escalated"])
        for label, row in rows.items()
        if row["overdue"] or row["escalated"]
    }
    assert shown == figures
    for row in rows.values():
        assert listed(client, row["overdue_url"]) == row["overdue"]
        assert listed(client, row["escalated_url"]) == row["escalated"]


def test_the_loops_to_dos_are_one_query_and_each_the_count_of_its_list(client, loop):
    # The office's to-dos (problems to accept, extension requests, answered tasks): their counts asked in
    # one query of scalar subqueries, each still the count of the list its link opens.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from chainboard import scope
    from problems import desk as loop_desk
    from problems.models import Problem, Task

    Problem.objects.filter(state="assigned").update(extension_requested_days=5)
    Task.objects.update(state="answered")
    office = User.objects.get(pk=loop.users["office"].pk)
    scope.grants(office)  # read once per request
    with CaptureQueriesContext(connection) as captured:
        todos = loop_desk.todos(office)
    assert len(captured) == 1
    assert {str(t.label) for t in todos} == {"待审批的延期申请（诉求）", "待确认办结的任务"}
    client.force_login(loop.users["office"])
    for todo in todos:
        assert listed(client, todo.url) == todo.count, todo.label
