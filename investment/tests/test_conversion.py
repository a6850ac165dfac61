"""A lead becomes a key project in one action, and then follows it (docs/investment.md, Conversion):
both links, the values carried over, one audit operation, refusals with their reason, and 落地 / 投产
following the project's 开工 / 投产 with the project's dates, never typed on the lead."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from chainboard import actions
from chainboard.models import AuditEntry
from enterprises.models import Enterprise
from enterprises.uscc import check_character
from investment.conversion import ConvertRefused, convert
from investment.models import Lead, LeadStage
from investment.tests.conftest import ACTOR, token
from projects.models import Project, ProjectStage

pytestmark = pytest.mark.django_db
S = LeadStage
FIRST17 = "91140581MA0L12345"
USCC = FIRST17 + check_character(FIRST17)
TODAY = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def negotiating(w, lead):
    return lead(stage=S.NEGOTIATING, segment=w.segments["织造"], uscc=USCC)


def test_converting_creates_the_project_at_signed_with_the_leads_values(w, negotiating):
    owner = actions.create_direct(
        ACTOR, Enterprise(name="锦绣丝绸（高平）", uscc=USCC, region=w.regions["140581"])
    )
    with time_machine.travel(TODAY, tick=False):
        project = convert(w.users["investment"], negotiating)
    lead = Lead.objects.get(pk=negotiating.pk)
    assert (project.stage, project.chain, project.segment, project.region, project.owner) == (
        ProjectStage.SIGNED,
        w.chains["silk"],
        w.segments["织造"],
        w.regions["140581"],
        owner,  # found by the lead's USCC
    )
    assert project.total_investment == Decimal("300000000")
    assert project.name == lead.company_name
    # Linked both ways, the lead at 签约 dated today.
    assert lead.project == project and Project.objects.get(pk=project.pk).lead == lead
    assert (lead.stage, lead.signed_on) == (S.SIGNED, dt.date(2026, 6, 1))


def test_the_owner_stays_unknown_when_neither_code_nor_name_finds_one(w, lead):
    project = convert(w.users["office"], lead(stage=S.NEGOTIATING, company_name="无此企业有限公司"))
    assert project.owner is None


def test_a_conversion_is_one_audit_operation(w, negotiating):
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    project = convert(w.users["investment"], negotiating)
    entries = list(AuditEntry.objects.exclude(pk__in=before))
    assert {(e.content_type.model, e.action) for e in entries} == {
        ("project", "create"),
        ("lead", "transition"),
    }
    assert len({e.operation_id for e in entries}) == 1
    assert {e.user_name for e in entries} == {"investment"}  # the person, not the system
    (created,) = [e for e in entries if e.content_type.model == "project"]
    assert created.object_id == str(project.pk)


@pytest.mark.parametrize("stage", [S.CONTACT, S.ABANDONED])
def test_a_lead_not_in_negotiation_is_refused_with_its_stage(w, lead, stage):
    record = lead(stage=stage)
    with pytest.raises(ConvertRefused, match="洽谈"):
        convert(w.users["investment"], record)
    assert not Project.objects.exists()


def test_a_converted_lead_is_refused_naming_its_project(w, negotiating):
    project = convert(w.users["investment"], negotiating)
    with pytest.raises(ConvertRefused) as exc:
        convert(w.users["investment"], Lead.objects.get(pk=negotiating.pk))
    assert project.name in exc.value.message
    assert Project.objects.count() == 1


@pytest.mark.parametrize("role", ["county", "enterprise", "auditor", "admin"])
def test_roles_without_convert_are_refused(w, negotiating, role):
    with pytest.raises(PermissionDenied):
        convert(w.users[role], negotiating)
    assert not Project.objects.exists()


def test_the_investment_team_cannot_convert_another_chains_lead(w, lead):
    with pytest.raises(PermissionDenied):
        convert(w.users["investment"], lead(chain="other", stage=S.NEGOTIATING))


def test_the_detail_page_converts_and_both_pages_link(w, negotiating, client):
    client.force_login(w.users["investment"])
    page = client.get(negotiating.get_absolute_url())
    url = reverse("investment:lead_convert", kwargs={"pk": negotiating.pk})
    assert url in page.content.decode()
    assert client.get(url).status_code == 200
    response = client.post(url, {"_version": negotiating.version})
    lead = Lead.objects.get(pk=negotiating.pk)
    assert response.status_code == 302 and response.url == lead.project.get_absolute_url()
    project_page = client.get(lead.project.get_absolute_url()).content.decode()
    assert lead.get_absolute_url() in project_page  # "from the investment lead …"
    assert lead.project.get_absolute_url() in client.get(lead.get_absolute_url()).content.decode()
    again = client.post(url, {"_version": lead.version})
    assert again.status_code == 409
    assert "该线索已转化" in again.content.decode()


def test_the_api_converts_once_then_answers_409(w, negotiating, client):
    auth = token(w.users["investment"])
    url = f"/api/v1/leads/{negotiating.pk}/convert"
    response = client.post(url, {"version": negotiating.version}, content_type="application/json", **auth)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stage"] == "signed" and body["project"] == Lead.objects.get(pk=negotiating.pk).project_id
    again = client.post(url, {"version": body["version"]}, content_type="application/json", **auth)
    assert again.status_code == 409 and "该线索已转化" in again.json()["title"]
    stale = client.post(url, {"version": 1}, content_type="application/json", **auth)
    assert stale.status_code == 409


def test_the_lead_lands_with_its_projects_start_and_produces_with_it(w, negotiating):
    project = convert(w.users["investment"], negotiating)
    with time_machine.travel(TODAY, tick=False):
        project = actions.transition(w.users["county"], project, "start", data={"started_on": "2026-04-15"})
    lead = Lead.objects.get(pk=negotiating.pk)
    assert (lead.stage, lead.landed_on) == (S.LANDED, dt.date(2026, 4, 15))  # the project's date
    for move in ("complete", "produce"):
        with time_machine.travel(TODAY + dt.timedelta(days=30), tick=False):
            project = actions.transition(w.users["county"], project, move)
    lead.refresh_from_db()
    assert (lead.stage, lead.in_production_on) == (S.IN_PRODUCTION, dt.date(2026, 7, 1))
    assert lead.landed_on == dt.date(2026, 4, 15)


def test_a_landed_lead_counts_for_the_year_its_project_started(w, negotiating, client):
    project = convert(w.users["investment"], negotiating)
    with time_machine.travel(TODAY, tick=False):
        actions.transition(w.users["office"], project, "start", data={"started_on": "2026-03-01"})
    client.force_login(w.users["chief"])
    url = reverse("investment:lead_list")
    assert client.get(url, {"reached": "landed", "year": 2026}).context["page"].paginator.count == 1
    assert client.get(url, {"reached": "landed", "year": 2025}).context["page"].paginator.count == 0


def test_the_lead_and_project_move_together_or_not_at_all(w, negotiating, monkeypatch):
    """A failure inside the conversion leaves neither a project nor a moved lead."""
    from investment import conversion

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(conversion.actions, "transition", broken)
    with pytest.raises(RuntimeError):
        convert(w.users["investment"], negotiating)
    assert not Project.objects.exists()
    assert Lead.objects.get(pk=negotiating.pk).stage == S.NEGOTIATING


def test_a_lead_is_never_landed_by_an_edit(w, negotiating, client):
    auth = token(w.users["office"])
    response = client.patch(
        f"/api/v1/leads/{negotiating.pk}?version={negotiating.version}",
        {"landed_on": "2026-03-01"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422
    assert Lead.objects.get(pk=negotiating.pk).landed_on is None
