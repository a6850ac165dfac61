"""Traffic lights at the edges of their rules, on fixed days (``today`` is passed: no clock is read)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import translation

from chainboard import actions
from chainboard.scope import SystemActor
from chainboard.testing import build_world
from projects import lights
from projects.models import Light, Project, ProjectPlan, ProjectStage

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("test:lights")


@pytest.fixture
def w():
    return build_world()


def project(w, stage=ProjectStage.PLANNING, planned_start=None, planned=None, completed=None, year=2026):
    p = actions.create_direct(
        ACTOR,
        Project(
            name="灯测试项目",
            chain=w.chains["silk"],
            region=w.regions["140581"],
            stage=stage,
            planned_start=planned_start,
        ),
    )
    if planned is not None or completed is not None:
        actions.create_direct(
            ACTOR,
            ProjectPlan(
                project=p,
                year=year,
                planned_investment=None if planned is None else Decimal(planned),
                completed_investment=None if completed is None else Decimal(completed),
            ),
        )
    return p


def light(p, day):
    return lights.compute(p, dt.date.fromisoformat(day))


def test_a_project_without_plan_data_is_grey_not_red(w):
    p = project(w, stage=ProjectStage.BUILDING)
    assert light(p, "2026-12-31")[:2] == ("grey", "no_plan")


def test_a_plan_of_zero_is_no_plan_data(w):
    p = project(w, stage=ProjectStage.BUILDING, planned="0", completed="0")
    assert light(p, "2026-06-15")[0] == "grey"


@pytest.mark.parametrize(
    ("day", "expected", "code"),
    [
        ("2026-04-30", "green", "start_ahead"),  # the month before the planned start
        ("2026-05-01", "yellow", "start_due"),  # the planned start month: yellow
        ("2026-07-31", "yellow", "start_due"),  # two months after
        ("2026-08-01", "red", "start_late"),  # three months after: red
    ],
)
def test_a_project_not_started_turns_yellow_in_its_start_month_and_red_three_months_after(
    w, day, expected, code
):
    p = project(w, stage=ProjectStage.SIGNED, planned_start=dt.date(2026, 5, 20))
    assert light(p, day)[:2] == (expected, code)


def test_a_started_project_is_not_judged_by_its_planned_start(w):
    p = project(w, stage=ProjectStage.STARTED, planned_start=dt.date(2026, 1, 1))
    assert light(p, "2026-12-01")[0] == "grey"  # started, and no investment plan: nothing to compare


@pytest.mark.parametrize(
    ("completed", "expected", "code"),
    [
        ("510000", "green", "on_plan"),  # June: 50 % by time; 51 % done: 1 point ahead
        ("410000", "green", "on_plan"),  # 9 points behind
        ("400000", "yellow", "behind_yellow"),  # exactly 10 points behind: yellow
        ("200000", "yellow", "behind_yellow"),  # exactly 30 points behind: still yellow
        ("199000", "red", "behind_red"),  # 30.1 points behind: red
        (None, "red", "behind_red"),  # nothing filed this year: 50 points behind
    ],
)
def test_investment_behind_the_time_proportional_plan(w, completed, expected, code):
    p = project(w, stage=ProjectStage.BUILDING, planned="1000000", completed=completed)
    got = light(p, "2026-06-10")
    assert got[:2] == (expected, code)
    assert got[2]["expected"] == 50.0


def test_last_years_plan_does_not_count_this_year(w):
    p = project(w, stage=ProjectStage.BUILDING, planned="1000000", completed="0", year=2025)
    assert light(p, "2026-06-10")[0] == "grey"


def test_the_worse_rule_fires(w):
    p = project(
        w, stage=ProjectStage.SIGNED, planned_start=dt.date(2026, 6, 1), planned="1000000", completed="0"
    )
    assert light(p, "2026-06-10")[:2] == ("red", "behind_red")
    assert light(p, "2026-01-10")[:2] == ("green", "start_ahead")  # 8.3 points behind: green too


@pytest.mark.parametrize("stage", [ProjectStage.SUSPENDED, ProjectStage.TERMINATED])
def test_a_halted_project_is_grey_with_its_stage_as_the_rule(w, stage):
    p = project(w, stage=stage, planned_start=dt.date(2025, 1, 1), planned="100", completed="0")
    assert light(p, "2026-12-01")[:2] == ("grey", "halted")


def test_a_finished_project_is_green(w):
    p = project(w, stage=ProjectStage.IN_PRODUCTION, planned="100", completed="0")
    assert light(p, "2026-12-01")[:2] == ("green", "finished")


@override_settings(
    CHAINBOARD_LIGHT_RULES={**lights.rules(), "behind_yellow_points": 5, "start_red_months": 1}
)
def test_thresholds_are_configuration(w):
    p = project(w, stage=ProjectStage.BUILDING, planned="1000000", completed="440000")
    assert light(p, "2026-06-10")[0] == "yellow"  # 6 points behind
    q = project(w, stage=ProjectStage.PLANNING, planned_start=dt.date(2026, 5, 1))
    assert light(q, "2026-06-01")[0] == "red"


def test_the_rule_is_stored_as_a_code_and_read_in_the_readers_language(w):
    p = project(w, stage=ProjectStage.SIGNED, planned_start=dt.date(2026, 1, 5))
    assert lights.refresh(p, dt.date(2026, 5, 1))
    p.refresh_from_db()
    assert (p.light, p.light_rule) == (Light.RED, "start_late")
    with translation.override("en"):
        assert p.get_light_rule_display() == "Not started 4 months after the planned start 2026-01-05."
    with translation.override("zh-hans"):
        assert "2026-01-05" in p.get_light_rule_display() and "Not started" not in p.get_light_rule_display()
    assert not lights.refresh(p, dt.date(2026, 5, 2))  # unchanged: nothing written


def test_the_daily_recompute_changes_only_what_moved(w):
    a = project(w, stage=ProjectStage.SIGNED, planned_start=dt.date(2026, 3, 1))
    b = project(w, stage=ProjectStage.BUILDING)
    assert lights.refresh_many(today=dt.date(2026, 2, 1)) == 1  # a: green (not due); b stays grey
    assert lights.refresh_many(today=dt.date(2026, 2, 2)) == 0
    assert lights.refresh_many(today=dt.date(2026, 3, 1)) == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.light, b.light) == (Light.YELLOW, Light.GREY)


def test_the_list_filters_and_counts_by_light_and_shows_the_rule(w, client):
    red = project(w, stage=ProjectStage.SIGNED, planned_start=dt.date(2020, 1, 1))
    project(w, stage=ProjectStage.BUILDING)
    lights.refresh_many(today=dt.date(2026, 6, 1))
    client.force_login(w.users["office"])
    client.cookies["django_language"] = "en"
    page = client.get("/projects/?light=red")
    assert [p.pk for p in page.context["page"].object_list] == [red.pk]
    facet = next(f for f in page.context["facets"] if f["name"] == "light")
    counts = {str(v["label"]): v["count"] for v in facet["values"]}
    assert counts.get("red") == 1 and counts.get("grey (no plan data)") == 1
    assert "Not started" in page.content.decode()


def test_a_plan_saved_recomputes_its_projects_light_after_the_commit(w, django_capture_on_commit_callbacks):
    p = project(w, stage=ProjectStage.BUILDING)
    with django_capture_on_commit_callbacks(execute=True):
        actions.create_direct(
            ACTOR, ProjectPlan(project=p, year=dt.date.today().year, planned_investment=100)
        )
    p.refresh_from_db()
    assert p.light != Light.GREY and p.light_rule in {"on_plan", "behind_yellow", "behind_red"}
