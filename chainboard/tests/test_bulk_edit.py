"""Bulk edit from any list (chainboard/views/bulk.py): every selected record changes, or none does.

The office runs the silk chain (景柏服饰 in 泽州县, 潞安府潞绸 in 高平市); the county user has 高平市 only;
the chief may read the chain's enterprises but not change them (chainboard/testing.py).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from chainboard import actions
from chainboard.models import AuditEntry
from chainboard.scope import SystemActor
from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db

LIST = "enterprises:enterprise_list"
BULK = "enterprises:enterprise_bulk_edit"


@pytest.fixture
def as_user(client, world):
    def log_in(username: str):
        client.force_login(world.users[username])
        client.cookies["django_language"] = "en"  # messages below are read in English
        return client

    return log_in


def open_page(client, *enterprises, query: str = ""):
    """GET the bulk-edit page for these enterprises, as the list's "Bulk edit" button submits them."""
    params = "&".join(f"pk={e.pk}" for e in enterprises)
    response = client.get(f"{reverse(BULK)}?{params}&_query={query}")
    assert response.status_code == 200
    return response


def page_data(response) -> dict:
    """The hidden fields the page carries: the records with their versions, and the list's query."""
    html = response.content.decode()
    records = re.search(r'name="_records" value="([^"]*)"', html).group(1)
    query = re.search(r'name="_query" value="([^"]*)"', html).group(1)
    return {"_records": unescape(records), "_query": unescape(query)}


