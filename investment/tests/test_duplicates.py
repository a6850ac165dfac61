"""Two teams chasing one company are warned when the second lead is created (docs/investment.md,
Duplicates): by USCC or a similar name through the search index; a confirm step on the page, a 409 the
API client overrides with ``confirm_duplicate``; nothing told about a lead outside the user's scope but
that it exists and whom to ask."""

from __future__ import annotations

import pytest

from enterprises.uscc import check_character
from investment.duplicates import core, find, similar
from investment.models import Lead, LeadStage
from investment.tests.conftest import token

pytestmark = pytest.mark.django_db
FIRST17 = "91330200MA2H12345"
USCC = FIRST17 + check_character(FIRST17)


def form_data(w, **extra):
    return {
        "company_name": "宁波锦绣丝绸股份有限公司",
        "chain": w.chains["silk"].pk,
        "source_kind": "team_visit",
        "opened_on": "2026-01-10",
        **extra,
    }


def test_a_name_is_compared_without_its_legal_form():
    assert core("宁波锦绣丝绸股份有限公司") == core("宁波锦绣丝绸有限公司") == "宁波锦绣丝绸"
    assert similar("宁波锦绣丝绸有限公司", "宁波锦绣丝绸(集团)股份有限公司")
    assert not similar("宁波锦绣丝绸有限公司", "宁波海天塑机有限公司")


def test_the_same_code_or_a_similar_name_finds_the_other_lead(w, lead):
    first = lead(uscc=USCC)
    assert find("完全不同的名字有限公司", USCC) == [first]
    assert find("宁波锦绣丝绸股份有限公司") == [first]
    assert find("宁波海天塑机有限公司") == []
    assert find("宁波锦绣丝绸有限公司", exclude_pk=first.pk) == []


def test_an_abandoned_lead_does_not_warn(w, lead):
    lead(stage=LeadStage.ABANDONED, abandon_reason="撤回")
    assert find("宁波锦绣丝绸有限公司") == []


def test_the_page_asks_to_confirm_naming_the_team_in_scope(w, lead, client):
    lead()
    client.force_login(w.users["investment"])
    url = "/investment/leads/add/"
    response = client.post(url, form_data(w))
    assert response.status_code == 400
    text = response.content.decode()
    assert "丝绸小分队" in text and 'name="confirm_duplicate"' in text
    assert Lead.objects.count() == 1
    confirmed = client.post(url, form_data(w, confirm_duplicate="on"))
    assert confirmed.status_code == 302
    assert Lead.objects.count() == 2


def test_a_lead_outside_the_scope_is_only_said_to_exist(w, lead, client):
    lead(chain="other", company_name="宁波锦绣丝绸有限公司")  # the other chain's team: not the user's
    client.force_login(w.users["investment"])
    text = client.post("/investment/leads/add/", form_data(w)).content.decode()
    assert "权限范围外" in text and "链长办" in text
    assert "其他小分队" not in text and "宁波锦绣丝绸有限公司" not in text


def test_the_api_answers_409_until_the_client_confirms(w, lead, client):
    lead(uscc=USCC)
    auth = token(w.users["investment"])
    body = {"company_name": "另一个名字有限公司", "uscc": USCC, "chain": w.chains["silk"].pk}
    response = client.post("/api/v1/leads", body, content_type="application/json", **auth)
    assert response.status_code == 409, response.content
    (error,) = response.json()["errors"]
    assert error["field"] == "confirm_duplicate" and "丝绸小分队" in error["message"]
    body["confirm_duplicate"] = True
    created = client.post("/api/v1/leads", body, content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    assert Lead.objects.filter(uscc=USCC).count() == 2


def test_other_errors_are_422_and_no_duplicate_is_checked_before_them(w, lead, client):
    lead(uscc=USCC)
    auth = token(w.users["investment"])
    body = {"company_name": "", "uscc": USCC, "chain": w.chains["silk"].pk}
    response = client.post("/api/v1/leads", body, content_type="application/json", **auth)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["company_name"]
