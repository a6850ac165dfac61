"""Bad input is refused with a message on the field concerned, through the web forms and through the actions
alike, and nothing is saved or audited."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chainboard import actions
from chainboard.forms import AttachmentForm
from chainboard.models import Attachment, AuditEntry
from chainboard.scope import SystemActor
from chains.models import SegmentLink
from chains.views import SegmentLinkForm
from enterprises.forms import EnterpriseForm, IndicatorForm
from enterprises.models import Enterprise, Indicator

VALID_USCC = "91350100M000100Y43"


class Unchanged:
    """Counts the rows of a model and the audit rows, to check that a refusal saved nothing."""

    def __init__(self, model):
        self.model = model
        self.rows = model._base_manager.count()
        self.audit = AuditEntry.objects.count()

    def check(self):
        assert self.model._base_manager.count() == self.rows, "a row was saved"
        assert AuditEntry.objects.count() == self.audit, "an audit row was written"


def refused_on(response, field: str, code: str | None = None, mentions: str | None = None) -> str:
    """Assert the page came back with an error on ``field``; return the message."""
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, dict(form.errors)
    message = str(form.errors[field][0])
    assert len(message) > 4, message  # a sentence, not a code
    if code is not None:
        assert form.has_error(field, code), form.errors.as_data()
    if mentions is not None:
        assert mentions in message
    html = response.content.decode()
    assert message.replace("'", "&#x27;").replace('"', "&quot;") in html, "the message is shown on the page"
    return message


@pytest.fixture
def office(client, world):
    client.force_login(world.users["office"])
    return world.users["office"]


def enterprise_data(world, **overrides) -> dict:
    data = {"name": "新丝绸企业", "region": "140581", "chains": [world.chains["silk"].pk]}
    data.update(overrides)
    return data


def enterprise_edit_data(world, enterprise, **overrides) -> dict:
    data = {
        "name": enterprise.name,
        "region": enterprise.region_id,
        "chains": [world.chains["silk"].pk],
        "_version": enterprise.version,
    }
    data.update(overrides)
    return data


def add_enterprise_url():
    return reverse("enterprises:enterprise_add")


def edit_url(name, obj):
    return reverse(name, kwargs={"pk": obj.pk})


# ---- the unified social credit code -------------------------------------------------------------------


def test_a_valid_uscc_is_accepted(client, world, office):
    response = client.post(add_enterprise_url(), enterprise_data(world, uscc=VALID_USCC))
    assert response.status_code == 302
    assert Enterprise.objects.get(uscc=VALID_USCC).name == "新丝绸企业"


def test_a_uscc_with_a_wrong_check_character_is_refused_on_the_web(client, world, office):
    unchanged = Unchanged(Enterprise)
    response = client.post(add_enterprise_url(), enterprise_data(world, uscc=VALID_USCC[:17] + "4"))
    refused_on(response, "uscc", code="uscc_check")
    unchanged.check()


def test_a_uscc_with_a_wrong_check_character_is_refused_on_edit(client, world, office):
    jingbai = world.enterprises["jingbai"]
    unchanged = Unchanged(Enterprise)
    response = client.post(
        edit_url("enterprises:enterprise_edit", jingbai),
        enterprise_edit_data(world, jingbai, uscc=VALID_USCC[:17] + "4"),
    )
    refused_on(response, "uscc", code="uscc_check")
    jingbai.refresh_from_db()
    assert jingbai.uscc is None
    unchanged.check()


def test_a_uscc_with_a_wrong_check_character_is_refused_by_the_action(world):
    unchanged = Unchanged(Enterprise)
    with pytest.raises(actions.InvalidData) as info:
        actions.create(
            world.users["office"], EnterpriseForm, enterprise_data(world, uscc=VALID_USCC[:17] + "4")
        )
    assert "uscc" in info.value.errors
    assert info.value.form.has_error("uscc", "uscc_check")
    unchanged.check()


@pytest.mark.parametrize("letter", ["I", "O", "Z"])
def test_a_uscc_with_a_letter_the_standard_leaves_out_is_refused(client, world, office, letter):
    unchanged = Unchanged(Enterprise)
    code = VALID_USCC[:8] + letter + VALID_USCC[9:]
    response = client.post(add_enterprise_url(), enterprise_data(world, uscc=code))
    refused_on(response, "uscc", code="uscc_character")
    unchanged.check()


def test_a_uscc_with_a_forbidden_letter_is_refused_by_the_action(world):
    unchanged = Unchanged(Enterprise)
    code = VALID_USCC[:8] + "O" + VALID_USCC[9:]
    with pytest.raises(actions.InvalidData) as info:
        actions.create(world.users["office"], EnterpriseForm, enterprise_data(world, uscc=code))
    assert info.value.form.has_error("uscc", "uscc_character")
    unchanged.check()


@pytest.fixture
def jingbai_with_uscc(world):
    return actions.save_fields(SystemActor("test"), world.enterprises["jingbai"], uscc=VALID_USCC)


@pytest.mark.parametrize("typed", [VALID_USCC, VALID_USCC.lower()])
def test_a_second_enterprise_with_the_same_uscc_is_refused(client, world, office, jingbai_with_uscc, typed):
    unchanged = Unchanged(Enterprise)
    response = client.post(add_enterprise_url(), enterprise_data(world, uscc=typed))
    refused_on(response, "uscc", code="unique")
    unchanged.check()


def test_a_second_enterprise_with_the_same_uscc_is_refused_by_the_action(world, jingbai_with_uscc):
    unchanged = Unchanged(Enterprise)
    with pytest.raises(actions.InvalidData) as info:
        actions.create(world.users["office"], EnterpriseForm, enterprise_data(world, uscc=VALID_USCC))
    assert "uscc" in info.value.errors
    unchanged.check()


def test_giving_another_enterprise_an_existing_uscc_on_edit_is_refused(
    client, world, office, jingbai_with_uscc
):
    luanfu = world.enterprises["luanfu"]
    response = client.post(
        edit_url("enterprises:enterprise_edit", luanfu), enterprise_edit_data(world, luanfu, uscc=VALID_USCC)
    )
    refused_on(response, "uscc", code="unique")
    luanfu.refresh_from_db()
    assert luanfu.uscc is None


def test_several_enterprises_may_leave_the_uscc_unknown(client, world, office):
    # Unknown stays unknown (null): it is no duplicate.
    for name in ("甲企业", "乙企业"):
        response = client.post(add_enterprise_url(), enterprise_data(world, name=name, uscc=""))
        assert response.status_code == 302
    assert Enterprise.objects.filter(name__in=["甲企业", "乙企业"], uscc__isnull=True).count() == 2


def test_a_uscc_typed_with_spaces_is_accepted_and_stored_without_them(client, world, office):
    response = client.post(add_enterprise_url(), enterprise_data(world, uscc="9135 0100 M000 100Y43"))
    assert response.status_code == 302
    assert Enterprise.objects.filter(uscc=VALID_USCC).exists()


# ---- regions and industry classes ---------------------------------------------------------------------


def test_an_unknown_region_code_is_refused_naming_the_code(client, world, office):
    unchanged = Unchanged(Enterprise)
    response = client.post(add_enterprise_url(), enterprise_data(world, region="999999"))
    refused_on(response, "region", code="invalid_choice", mentions="999999")
    unchanged.check()


def test_an_unknown_region_code_is_refused_by_the_action(world):
    unchanged = Unchanged(Enterprise)
    with pytest.raises(actions.InvalidData) as info:
        actions.create(world.users["office"], EnterpriseForm, enterprise_data(world, region="999999"))
    assert "999999" in info.value.errors["region"][0]
    unchanged.check()


def test_a_missing_region_is_refused(client, world, office):
    unchanged = Unchanged(Enterprise)
    response = client.post(add_enterprise_url(), enterprise_data(world, region=""))
    refused_on(response, "region", code="required")
    unchanged.check()


def test_an_unknown_industry_code_is_refused_naming_the_code(client, world, office):
    unchanged = Unchanged(Enterprise)
    response = client.post(add_enterprise_url(), enterprise_data(world, industry_class="C9999"))
    refused_on(response, "industry_class", code="invalid_choice", mentions="C9999")
    unchanged.check()


def test_an_unknown_industry_code_on_edit_is_refused_and_the_old_class_kept(client, world, office):
    jingbai = world.enterprises["jingbai"]
    response = client.post(
        edit_url("enterprises:enterprise_edit", jingbai),
        enterprise_edit_data(world, jingbai, industry_class="X0000"),
    )
    refused_on(response, "industry_class", mentions="X0000")
    jingbai.refresh_from_db()
    assert jingbai.industry_class_id is None


def test_a_known_industry_code_is_accepted(client, world, office):
    response = client.post(add_enterprise_url(), enterprise_data(world, industry_class="C1741"))
    assert response.status_code == 302
    assert Enterprise.objects.get(name="新丝绸企业").industry_class_id == "C1741"


# ---- indicators ---------------------------------------------------------------------------------------


def indicator_data(world, **overrides) -> dict:
    data = {
        "enterprise": world.enterprises["jingbai"].pk,
        "period_type": "ytd",
        "year": 2024,
        "month": 6,
        "output_value": "5000000",
    }
    data.update(overrides)
    return data


def test_a_well_formed_indicator_is_accepted(client, world, office):
    response = client.post(reverse("enterprises:indicator_add"), indicator_data(world))
    assert response.status_code == 302
    assert Indicator.objects.filter(year=2024, month=6).exists()


@pytest.mark.parametrize("field", ["output_value", "revenue", "tax", "electricity"])
def test_a_negative_figure_is_refused(client, world, office, field):
    unchanged = Unchanged(Indicator)
    response = client.post(reverse("enterprises:indicator_add"), indicator_data(world, **{field: "-1"}))
    refused_on(response, field, code="min_value")
    unchanged.check()


def test_a_negative_employee_count_is_refused(client, world, office):
    unchanged = Unchanged(Indicator)
    response = client.post(reverse("enterprises:indicator_add"), indicator_data(world, employees="-1"))
    refused_on(response, "employees")
    unchanged.check()


def test_a_negative_output_value_is_refused_by_the_action(world):
    unchanged = Unchanged(Indicator)
    with pytest.raises(actions.InvalidData) as info:
        actions.create(world.users["office"], IndicatorForm, indicator_data(world, output_value="-1"))
    assert "output_value" in info.value.errors
    unchanged.check()


def test_making_an_existing_figure_negative_on_edit_is_refused(client, world, office):
    indicator = world.indicators["jingbai"]
    response = client.post(
        edit_url("enterprises:indicator_edit", indicator),
        indicator_data(
            world, period_type="year", year=2023, month="", output_value="-1", _version=indicator.version
        ),
    )
    refused_on(response, "output_value", code="min_value")
    indicator.refresh_from_db()
    assert indicator.output_value == Decimal("1000000")


@pytest.mark.parametrize("period_type", ["month", "ytd"])
def test_january_alone_is_refused_because_it_is_published_with_february(client, world, office, period_type):
    unchanged = Unchanged(Indicator)
    response = client.post(
        reverse("enterprises:indicator_add"), indicator_data(world, period_type=period_type, month="1")
    )
    message = refused_on(response, "month")
    assert "2" in message  # it tells the user to enter month 2 for 1–2月
    unchanged.check()


def test_january_alone_is_refused_by_the_action(world):
    unchanged = Unchanged(Indicator)
    with pytest.raises(actions.InvalidData) as info:
        actions.create(
            world.users["office"], IndicatorForm, indicator_data(world, period_type="month", month="1")
        )
    assert "month" in info.value.errors
    unchanged.check()


def test_february_stands_for_january_and_february_together(client, world, office):
    response = client.post(
        reverse("enterprises:indicator_add"), indicator_data(world, period_type="month", month="2")
    )
    assert response.status_code == 302
    assert Indicator.objects.get(period_type="month", year=2024).period == "2024年1–2月"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"period_type": "year", "month": "6"}, "month"),
        ({"period_type": "month", "month": ""}, "month"),
        ({"period_type": "month", "month": "13"}, "month"),
        ({"year": "1900"}, "year"),
    ],
)
def test_a_malformed_period_is_refused_on_the_field_concerned(client, world, office, overrides, field):
    unchanged = Unchanged(Indicator)
    response = client.post(reverse("enterprises:indicator_add"), indicator_data(world, **overrides))
    refused_on(response, field)
    unchanged.check()


def test_a_second_indicator_for_the_same_period_is_refused(client, world, office):
    # world: 景柏服饰 has its 2023 yearly figures already.
    unchanged = Unchanged(Indicator)
    response = client.post(
        reverse("enterprises:indicator_add"),
        indicator_data(world, period_type="year", year="2023", month=""),
    )
    # The duplicate concerns enterprise, period type, year and month together: a form-wide message.
    message = refused_on(response, "__all__")
    assert response.context["form"].non_field_errors() == [message]
    unchanged.check()


def test_a_second_monthly_indicator_for_the_same_month_is_refused(client, world, office):
    first = client.post(
        reverse("enterprises:indicator_add"), indicator_data(world, period_type="month", month="5")
    )
    assert first.status_code == 302
    unchanged = Unchanged(Indicator)
    second = client.post(
        reverse("enterprises:indicator_add"), indicator_data(world, period_type="month", month="5")
    )
    refused_on(second, "__all__")
    unchanged.check()


def test_the_same_month_as_a_year_to_date_total_is_a_different_period(client, world, office):
    client.post(reverse("enterprises:indicator_add"), indicator_data(world, period_type="month", month="5"))
    response = client.post(
        reverse("enterprises:indicator_add"), indicator_data(world, period_type="ytd", month="5")
    )
    assert response.status_code == 302


def test_a_duplicate_period_is_refused_by_the_action(world):
    unchanged = Unchanged(Indicator)
    with pytest.raises(actions.InvalidData) as info:
        actions.create(
            world.users["office"],
            IndicatorForm,
            indicator_data(world, period_type="year", year="2023", month=""),
        )
    assert info.value.errors.get("__all__")
    unchanged.check()


# ---- segment links ------------------------------------------------------------------------------------


def link_data(world, up: str, down: str) -> dict:
    return {"upstream": world.segments[up].pk, "downstream": world.segments[down].pk}


def test_a_link_that_would_close_a_cycle_is_refused(client, world, office):
    # world: 缫丝 → 织造 → 服装; 服装 → 缫丝 would close the loop.
    unchanged = Unchanged(SegmentLink)
    response = client.post(reverse("chains:segmentlink_add"), link_data(world, "服装", "缫丝"))
    message = refused_on(response, "downstream")
    assert "缫丝" in message and "服装" in message
    unchanged.check()


def test_a_shorter_cycle_is_refused_too(client, world, office):
    unchanged = Unchanged(SegmentLink)
    response = client.post(reverse("chains:segmentlink_add"), link_data(world, "织造", "缫丝"))
    refused_on(response, "downstream")
    unchanged.check()


def test_a_cycle_is_refused_by_the_action(world):
    unchanged = Unchanged(SegmentLink)
    with pytest.raises(actions.InvalidData) as info:
        actions.create(world.users["office"], SegmentLinkForm, link_data(world, "服装", "缫丝"))
    assert "downstream" in info.value.errors
    unchanged.check()


def test_a_segment_linked_to_itself_is_refused(client, world, office):
    unchanged = Unchanged(SegmentLink)
    response = client.post(reverse("chains:segmentlink_add"), link_data(world, "织造", "织造"))
    refused_on(response, "downstream")
    unchanged.check()


def test_a_self_link_is_refused_by_the_action(world):
    unchanged = Unchanged(SegmentLink)
    with pytest.raises(actions.InvalidData) as info:
        actions.create(world.users["office"], SegmentLinkForm, link_data(world, "缫丝", "缫丝"))
    assert "downstream" in info.value.errors
    unchanged.check()


def test_a_link_repeating_an_existing_one_is_refused(client, world, office):
    unchanged = Unchanged(SegmentLink)
    response = client.post(reverse("chains:segmentlink_add"), link_data(world, "缫丝", "织造"))
    assert response.status_code == 400
    assert response.context["form"].errors
    unchanged.check()


def test_a_shortcut_that_closes_no_cycle_is_accepted(client, world, office):
    response = client.post(reverse("chains:segmentlink_add"), link_data(world, "缫丝", "服装"))
    assert response.status_code == 302


def test_a_link_between_segments_of_two_chains_is_refused(world):
    # Through the action with the system actor: the office user cannot even pick the other chain's segment.
    unchanged = Unchanged(SegmentLink)
    with pytest.raises(actions.InvalidData) as info:
        actions.create(SystemActor("test"), SegmentLinkForm, link_data(world, "缫丝", "other"))
    assert "downstream" in info.value.errors
    unchanged.check()


def test_repointing_a_link_without_closing_a_cycle_is_accepted(client, world, office):
    link = SegmentLink.objects.get(upstream=world.segments["缫丝"], downstream=world.segments["织造"])
    response = client.post(
        edit_url("chains:segmentlink_edit", link),
        {**link_data(world, "服装", "缫丝"), "_version": link.version},
    )
    assert response.status_code == 302


# ---- attachments --------------------------------------------------------------------------------------


def attach(client, enterprise, name: str, content: bytes, kind: str = "document"):
    return client.post(
        reverse("enterprises:enterprise_attachments", kwargs={"pk": enterprise.pk}),
        {"kind": kind, "title": name, "file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def error_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag == "error"]


def file_label() -> str:
    return str(Attachment._meta.get_field("file").verbose_name)


def test_a_permitted_attachment_is_stored(client, world, office):
    response = attach(client, world.enterprises["jingbai"], "licence.pdf", b"%PDF-1.4 small")
    assert not error_messages(response)
    assert Attachment.objects.filter(file_name="licence.pdf").exists()


def test_an_executable_attachment_is_refused_naming_the_file_and_the_type(client, world, office):
    unchanged = Unchanged(Attachment)
    response = attach(client, world.enterprises["jingbai"], "setup.exe", b"MZ\x90\x00")
    (message,) = error_messages(response)
    assert "setup.exe" in message and ".exe" in message
    assert message.startswith(file_label())  # the field is named
    assert "setup.exe" in response.content.decode()
    unchanged.check()


def test_an_executable_attachment_is_refused_by_the_action(world):
    jingbai = world.enterprises["jingbai"]
    unchanged = Unchanged(Attachment)
    with pytest.raises(actions.InvalidData) as info:
        actions.create(
            world.users["office"],
            AttachmentForm,
            {"kind": "document", "title": "x"},
            {"file": SimpleUploadedFile("setup.exe", b"MZ")},
            parent=jingbai,
            content_type=ContentType.objects.get_for_model(Enterprise),
            object_id=str(jingbai.pk),
        )
    assert "file" in info.value.errors
    unchanged.check()


def test_an_attachment_over_the_size_limit_is_refused(client, world, office, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    unchanged = Unchanged(Attachment)
    response = attach(client, world.enterprises["jingbai"], "report.pdf", b"%PDF" + b"0" * 200)
    (message,) = error_messages(response)
    assert message.startswith(file_label())
    assert "report.pdf" in message
    unchanged.check()


def test_an_attachment_at_the_size_limit_is_accepted(client, world, office, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    response = attach(client, world.enterprises["jingbai"], "report.pdf", b"%PDF-" + b"0" * 95)
    assert not error_messages(response)


def test_a_photo_that_is_not_an_image_is_refused(client, world, office):
    unchanged = Unchanged(Attachment)
    response = attach(client, world.enterprises["jingbai"], "photo.jpg", b"not an image", kind="photo")
    (message,) = error_messages(response)
    assert "photo.jpg" in message
    unchanged.check()


def test_an_attachment_over_the_size_limit_is_refused_by_the_action(world, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    jingbai = world.enterprises["jingbai"]
    unchanged = Unchanged(Attachment)
    with pytest.raises(actions.InvalidData) as info:
        actions.create(
            world.users["office"],
            AttachmentForm,
            {"kind": "document"},
            {"file": SimpleUploadedFile("big.pdf", b"0" * 11)},
            parent=jingbai,
            content_type=ContentType.objects.get_for_model(Enterprise),
            object_id=str(jingbai.pk),
        )
    assert "big.pdf" in info.value.errors["file"][0]
    unchanged.check()
