"""The audit trail: every write through the web or a command leaves a row; the database keeps rows forever;
the history page and the auditor's screens show them."""

import csv
import io
import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from chainboard import actions, audit
from chainboard.models import AuditEntry
from chainboard.models.audit import AuditAction
from chainboard.scope import SystemActor
from chains.models import Chain, Segment, SegmentLink
from enterprises.forms import ProductForm
from enterprises.models import Enterprise, Membership, Product
from regions.models import Region


def new_entries(since: int):
    return AuditEntry.objects.filter(id__gt=since).order_by("id")


def last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def label(model, name: str, response) -> str:
    """The field's label in the language the page was rendered in."""
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        return str(model._meta.get_field(name).verbose_name)


# ---- one row per write through the web ----------------------------------------------------------------


def test_creating_through_the_web_writes_one_create_row_naming_the_user(client, world):
    office = world.users["office"]
    client.force_login(office)
    start = last_id()
    response = client.post(
        reverse("enterprises:product_add"),
        {"enterprise": world.enterprises["jingbai"].pk, "name": "真丝围巾", "brand": "景柏"},
    )
    assert response.status_code == 302
    product = Product.objects.get(name="真丝围巾")
    (entry,) = new_entries(start)
    assert entry.action == AuditAction.CREATE
    assert entry.user_id == office.pk
    assert entry.user_name == "office"
    assert entry.source == "web"
    assert isinstance(entry.operation_id, uuid.UUID)
    assert entry.object_id == str(product.pk)
    assert entry.object_repr == "真丝围巾"
    assert entry.before is None
    assert entry.after["name"] == "真丝围巾"
    assert entry.after["brand"] == "景柏"
    assert entry.after["enterprise_id"] == world.enterprises["jingbai"].pk


def test_editing_through_the_web_writes_one_update_row_with_the_changed_fields_only(client, world):
    office = world.users["office"]
    product = world.enterprises["jingbai"].products.get()
    client.force_login(office)
    start = last_id()
    response = client.post(
        reverse("enterprises:product_edit", kwargs={"pk": product.pk}),
        {
            "enterprise": product.enterprise_id,
            "name": product.name,
            "brand": "新品牌",
            "_version": product.version,
        },
    )
    assert response.status_code == 302
    (entry,) = new_entries(start)
    assert entry.action == AuditAction.UPDATE
    assert (entry.user_id, entry.user_name, entry.source) == (office.pk, "office", "web")
    assert entry.before["brand"] == ""
    assert entry.after["brand"] == "新品牌"
    assert entry.changes() == [("brand", "", "新品牌")]


def test_saving_a_form_without_changes_writes_no_audit_row(client, world):
    product = world.enterprises["jingbai"].products.get()
    client.force_login(world.users["office"])
    start = last_id()
    response = client.post(
        reverse("enterprises:product_edit", kwargs={"pk": product.pk}),
        {"enterprise": product.enterprise_id, "name": product.name, "_version": product.version},
    )
    assert response.status_code == 302
    assert not new_entries(start).exists()


def test_deleting_through_the_web_writes_one_delete_row_with_the_record_as_it_was(client, world):
    office = world.users["office"]
    contact = world.enterprises["luanfu"].contacts.get()
    client.force_login(office)
    start = last_id()
    response = client.post(
        reverse("enterprises:contact_delete", kwargs={"pk": contact.pk}), {"_version": contact.version}
    )
    assert response.status_code == 302
    (entry,) = new_entries(start)
    assert entry.action == AuditAction.DELETE
    assert (entry.user_id, entry.user_name, entry.source) == (office.pk, "office", "web")
    assert entry.object_id == str(contact.pk)
    assert entry.before["name"] == "潞安府潞绸联系人"
    assert entry.after is None


def test_a_refused_write_leaves_no_audit_row(client, world):
    client.force_login(world.users["office"])
    start = last_id()
    response = client.post(
        reverse("enterprises:product_add"), {"enterprise": world.enterprises["jingbai"].pk}
    )
    assert response.status_code == 400
    assert not new_entries(start).exists()


