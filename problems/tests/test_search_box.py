"""The search box and the lists' ``q`` answer problems, tasks and meeting records from the search index
(chainboard/search.py, docs/search.md): a substring of the title, the enterprise's or the owner unit's
name, pinyin initials; within the user's scope; in as many queries for many hits as for one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainboard import actions, audit, search
from problems.models import LoopState, MeetingRecord, Problem, ProblemKind, Task
from problems.tests.conftest import ACTOR

pytestmark = pytest.mark.django_db(transaction=False)


def box(client, term: str) -> dict[str, list[str]]:
    response = client.get(reverse("search"), {"q": term})
    assert response.status_code == 200
    return {str(g["label"]): sorted(str(i) for i in g["items"]) for g in response.context["groups"]}


def listed(client, url_name: str, term: str) -> list[str]:
    response = client.get(reverse(url_name), {"q": term})
    assert response.status_code == 200
    return sorted(str(r["object"]) for r in response.context["rows"])


@pytest.fixture
def loop(world):
    """A problem of 景柏服饰 (泽州县) and one of 潞安府潞绸 (高平市), a task of the city bureau, a meeting."""
    with audit.operation(user=ACTOR, source=audit.Source.COMMAND, label="test:search"):
        kind = ProblemKind.objects.order_by("pk").first() or actions.create_direct(
            ACTOR, ProblemKind(name="融资", order=1)
        )
        problems = {
            key: actions.create_direct(
                ACTOR,
                Problem(title=title, description=text, kind=kind, enterprise=world.enterprises[key]),
            )
            for key, title, text in (
                ("jingbai", "厂房租赁补贴", "二期厂房"),
                ("luanfu", "天然气供应不足", "冬季限气"),
            )
        }
        task = actions.create_direct(
            ACTOR,
            Task(
                title="协调电力增容",
                owner_unit=world.organisations["bureau"],
                chain=world.chains["silk"],
                region=world.enterprises["luanfu"].region,
                state=LoopState.ASSIGNED,
                assigned_on=dt.date(2026, 6, 1),
                deadline_days=10,
                due_on=dt.date(2026, 6, 15),
            ),
        )
        meeting = actions.create_direct(
            ACTOR,
            MeetingRecord(title="丝绸产业链调度会", held_on=dt.date(2026, 6, 1), chain=world.chains["silk"]),
        )
    return problems, task, meeting


def test_the_new_records_are_indexed_by_the_search_index(world):
    for model in (Problem, Task, MeetingRecord):
        assert search.is_indexed(model), model


def test_the_box_finds_a_problem_by_two_characters_of_its_title_its_enterprise_and_its_initials(
    client, world, loop
):
    client.force_login(world.users["office"])
    problems = str(Problem._meta.verbose_name_plural)
    assert box(client, "租赁")[problems] == ["厂房租赁补贴"]  # 2 characters of the title
    assert box(client, "冬季限")[problems] == ["天然气供应不足"]  # 3 characters of the description
    assert box(client, "景柏")[problems] == ["厂房租赁补贴"]  # its enterprise's name
    assert box(client, "jb")[problems] == ["厂房租赁补贴"]  # its enterprise's initials
    assert box(client, "trq")[problems] == ["天然气供应不足"]  # the initials of its title
    assert box(client, "tianranqi")[problems] == ["天然气供应不足"]  # full pinyin
    # The list's q answers the same way.
    assert listed(client, "problems:problem_list", "景柏") == ["厂房租赁补贴"]
    assert listed(client, "problems:problem_list", "trq") == ["天然气供应不足"]


def test_the_box_finds_a_task_by_its_owner_units_name_and_a_meeting_by_its_title(client, world, loop):
    client.force_login(world.users["office"])
    assert box(client, "电力")[str(Task._meta.verbose_name_plural)] == ["协调电力增容"]
    # The owner unit (a small table, not indexed) is matched by its name, through the task's key.
    assert box(client, "工业和信息化")[str(Task._meta.verbose_name_plural)] == ["协调电力增容"]
    assert listed(client, "problems:task_list", "信息化局") == ["协调电力增容"]
    assert box(client, "调度")[str(MeetingRecord._meta.verbose_name_plural)] == [
        "2026-06-01 丝绸产业链调度会"
    ]


def test_a_county_user_never_finds_another_countys_problem_in_the_box_or_the_list(client, world, loop):
    client.force_login(world.users["county"])  # 高平市: 潞安府潞绸's problem, not 景柏服饰's (泽州县)
    problems = str(Problem._meta.verbose_name_plural)
    for term in ("租赁", "厂房租赁补贴", "景柏", "jb", "cfzl", "二期"):
        assert problems not in box(client, term), term
        assert listed(client, "problems:problem_list", term) == [], term
    assert box(client, "天然气")[problems] == ["天然气供应不足"]
    assert listed(client, "problems:problem_list", "潞安") == ["天然气供应不足"]


def test_a_changed_title_is_found_by_its_new_words_only(client, world, loop):
    problems, _task, _meeting = loop
    problem = problems["jingbai"]
    with audit.operation(user=ACTOR, source=audit.Source.COMMAND, label="test:search"):
        actions.save_fields(ACTOR, problem, title="融资担保需求")  # the write path, index included
    client.force_login(world.users["office"])
    label = str(Problem._meta.verbose_name_plural)
    assert box(client, "担保")[label] == ["融资担保需求"]
    assert box(client, "rzdb")[label] == ["融资担保需求"]
    assert label not in box(client, "租赁")


def test_the_box_makes_as_many_queries_for_many_problems_as_for_one(client, world, loop):
    client.force_login(world.users["office"])
    box(client, "贷款")  # warm: caches of the first request
    with CaptureQueriesContext(connection) as one:
        box(client, "天然气")
    kind = ProblemKind.objects.order_by("pk").first()
    with audit.operation(user=ACTOR, source=audit.Source.COMMAND, label="test:search"):
        for n in range(12):
            actions.create_direct(
                ACTOR,
                Problem(title=f"天然气管网{n}", kind=kind, enterprise=world.enterprises["luanfu"]),
            )
    with CaptureQueriesContext(connection) as many:
        groups = box(client, "天然气")
    assert len(groups[str(Problem._meta.verbose_name_plural)]) == 8
    assert len(many) == len(one)


@pytest.mark.parametrize("sorted_up_to", [0, 1_000])
@pytest.mark.parametrize("window", [3, 30, 400])
def test_a_county_user_sees_the_newest_of_more_than_a_hundred_hits_in_order(
    client, world, loop, monkeypatch, window, sorted_up_to
):
    """More than 100 hits: the box shows the 8 newest in the user's scope, newest first, whether they are
    among the first rows in scope (the window the box looks in first) or further back, found among the
    matches read by their ids (up to SORTED_UP_TO) or by the ordered search."""
    import time_machine

    from chainboard.views import search as box_view

    monkeypatch.setattr(box_view, "WINDOW", window)
    monkeypatch.setattr(box_view, "SORTED_UP_TO", sorted_up_to)
    kind = ProblemKind.objects.order_by("pk").first()
    start = dt.datetime(2027, 7, 1, 9, tzinfo=dt.UTC)  # after the fixture's problems
    with audit.operation(user=ACTOR, source=audit.Source.COMMAND, label="test:search"):
        for n in range(130):
            # Hits in 高平市 (潞安府潞绸); every tenth of the newest rows in scope a non-hit; newer hits
            # in 泽州县 (景柏服饰) outside the county user's scope.
            if n >= 100 and n % 10 == 0:
                title, key = f"用工缺口{n}", "luanfu"
            elif n >= 120:
                title, key = f"天然气管网{n}", "jingbai"
            else:
                title, key = f"天然气管网{n}", "luanfu"
            with time_machine.travel(start + dt.timedelta(hours=n), tick=False):
                actions.create_direct(
                    ACTOR, Problem(title=title, kind=kind, enterprise=world.enterprises[key])
                )
    client.force_login(world.users["county"])
    response = client.get(reverse("search"), {"q": "天然气"})
    label = str(Problem._meta.verbose_name_plural)
    group = next(g for g in response.context["groups"] if str(g["label"]) == label)
    newest = [f"天然气管网{n}" for n in range(119, 0, -1) if not (n >= 100 and n % 10 == 0)][:8]
    assert [str(o) for o in group["items"]] == newest
    assert group["more"] and group["count"] == 100


def _problem_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if 'FROM "problems_problem"' in q["sql"]]


@pytest.mark.parametrize("probe_cost", [0, 10**9])
def test_a_problem_is_found_through_its_enterprise_by_either_plan(
    client, world, loop, monkeypatch, probe_cost
):
    """Through its enterprise, a problem is found by probing the enterprise index per problem (the table
    holds fewer problems than the enterprises matching, over PROBE_COST) or by reading the matching
    enterprises' ids: the same problems, in the user's scope, either way."""
    monkeypatch.setattr(search, "PROBE_COST", probe_cost)
    probed = probe_cost == 0
    label = str(Problem._meta.verbose_name_plural)
    client.force_login(world.users["office"])
    for term, expected in (
        ("景柏", ["厂房租赁补贴"]),
        ("jb", ["厂房租赁补贴"]),
        ("潞安府", ["天然气供应不足"]),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert box(client, term)[label] == expected, term
        # The enterprise index's entry of the problem's enterprise, found by its id.
        key = (
            "rowid" if connection.vendor == "sqlite" else "object_id"
        ) + ' = "problems_problem"."enterprise_id"'
        assert any(key in sql for sql in _problem_queries(queries)) == probed, term
        assert any('"enterprise_id" IN (SELECT' in sql for sql in _problem_queries(queries)) != probed
        assert listed(client, "problems:problem_list", term) == expected, term
    client.force_login(world.users["county"])  # 高平市: 潞安府潞绸's problem only
    assert label not in box(client, "景柏") and label not in box(client, "jb")
    assert box(client, "潞安府")[label] == ["天然气供应不足"]


def test_with_no_problems_the_box_reads_no_enterprise_ids_for_them(client, world):
    """An empty table (a new deployment; the province benchmark's million enterprises without a problem)
    is probed per row, which costs nothing: the enterprises matching are neither read nor counted for
    it (at a million enterprises, 有限's 667,000 ids took 318 ms for the problems and as long again for
    the projects)."""
    assert not Problem.objects.exists()
    client.force_login(world.users["office"])
    with CaptureQueriesContext(connection) as queries:
        box(client, "景柏")
    problem_queries = _problem_queries(queries)
    assert problem_queries  # the kind was asked
    assert not any('"enterprise_id" IN (SELECT' in sql for sql in problem_queries)
