"""A project's stages as a workflow: who may move it, which moves each stage allows, what a move requires,
the timeline and audit it leaves, and the stage being read-only everywhere else (docs/projects.md)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from chainboard import actions, audit
from chainboard.audit import Source
from chainboard.models import AuditEntry, Transition
from chainboard.scope import SystemActor
from chainboard.testing import build_world
from projects.forms import ProjectForm
from projects.models import Project, ProjectStage

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("test:stages")
S = ProjectStage

# The moves each stage allows, written out by hand from docs/projects.md.
ALLOWED = {
    S.PLANNING: {"sign", "start", "suspend", "terminate"},
    S.SIGNED: {"start", "suspend", "terminate"},
    S.STARTED: {"build", "complete", "suspend", "terminate"},
    S.BUILDING: {"complete", "suspend", "terminate"},
    S.COMPLETED: {"produce", "suspend", "terminate"},
    S.IN_PRODUCTION: set(),
    S.SUSPENDED: {"resume", "terminate"},
    S.TERMINATED: set(),
}
TARGET = {
    "sign": S.SIGNED,
    "start": S.STARTED,
    "build": S.BUILDING,
    "complete": S.COMPLETED,
    "produce": S.IN_PRODUCTION,
    "suspend": S.SUSPENDED,
    "terminate": S.TERMINATED,
}
MOVES = ["sign", "start", "build", "complete", "produce", "suspend", "resume", "terminate"]
DATA = {"start": {"started_on": "2026-03-01"}, "suspend": {"halt_reason": "资金未到位"}}
DATA["terminate"] = {"halt_reason": "企业撤资"}


@pytest.fixture
def w():
    return build_world()


def project(w, stage=S.PLANNING, county="140581", chain="silk", **extra) -> Project:
    return actions.create_direct(
        ACTOR,
        Project(
            name=f"项目{stage}{county}", chain=w.chains[chain], region=w.regions[county], stage=stage, **extra
        ),
    )


def timeline(p) -> list[Transition]:
    return list(
        Transition.objects.filter(
            content_type=ContentType.objects.get_for_model(Project), object_id=str(p.pk)
        ).order_by("time", "id")
    )


@pytest.mark.parametrize("stage", list(ALLOWED))
@pytest.mark.parametrize("move", MOVES)
def test_each_stage_allows_exactly_its_moves(w, stage, move):
    p = project(w, stage, suspended_from=S.SIGNED if stage == S.SUSPENDED else "")
    office = w.users["office"]
    if move not in ALLOWED[stage]:
        with pytest.raises(actions.MoveRefused) as exc:
            actions.transition(office, p, move, data=DATA.get(move), version=p.version)
        assert {m.name for m in exc.value.allowed} == ALLOWED[stage]
        p.refresh_from_db()
        assert p.stage == stage and timeline(p) == []
        return
    moved = actions.transition(office, p, move, data=DATA.get(move), version=p.version)
    assert moved.stage == TARGET.get(move, S.SIGNED)  # resume: back to the stage it was suspended at
    assert [t.name for t in timeline(p)] == [move]


def test_a_refusal_names_the_stage_and_the_moves_it_allows(w):
    p = project(w, S.PLANNING)
    with pytest.raises(actions.MoveRefused) as exc:
        actions.transition(w.users["office"], p, "produce")
    assert [m.name for m in exc.value.allowed] == ["sign", "start", "suspend", "terminate"]
    with translation.override("zh-hans"), pytest.raises(actions.MoveRefused) as exc:
        actions.transition(w.users["office"], p, "produce")
    assert exc.value.message == "项目处于谋划阶段，可进行：签约、开工、暂停、终止。"


def test_suspending_needs_a_reason_and_resuming_returns_to_the_stage_it_left(w):
    p = project(w, S.BUILDING)
    office = w.users["office"]
    with pytest.raises(actions.InvalidData) as exc:
        actions.transition(office, p, "suspend", data={"halt_reason": "  "}, version=p.version)
    assert set(exc.value.errors) == {"halt_reason"}
    p.refresh_from_db()
    assert p.stage == S.BUILDING and p.version == 1
    p = actions.transition(office, p, "suspend", data={"halt_reason": "资金未到位"}, comment="等批复")
    assert (p.stage, p.halt_reason, p.suspended_from) == (S.SUSPENDED, "资金未到位", S.BUILDING)
    p = actions.transition(office, p, "resume", comment="资金已到位")
    assert (p.stage, p.halt_reason, p.suspended_from) == (S.BUILDING, "", "")
    rows = timeline(p)
    assert [(t.name, t.from_state, t.to_state, t.comment) for t in rows] == [
        ("suspend", "building", "suspended", "等批复"),
        ("resume", "suspended", "building", "资金已到位"),
    ]
    assert rows[0].actor == office and rows[0].actor_name == "office"
    assert rows[0].data == {"halt_reason": "资金未到位"}


def test_termination_needs_a_reason_and_is_final(w):
    p = project(w, S.SUSPENDED, suspended_from=S.SIGNED)
    with pytest.raises(actions.InvalidData) as exc:
        actions.transition(w.users["office"], p, "terminate")
    assert "halt_reason" in exc.value.errors
    p = actions.transition(w.users["office"], p, "terminate", data={"halt_reason": "企业撤资"})
    assert p.stage == S.TERMINATED and p.halt_reason == "企业撤资"
    assert Project.workflow.allowed(p) == []


def test_starting_needs_a_start_date_not_in_the_future(w):
    p = project(w, S.SIGNED)
    office = w.users["office"]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    for bad in ({}, {"started_on": ""}, {"started_on": "2026-13-01"}, {"started_on": tomorrow.isoformat()}):
        with pytest.raises(actions.InvalidData) as exc:
            actions.transition(office, p, "start", data=bad)
        assert set(exc.value.errors) == {"started_on"}, bad
    p.refresh_from_db()
    assert p.stage == S.SIGNED and p.started_on is None
    p = actions.transition(office, p, "start", data={"started_on": "2026-03-01"})
    assert p.started_on == dt.date(2026, 3, 1) and p.landed


def test_the_start_form_offers_today(w, client):
    p = project(w, S.SIGNED)
    client.force_login(w.users["office"])
    response = client.get(reverse("projects:project_transition", kwargs={"pk": p.pk, "move": "start"}))
    assert response.status_code == 200
    assert response.context["form"]["started_on"].value() == timezone.localdate()


def test_a_stale_version_is_a_conflict_and_changes_nothing(w):
    p = project(w, S.PLANNING)
    actions.transition(w.users["office"], p, "sign", version=1)
    with pytest.raises(actions.Conflict):
        actions.transition(w.users["county"], p, "suspend", data={"halt_reason": "x"}, version=1)
    p.refresh_from_db()
    assert p.stage == S.SIGNED and len(timeline(p)) == 1


def test_a_move_is_audited_with_before_after_and_the_move(w, client):
    p = project(w, S.PLANNING)
    with audit.operation(w.users["county"], Source.WEB):
        actions.transition(w.users["county"], p, "sign", comment="签约仪式")
    entry = AuditEntry.objects.filter(action="transition", object_id=str(p.pk)).get()
    assert entry.user_name == "county"
    assert entry.before["stage"] == "planning" and entry.after["stage"] == "signed"
    assert (entry.after["move"], entry.after["comment"]) == ("sign", "签约仪式")
    client.force_login(w.users["office"])
    with translation.override("zh-hans"):
        page = client.get(
            reverse("projects:project_history", kwargs={"pk": p.pk}), HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    text = page.content.decode()
    assert "签约仪式" in text and "操作" in text and ">签约<" in text.replace(" ", "")


# ---- who may ------------------------------------------------------------------------------------------

# role → (may move a project in 高平市 on the silk chain, may move one in 泽州县 on the silk chain)
WHO = {
    "office": (True, True),  # the silk chain's office: every county
    "county": (True, False),  # 高平市 staff: their county only
    "chief": (False, False),
    "investment": (False, False),
    "enterprise": (False, False),
    "auditor": (False, False),
    "admin": (False, False),
    "outsider": (False, False),
}


@pytest.mark.parametrize("role", list(WHO))
def test_who_may_move_a_project(w, role):
    user = w.users[role]
    for county, allowed in zip(("140581", "140525"), WHO[role], strict=True):
        p = project(w, S.PLANNING, county)
        if allowed:
            assert actions.transition(user, p, "sign").stage == S.SIGNED
        else:
            with pytest.raises(PermissionDenied):
                actions.transition(user, p, "sign")
            p.refresh_from_db()
            assert p.stage == S.PLANNING


@pytest.mark.parametrize("role", list(WHO))
def test_the_move_pages_follow_permission_and_scope(w, client, role):
    client.force_login(w.users[role])
    for county, allowed in zip(("140581", "140525"), WHO[role], strict=True):
        p = project(w, S.PLANNING, county)
        visible = client.get(p.get_absolute_url()).status_code == 200
        url = reverse("projects:project_transition", kwargs={"pk": p.pk, "move": "sign"})
        expected = 200 if allowed else (403 if visible else 404)
        assert client.get(url).status_code == expected
        response = client.post(url, {"_version": "1", "comment": "ok"})
        assert response.status_code == (302 if allowed else expected)
        p.refresh_from_db()
        assert p.stage == (S.SIGNED if allowed else S.PLANNING)
        if visible:
            page = client.get(p.get_absolute_url()).content.decode()
            assert ("/transitions/" in page) == (allowed and p.stage != S.TERMINATED)


def test_the_detail_page_shows_the_timeline_and_only_the_moves_the_stage_allows(w, client):
    p = project(w, S.PLANNING)
    actions.transition(w.users["office"], p, "sign", comment="签约仪式")
    client.force_login(w.users["office"])
    page = client.get(p.get_absolute_url()).content.decode()
    assert "签约仪式" in page
    for move in ("start", "suspend", "terminate"):
        assert f"/transitions/{move}/" in page
    for move in ("sign", "build", "produce", "resume"):
        assert f"/transitions/{move}/" not in page


def test_the_web_form_names_a_missing_reason_and_a_refused_move(w, client):
    p = project(w, S.PLANNING)
    client.force_login(w.users["office"])
    url = reverse("projects:project_transition", kwargs={"pk": p.pk, "move": "suspend"})
    response = client.post(url, {"_version": "1", "halt_reason": ""})
    assert response.status_code == 400 and response.context["form"].errors["halt_reason"]
    response = client.post(
        reverse("projects:project_transition", kwargs={"pk": p.pk, "move": "produce"}), {"_version": "1"}
    )
    assert response.status_code == 409 and response.context["refusal"]
    response = client.post(url, {"halt_reason": "x"})  # no version: refused, never saved unchecked
    assert response.status_code == 400
    response = client.post(
        reverse("projects:project_transition", kwargs={"pk": p.pk, "move": "nonsense"}), {"_version": "1"}
    )
    assert response.status_code == 404
    p.refresh_from_db()
    assert p.stage == S.PLANNING


# ---- the stage is read-only outside its moves -----------------------------------------------------------


def edit_data(p) -> dict:
    return {
        "name": p.name,
        "chain": str(p.chain_id),
        "region": p.region.code,
        "_version": str(p.version),
    }


def test_the_edit_form_shows_the_stage_read_only_and_keeps_it(w, client):
    p = project(w, S.SIGNED)
    client.force_login(w.users["office"])
    url = reverse("projects:project_edit", kwargs={"pk": p.pk})
    assert client.get(url).context["form"].fields["stage"].widget.attrs.get("disabled")
    response = client.post(url, {**edit_data(p), "description": "新描述"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.stage, p.description) == (S.SIGNED, "新描述")
    response = client.post(url, {**edit_data(p), "stage": S.IN_PRODUCTION})
    assert response.status_code == 400 and "stage" in response.context["form"].errors
    p.refresh_from_db()
    assert p.stage == S.SIGNED


def test_an_update_cannot_change_the_stage_but_a_new_project_may_have_one(w):
    p = project(w, S.PLANNING)
    with pytest.raises(actions.InvalidData) as exc:
        actions.update(w.users["office"], p, ProjectForm, {**edit_data(p), "stage": S.STARTED}, version=1)
    assert set(exc.value.errors) == {"stage"}
    created = actions.create(
        w.users["office"], ProjectForm, {**edit_data(p), "name": "在建项目", "stage": S.BUILDING}
    )
    assert created.stage == S.BUILDING


def test_bulk_edit_does_not_offer_the_stage(w, client):
    p = project(w, S.PLANNING)
    client.force_login(w.users["office"])
    response = client.get(reverse("projects:project_bulk_edit"), {"pk": [p.pk]})
    assert response.status_code == 200
    assert "stage" not in response.context["form"].names
    assert "kind" in response.context["form"].names


# ---- the API ----------------------------------------------------------------------------------------------


def token(user) -> dict:
    out = io.StringIO()
    call_command("token", "create", user.username, stdout=out)
    return {"HTTP_AUTHORIZATION": f"Bearer {out.getvalue().strip().splitlines()[-1]}"}


def test_the_api_moves_a_project_and_lists_its_timeline(w, client):
    p = project(w, S.SIGNED)
    auth = token(w.users["county"])
    base = f"/api/v1/projects/{p.pk}/transitions"
    body = {"version": 1, "comment": "开工仪式", "data": {"started_on": "2026-03-01"}}
    response = client.post(f"{base}/start", body, content_type="application/json", **auth)
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == "started" and response.json()["version"] == 2
    timeline_body = client.get(base, **auth).json()
    assert timeline_body["state"] == "started"
    assert {m["name"] for m in timeline_body["moves"]} == {"build", "complete", "suspend", "terminate"}
    (item,) = timeline_body["items"]
    assert (item["name"], item["from_state"], item["to_state"], item["actor"], item["comment"]) == (
        "start",
        "signed",
        "started",
        "county",
        "开工仪式",
    )
    assert item["data"] == {"started_on": "2026-03-01"}


def test_the_api_refuses_a_stale_version_a_refused_move_and_bad_data(w, client):
    p = project(w, S.PLANNING)
    auth = token(w.users["office"])
    base = f"/api/v1/projects/{p.pk}/transitions"
    post = lambda move, body: client.post(f"{base}/{move}", body, content_type="application/json", **auth)  # noqa: E731
    assert post("sign", {"version": 1}).status_code == 200
    stale = post("suspend", {"version": 1, "data": {"halt_reason": "x"}})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    refused = post("produce", {"version": 2})
    assert refused.status_code == 409
    assert [m["name"] for m in refused.json()["allowed"]] == ["start", "suspend", "terminate"]
    bad = post("suspend", {"version": 2})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "halt_reason"
    assert post("nonsense", {"version": 2}).status_code == 404
    p.refresh_from_db()
    assert p.stage == S.SIGNED


def test_the_api_answers_403_without_the_permission_and_404_outside_scope(w, client):
    inside, outside = project(w, S.PLANNING, "140581"), project(w, S.PLANNING, "140525")
    body = {"version": 1}
    for role, pk, status in (
        ("chief", inside.pk, 403),
        ("county", outside.pk, 404),
        ("enterprise", inside.pk, 404),
    ):
        response = client.post(
            f"/api/v1/projects/{pk}/transitions/sign",
            body,
            content_type="application/json",
            **token(w.users[role]),
        )
        assert response.status_code == status, role
    assert (
        client.get(f"/api/v1/projects/{outside.pk}/transitions", **token(w.users["county"])).status_code
        == 404
    )
    assert (
        client.patch(
            f"/api/v1/projects/{inside.pk}?version=1",
            {"stage": "started"},
            content_type="application/json",
            **token(w.users["office"]),
        ).status_code
        == 422
    )


def test_an_import_cannot_change_a_projects_stage_but_may_set_a_new_ones(w, client):
    from chainboard.models import ImportJob
    from chainboard.tests.test_imports import csv_bytes, upload

    p = project(w, S.PLANNING)
    client.force_login(w.users["office"])
    url = reverse("projects:project_import")
    rows = [
        ["id", "项目名称", "所属产业链", "建设地点", "阶段"],
        [str(p.pk), p.name, w.chains["silk"].name, "高平市", "开工"],
    ]
    rows.append(["", "新的在建项目", w.chains["silk"].name, "高平市", "在建"])
    response = upload(client, "项目.csv", csv_bytes(rows), url=url)
    job = ImportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))
    job_url = reverse("projects:project_import_job", args=[job.pk])
    data = {"action": "check", **{f"column-{i}": f for i, f in job.mapping.items()}}
    client.post(job_url, data)
    job.refresh_from_db()
    assert job.status == "invalid"
    # Row 2 (the update) only: the new project (row 3) may be 在建 from the start.
    assert [(e["row"], e["column"], e["value"]) for e in job.errors] == [(2, "阶段", "开工")]
    p.refresh_from_db()
    assert p.stage == S.PLANNING and not Project.objects.filter(name="新的在建项目").exists()