def test_separate_requests_are_separate_operations(client, world):
    client.force_login(world.users["office"])
    start = last_id()
    for name in ("甲", "乙"):
        client.post(
            reverse("enterprises:product_add"), {"enterprise": world.enterprises["jingbai"].pk, "name": name}
        )
    first, second = new_entries(start)
    assert first.operation_id != second.operation_id


def test_every_row_one_request_writes_shares_its_operation_id(world):
    office = world.users["office"]
    jingbai = world.enterprises["jingbai"]

    def view(request):
        # One request that writes twice (as an import or a bulk edit would).
        actions.create(request.user, ProductForm, {"enterprise": jingbai.pk, "name": "一"})
        actions.create(request.user, ProductForm, {"enterprise": jingbai.pk, "name": "二"})
        return HttpResponse()

    request = RequestFactory().post("/products/bulk/")
    request.user = office
    start = last_id()
    audit.AuditOperationMiddleware(view)(request)
    rows = list(new_entries(start))
    assert len(rows) == 2
    assert rows[0].operation_id == rows[1].operation_id == request.audit_operation.id
    assert {r.source for r in rows} == {"web"}
    assert {r.user_name for r in rows} == {"office"}


def test_writes_outside_any_request_or_command_are_audited_as_shell(world):
    start = last_id()
    actions.create_direct(world.users["office"], Product(enterprise=world.enterprises["jingbai"], name="壳"))
    (entry,) = new_entries(start)
    assert entry.source == "shell"
    assert entry.user_name  # never empty: the operating-system user at least


# ---- commands -----------------------------------------------------------------------------------------


def test_a_management_command_writes_rows_with_source_command(db, tmp_path):
    Region.objects.create(code="140000", name="山西省", level=1, path="14")
    Region.objects.create(code="140500", name="晋城市", level=2, path="1405", parent_id="140000")
    template = tmp_path / "city.yaml"
    template.write_text(
        "city: {code: '140500', name: 晋城市}\n"
        "chains:\n"
        "  - name: 测试产业链\n"
        "    region: '140500'\n"
        "    segments: [{name: 上游, order: 1}, {name: 下游, order: 2}]\n"
        "    links: [[上游, 下游]]\n",
        encoding="utf-8",
    )
    start = last_id()
    call_command("setup", str(template), stdout=io.StringIO())
    rows = list(new_entries(start))
    assert Chain.objects.filter(name="测试产业链").exists()
    # city configuration, the chain, two segments and the link
    assert len(rows) == 5
    assert {r.source for r in rows} == {"command"}
    assert {r.user_name for r in rows} == {"command:setup"}
    assert {r.user_id for r in rows} == {None}
    assert len({r.operation_id for r in rows}) == 1
    assert {r.content_type.model_class() for r in rows} >= {Chain, Segment, SegmentLink}


def test_purging_samples_is_audited_as_a_command(world):
    actions.create_direct(
        SystemActor("test"), Product(enterprise=world.enterprises["jingbai"], name="示例", is_sample=True)
    )
    start = last_id()
    call_command("purge_samples", stdout=io.StringIO())
    rows = list(new_entries(start))
    assert rows
    assert {r.source for r in rows} == {"command"}


# ---- the database keeps the trail ---------------------------------------------------------------------


@pytest.fixture
def entry(world):
    return AuditEntry.objects.order_by("id").first()


def test_the_database_refuses_to_update_an_audit_row(entry):
    original = entry.user_name
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(user_name="someone else")
    entry.refresh_from_db()
    assert entry.user_name == original


def test_the_database_refuses_to_save_changes_to_an_audit_row(entry):
    entry.object_repr = "rewritten"
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).object_repr != "rewritten"


