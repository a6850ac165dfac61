"""A lead's stages as a workflow (docs/investment.md, The lead workflow): who may make which move, what
each move requires and dates, and the moves no person makes (签约, 落地, 投产)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from chainboard import actions
from investment.models import LeadStage
from investment.tests.conftest import token

pytestmark = pytest.mark.django_db
S = LeadStage
TODAY = dt.datetime(2026, 5, 20, 10, 0, tzinfo=dt.UTC)

# The moves a person may make, by stage, written out from docs/investment.md.
MANUAL = {
    S.CONTACT: {"negotiate", "abandon"},
    S.NEGOTIATING: {"abandon"},
    S.SIGNED: set(),
    S.LANDED: set(),
    S.IN_PRODUCTION: set(),
    S.ABANDONED: set(),
}
DATA = {"abandon": {"abandon_reason": "企业转投他市"}}
# Roles that move the silk chain's leads; the others are refused whatever the stage.
MOVERS = {"chief", "office", "investment"}
REFUSED_ROLES = {"county", "enterprise", "auditor", "admin", "security_admin", "outsider"}


@pytest.mark.parametrize("stage", list(MANUAL))
@pytest.mark.parametrize("move", ["negotiate", "abandon"])
def test_each_stage_allows_exactly_its_manual_moves(w, lead, stage, move):
    record = lead(stage=stage)
    if move in MANUAL[stage]:
        moved = actions.transition(w.users["investment"], record, move, data=DATA.get(move))
        assert moved.stage == {"negotiate": S.NEGOTIATING, "abandon": S.ABANDONED}[move]
    else:
        with pytest.raises(actions.MoveRefused):
            actions.transition(w.users["investment"], record, move, data=DATA.get(move))


@pytest.mark.parametrize("role", sorted(MOVERS | REFUSED_ROLES))
def test_only_the_chain_roles_move_a_lead(w, lead, role):
    record = lead()
    if role in MOVERS:
        assert actions.transition(w.users[role], record, "negotiate").stage == S.NEGOTIATING
    else:
        with pytest.raises(PermissionDenied):
            actions.transition(w.users[role], record, "negotiate")


@pytest.mark.parametrize("role", sorted(MOVERS | REFUSED_ROLES))
@pytest.mark.parametrize("move", ["sign", "land", "produce"])
def test_nobody_signs_lands_or_produces_a_lead_by_hand(w, lead, role, move):
    record = lead(stage={"sign": S.NEGOTIATING, "land": S.SIGNED, "produce": S.LANDED}[move])
    with pytest.raises(PermissionDenied):
        actions.transition(w.users[role], record, move)


def test_the_investment_team_never_moves_another_chains_lead(w, lead):
    other = lead(chain="other")
    with pytest.raises(PermissionDenied):
        actions.transition(w.users["investment"], other, "negotiate")


def test_the_moves_date_their_stage(w, lead):
    record = lead()
    with time_machine.travel(TODAY, tick=False):
        record = actions.transition(w.users["investment"], record, "negotiate")
        assert record.negotiating_on == dt.date(2026, 5, 20)
        record = actions.transition(w.users["investment"], record, "abandon", data=DATA["abandon"])
    assert (record.stage, record.abandoned_on, record.abandon_reason) == (
        S.ABANDONED,
        dt.date(2026, 5, 20),
        "企业转投他市",
    )


def test_abandoning_needs_a_reason_and_changes_nothing_without_one(w, lead):
    record = lead()
    with pytest.raises(actions.InvalidData) as exc:
        actions.transition(w.users["investment"], record, "abandon", data={"abandon_reason": ""})
    assert "abandon_reason" in exc.value.errors
    record.refresh_from_db()
    assert (record.stage, record.abandoned_on) == (S.CONTACT, None)


def test_the_page_offers_a_person_only_the_manual_moves(w, lead, client):
    record = lead()
    client.force_login(w.users["investment"])
    timeline = client.get(record.get_absolute_url()).context["detail_panels"][0]
    assert "transitions/negotiate/" in timeline and "transitions/abandon/" in timeline
    assert "transitions/sign/" not in timeline
    sign = reverse("investment:lead_transition", kwargs={"pk": record.pk, "move": "sign"})
    assert client.get(sign).status_code == 403
    client.force_login(w.users["county"])
    assert "transitions/" not in client.get(record.get_absolute_url()).context["detail_panels"][0]


def test_the_api_refuses_a_manual_sign(w, lead, client):
    record = lead(stage=S.NEGOTIATING)
    response = client.post(
        f"/api/v1/leads/{record.pk}/transitions/sign",
        {"version": record.version},
        content_type="application/json",
        **token(w.users["office"]),
    )
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.stage == S.NEGOTIATING


def test_the_stage_and_its_dates_are_not_in_the_form(w):
    from investment.forms import LeadForm

    fields = set(LeadForm.base_fields)
    assert not fields & {"stage", "negotiating_on", "signed_on", "landed_on", "in_production_on", "project"}
