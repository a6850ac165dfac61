"""Visits and their follow-ups (docs/investment.md, Visits): each dated line of what was agreed becomes
a follow-up on the lead; overdue follow-ups are a to-do on the responsible person's desk. And the lead
list's ``reached`` + ``year`` filter, which the funnel links to."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from chainboard import actions, desk
from investment.forms import VisitForm, agreed_steps
from investment.models import FollowUp, LeadStage, Visit
from investment.tests.conftest import token

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)
AGREED = "双方有意在高平设厂\n2026-06-20 寄送园区政策资料\n2026年7月1日：邀请企业来晋考察"


def visit_data(record, agreed=AGREED) -> dict:
    return {"lead": record.pk, "visited_on": "2026-06-05", "place": "宁波", "agreed": agreed}


def test_the_dated_lines_of_what_was_agreed_are_its_steps():
    steps, problems = agreed_steps(AGREED)
    assert steps == [(dt.date(2026, 6, 20), "寄送园区政策资料"), (dt.date(2026, 7, 1), "邀请企业来晋考察")]
    assert problems == []
    _steps, problems = agreed_steps("ok\n2026-02-30 送资料\n2026-03-01")
    assert [str(p) for p in problems] == [
        "第2行：2026-02-30不是有效日期。",
        "第3行：请写明2026-03-01前要做的事。",
    ]


def test_a_visit_makes_dated_follow_ups_for_the_leads_responsible_person(w, lead):
    record = lead(responsible_person=w.person)
    with time_machine.travel(TODAY, tick=False):
        visit = actions.create(w.users["investment"], VisitForm, visit_data(record))
    rows = list(FollowUp.objects.filter(visit=visit).order_by("due_on"))
    assert [(f.due_on, f.description, f.responsible_person, f.lead) for f in rows] == [
        (dt.date(2026, 6, 20), "寄送园区政策资料", w.person, record),
        (dt.date(2026, 7, 1), "邀请企业来晋考察", w.person, record),
    ]
    # An edit that adds a dated line adds its follow-up, and only it.
    with time_machine.travel(TODAY, tick=False):
        actions.update(
            w.users["investment"],
            visit,
            VisitForm,
            visit_data(record, AGREED + "\n2026-08-01 签订框架协议"),
            version=visit.version,
        )
    assert FollowUp.objects.filter(visit=visit).count() == 3


def test_a_bad_line_names_itself_and_saves_nothing(w, lead):
    record = lead()
    with pytest.raises(actions.InvalidData) as exc:
        actions.create(w.users["investment"], VisitForm, visit_data(record, "2026-13-01 送资料"))
    assert exc.value.errors["agreed"] == ["第1行：2026-13-01不是有效日期。"]
    assert not Visit.objects.exists() and not FollowUp.objects.exists()


def test_overdue_follow_ups_are_a_to_do_of_the_responsible_user(w, lead):
    record = lead(responsible_person=w.person)
    with time_machine.travel(TODAY, tick=False):
        actions.create(w.users["investment"], VisitForm, visit_data(record))
    user = w.users["investment"]

    def todos(when):
        with time_machine.travel(when, tick=False):
            return [t for t in desk.todos_for(user) if "/follow_ups/" in t.url]

    assert todos(TODAY) == []
    (todo,) = todos(TODAY + dt.timedelta(days=15))  # the 20 June step is late, the 1 July one is not
    assert todo.count == 1 and f"responsible_person={w.person.pk}" in todo.url
    FollowUp.objects.filter(due_on=dt.date(2026, 6, 20)).update(done_on=dt.date(2026, 6, 21))
    assert todos(TODAY + dt.timedelta(days=15)) == []
    with time_machine.travel(TODAY + dt.timedelta(days=60), tick=False):
        assert not [t for t in desk.todos_for(w.users["office"]) if "/follow_ups/" in t.url]


@pytest.mark.parametrize(
    ("reached", "year", "expected"),
    [
        ("opened", 2025, {"a"}),
        ("opened", 2026, {"b", "c"}),
        ("negotiating", 2026, {"a", "b"}),
        ("signed", 2026, set()),
        (None, 2026, {"b", "c"}),  # year alone: opened that year
        ("negotiating", None, {"a", "b"}),  # reached alone: ever
    ],
)
def test_the_reached_filter_counts_leads_by_the_year_they_reached_the_stage(
    w, lead, client, reached, year, expected
):
    lead(
        company_name="甲",
        opened_on=dt.date(2025, 11, 1),
        stage=LeadStage.NEGOTIATING,
        negotiating_on=dt.date(2026, 1, 5),
    )
    lead(
        company_name="乙",
        opened_on=dt.date(2026, 2, 1),
        stage=LeadStage.NEGOTIATING,
        negotiating_on=dt.date(2026, 3, 1),
    )
    lead(company_name="丙", opened_on=dt.date(2026, 2, 2))
    names = {"甲": "a", "乙": "b", "丙": "c"}
    client.force_login(w.users["office"])
    params = {k: v for k, v in (("reached", reached), ("year", year)) if v is not None}
    response = client.get(reverse("investment:lead_list"), params)
    assert {names[row["object"].company_name] for row in response.context["rows"]} == expected
    api = client.get("/api/v1/leads", params, **token(w.users["office"]))
    assert api.json()["count"] == len(expected)
