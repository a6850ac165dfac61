"""Monthly scheduling rounds (调度): opening (the scheduler's task, idempotent; the office), filing and
the not-filed list, reminding (mail), closing (frozen figures), and who sees which rounds and reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.urls import reverse

from chainboard import actions
from chainboard.models import AuditEntry
from chainboard.scope import SystemActor
from chainboard.testing import build_world
from organisations.models import Person
from projects import rounds, tasks
from projects.models import ProgressReport, Project, ProjectPlan, ProjectStage, RoundStatus, SchedulingRound

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("test:rounds")


@pytest.fixture
def w():
    w = build_world()
    silk, other = w.chains["silk"], w.chains["other"]
    county = w.users["county"]
    county.email = "county@example.org"
    county.save(update_fields=["email"])

    people = {}

    def person(user):
        # The responsible person is a person (organisations.Person); their account files the progress.
        if user.pk not in people:
            people[user.pk] = actions.create_direct(
                ACTOR, Person(organisation=w.organisations["bureau"], name=user.username, user=user)
            )
        return people[user.pk]

    def make(key, chain, code, stage=ProjectStage.BUILDING, responsible=None, owner=None):
        w.projects[key] = actions.create_direct(
            ACTOR,
            Project(
                name=f"项目{key}",
                chain=chain,
                region=w.regions[code],
                stage=stage,
                responsible_person=person(responsible) if responsible else None,
                owner=owner,
            ),
        )

    w.projects = {}
    make("gaoping", silk, "140581", responsible=county)
    make("zezhou", silk, "140525", responsible=w.users["enterprise"], owner=w.enterprises["jingbai"])
    make("done", silk, "140581", stage=ProjectStage.IN_PRODUCTION, responsible=county)
    make("other", other, "140581", responsible=county)
    actions.create_direct(
        ACTOR, ProjectPlan(project=w.projects["gaoping"], year=2026, planned_investment=Decimal("1200000"))
    )
    return w


def open_silk(w, user=None) -> SchedulingRound:
    return rounds.open_round(user or w.users["office"], w.chains["silk"], 2026, 6)


def test_the_task_opens_one_round_per_chain_per_month_from_the_open_day(w):
    assert tasks.open_due_rounds.call("2026-06-24") == []  # the day before the open day (25)
    opened = tasks.open_due_rounds.call("2026-06-25")
    assert len(opened) == 2  # both chains have an active project
    assert tasks.open_due_rounds.call("2026-06-26") == []  # idempotent
    silk = SchedulingRound.objects.get(chain=w.chains["silk"])
    assert (silk.year, silk.month, silk.due_on, silk.opened_by) == (2026, 6, dt.date(2026, 6, 30), None)
    # every active project of the chain, with its responsible user; 投产 is not asked for progress
    reports = {r.project.name: r.responsible for r in silk.reports.select_related("project")}
    assert reports == {"项目gaoping": w.users["county"], "项目zezhou": w.users["enterprise"]}


@override_settings(CHAINBOARD_ROUND_OPEN_DAY=1)
def test_the_open_day_is_configuration(w):
    assert len(tasks.open_due_rounds.call("2026-07-01")) == 2


def test_the_office_opens_a_round_once_a_month_and_it_is_audited(w, client):
    client.force_login(w.users["office"])
    url = reverse("projects:schedulinground_open")
    data = {"chain": w.chains["silk"].pk, "year": 2026, "month": 6}
    response = client.post(url, data)
    round_ = SchedulingRound.objects.get()
    assert response.status_code == 302 and round_.opened_by == w.users["office"]
    assert AuditEntry.objects.filter(object_id=str(round_.pk), action="create").exists()
    again = client.post(url, data)
    assert again.status_code == 400 and SchedulingRound.objects.count() == 1


def test_only_the_office_opens_rounds(w, client):
    with pytest.raises(PermissionDenied):
        open_silk(w, w.users["county"])
    client.force_login(w.users["chief"])
    assert client.get(reverse("projects:schedulinground_open")).status_code == 403


def test_the_responsible_user_files_and_the_round_lists_who_has_not(w, client):
    round_ = open_silk(w)
    report = round_.reports.get(project=w.projects["gaoping"])
    client.force_login(w.users["county"])
    mine = client.get(reverse("projects:my_progress"))
    assert [r.pk for r in mine.context["pending"]] == [report.pk]
    response = client.post(
        reverse("projects:progressreport_file", kwargs={"pk": report.pk}),
        {
            "completed_investment": "600000",
            "progress_pct": "40",
            "problems": "用地手续",
            "next_step": "设备安装",
            "_version": report.version,
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.filed_by == w.users["county"] and report.completed_investment == 600000
    # the year's plan takes the filed figure, and the light follows
    plan = ProjectPlan.objects.get(project=w.projects["gaoping"], year=2026)
    assert plan.completed_investment == 600000
    assert AuditEntry.objects.filter(object_id=str(plan.pk), action="update").exists()
    page = client.get(round_.get_absolute_url())
    assert [r.project.name for r in page.context["unfiled"]] == []  # county sees only its county's rows
    client.force_login(w.users["office"])
    page = client.get(round_.get_absolute_url())
    assert [r.project.name for r in page.context["unfiled"]] == ["项目zezhou"]
    assert [r.project.name for r in page.context["filed"]] == ["项目gaoping"]
    assert list(rounds.pending_for(w.users["county"])) == []


def test_a_user_may_not_file_another_countys_project(w, client):
    round_ = open_silk(w)
    report = round_.reports.get(project=w.projects["zezhou"])
    client.force_login(w.users["county"])
    assert client.get(reverse("projects:progressreport_file", kwargs={"pk": report.pk})).status_code == 404
    client.force_login(w.users["investment"])  # reads the report, files nothing
    assert client.get(reverse("projects:progressreport_file", kwargs={"pk": report.pk})).status_code == 403


def test_the_office_files_on_behalf_and_the_enterprise_files_its_own(w):
    round_ = open_silk(w)
    report = round_.reports.get(project=w.projects["zezhou"])
    rounds.file_progress(w.users["enterprise"], report, {"progress_pct": "10"})
    report.refresh_from_db()
    rounds.file_progress(w.users["office"], report, {"progress_pct": "12"}, version=report.version)
    report.refresh_from_db()
    assert report.progress_pct == 12 and report.filed_by == w.users["office"]


def test_a_filing_needs_a_figure(w):
    report = open_silk(w).reports.get(project=w.projects["gaoping"])
    with pytest.raises(actions.InvalidData):
        rounds.file_progress(w.users["county"], report, {"problems": "无"})
    with pytest.raises(actions.InvalidData) as exc:
        rounds.file_progress(w.users["county"], report, {"progress_pct": "101"})
    assert "progress_pct" in exc.value.errors


def test_remind_mails_those_who_have_not_filed_and_marks_their_notice(w, client):
    round_ = open_silk(w)
    w.users["enterprise"].email = "jingbai@example.org"
    w.users["enterprise"].save(update_fields=["email"])
    rounds.file_progress(
        w.users["enterprise"], round_.reports.get(project=w.projects["zezhou"]), {"progress_pct": "5"}
    )
    client.force_login(w.users["office"])
    response = client.post(reverse("projects:schedulinground_remind", kwargs={"pk": round_.pk}))
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["county@example.org"]]
    assert "项目gaoping" in mail.outbox[0].body
    report = round_.reports.get(project=w.projects["gaoping"])
    assert report.reminded_at is not None
    assert AuditEntry.objects.filter(object_id=str(report.pk), action="update").exists()
    client.force_login(w.users["county"])
    client.cookies["django_language"] = "en"
    assert "reminded on" in client.get(reverse("projects:my_progress")).content.decode()


def test_only_the_office_reminds_and_closes(w, client):
    round_ = open_silk(w)
    client.force_login(w.users["county"])
    assert (
        client.post(reverse("projects:schedulinground_remind", kwargs={"pk": round_.pk})).status_code == 403
    )
    assert client.post(reverse("projects:schedulinground_close", kwargs={"pk": round_.pk})).status_code == 403
    assert not mail.outbox and SchedulingRound.objects.get().is_open


def test_closing_freezes_the_figures_as_filed(w, client):
    round_ = open_silk(w)
    report = round_.reports.get(project=w.projects["gaoping"])
    rounds.file_progress(w.users["county"], report, {"completed_investment": "100"})
    client.force_login(w.users["office"])
    response = client.post(
        reverse("projects:schedulinground_close", kwargs={"pk": round_.pk}), {"_version": round_.version}
    )
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED and round_.closed_at is not None
    report.refresh_from_db()
    with pytest.raises(PermissionDenied):
        rounds.file_progress(w.users["office"], report, {"completed_investment": "200"})
    with pytest.raises(PermissionDenied):  # nor through the write path directly
        actions.save_fields(ACTOR, report, completed_investment=Decimal("200"))
    with pytest.raises(PermissionDenied):
        actions.delete(ACTOR, report)
    with pytest.raises(PermissionDenied):
        rounds.remind(w.users["office"], round_)
    report.refresh_from_db()
    assert report.completed_investment == 100
    # a correction is next month's filing
    july = rounds.open_round(w.users["office"], w.chains["silk"], 2026, 7)
    rounds.file_progress(
        w.users["county"], july.reports.get(project=w.projects["gaoping"]), {"completed_investment": "200"}
    )
    assert ProjectPlan.objects.get(project=w.projects["gaoping"], year=2026).completed_investment == 200


@pytest.mark.parametrize(
    ("role", "rounds_seen", "reports_seen"),
    [
        ("chief", {"silk"}, {"gaoping", "zezhou"}),
        ("office", {"silk"}, {"gaoping", "zezhou"}),
        ("investment", {"silk"}, {"gaoping", "zezhou"}),
        ("county", {"silk", "other"}, {"gaoping", "other"}),  # no chain in its grant: by county
        ("enterprise", set(), {"zezhou"}),  # its own project's report only
        ("auditor", set(), set()),
        ("admin", set(), set()),
    ],
)
def test_rounds_by_chain_and_reports_by_project(w, client, role, rounds_seen, reports_seen):
    silk = open_silk(w)
    rounds.open_round(ACTOR, w.chains["other"], 2026, 6)
    names = {silk.pk: "silk"}
    names.update({r.pk: "other" for r in SchedulingRound.objects.exclude(pk=silk.pk)})
    user = w.users[role]
    assert {names[r.pk] for r in SchedulingRound.objects.restrict(user, "view")} == rounds_seen
    seen = {r.project.name.removeprefix("项目") for r in ProgressReport.objects.restrict(user, "view")}
    assert seen == reports_seen
    client.force_login(user)
    page = client.get(reverse("projects:progressreport_list"))
    assert page.status_code == (200 if reports_seen else 403)
    if reports_seen:
        assert len(page.context["page"].object_list) == len(reports_seen)