def test_the_database_refuses_to_delete_an_audit_row(entry):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_database_refuses_raw_sql_against_the_trail(entry):
    from django.db import connection

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM chainboard_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_an_administrator_can_delete_a_user_who_has_audit_rows(client, world):
    office = world.users["office"]
    product = world.enterprises["jingbai"].products.get()
    client.force_login(office)
    client.post(
        reverse("enterprises:product_edit", kwargs={"pk": product.pk}),
        {"enterprise": product.enterprise_id, "name": "改名", "_version": product.version},
    )
    assert AuditEntry.objects.filter(user_name="office").exists()
    from chainboard.actions import save_fields
    from chainboard.scope import SystemActor

    for position in office.positions.all():  # a user holding a position is not deleted (docs/roles.md)
        save_fields(SystemActor("test"), position, user=None)
    office.refresh_from_db()
    client.force_login(world.users["admin"])
    client.raise_request_exception = False
    with transaction.atomic():
        response = client.post(
            reverse("accounts:user_delete", kwargs={"pk": office.pk}), {"_version": office.version}
        )
    assert response.status_code == 302
    assert not type(office).objects.filter(pk=office.pk).exists()
    # The name survives on the rows, and the trail still reads.
    entry = AuditEntry.objects.get(user_name="office", action=AuditAction.UPDATE)
    client.force_login(world.users["auditor"])
    assert client.get(reverse("audit:auditentry_list")).status_code == 200
    assert client.get(reverse("audit:auditentry_detail", kwargs={"pk": entry.pk})).status_code == 200


def test_deleting_an_enterprise_audits_every_row_deleted_with_it(client, world):
    # 潞安府潞绸: no enterprise user's grant hangs on it (景柏服饰's would refuse the deletion, docs/roles.md).
    jingbai = world.enterprises["luanfu"]
    children = {
        ("product", str(jingbai.products.get().pk)),
        ("contact", str(jingbai.contacts.get().pk)),
        ("indicator", str(world.indicators["luanfu"].pk)),
        ("membership", str(jingbai.memberships.get().pk)),
    }
    client.force_login(world.users["office"])
    start = last_id()
    response = client.post(
        reverse("enterprises:enterprise_delete", kwargs={"pk": jingbai.pk}), {"_version": jingbai.version}
    )
    assert response.status_code == 302
    assert not Enterprise.objects.filter(pk=jingbai.pk).exists()
    deleted = {
        (e.content_type.model, e.object_id) for e in new_entries(start).filter(action=AuditAction.DELETE)
    }
    assert children <= deleted