def snapshot(*enterprises) -> list[tuple]:
    return [
        tuple(Enterprise.objects.filter(pk=e.pk).values_list("short_name", "region_id", "version").get())
        for e in enterprises
    ]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_office_changes_region_and_short_name_of_every_selected_enterprise(as_user, world):
    jingbai, luanfu = world.enterprises["jingbai"], world.enterprises["luanfu"]
    client = as_user("office")
    page = open_page(client, jingbai, luanfu, query="q=%E4%B8%9D")
    assert page.context["count"] == 2
    assert {"short_name", "region", "address"} <= {row["name"] for row in page.context["field_rows"]}
    audit_rows = AuditEntry.objects.count()

    response = client.post(
        reverse(BULK),
        {**page_data(page), "_fields": ["region", "short_name"], "region": "140581101", "short_name": "丝绸"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(LIST) + "?q=%E4%B8%9D"  # back to the list as it was filtered
    assert messages_of(response) == ["2 records updated."]
    for e in (jingbai, luanfu):
        after = Enterprise.objects.get(pk=e.pk)
        assert (after.short_name, after.region_id, after.version) == ("丝绸", "140581101", e.version + 1)
        assert after.name == e.name  # the fields not chosen are untouched
        assert after.chains.filter(pk=world.chains["silk"].pk).exists()
    entries = AuditEntry.objects.order_by("id")[audit_rows:]
    assert sorted((x.action, x.object_id) for x in entries) == sorted(
        ("update", str(e.pk)) for e in (jingbai, luanfu)
    )
    assert len({x.operation_id for x in entries}) == 1  # one request, one operation
    for entry in entries:
        assert (entry.before["short_name"], entry.after["short_name"]) == ("", "丝绸")
        assert entry.after["region_id"] == "140581101"


def test_one_invalid_record_saves_nothing_and_the_error_names_the_record_and_the_field(as_user, world):
    jingbai, luanfu = world.enterprises["jingbai"], world.enterprises["luanfu"]
    # A latitude from before the bounds were checked: the record no longer validates as it is.
    Enterprise.objects.filter(pk=luanfu.pk).update(longitude=Decimal("112.9"), latitude=Decimal("99"))
    client = as_user("office")
    page = open_page(client, jingbai, luanfu)
    before, audit_rows = snapshot(jingbai, luanfu), AuditEntry.objects.count()

    response = client.post(
        reverse(BULK), {**page_data(page), "_fields": ["short_name"], "short_name": "丝绸"}
    )

    assert response.status_code == 400
    assert snapshot(jingbai, luanfu) == before
    assert AuditEntry.objects.count() == audit_rows
    assert response.context["row_errors"] == [
        {
            "record": "潞安府潞绸",
            "url": luanfu.get_absolute_url(),
            "field": "Latitude",
            "message": "Ensure this value is less than or equal to 54.",
        }
    ]
    html = response.content.decode()
    assert "潞安府潞绸" in html and "Ensure this value is less than or equal to 54." in html
    # The user's choice is kept for a second try.
    assert 'value="short_name"' in html and 'id="bulk-choose-short_name" data-bulk-tick checked' in html


def test_the_error_is_shown_in_the_users_language(as_user, world):
    luanfu = world.enterprises["luanfu"]
    Enterprise.objects.filter(pk=luanfu.pk).update(longitude=Decimal("112.9"), latitude=Decimal("99"))
    client = as_user("office")
    client.cookies["django_language"] = "zh-hans"
    page = open_page(client, luanfu)
    response = client.post(
        reverse(BULK), {**page_data(page), "_fields": ["short_name"], "short_name": "丝绸"}
    )
    assert response.status_code == 400
    (error,) = response.context["row_errors"]
    assert error["field"] == "纬度" and "54" in error["message"] and "Ensure" not in error["message"]


def test_an_id_outside_the_county_users_scope_is_refused_and_nothing_changes(as_user, world):
    luanfu, jingbai = world.enterprises["luanfu"], world.enterprises["jingbai"]  # 高平市, 泽州县
    client = as_user("county")
    before, audit_rows = snapshot(luanfu, jingbai), AuditEntry.objects.count()

    shown = client.get(f"{reverse(BULK)}?pk={luanfu.pk}&pk={jingbai.pk}")
    assert shown.status_code == 403
    assert "景柏服饰" not in shown.content.decode()

    records = json.dumps([[luanfu.pk, luanfu.version], [jingbai.pk, jingbai.version]])
    response = client.post(
        reverse(BULK), {"_records": records, "_fields": ["short_name"], "short_name": "越界"}
    )
    assert response.status_code == 403
    assert response.context["refused"]
    html = response.content.decode()
    assert "景柏服饰" not in html and "潞安府潞绸" not in html  # the refusal says nothing about the ids
    assert snapshot(luanfu, jingbai) == before
    assert AuditEntry.objects.count() == audit_rows

    # The same answer for an id that does not exist at all.
    missing = json.dumps([[luanfu.pk, luanfu.version], [999999, 1]])
    response = client.post(reverse(BULK), {"_records": missing, "_fields": ["short_name"], "short_name": "x"})
    assert response.status_code == 403
    assert snapshot(luanfu, jingbai) == before


def test_a_new_value_that_moves_a_record_out_of_the_users_scope_is_refused_for_every_record(as_user, world):
    luanfu, other = world.enterprises["luanfu"], world.enterprises["gaoping_other"]
    client = as_user("county")
    page = open_page(client, luanfu, other)
    before, audit_rows = snapshot(luanfu, other), AuditEntry.objects.count()
    response = client.post(reverse(BULK), {**page_data(page), "_fields": ["region"], "region": "140525"})
    assert response.status_code == 400
    assert {e["record"] for e in response.context["row_errors"]} == {"潞安府潞绸", "高平其他企业"}
    assert snapshot(luanfu, other) == before
    assert AuditEntry.objects.count() == audit_rows


def test_a_record_saved_by_someone_else_after_the_page_was_shown_stops_the_bulk_edit(as_user, world):
    jingbai, luanfu = world.enterprises["jingbai"], world.enterprises["luanfu"]
    client = as_user("office")
    page = open_page(client, jingbai, luanfu)
    data = {**page_data(page), "_fields": ["short_name"], "short_name": "丝绸"}
    actions.save_fields(SystemActor("test"), luanfu, address="高平市新址路8号")  # someone else saves
    before, audit_rows = snapshot(jingbai, luanfu), AuditEntry.objects.count()

    response = client.post(reverse(BULK), data)

    assert response.status_code == 409
    assert [str(r) for r in response.context["stale"]] == ["潞安府潞绸"]
    assert "潞安府潞绸" in response.content.decode()
    assert snapshot(jingbai, luanfu) == before
    assert AuditEntry.objects.count() == audit_rows

    # The page now carries the current versions and the user's choices: submitting again applies them.
    again = client.post(
        reverse(BULK), {**page_data(response), "_fields": ["short_name"], "short_name": "丝绸"}
    )
    assert again.status_code == 302
    assert Enterprise.objects.get(pk=luanfu.pk).address == "高平市新址路8号"  # their change is kept
    assert {e.short_name for e in Enterprise.objects.filter(pk__in=[jingbai.pk, luanfu.pk])} == {"丝绸"}


def test_a_user_without_the_change_permission_sees_no_checkboxes_and_may_not_open_bulk_edit(as_user, world):
    jingbai = world.enterprises["jingbai"]
    client = as_user("chief")  # reads the silk chain's enterprises, changes none
    listing = client.get(reverse(LIST))
    assert listing.status_code == 200
    assert listing.context["can_bulk_edit"] is False
    html = listing.content.decode()
    assert "data-bulk-row" not in html and "cb-bulk-form" not in html and reverse(BULK) not in html

    assert client.get(f"{reverse(BULK)}?pk={jingbai.pk}").status_code == 403
    records = json.dumps([[jingbai.pk, jingbai.version]])
    response = client.post(reverse(BULK), {"_records": records, "_fields": ["short_name"], "short_name": "x"})
    assert response.status_code == 403
    assert snapshot(jingbai) == [("", jingbai.region_id, jingbai.version)]


def test_a_user_with_the_change_permission_gets_a_checkbox_per_row_and_the_bulk_edit_button(as_user, world):
    listing = as_user("office").get(reverse(LIST))
    html = listing.content.decode()
    assert listing.context["can_bulk_edit"] is True
    assert html.count("data-bulk-row") == len(listing.context["rows"]) == 2
    assert html.count("data-bulk-all") == 1
    assert 'id="cb-bulk-form"' in html and "data-bulk-submit disabled" in html
    for row in listing.context["rows"]:
        assert f'name="pk" value="{row["object"].pk}"' in html


def test_editing_all_rows_matching_the_filters_edits_exactly_those_rows(as_user, world):
    jingbai, luanfu = world.enterprises["jingbai"], world.enterprises["luanfu"]
    client = as_user("office")
    listing = client.get(reverse(LIST) + "?region=140581")  # 高平市 and below: 潞安府潞绸 only
    assert [row["object"].pk for row in listing.context["rows"]] == [luanfu.pk]
    link = re.search(r'id="cb-bulk-all-matching"\s+href="([^"]+)"', listing.content.decode()).group(1)

    page = client.get(unescape(link))
    assert page.status_code == 200
    assert [r.pk for r in page.context["records"]] == [luanfu.pk]
    response = client.post(
        reverse(BULK), {**page_data(page), "_fields": ["short_name"], "short_name": "潞绸"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(LIST) + "?region=140581"
    assert Enterprise.objects.get(pk=luanfu.pk).short_name == "潞绸"
    assert Enterprise.objects.get(pk=jingbai.pk).short_name == ""
    assert messages_of(response) == ["1 record updated."]


def test_editing_all_matching_rows_is_capped_and_the_list_says_so(as_user, world, monkeypatch):
    monkeypatch.setattr("chainboard.views.bulk.BULK_EDIT_LIMIT", 1)
    client = as_user("office")
    listing = client.get(reverse(LIST))  # two rows
    html = listing.content.decode()
    assert "Bulk edit takes at most 1 rows" in html
    assert "_all=1" not in html

    page = client.get(f"{reverse(BULK)}?_all=1")
    assert page.context["too_many"] == 2
    assert 'name="_records"' not in page.content.decode()


def test_a_chosen_required_field_left_empty_and_no_chosen_field_are_refused(as_user, world):
    jingbai = world.enterprises["jingbai"]
    client = as_user("office")
    page = open_page(client, jingbai)
    before = snapshot(jingbai)

    response = client.post(reverse(BULK), {**page_data(page), "_fields": ["region"], "region": ""})
    assert response.status_code == 400
    assert response.context["form"].has_error("region", "required")

    response = client.post(reverse(BULK), {**page_data(page), "short_name": "typed but not ticked"})
    assert response.status_code == 400
    assert response.context["form"].has_error("_fields", "required")
    assert snapshot(jingbai) == before


def test_many_to_many_and_unique_fields_are_not_offered(as_user, world):
    page = open_page(as_user("office"), world.enterprises["jingbai"])
    offered = {row["name"] for row in page.context["field_rows"]}
    assert not offered & {"chains", "segments", "uscc"}
    assert "Segments" in page.context["excluded"] or "segments" in {
        str(x).lower() for x in page.context["excluded"]
    }


def test_an_unticked_field_is_neither_applied_nor_judged(as_user, world):
    jingbai = world.enterprises["jingbai"]
    client = as_user("office")
    page = open_page(client, jingbai)
    response = client.post(
        reverse(BULK),
        {**page_data(page), "_fields": ["short_name"], "short_name": "景柏", "latitude": "not a number"},
    )
    assert response.status_code == 302
    after = Enterprise.objects.get(pk=jingbai.pk)
    assert (after.short_name, after.latitude) == ("景柏", None)


def test_an_empty_selection_goes_back_to_the_list(as_user, world):
    response = as_user("office").get(f"{reverse(BULK)}?_query=region%3D140581")
    assert response.status_code == 302
    assert response["Location"] == reverse(LIST) + "?region=140581"


def test_a_save_between_the_version_check_and_the_lock_rolls_back_the_records_already_done(
    as_user, world, monkeypatch
):
    jingbai, luanfu = world.enterprises["jingbai"], world.enterprises["luanfu"]
    client = as_user("office")
    page = open_page(client, jingbai, luanfu)
    before, audit_rows = snapshot(jingbai, luanfu), AuditEntry.objects.count()
    real_update = actions.update

    def update_after_someone_else(user, instance, *args, **kwargs):
        if instance.pk == luanfu.pk:  # someone else saves 潞安府潞绸 just before its turn
            actions.save_fields(SystemActor("test"), instance, address="抢先一步")
        return real_update(user, instance, *args, **kwargs)

    monkeypatch.setattr("chainboard.views.bulk.actions.update", update_after_someone_else)
    response = client.post(
        reverse(BULK), {**page_data(page), "_fields": ["short_name"], "short_name": "丝绸"}
    )

    assert response.status_code == 409
    assert [str(r) for r in response.context["stale"]] == ["潞安府潞绸"]
    # 景柏服饰 (done first, 潞安府潞绸 sorts after it) is rolled back with the rest.
    assert snapshot(jingbai, luanfu) == before
    assert AuditEntry.objects.count() == audit_rows


def test_a_malformed_selection_is_refused(as_user, world):
    client = as_user("office")
    for records in ("", "not json", "[[1]]", "[]", '[["x", 1]]'):
        response = client.post(reverse(BULK), {"_records": records, "_fields": ["short_name"]})
        assert response.status_code == 403, records
