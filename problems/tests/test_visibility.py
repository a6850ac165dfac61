"""Who sees which problems and tasks, on every path (docs/closed-loop.md, Scope): a handling unit only what
is assigned to it, whatever chain or county, and nothing else of the enterprises; an enterprise user only
its own problems, neither tasks nor the unit's progress notes; county staff never another county's. The
generic matrix (problems/tests/matrix.py) covers the chain, county and enterprise roles on every page;
this adds the unit, whom the shared cast does not have, on pages, exports, search, counts and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chainboard import actions
from chainboard.models import ApiToken
from chainboard.models.tokens import hash_token
from problems.models import MeetingRecord, Problem, ProgressNote, Task

from .conftest import ACTOR, assigned, make_problem, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(world):
    bureau, college = world.organisations["bureau"], world.organisations["college"]
    rows = {
        # the bureau's, on both chains, in both counties; the college's; one not yet assigned
        "p_jingbai": make_problem(world, "jingbai", **assigned(world, handling_unit=bureau)),
        "p_gaoping_other": make_problem(world, "gaoping_other", **assigned(world, handling_unit=bureau)),
        "p_luanfu": make_problem(world, "luanfu", **assigned(world, handling_unit=college)),
        "p_zezhou_other": make_problem(world, "zezhou_other"),
        "t_silk": make_task(world, **assigned(world)),
        "t_college": make_task(world, owner_unit=college, **assigned(world)),
    }
    rows["n_jingbai"] = actions.create_direct(
        ACTOR, ProgressNote(problem=rows["p_jingbai"], note="已对接", noted_on="2025-06-04")
    )
    rows["n_luanfu"] = actions.create_direct(
        ACTOR, ProgressNote(problem=rows["p_luanfu"], note="已对接", noted_on="2025-06-04")
    )
    actions.create_direct(
        ACTOR, MeetingRecord(title="调度会", held_on="2025-06-03", chain=world.chains["silk"])
    )
    return rows


SEES = {
    # role → (problems, tasks, notes)
    "unit": ({"p_jingbai", "p_gaoping_other"}, {"t_silk"}, {"n_jingbai"}),
    "unit_college": ({"p_luanfu"}, {"t_college"}, {"n_luanfu"}),
    "enterprise": ({"p_jingbai"}, set(), set()),
    "county": ({"p_luanfu", "p_gaoping_other"}, set(), {"n_luanfu"}),  # 高平市's; tasks have no county here
    "office": ({"p_jingbai", "p_luanfu"}, {"t_silk", "t_college"}, {"n_jingbai", "n_luanfu"}),
}


def keys(cast, objects) -> set[str]:
    pks = {(type(o), o.pk) for o in objects}
    return {k for k, o in cast.items() if (type(o), o.pk) in pks}


@pytest.mark.parametrize("role", list(SEES))
def test_each_role_lists_exactly_its_problems_tasks_and_notes(world, cast, client, role):
    problems, tasks, notes = SEES[role]
    user = world.users[role]
    assert keys(cast, Problem.objects.restrict(user)) == problems
    assert keys(cast, Task.objects.restrict(user)) == tasks
    assert keys(cast, ProgressNote.objects.restrict(user)) == notes
    client.force_login(user)
    response = client.get(reverse("problems:problem_list"))
    assert keys(cast, [r["object"] for r in response.context["rows"]]) == problems
    assert response.context["page"].paginator.count == len(problems)
    for key in ("p_jingbai", "p_luanfu", "p_zezhou_other"):
        status = client.get(reverse("problems:problem_detail", kwargs={"pk": cast[key].pk})).status_code
        assert status == (200 if key in problems else 404), key
    response = client.get(reverse("problems:problem_list"), {"export": "csv"})
    exported = b"".join(response.streaming_content).decode("utf-8-sig")
    for key in ("p_jingbai", "p_luanfu", "p_gaoping_other", "p_zezhou_other"):
        assert (cast[key].title in exported) == (key in problems), key


def test_a_unit_sees_nothing_else_of_the_enterprises_and_no_meetings(world, cast, client):
    from enterprises.models import Enterprise

    unit = world.users["unit"]
    assert not Enterprise.objects.restrict(unit).exists()
    assert not MeetingRecord.objects.restrict(unit).exists()
    client.force_login(unit)
    assert client.get(reverse("enterprises:enterprise_list")).status_code == 403
    found = client.get(reverse("search"), {"q": "诉求"}).context["groups"]
    titles = {str(item) for group in found for item in group["items"]}
    assert titles == {cast["p_jingbai"].title, cast["p_gaoping_other"].title}


def test_the_api_serves_a_unit_its_assigned_problems_only(world, cast, client):
    raw = ApiToken.generate()
    actions.create_direct(ACTOR, ApiToken(user=world.users["unit"], prefix=raw[:8], key_hash=hash_token(raw)))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    listed = client.get("/api/v1/problems?page_size=100", **headers).json()["items"]
    assert {item["id"] for item in listed} == {cast["p_jingbai"].pk, cast["p_gaoping_other"].pk}
    assert client.get(f"/api/v1/problems/{cast['p_luanfu'].pk}", **headers).status_code == 404


def test_the_enterprise_user_sees_where_its_problem_stands_and_who_holds_it(world, cast, client):
    client.force_login(world.users["enterprise"])
    page = client.get(
        reverse("problems:problem_detail", kwargs={"pk": cast["p_jingbai"].pk})
    ).content.decode()
    assert "晋城市工业和信息化局" in page  # the unit holding it
    assert "已对接" not in page  # not the unit's internal progress notes
