"""Two people edit the same enterprise: the second save is refused with what the first changed, never a
silent overwrite (style.md: a version checked on save)."""

from http.cookies import SimpleCookie

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Grant, User
from accounts.roles import Role
from chainboard import actions
from chainboard.models import AuditEntry
from chainboard.scope import SystemActor
from chainboard.testing import PASSWORD
from enterprises.forms import EnterpriseForm
from enterprises.models import Enterprise


@pytest.fixture
def second_office(world):
    """Another member of the chain office, by a grant rather than a position."""
    actor = SystemActor("test")
    user = User(username="office2", full_name="办公室二")
    user.set_password(PASSWORD)
    actions.create_direct(actor, user)
    actions.create_direct(actor, Grant(user=user, role=Role.OFFICE, chain=world.chains["silk"]))
    return user


def form_data(form) -> dict:
    """What the browser posts back from an untouched edit form."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif value is None:
            data[name] = ""
        else:
            data[name] = str(value)
    return data


def open_edit_form(client: Client, enterprise: Enterprise) -> dict:
    """GET the edit page; return the form's data and the version the page carries."""
    response = client.get(reverse("enterprises:enterprise_edit", kwargs={"pk": enterprise.pk}))
    assert response.status_code == 200
    data = form_data(response.context["form"])
    data["_version"] = str(response.context["object"].version)
    assert f'name="_version" value="{data["_version"]}"' in response.content.decode()
    return data


@pytest.fixture(scope="module")
def browsers():
    # Two clients for the whole module: each new client loads the middleware, and WhiteNoise (with
    # WHITENOISE_USE_FINDERS) then scans every static file, some 0.4 s.
    return Client(), Client()


@pytest.fixture
def two_editors(world, second_office, browsers):
    first, second = browsers
    for browser in browsers:
        browser.cookies = SimpleCookie()
    first.force_login(world.users["office"])
    second.force_login(second_office)
    enterprise = world.enterprises["jingbai"]
    return first, open_edit_form(first, enterprise), second, open_edit_form(second, enterprise), enterprise


def edit_url(enterprise):
    return reverse("enterprises:enterprise_edit", kwargs={"pk": enterprise.pk})


def test_both_editors_start_from_the_same_version(two_editors):
    _first, first_data, _second, second_data, enterprise = two_editors
    assert first_data["_version"] == second_data["_version"] == str(enterprise.version)


def test_the_first_save_succeeds(two_editors):
    first, first_data, _second, _second_data, enterprise = two_editors
    response = first.post(edit_url(enterprise), {**first_data, "name": "景柏服饰有限公司"})
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.name == "景柏服饰有限公司"
    assert enterprise.version == int(first_data["_version"]) + 1


def test_the_second_save_from_a_stale_version_is_refused_with_409(two_editors):
    first, first_data, second, second_data, enterprise = two_editors
    first.post(edit_url(enterprise), {**first_data, "name": "景柏服饰有限公司"})
    response = second.post(edit_url(enterprise), {**second_data, "address": "泽州县某路2号"})
    assert response.status_code == 409


def test_a_refused_save_changes_nothing_and_writes_no_audit_row(two_editors):
    first, first_data, second, second_data, enterprise = two_editors
    first.post(edit_url(enterprise), {**first_data, "name": "景柏服饰有限公司"})
    audit_rows = AuditEntry.objects.count()
    second.post(edit_url(enterprise), {**second_data, "address": "泽州县某路2号"})
    enterprise.refresh_from_db()
    assert enterprise.name == "景柏服饰有限公司"  # the first editor's value stands
    assert enterprise.address == ""  # the second editor's change was not written
    assert AuditEntry.objects.count() == audit_rows


def test_the_refusal_shows_who_changed_which_field_to_what(two_editors):
    first, first_data, second, second_data, enterprise = two_editors
    first.post(edit_url(enterprise), {**first_data, "name": "景柏服饰有限公司"})
    response = second.post(edit_url(enterprise), {**second_data, "address": "泽州县某路2号"})
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        name_label = str(Enterprise._meta.get_field("name").verbose_name)
    assert [(who, str(label), new) for who, label, _old, new in response.context["conflict"].changes()] == [
        ("office", name_label, "景柏服饰有限公司")
    ]
    html = response.content.decode()
    assert name_label in html
    assert '<del class="diff-old">景柏服饰</del>' in html  # the value before
    assert '<ins class="diff-new">景柏服饰有限公司</ins>' in html  # what the first editor saved


def test_the_refused_form_keeps_the_second_editors_input(two_editors):
    first, first_data, second, second_data, enterprise = two_editors
    first.post(edit_url(enterprise), {**first_data, "name": "景柏服饰有限公司"})
    response = second.post(edit_url(enterprise), {**second_data, "address": "泽州县某路2号"})
    assert response.context["form"]["address"].value() == "泽州县某路2号"


def test_saving_again_with_the_version_the_refusal_carries_succeeds(two_editors):
    first, first_data, second, second_data, enterprise = two_editors
    first.post(edit_url(enterprise), {**first_data, "name": "景柏服饰有限公司"})
    refused = second.post(edit_url(enterprise), {**second_data, "address": "泽州县某路2号"})
    current = str(refused.context["conflict"].current_version)
    assert f'name="_version" value="{current}"' in refused.content.decode()
    # Having reviewed the first editor's change, the second keeps it and saves their own.
    response = second.post(
        edit_url(enterprise),
        {**second_data, "name": "景柏服饰有限公司", "address": "泽州县某路2号", "_version": current},
    )
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.address) == ("景柏服饰有限公司", "泽州县某路2号")
    assert enterprise.version == int(current) + 1


def test_a_third_stale_save_is_refused_again_after_the_second_succeeds(two_editors):
    first, first_data, second, second_data, enterprise = two_editors
    second.post(edit_url(enterprise), {**second_data, "address": "泽州县某路2号"})
    response = first.post(edit_url(enterprise), {**first_data, "name": "景柏服饰有限公司"})
    assert response.status_code == 409
    enterprise.refresh_from_db()
    assert enterprise.name == "景柏服饰"


def test_the_action_refuses_a_stale_version_with_a_conflict(world, second_office):
    enterprise = world.enterprises["jingbai"]
    stale = enterprise.version
    form = EnterpriseForm(instance=enterprise, user=world.users["office"])
    data = form_data(form)
    actions.update(world.users["office"], enterprise, EnterpriseForm, {**data, "name": "甲"}, version=stale)
    with pytest.raises(actions.Conflict) as info:
        actions.update(second_office, enterprise, EnterpriseForm, {**data, "short_name": "乙"}, version=stale)
    assert [(name, new) for _who, name, _old, new in info.value.changes()] == [
        (str(Enterprise._meta.get_field("name").verbose_name), "甲")
    ]
    assert info.value.current_version == stale + 1
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.short_name) == ("甲", "")