def test_a_membership_created_from_the_enterprise_form_has_its_own_audit_row(client, world):
    client.force_login(world.users["office"])
    response = client.post(
        reverse("enterprises:enterprise_add"),
        {"name": "新丝绸企业", "region": "140581", "chains": [world.chains["silk"].pk]},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(enterprise__name="新丝绸企业")
    assert AuditEntry.objects.filter(
        content_type__model="membership", object_id=str(membership.pk), action=AuditAction.CREATE
    ).exists()


# ---- the history page ---------------------------------------------------------------------------------


def test_an_enterprises_history_page_shows_a_change_made_to_it(client, world):
    jingbai = world.enterprises["jingbai"]
    client.force_login(world.users["office"])
    client.post(
        reverse("enterprises:enterprise_edit", kwargs={"pk": jingbai.pk}),
        {
            "name": "景柏服饰有限公司",
            "region": jingbai.region_id,
            "address": "泽州县某路1号",
            "chains": [world.chains["silk"].pk],
            "_version": jingbai.version,
        },
    )
    response = client.get(reverse("enterprises:enterprise_history", kwargs={"pk": jingbai.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        label(Enterprise, "name", response),
        "景柏服饰",
        "景柏服饰有限公司",
        "泽州县某路1号",
        "office",
    ):
        assert text in html, text
    (update,) = [e for e in response.context["entries"] if e["entry"].action == AuditAction.UPDATE]
    changed = {str(lbl): (old, new) for lbl, old, new in update["changes"]}
    assert changed[label(Enterprise, "name", response)] == ("景柏服饰", "景柏服饰有限公司")
    assert changed[label(Enterprise, "address", response)] == ("—", "泽州县某路1号")  # empty shows as a dash


def test_an_enterprises_history_includes_changes_to_its_children_recorded_with_it_as_parent(client, world):
    jingbai = world.enterprises["jingbai"]
    client.force_login(world.users["office"])
    url = reverse("enterprises:enterprise_attachments", kwargs={"pk": jingbai.pk})
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        url, {"kind": "document", "title": "营业执照", "file": SimpleUploadedFile("licence.pdf", b"%PDF-1.4")}
    )
    response = client.get(reverse("enterprises:enterprise_history", kwargs={"pk": jingbai.pk}))
    assert "营业执照" in response.content.decode()


def test_the_history_of_a_record_out_of_scope_is_not_found(client, world):
    client.force_login(world.users["county"])
    response = client.get(
        reverse("enterprises:enterprise_history", kwargs={"pk": world.enterprises["jingbai"].pk})
    )
    assert response.status_code == 404


# ---- the auditor's screens ----------------------------------------------------------------------------


@pytest.fixture
def office_change(client, world):
    """One change by the office user, then the client is logged out."""
    product = world.enterprises["luanfu"].products.get()
    client.force_login(world.users["office"])
    client.post(
        reverse("enterprises:product_edit", kwargs={"pk": product.pk}),
        {"enterprise": product.enterprise_id, "name": "潞绸新品", "_version": product.version},
    )
    client.logout()
    return AuditEntry.objects.get(user_name="office", action=AuditAction.UPDATE)  # not the log-in, log-out


def test_the_auditor_filters_the_trail_by_user(client, world, office_change):
    client.force_login(world.users["auditor"])
    response = client.get(reverse("audit:auditentry_list"), {"user_name": "office", "action": "update"})
    assert response.status_code == 200
    assert [e.pk for e in response.context["page"].object_list] == [office_change.pk]
    assert "潞绸新品" in response.content.decode()


def test_the_auditor_filters_the_trail_by_source_and_action(client, world, office_change):
    client.force_login(world.users["auditor"])
    response = client.get(reverse("audit:auditentry_list"), {"source": "web", "action": "update"})
    assert [e.pk for e in response.context["page"].object_list] == [office_change.pk]
    response = client.get(reverse("audit:auditentry_list"), {"source": "command"})
    assert office_change.pk not in [e.pk for e in response.context["page"].object_list]
    assert response.context["page"].paginator.count == AuditEntry.objects.filter(source="command").count()


def test_the_auditor_sees_the_field_level_diff_of_an_entry(client, world, office_change):
    client.force_login(world.users["auditor"])
    response = client.get(reverse("audit:auditentry_detail", kwargs={"pk": office_change.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "潞安府潞绸产品" in html
    assert "潞绸新品" in html


def test_the_auditor_exports_the_filtered_trail_as_csv(client, world, office_change):
    client.force_login(world.users["auditor"])
    response = client.get(reverse("audit:auditentry_export"), {"user_name": "office", "action": "update"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2  # the header and the one entry
    assert "office" in rows[1]
    assert "潞绸新品" in rows[1]
    assert str(office_change.operation_id) in rows[1]


@pytest.mark.parametrize(
    "username", ["chief", "office", "county", "investment", "enterprise", "admin", "outsider"]
)
def test_nobody_but_the_auditor_reads_or_exports_the_trail(client, world, office_change, username):
    client.force_login(world.users[username])
    assert client.get(reverse("audit:auditentry_list")).status_code == 403
    assert client.get(reverse("audit:auditentry_export")).status_code == 403
    assert client.get(reverse("audit:auditentry_detail", kwargs={"pk": office_change.pk})).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in_before_the_trail(client, world):
    response = client.get(reverse("audit:auditentry_export"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_export_with_an_invalid_filter_does_not_export_the_whole_trail(client, world, office_change):
    client.force_login(world.users["auditor"])
    response = client.get(reverse("audit:auditentry_export"), {"user_name": "office", "since": "2024-13-45"})
    if response.status_code == 200:
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        assert len(list(csv.reader(io.StringIO(text)))) <= 1  # the header at most
    else:
        assert response.status_code == 400


def test_a_creation_shows_its_values_without_an_empty_before_column(client, world):
    enterprise = world.enterprises["luanfu"]  # created (with its children), never changed
    client.force_login(world.users["county"])
    html = client.get(reverse("enterprises:enterprise_history", args=[enterprise.pk])).content.decode()
    assert 'class="diff-new"' in html and "潞安府潞绸" in html
    assert 'class="diff-old"' not in html
