"""The projects on the desk: red and yellow projects among the to-dos, the projects by stage and light, and
the projects landed this year against the chain's target, each counted in the user's scope and linked to
a list showing the same number."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from chainboard import actions
from chainboard.scope import SystemActor
from chainboard.testing import build_world
from projects.models import Light, Project, ProjectStage

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("test:desk")


@pytest.fixture
def w():
    w = build_world()
    silk, other = w.chains["silk"], w.chains["other"]
    this_year = timezone.localdate().year

    def project(name, chain, code, light=Light.GREY, stage=ProjectStage.PLANNING, started=None):
        p = actions.create_direct(
            ACTOR, Project(name=name, chain=chain, region=w.regions[code], stage=stage, started_on=started)
        )
        Project.objects.filter(pk=p.pk).update(light=light)  # as the light rules would set it
        return p

    project("高平红灯", silk, "140581", Light.RED)
    project("泽州红灯", silk, "140525", Light.RED)
    project("泽州黄灯", silk, "140525", Light.YELLOW)
    project("高平今年开工", silk, "140581", Light.GREEN, ProjectStage.STARTED, dt.date(this_year, 1, 5))
    project("高平去年开工", silk, "140581", Light.GREEN, ProjectStage.BUILDING, dt.date(this_year - 1, 6, 1))
    project("其他链红灯", other, "140581", Light.RED)
    return w


def page(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("home")).content.decode()


def todo_count(html: str, label: str) -> int | None:
    match = re.search(rf"<span class=\"flex-fill\">{label}</span>\s*<span[^>]*>(\d+)</span>", html)
    return int(match.group(1)) if match else None


def test_the_office_sees_its_chains_red_and_yellow_projects_to_attend_to(client, w):
    html = page(client, w.users["office"])
    assert todo_count(html, "红灯项目") == 2  # the other chain's red project is not the silk office's
    assert todo_count(html, "黄灯项目") == 1
    listed = client.get(reverse("projects:project_list"), {"light": "red"})
    assert listed.context["page"].paginator.count == 2


def test_a_county_user_counts_only_its_countys_projects(client, w):
    html = page(client, w.users["county"])
    assert todo_count(html, "红灯项目") == 2  # 高平红灯 and the other chain's, both in 高平市
    assert todo_count(html, "黄灯项目") is None


def test_the_landed_count_is_the_projects_started_this_year_against_the_target(client, w):
    from chains.desk import LANDED_PROVIDERS
    from projects.desk import landed

    assert landed in LANDED_PROVIDERS
    silk = w.chains["silk"]
    year = timezone.localdate().year
    counts = landed(w.users["chief"], [silk], year)
    assert counts[silk.pk].count == 1
    listed = client.get(counts[silk.pk].url) if client.force_login(w.users["chief"]) is None else None
    assert [p.name for p in listed.context["page"].object_list] == ["高平今年开工"]


def test_the_enterprise_user_without_projects_sees_no_project_card(client, w):
    html = page(client, w.users["enterprise"])
    assert "data-project-stages" not in html
    assert todo_count(html, "红灯项目") is None
