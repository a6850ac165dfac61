"""A lead's planned investment and its contacts are confidential (docs/investment.md, Confidentiality):
a role without ``view_confidential`` (county staff) reads the lead but never the amount nor the
contacts: not on the page, the list, an export, the API, the global search or the history."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from chainboard import actions
from investment.models import LeadContact
from investment.tests.conftest import ACTOR, token

pytestmark = pytest.mark.django_db
AMOUNT = "3亿元"  # 300,000,000 yuan as a page shows it
PHONE = "13912345678"


@pytest.fixture
def record(w, lead):
    found = lead(company_name="锦绣保密丝绸有限公司")
    actions.create_direct(ACTOR, LeadContact(lead=found, name="王经理", phone=PHONE))
    actions.save_fields(ACTOR, found, version=found.version, planned_investment=300_000_000)
    found.refresh_from_db()
    return found


def page(client, url, **params) -> str:
    with translation.override("zh-hans"):
        return client.get(url, params, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


@pytest.mark.parametrize(("role", "sees"), [("investment", True), ("office", True), ("county", False)])
def test_the_detail_page_shows_the_amount_and_contacts_only_with_the_right(w, record, client, role, sees):
    client.force_login(w.users[role])
    text = page(client, record.get_absolute_url())
    assert "锦绣保密丝绸有限公司" in text
    assert (AMOUNT in text) is sees
    assert (PHONE in text) is sees


@pytest.mark.parametrize(("role", "sees"), [("investment", True), ("county", False)])
def test_the_list_and_its_export_leave_the_amount_out(w, record, client, role, sees):
    client.force_login(w.users[role])
    url = reverse("investment:lead_list")
    assert (AMOUNT in page(client, url)) is sees
    export = b"".join(client.get(url, {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert "锦绣保密丝绸有限公司" in export
    assert ("300000000" in export) is sees
    # Not sortable by it either: the order would tell the amounts apart.
    sorted_page = client.get(url, {"sort": "planned_investment"})
    assert (sorted_page.context["sort"] == "planned_investment") is sees


@pytest.mark.parametrize(("role", "amount"), [("investment", "300000000.00"), ("county", None)])
def test_the_api_reads_null_without_the_right(w, record, client, role, amount):
    auth = token(w.users[role])
    one = client.get(f"/api/v1/leads/{record.pk}", **auth).json()
    assert one["planned_investment"] == amount
    (listed,) = client.get("/api/v1/leads", **auth).json()["items"]
    assert listed["planned_investment"] == amount


def test_the_county_cannot_read_the_contacts_at_all(w, record, client):
    client.force_login(w.users["county"])
    assert client.get(reverse("investment:leadcontact_list")).status_code == 403
    assert client.get("/api/v1/lead_contacts", **token(w.users["county"])).status_code == 403


@pytest.mark.parametrize(("role", "sees"), [("investment", True), ("county", False)])
def test_the_global_search_shows_no_amount(w, record, client, role, sees):
    client.force_login(w.users[role])
    text = page(client, reverse("search"), q="锦绣保密")
    assert "锦绣保密丝绸有限公司" in text
    assert (AMOUNT in text) is sees


@pytest.mark.parametrize(("role", "sees"), [("investment", True), ("county", False)])
def test_the_history_says_the_amount_changed_without_its_value(w, record, client, role, sees):
    client.force_login(w.users[role])
    text = page(client, reverse("investment:lead_history", kwargs={"pk": record.pk}))
    assert (AMOUNT in text) is sees
    assert ("（保密）" in text) is not sees


def test_the_audit_trail_hides_the_amount_from_the_auditor(w, record, client):
    from chainboard.models import AuditEntry

    client.force_login(w.users["auditor"])
    entry = AuditEntry.objects.filter(object_id=str(record.pk), content_type__model="lead").last()
    text = page(client, reverse("audit:auditentry_detail", kwargs={"pk": entry.pk}))
    assert AMOUNT not in text and "（保密）" in text
    export = b"".join(client.get(reverse("audit:auditentry_export")).streaming_content).decode("utf-8-sig")
    assert "300000000" not in export
