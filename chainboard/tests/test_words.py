"""The screens' words: filter labels, sources, history in words, the auditor's kinds and CSV, log-in
events, the icon. (The walk over every entity's pages is test_screen_walk.)"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.signals import setting_changed
from django.urls import reverse
from django.utils import translation

from chainboard import actions, audit, auditchain, sources
from chainboard.models import AuditEntry, ImportJob
from chainboard.models.audit import AuditAction
from chainboard.scope import SystemActor
from chainboard.testing import PASSWORD
from chainboard.views.audit import AuditEntryFilterSet
from chains.models import ChainStatistic, SegmentLink
from enterprises.models import Product


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog(django_db_blocker):
    # The pages answer in Chinese by default: the catalog must be compiled (only the .po is committed).
    call_command("compile_catalog", verbosity=0)
    setting_changed.send(sender=None, setting="LOCALE_PATHS", value=None, enter=True)


def in_language(client, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", "", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---- filters -------------------------------------------------------------------------------------------


def test_a_filter_across_a_relation_is_labelled_by_the_last_fields_name(client, world):
    client.force_login(world.users["office"])
    response = in_language(client, "zh-hans").get(reverse("chains:segmentlink_list"))
    facets = {f["name"]: f["label"] for f in response.context["facets"]}
    assert str(facets["upstream__chain"]) == "产业链"  # not "Upstream__chain", not "上游环节 产业链"
    assert str(response.context["filterset"].form.fields["upstream__chain"].label) == "产业链"


def test_boolean_facets_read_yes_and_no_and_empty_choices_read_any(client, world):
    client.force_login(world.users["office"])
    response = in_language(client, "zh-hans").get(reverse("enterprises:product_list"))
    (facet,) = [f for f in response.context["facets"] if f["name"] == "is_sample"]
    assert str(facet["label"]) == "示例数据"
    assert {str(v["label"]) for v in facet["values"]} <= {"是", "否"}
    form = response.context["filterset"].form
    assert [str(label) for _value, label in form.fields["is_sample"].widget.choices][0] == "全部"
    html = response.content.decode()
    assert "---------" not in html


def test_a_form_asks_for_a_choice_instead_of_showing_dashes(client, world):
    client.force_login(world.users["office"])
    response = in_language(client, "zh-hans").get(reverse("chains:chainstatistic_add"))
    html = response.content.decode()
    assert "---------" not in html
    assert "请选择" in html


# ---- sources -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "language", "shown"),
    [
        ("TA0302 reply, 二(三)", "zh-hans", "TA0302号提案答复 二（三）"),
        ("TA0302 reply, 一、二(一), 三(二)", "zh-hans", "TA0302号提案答复 一、二（一），三（二）"),
        ("TA0302 reply, 二(三)", "en", "TA0302 reply, 二(三)"),
        ("TA0302 reply", "zh-hans", "TA0302号提案答复"),
        (
            "示例数据: graph edges inferred from the TA0302 reply",
            "zh-hans",
            "示例数据：根据TA0302号提案答复推断的环节关系",
        ),
        ("Sample data", "zh-hans", "示例数据"),
        ("示例数据", "en", "Sample data"),
        ("《晋城市重点产业发展概况》", "zh-hans", "《晋城市重点产业发展概况》"),  # unknown: as stored
    ],
)
def test_a_source_is_shown_in_the_readers_language(stored, language, shown):
    with translation.override(language):
        assert sources.display(stored) == shown


def test_sources_are_translated_on_the_detail_page_the_list_and_the_export(client, world):
    statistic = ChainStatistic.objects.filter(chain=world.chains["silk"]).first() or actions.create_direct(
        SystemActor("test"),
        ChainStatistic(
            chain=world.chains["silk"], metric="output_value", period_type="year", year=2023, value=1
        ),
    )
    actions.save_fields(SystemActor("test"), statistic, source="TA0302 reply, 一")
    client.force_login(world.users["office"])
    in_language(client, "zh-hans")
    detail = text_of(client.get(reverse("chains:chainstatistic_detail", kwargs={"pk": statistic.pk})))
    assert "TA0302号提案答复 一" in detail
    assert "TA0302 reply" not in detail
    export = client.get(reverse("chains:chainstatistic_list"), {"export": "csv"})
    body = b"".join(export.streaming_content) if export.streaming else export.content
    assert "TA0302号提案答复 一" in body.decode("utf-8-sig")
    assert "TA0302 reply" not in body.decode("utf-8-sig")


# ---- history -------------------------------------------------------------------------------------------


def history_page(client, obj, language="zh-hans"):
    meta = obj._meta
    url = reverse(f"{meta.app_label}:{meta.model_name}_history", kwargs={"pk": obj.pk})
    return in_language(client, language).get(url)


def edited_by_the_demo_loader() -> SegmentLink:
    """A segment link changed by `chainboard load-demo` (its operation label is command:load_demo)."""
    link = SegmentLink.objects.first()
    with audit.operation(
        user=SystemActor("command:load_demo"), source=audit.Source.COMMAND, label="command:load_demo"
    ):
        actions.save_fields(SystemActor("command:load_demo"), link, source="TA0302 reply, 二(四)")
    return link


def test_history_names_the_operation_in_words_and_keeps_ids_under_details(client, world):
    link = edited_by_the_demo_loader()
    client.force_login(world.users["office"])
    response = history_page(client, link)
    html = response.content.decode()
    outside_details = re.sub(r"<details\b.*?</details>", "", html, flags=re.S)
    text = text_of(response)
    assert "导入演示数据" in text
    assert "command:" not in text
    entry = AuditEntry.objects.filter(object_id=str(link.pk)).latest("id")
    assert str(entry.operation_id) in html  # still there, for the auditor, behind "详情"
    assert str(entry.operation_id) not in outside_details
    assert not re.search(r">\s*ID\s*<", outside_details)  # the record's id is no row of the changes


def test_a_web_edit_names_its_author_and_an_import_its_file(client, world):
    product = world.enterprises["luanfu"].products.get()
    client.force_login(world.users["office"])
    client.post(
        reverse("enterprises:product_edit", kwargs={"pk": product.pk}),
        {"enterprise": product.enterprise_id, "name": "潞绸新品", "_version": product.version},
    )
    job = ImportJob.objects.create(
        user=world.users["office"],
        content_type=ContentType.objects.get_for_model(Product),
        file_name="产品清单.xlsx",
    )
    with audit.operation(
        user=world.users["office"], source=audit.Source.IMPORT, label="import:产品清单.xlsx"
    ) as op:
        ImportJob.objects.filter(pk=job.pk).update(operation_id=op.id)
        actions.save_fields(world.users["office"], Product.objects.get(pk=product.pk), brand="潞绸")
    text = text_of(history_page(client, product))
    assert "网页编辑" in text
    assert "office" in text
    assert "导入 产品清单.xlsx" in text
    english = text_of(history_page(client, product, "en"))
    assert "Web edit" in english
    assert "Import of 产品清单.xlsx" in english


def test_the_audit_list_names_the_operation_in_words_too(client, world):
    edited_by_the_demo_loader()
    client.force_login(world.users["auditor"])
    text = text_of(in_language(client, "zh-hans").get(reverse("audit:auditentry_list")))
    assert "导入演示数据" in text
    assert "command:" not in text


# ---- the auditor's kinds and CSV -----------------------------------------------------------------------


def test_the_auditors_kind_filter_lists_the_products_own_kinds_by_their_chinese_names(client, world):
    client.force_login(world.users["auditor"])
    response = in_language(client, "zh-hans").get(reverse("audit:auditentry_list"))
    choices = [
        str(label) for _value, label in response.context["filterset"].form.fields["content_type"].choices
    ]
    assert choices[0] == "全部"
    for kind in ("企业", "产业链", "用户", "审计记录"):
        assert kind in choices
    for internal in ("会话", "内容类型", "Task Result", "search key", "中类", "组", "权限"):
        assert internal not in choices
    assert all(not re.search(r"[a-z]{3,}", c) for c in choices), choices  # all of them translated


def test_the_kind_filter_still_filters(client, world):
    kind = ContentType.objects.get_for_model(Product)
    filterset = AuditEntryFilterSet({"content_type": str(kind.pk)}, queryset=AuditEntry.objects.all())
    assert filterset.is_valid()
    assert set(filterset.qs.values_list("content_type", flat=True)) == {kind.pk}


def test_the_audit_csv_reads_as_words(client, world):
    product = world.enterprises["luanfu"].products.get()
    with audit.operation(user=world.users["office"], source=audit.Source.WEB):
        actions.save_fields(world.users["office"], product, name="潞绸新品")
    client.force_login(world.users["auditor"])
    response = in_language(client, "zh-hans").get(
        reverse("audit:auditentry_export"), {"action": "update", "user_name": "office"}
    )
    header, *rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    (row,) = rows
    record = dict(zip(header, row, strict=True))
    assert record["操作类型"] == "更新"
    assert record["类型"] == "产品"
    with translation.override("zh-hans"):
        name = str(Product._meta.get_field("name").verbose_name)  # 产品
    assert record["变更前"] == f"{name}: 潞安府潞绸产品"
    assert record["变更后"] == f"{name}: 潞绸新品"
    english = in_language(client, "en").get(
        reverse("audit:auditentry_export"), {"action": "update", "user_name": "office"}
    )
    header, row = list(csv.reader(io.StringIO(b"".join(english.streaming_content).decode("utf-8-sig"))))
    record = dict(zip(header, row, strict=True))
    assert (record["action"], record["kind"]) == ("updated", "Product")  # streamed in the reader's language


# ---- log-in events -------------------------------------------------------------------------------------


def sign_in(client, username, password=PASSWORD):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="203.0.113.7"
    )


def events(action) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_log_ins_log_outs_and_failures_are_audited_with_name_address_and_outcome(client, world):
    sign_in(client, "office", "Wrong#Password2024")
    sign_in(client, "nobody-here", "Wrong#Password2024")
    sign_in(client, "office")
    client.post(reverse("logout"))
    wrong, unknown = events(AuditAction.LOGIN_FAILED)
    assert (wrong.user_name, wrong.object_id, wrong.after["ip_address"]) == (
        "office",
        str(world.users["office"].pk),
        "203.0.113.7",
    )
    assert wrong.after["outcome"] == "wrong_credentials"
    assert (unknown.user_name, unknown.object_id, unknown.object_repr) == ("nobody-here", "", "nobody-here")
    assert "password" not in unknown.after
    (login,) = events(AuditAction.LOGIN)
    assert (login.user_id, login.after["outcome"], login.after["ip_address"]) == (
        world.users["office"].pk,
        "succeeded",
        "203.0.113.7",
    )
    (logout,) = events(AuditAction.LOGOUT)
    assert logout.user_id == world.users["office"].pk
    assert auditchain.verify().ok


def test_the_auditor_filters_and_reads_log_in_events(client, world):
    sign_in(client, "office", "Wrong#Password2024")
    client.force_login(world.users["auditor"])
    in_language(client, "zh-hans")
    response = client.get(reverse("audit:auditentry_list"), {"action": "login_failed"})
    (entry,) = response.context["page"].object_list
    assert entry.user_name == "office"
    assert "登录失败" in text_of(response)
    detail = text_of(client.get(reverse("audit:auditentry_detail", kwargs={"pk": entry.pk})))
    assert "IP地址" in detail and "203.0.113.7" in detail
    assert "用户名或密码错误" in detail


# ---- the icon ------------------------------------------------------------------------------------------


def test_the_browser_finds_an_icon(client, world):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content
    client.force_login(world.users["office"])
    html = client.get(reverse("home")).content.decode()
    assert re.search(r'<link rel="icon" href="[^"]*favicon\.svg"', html)
