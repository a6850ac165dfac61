"""Key projects: the rules a user meets when keeping the project list, and the demo's letter facts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from chainboard import actions
from chainboard.scope import SystemActor
from chainboard.testing import build_world
from enterprises.models import Enterprise
from organisations.models import Person
from projects.forms import ProjectForm
from projects.models import Light, Project, ProjectStage

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("test:projects")


@pytest.fixture
def w():
    return build_world()


def form_data(w, **extra) -> dict:
    data = {
        "name": "丝绸精深加工项目",
        "chain": str(w.chains["silk"].pk),
        "region": "140581",
        "stage": ProjectStage.PLANNING,
    }
    data.update(extra)
    return data


def test_the_office_adds_a_project_and_its_light_starts_grey(w, client):
    client.force_login(w.users["office"])
    response = client.post(reverse("projects:project_add"), form_data(w, total_investment="120000000"))
    project = Project.objects.get(name="丝绸精深加工项目")
    assert response.status_code == 302
    assert project.light == Light.GREY
    assert project.total_investment == 120_000_000


def test_a_finish_before_the_start_is_refused_naming_the_field(w):
    with pytest.raises(actions.InvalidData) as exc:
        actions.create(
            w.users["office"],
            ProjectForm,
            form_data(w, planned_start="2026-05-01", planned_finish="2026-04-01"),
        )
    assert "planned_finish" in exc.value.errors
    assert not Project.objects.exists()


def test_a_segment_of_another_chain_is_refused(w):
    with pytest.raises(actions.InvalidData) as exc:
        actions.create(SystemActor("test"), ProjectForm, form_data(w, segment=str(w.segments["other"].pk)))
    assert "segment" in exc.value.errors


def test_the_responsible_persons_account_must_hold_a_role_that_reads_projects(w):
    bureau = w.organisations["bureau"]
    auditor = actions.create_direct(
        ACTOR, Person(organisation=bureau, name="审计员", user=w.users["auditor"])
    )
    clerk = actions.create_direct(ACTOR, Person(organisation=bureau, name="县区专班", user=w.users["county"]))
    with pytest.raises(actions.InvalidData) as exc:
        actions.create(w.users["office"], ProjectForm, form_data(w, responsible_person=str(auditor.pk)))
    assert "responsible_person" in exc.value.errors
    project = actions.create(w.users["office"], ProjectForm, form_data(w, responsible_person=str(clerk.pk)))
    assert project.responsible_user == w.users["county"]


def test_a_county_clerk_cannot_put_a_project_in_another_county(w):
    with pytest.raises(PermissionDenied):
        actions.create(w.users["county"], ProjectForm, form_data(w, region="140525"))
    assert not Project.objects.exists()


def test_an_enterprise_user_sees_only_its_own_projects(w, client):
    silk = w.chains["silk"]
    own = actions.create_direct(
        ACTOR,
        Project(name="景柏项目", chain=silk, region=w.regions["140525"], owner=w.enterprises["jingbai"]),
    )
    actions.create_direct(
        ACTOR,
        Project(name="潞安府项目", chain=silk, region=w.regions["140581"], owner=w.enterprises["luanfu"]),
    )
    client.force_login(w.users["enterprise"])
    page = client.get(reverse("projects:project_list"))
    assert [p.pk for p in page.context["page"].object_list] == [own.pk]


def test_the_demo_holds_the_five_projects_of_the_letter_and_invents_nothing(w):
    from demo import projects as demo_projects

    for name in ("森鹅",):
        actions.create_direct(ACTOR, Enterprise(name=name, region=w.regions["140500"]))
    demo_projects.load(ACTOR)
    projects = {p.name: p for p in Project.objects.select_related("owner")}
    assert set(projects) == {
        "潞安府年产30万米丝麻面料扩改项目",
        "森鹅针织面料织造及染整项目",
        "潞安府潞绸织造产业园升级",
        "唐安缫丝厂",
        "桑园基地",
    }
    assert projects["森鹅针织面料织造及染整项目"].stage == ProjectStage.STARTED
    assert projects["森鹅针织面料织造及染整项目"].landed
    assert projects["潞安府潞绸织造产业园升级"].owner.name == "潞安府潞绸"
    assert projects["唐安缫丝厂"].owner is None
    for p in projects.values():
        assert p.total_investment is None and p.planned_start is None and not p.plans.exists()
        assert p.light == Light.GREY and not p.is_sample
        assert p.source.startswith("TA0302 reply, 二(四)")
        assert p.region.code == "140500"  # where it is built is not said: 县区未知
    demo_projects.load(ACTOR)  # loading twice adds nothing
    assert Project.objects.count() == 5


def test_a_project_started_in_the_past_counts_as_landed(w):
    p = Project(name="x", chain=w.chains["silk"], region=w.regions["140500"], stage=ProjectStage.BUILDING)
    p.started_on = dt.date(2026, 3, 1)
    assert p.landed
    p.stage = ProjectStage.SIGNED
    assert not p.landed


def test_the_demo_samples_show_every_light_and_an_open_round_with_a_missing_filing(w):
    from demo import projects as demo_projects
    from demo import users as demo_users
    from projects.models import RoundStatus, SchedulingRound
    from regions.models import Region

    Region.objects.create(
        code="140522",
        name="阳城县",
        level=3,
        parent=w.regions["140500"],
        path=Region.path_for("140522"),
        full_name="阳城县",
    )
    demo_users.ensure(ACTOR)
    demo_projects.load_samples(ACTOR, today=dt.date(2026, 6, 15))
    samples = Project.objects.filter(is_sample=True)
    assert {p.light for p in samples} == {Light.GREEN, Light.YELLOW, Light.RED, Light.GREY}
    assert {p.region.code for p in samples} == {"140581", "140525", "140522"}
    statuses = list(SchedulingRound.objects.order_by("month").values_list("month", "status"))
    assert statuses == [(4, RoundStatus.CLOSED), (5, RoundStatus.CLOSED), (6, RoundStatus.OPEN)]
    open_round = SchedulingRound.objects.get(month=6)
    missing = open_round.reports.filter(filed_at__isnull=True)
    assert [r.responsible.username for r in missing] == ["county_gaoping"]
    assert all(r.is_sample for r in open_round.reports.all())
    assert demo_projects.load_samples(ACTOR, today=dt.date(2026, 6, 15)) == {"sample_projects": 0}
