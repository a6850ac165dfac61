"""Leaders' instructions (批示): a chief gives one on a record, the instructed user answers it, once; nobody
else answers, and nobody who cannot view the record sees it or can be instructed (docs/instructions.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainboard import actions, audit, instructions
from chainboard.models import AuditEntry, Instruction
from chainboard.tests.test_api import api as call_api
from chainboard.tests.test_api import token_for

pytestmark = pytest.mark.django_db


def give(world, record, to="office", by="chief", text="请本周内报送进展", **extra):
    with audit.operation(user=world.users[by], source=audit.Source.WEB):
        return actions.give_instruction(
            world.users[by], record, {"text": text, "instructed_user": world.users[to].pk, **extra}
        )


def urls(record, instruction=None):
    meta = record._meta
    prefix = f"{meta.app_label}:{meta.model_name}"
    out = {
        "detail": reverse(f"{prefix}_detail", kwargs={"pk": record.pk}),
        "give": reverse(f"{prefix}_instructions", kwargs={"pk": record.pk}),
        "users": reverse(f"{prefix}_instruction_users", kwargs={"pk": record.pk}),
    }
    if instruction is not None:
        out["answer"] = reverse(
            f"{prefix}_instruction_answer", kwargs={"pk": record.pk, "instruction_id": instruction.pk}
        )
    return out


# ---- the detail page ------------------------------------------------------------------------------------


def test_a_chief_gives_an_instruction_and_the_instructed_user_answers_it_on_the_page(client, world):
    chain = world.chains["silk"]
    client.force_login(world.users["chief"])
    page = client.get(urls(chain)["detail"]).content.decode()
    assert (
        'id="instructions"' in page
        and f'action="{urls(chain)["give"]}"' in page
        and urls(chain)["users"] in page
    )
    due = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    response = client.post(
        urls(chain)["give"],
        {"text": "请尽快梳理缫丝环节短板", "instructed_user": world.users["office"].pk, "due_date": due},
    )
    assert response.status_code == 302
    instruction = Instruction.objects.get()
    assert (instruction.author, instruction.instructed_user, instruction.status) == (
        world.users["chief"],
        world.users["office"],
        "open",
    )

    client.force_login(world.users["office"])
    page = client.get(urls(chain)["detail"]).content.decode()
    assert "请尽快梳理缫丝环节短板" in page and urls(chain, instruction)["answer"] in page
    assert f'action="{urls(chain)["give"]}"' not in page  # the office does not instruct
    response = client.post(
        urls(chain, instruction)["answer"],
        {f"i{instruction.pk}-answer": "已梳理，见附件"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    panel = response.content.decode()
    assert 'id="instructions"' in panel and "已梳理，见附件" in panel and "<html" not in panel
    instruction.refresh_from_db()
    assert (instruction.status, instruction.answer, instruction.answered_by) == (
        "answered",
        "已梳理，见附件",
        world.users["office"],
    )
    # Answered once: a second answer is refused, the first stands.
    with pytest.raises(actions.InvalidData):
        actions.answer_instruction(world.users["office"], instruction, {"answer": "改一改"})
    instruction.refresh_from_db()
    assert instruction.answer == "已梳理，见附件"


def test_only_the_instructed_user_may_answer(client, world):
    chain = world.chains["silk"]
    instruction = give(world, chain, to="office")
    for username in ("chief", "investment"):  # both see the chain; neither was instructed
        client.force_login(world.users[username])
        page = client.get(urls(chain)["detail"]).content.decode()
        assert instruction.text in page and urls(chain, instruction)["answer"] not in page
        response = client.post(urls(chain, instruction)["answer"], {f"i{instruction.pk}-answer": "越权答复"})
        assert response.status_code == 403
    instruction.refresh_from_db()
    assert instruction.status == "open" and instruction.answer == ""


def test_only_a_chief_gives_instructions(client, world):
    chain = world.chains["silk"]
    client.force_login(world.users["office"])
    response = client.post(urls(chain)["give"], {"text": "x", "instructed_user": world.users["office"].pk})
    assert response.status_code == 403
    assert client.get(urls(chain)["users"]).status_code == 403
    assert not Instruction.objects.exists()


def test_a_user_who_cannot_view_the_record_cannot_be_instructed_nor_offered(client, world):
    # 潞安府潞绸: silk chain, 高平市. The 高平 county sees it; 景柏服饰's user does not.
    enterprise = world.enterprises["luanfu"]
    with pytest.raises(actions.InvalidData) as refused:
        give(world, enterprise, to="enterprise")
    assert "enterprise无权查看此记录" in refused.value.errors["instructed_user"][0]  # named, and why
    client.force_login(world.users["chief"])
    found = {r["text"] for r in client.get(urls(enterprise)["users"]).json()["results"]}
    assert "county" in found and "office" in found and "chief" in found
    assert not found & {"enterprise", "auditor", "admin", "outsider"}
    found = {r["text"] for r in client.get(urls(enterprise)["users"], {"q": "coun"}).json()["results"]}
    assert found == {"county"}
    assert not Instruction.objects.exists()


def test_an_enterprise_user_sees_instructions_on_its_records_only(client, world):
    own, other = world.enterprises["jingbai"], world.enterprises["luanfu"]
    give(world, own, to="enterprise", text="请补报2024年产值")
    give(world, other, to="county", text="请核实潞绸产能")
    client.force_login(world.users["enterprise"])
    page = client.get(urls(own)["detail"]).content.decode()
    assert "请补报2024年产值" in page and "请核实潞绸产能" not in page
    assert client.get(urls(other)["detail"]).status_code == 404
    assert [i.text for i in instructions.open_for(world.users["enterprise"])] == ["请补报2024年产值"]
    # Neither the answer route nor the API reveals the other record's instruction.
    instruction = Instruction.objects.get(text="请核实潞绸产能")
    assert client.post(urls(other, instruction)["answer"], {"answer": "x"}).status_code == 404


def test_the_detail_page_costs_the_same_queries_however_many_instructions(client, world):
    chain = world.chains["silk"]
    client.force_login(world.users["office"])

    def queries() -> int:
        client.get(urls(chain)["detail"])  # warm the caches (content types, session)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(urls(chain)["detail"]).status_code == 200
        return len(ctx.captured_queries)

    give(world, chain, to="office")
    one = queries()
    for n in range(6):
        give(world, chain, to="office" if n % 2 else "investment", text=f"批示{n}")
    answered = Instruction.objects.filter(instructed_user=world.users["office"]).first()
    actions.answer_instruction(world.users["office"], answered, {"answer": "已办"})
    assert queries() == one


def test_giving_and_answering_are_audited_under_the_record(client, world):
    chain = world.chains["silk"]
    instruction = give(world, chain, to="office")
    with audit.operation(user=world.users["office"], source=audit.Source.WEB):
        actions.answer_instruction(world.users["office"], instruction, {"answer": "收到，落实中"})
    ct = ContentType.objects.get_for_model(Instruction)
    rows = list(AuditEntry.objects.filter(content_type=ct, object_id=str(instruction.pk)).order_by("id"))
    assert [r.action for r in rows] == ["create", "update"]
    assert [r.user_name for r in rows] == ["chief", "office"]
    assert rows[0].after["text"] == instruction.text and rows[0].after["status"] == "open"
    assert rows[1].before["answer"] == "" and rows[1].after["answer"] == "收到，落实中"
    assert rows[1].after["status"] == "answered"
    chain_ct = ContentType.objects.get_for_model(chain)
    assert {(r.parent_content_type_id, r.parent_object_id) for r in rows} == {(chain_ct.pk, str(chain.pk))}
    # The record's history names them in words: the kind, the answer, who.
    client.force_login(world.users["investment"])
    page = client.get(reverse("chains:chain_history", kwargs={"pk": chain.pk})).content.decode()
    assert "批示" in page and "收到，落实中" in page and "答复" in page and "已答复" in page


def test_open_for_and_given_by_list_open_instructions_with_their_records(world):
    chain, enterprise = world.chains["silk"], world.enterprises["luanfu"]
    first = give(world, chain, to="office", text="一")
    give(world, enterprise, to="office", text="二")
    done = give(world, enterprise, to="office", text="三")
    actions.answer_instruction(world.users["office"], done, {"answer": "已办"})
    mine = instructions.open_for(world.users["office"])
    assert [i.text for i in mine] == ["二", "一"]
    assert mine[0].record == enterprise and mine[0].url == enterprise.get_absolute_url() + "#instructions"
    assert mine[1].record == chain
    with CaptureQueriesContext(connection) as ctx:
        instructions.open_for(world.users["office"])
    assert len(ctx.captured_queries) <= 6  # instructions, then one per kind of record (and grants)
    assert [i.text for i in instructions.given_by(world.users["chief"])] == ["二", "一"]
    assert first.is_open and not instructions.given_by(world.users["office"])


def test_the_desks_one_query_gives_both_lists_each_newest_first_and_limited(world):
    # The desk reads the instructions to answer and those given in one query: the same lists as
    # open_for and given_by, each its own newest ``limit`` whatever the other holds.
    chain, enterprise = world.chains["silk"], world.enterprises["luanfu"]
    for text in ("一", "二", "三"):
        give(world, chain, to="office", by="chief", text=text)
    give(world, enterprise, to="chief", by="chief", text="自办")  # to oneself: in both lists
    chief, office = world.users["chief"], world.users["office"]
    for user in (chief, office):
        for limit in (1, 2, 50):
            to_answer, given = instructions.open_and_given(user, limit)
            assert [i.pk for i in to_answer] == [i.pk for i in instructions.open_for(user, limit)]
            assert [i.pk for i in given] == [i.pk for i in instructions.given_by(user, limit)]
    to_answer, given = instructions.open_and_given(chief, 2)
    assert [i.text for i in to_answer] == ["自办"] and [i.text for i in given] == ["自办", "三"]
    assert to_answer[0].url == enterprise.get_absolute_url() + "#instructions"
    with CaptureQueriesContext(connection) as ctx:
        instructions.open_and_given(world.users["enterprise"])
    assert len(ctx.captured_queries) <= 4  # the instructions (none), and the grants


def test_a_past_due_date_is_refused(world):
    with pytest.raises(actions.InvalidData) as refused:
        give(world, world.chains["silk"], due_date=(dt.date.today() - dt.timedelta(days=1)).isoformat())
    assert "due_date" in refused.value.errors


def test_the_answer_action_refuses_anyone_but_the_instructed(world):
    instruction = give(world, world.chains["silk"], to="office")
    with pytest.raises(PermissionDenied):
        actions.answer_instruction(world.users["chief"], instruction, {"answer": "代答"})


# ---- the API --------------------------------------------------------------------------------------------


def api(client, method, path, username, body=None):
    return call_api(client, method, path, token_for(username), body)


def test_the_api_gives_lists_and_answers_through_the_same_rules(client, world):
    chain = world.chains["silk"]
    base = f"chains/{chain.pk}/instructions"
    body = {"text": "请报送季度进展", "instructed_user": world.users["office"].pk, "due_date": "2099-01-31"}
    assert api(client, "post", base, "office", body).status_code == 403
    response = api(client, "post", base, "chief", body)
    assert response.status_code == 201, response.content
    given = response.json()
    assert given["status"] == "open" and given["author_name"] == "chief" and given["due_date"] == "2099-01-31"
    assert (
        api(
            client, "post", base, "chief", {**body, "instructed_user": world.users["outsider"].pk}
        ).status_code
        == 422
    )
    listed = api(client, "get", base, "investment").json()
    assert listed["count"] == 1 and listed["items"][0]["text"] == "请报送季度进展"
    answer = f"{base}/{given['id']}/answer"
    assert api(client, "post", answer, "investment", {"answer": "x"}).status_code == 403
    response = api(client, "post", answer, "office", {"answer": "已报送"})
    assert response.status_code == 200 and response.json()["status"] == "answered"
    assert api(client, "post", answer, "office", {"answer": "再答"}).status_code == 422
    rows = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(Instruction))
    assert sorted(rows.values_list("source", flat=True)) == ["api", "api"]


def test_the_api_hides_instructions_on_records_out_of_sight(client, world):
    other = world.enterprises["luanfu"]
    instruction = give(world, other, to="county")
    base = f"enterprises/{other.pk}/instructions"
    assert api(client, "get", base, "enterprise").status_code == 404
    assert (
        api(client, "post", f"{base}/{instruction.pk}/answer", "enterprise", {"answer": "x"}).status_code
        == 404
    )
    assert api(client, "get", base, "county").json()["count"] == 1


def test_a_key_project_takes_instructions_too(client, world):
    from projects.forms import ProjectForm
    from projects.models import ProjectStage

    data = {"name": "丝绸精深加工项目", "chain": str(world.chains["silk"].pk), "region": "140581"}
    project = actions.create(world.users["office"], ProjectForm, {**data, "stage": ProjectStage.PLANNING})
    give(world, project, to="office", text="请加快项目签约")
    client.force_login(world.users["office"])
    page = client.get(urls(project)["detail"]).content.decode()
    assert "请加快项目签约" in page and urls(project, Instruction.objects.get())["answer"] in page
    assert [i.record for i in instructions.open_for(world.users["office"])] == [project]


# ---- the desk -------------------------------------------------------------------------------------------


def test_the_instructed_user_finds_the_instruction_on_the_desk_and_the_leader_sees_it_awaiting(client, world):
    chain = world.chains["silk"]
    give(world, chain, to="office", text="请报送链上重点项目进展", due_date=dt.date.today().isoformat())
    client.force_login(world.users["office"])
    page = client.get(reverse("home")).content.decode()
    assert "待答复的领导批示" in page and "data-instruction-to-answer" in page
    assert "请报送链上重点项目进展" in page
    client.force_login(world.users["chief"])
    page = client.get(reverse("home")).content.decode()
    assert "data-instruction-given" in page and "data-instruction-to-answer" not in page
    client.force_login(world.users["county"])  # neither instructed nor the author
    page = client.get(reverse("home")).content.decode()
    assert "请报送链上重点项目进展" not in page


def test_an_answered_instruction_leaves_the_desk(client, world):
    chain = world.chains["silk"]
    instruction = give(world, chain, to="office")
    with audit.operation(user=world.users["office"], source=audit.Source.WEB):
        actions.answer_instruction(world.users["office"], instruction, {"answer": "已报送"})
    client.force_login(world.users["office"])
    assert "data-instruction-to-answer" not in client.get(reverse("home")).content.decode()
