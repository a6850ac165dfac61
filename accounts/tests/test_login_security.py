"""Log-in security (等保 2.0 level 3): lockout, per-address slowing, the password policy, two factors.

Each test logs in through the log-in form, as a person (or an attacker) would.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.signals import setting_changed
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP

from accounts.models import User
from chainboard.models import AuditEntry
from chainboard.testing import PASSWORD

WRONG = "Wrong#Password2024"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog(django_db_blocker):
    # The pages answer in Chinese by default: the catalog must be compiled (only the .po is committed).
    call_command("compile_catalog", verbosity=0)
    setting_changed.send(sender=None, setting="LOCALE_PATHS", value=None, enter=True)


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def signed_in_as(client) -> str | None:
    response = client.get(reverse("home"))
    if response.status_code != 200:
        return None
    return response.wsgi_request.user.username


def user_events(user) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk), action="transition"
        ).order_by("id")
    )


def code_for(device, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + steps_ahead * device.step
    return str(totp.token()).zfill(device.digits)


# ---- lockout -------------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(client, world, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    for _ in range(4):
        assert sign_in(client, "county", WRONG).status_code == 200
    fifth = sign_in(client, "county", WRONG)
    assert fifth.status_code == 429
    assert "账号已被锁定" in fifth.content.decode()

    refused = sign_in(client, "county", PASSWORD)
    assert refused.status_code == 429
    assert signed_in_as(client) is None

    time_machine.move_to(timezone.now() + dt.timedelta(minutes=31), tick=False)
    assert sign_in(client, "county", PASSWORD).status_code == 302
    assert signed_in_as(client) == "county"


def test_the_lock_is_one_audit_event_on_the_user_however_often_it_is_hit(client, world):
    for _ in range(12):
        sign_in(client, "county", WRONG)
    events = user_events(world.users["county"])
    assert len(events) == 1
    assert events[0].after["login_locked"] is True
    assert events[0].after["failed_attempts"] == 5
    assert events[0].after["ip_address"] == "127.0.0.1"
    assert events[0].user_name == "system:login-lockout"


def test_a_guessed_user_name_is_locked_too_without_revealing_that_it_does_not_exist(client, world):
    for _ in range(5):
        response = sign_in(client, "nobody-here", WRONG)
    assert response.status_code == 429
    assert "账号已被锁定" in response.content.decode()


def test_the_administrator_sees_the_locked_user_and_lifts_the_lock(client, world):
    for _ in range(5):
        sign_in(client, "county", WRONG)
    client.force_login(world.users["admin"])
    page = client.get(reverse("accounts:lockout_list"))
    assert page.status_code == 200
    assert 'value="county"' in page.content.decode()
    assert reverse("accounts:lockout_list") in client.get(reverse("home")).content.decode()

    response = client.post(reverse("accounts:lockout_unlock"), {"username": "county"})
    assert response.status_code == 302
    assert 'value="county"' not in client.get(reverse("accounts:lockout_list")).content.decode()
    unlock = user_events(world.users["county"])[-1]
    assert (unlock.before["login_locked"], unlock.after["login_locked"]) == (True, False)
    assert unlock.user_name == "admin"

    client.logout()
    assert sign_in(client, "county", PASSWORD).status_code == 302
    assert signed_in_as(client) == "county"


def test_the_unlock_command_lists_the_locks_and_lifts_one_audited(client, world):
    import io

    for _ in range(5):
        sign_in(client, "county", WRONG)
    out = io.StringIO()
    call_command("unlock", stdout=out)
    assert out.getvalue().startswith("county\t5 failures")
    call_command("unlock", "county", stdout=io.StringIO())
    assert sign_in(client, "county", PASSWORD).status_code == 302
    unlock = user_events(world.users["county"])[-1]
    assert unlock.after == {"login_locked": False} and unlock.user_name == "command:unlock"


@pytest.mark.parametrize("username", ["office", "auditor", "county"])
def test_only_the_administrator_reaches_the_lock_page(client, world, username):
    for _ in range(5):
        sign_in(client, "investment", WRONG)
    client.force_login(world.users[username])
    assert client.get(reverse("accounts:lockout_list")).status_code == 403
    assert client.post(reverse("accounts:lockout_unlock"), {"username": "investment"}).status_code == 403
    assert reverse("accounts:lockout_list") not in client.get(reverse("home")).content.decode()


def test_a_successful_sign_in_clears_the_count_of_failures(client, world):
    for _ in range(4):
        sign_in(client, "county", WRONG)
    assert sign_in(client, "county", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, "county", WRONG).status_code == 200
    assert sign_in(client, "county", PASSWORD).status_code == 302


# ---- per-address slowing -----------------------------------------------------------------------------


def test_an_address_that_fails_across_many_user_names_must_wait_longer_each_time(
    client, world, settings, time_machine
):
    settings.LOGIN_IP_FREE_FAILURES = 6
    time_machine.move_to(timezone.now(), tick=False)
    for name in ["a1", "a2", "a3", "a4", "a5", "a6"]:
        assert sign_in(client, name, WRONG).status_code == 200  # one failure per name: no lock
    # The seventh attempt from this address must wait, even with the right password of a real user.
    slowed = sign_in(client, "county", PASSWORD)
    assert slowed.status_code == 429
    assert slowed["Retry-After"] == "2"
    assert "请等待2秒" in slowed.content.decode()
    assert signed_in_as(client) is None
    # Another address is not slowed.
    assert sign_in(client, "a7", WRONG, REMOTE_ADDR="10.0.0.9").status_code == 200

    time_machine.move_to(timezone.now() + dt.timedelta(seconds=2), tick=False)
    assert sign_in(client, "a8", WRONG).status_code == 200  # allowed again, and fails
    assert sign_in(client, "county", PASSWORD)["Retry-After"] == "4"  # the wait doubles
    time_machine.move_to(timezone.now() + dt.timedelta(seconds=4), tick=False)
    assert sign_in(client, "county", PASSWORD).status_code == 302


# ---- password policy ----------------------------------------------------------------------------------


def change_password(client, old, new):
    return client.post(
        reverse("password_change"), {"old_password": old, "new_password1": new, "new_password2": new}
    )


def test_a_short_password_is_refused_with_a_chinese_message(client, world):
    client.force_login(world.users["county"])
    response = change_password(client, PASSWORD, "Ab#12345")
    assert response.status_code == 200
    content = response.content.decode()
    assert "密码太短：至少使用12个字符。" in content
    assert "This password is too short" not in content


def test_a_password_needs_three_kinds_of_character(client, world):
    client.force_login(world.users["county"])
    content = change_password(client, PASSWORD, "onlylowercaseletters").content.decode()
    assert "至少包含小写字母、大写字母、数字、符号中的三类。" in content


def test_none_of_the_last_five_passwords_may_be_used_again(client, world):
    user = world.users["county"]
    client.force_login(user)
    passwords = [PASSWORD] + [f"Second#Pass{i}word" for i in range(5)]
    for old, new in zip(passwords, passwords[1:], strict=False):
        assert change_password(client, old, new).status_code == 302
    # The current one and the four before it are refused; the sixth back is allowed again.
    for recent in passwords[1:]:
        response = change_password(client, passwords[-1], recent)
        assert "您最近用过这个密码" in response.content.decode(), recent
    assert change_password(client, passwords[-1], passwords[0]).status_code == 302


def test_changing_ones_password_is_audited_without_the_hash(client, world):
    user = world.users["county"]
    client.force_login(user)
    assert change_password(client, PASSWORD, "Fresh#Password2025").status_code == 302
    entry = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(User)).latest("id")
    assert entry.object_id == str(user.pk) and entry.action == "update" and entry.user_name == "county"
    assert "password_changed_at" in [name for name, _old, _new in entry.changes()]
    assert "password" not in entry.after
    client.logout()
    assert sign_in(client, "county", "Fresh#Password2025").status_code == 302


def test_a_user_the_administrator_creates_must_choose_a_password_at_first_sign_in(client, world):
    client.force_login(world.users["admin"])
    response = client.post(
        reverse("accounts:user_add"),
        {
            "username": "newcomer",
            "full_name": "新同事",
            "is_active": "on",
            "must_change_password": "on",
            "new_password": "Given#ByAdmin2024",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="newcomer").must_change_password
    add_form = client.get(reverse("accounts:user_add")).content.decode()
    assert re.search(r'<input[^>]*name="must_change_password"[^>]*\bchecked\b', add_form)  # ticked by default
    client.logout()

    assert sign_in(client, "newcomer", "Given#ByAdmin2024").status_code == 302
    page = client.get(reverse("home"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("password_change"))
    assert "管理员设置了您的密码" in client.get(reverse("password_change")).content.decode()
    assert change_password(client, "Given#ByAdmin2024", "Own#Choice2024x").status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert not User.objects.get(username="newcomer").must_change_password


def test_an_administrator_setting_a_users_password_saves_it(client, world):
    county = world.users["county"]
    client.force_login(world.users["admin"])
    edit = client.get(reverse("accounts:user_edit", args=[county.pk]))
    data = {
        "username": "county",
        "full_name": "county",
        "is_active": "on",
        "new_password": "Reset#ByAdmin2024",
        "_version": edit.context["form"].instance.version,
    }
    response = client.post(reverse("accounts:user_edit", args=[county.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    client.logout()
    assert sign_in(client, "county", "Reset#ByAdmin2024").status_code == 302


def test_an_expired_password_must_be_changed_before_anything_else(client, world, settings, time_machine):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    time_machine.move_to(timezone.now() + dt.timedelta(days=91), tick=False)
    assert sign_in(client, "county", PASSWORD).status_code == 302
    page = client.get(reverse("enterprises:enterprise_list"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("password_change"))
    assert "密码已超过90天" in client.get(reverse("password_change")).content.decode()


def test_passwords_do_not_expire_when_the_maximum_age_is_zero(client, world, settings, time_machine):
    settings.PASSWORD_MAX_AGE_DAYS = 0
    time_machine.move_to(timezone.now() + dt.timedelta(days=400), tick=False)
    assert sign_in(client, "county", PASSWORD).status_code == 302
    assert client.get(reverse("home")).status_code == 200


# ---- two factors --------------------------------------------------------------------------------------


def enrol(client, user):
    from accounts import twofactor

    client.force_login(user)
    page = client.get(reverse("two_factor"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = twofactor.pending_device(user)
    response = client.post(reverse("two_factor"), {"action": "confirm", "code": code_for(device)})
    assert response.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    return device, response.context["new_codes"]


def test_the_qr_code_is_drawn_with_elements_an_html_page_renders(client, world):
    # Inline SVG in an HTML page: prefixed elements (<svg:rect>) are unknown there and draw nothing.
    client.force_login(world.users["office"])
    html = client.get(reverse("two_factor")).content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "viewBox=" in svg and '<path d="M' in svg
    assert "<svg:" not in svg and "style=" not in svg


def test_a_user_enrols_by_scanning_and_confirming_and_gets_recovery_codes(client, world):
    user = world.users["county"]
    device, codes = enrol(client, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    event = user_events(user)[-1]
    assert event.after == {"two_factor": True, "recovery_codes": 10}
    assert device.key not in str(event.after)


def test_a_wrong_code_does_not_turn_two_factor_on(client, world):
    from accounts import twofactor

    user = world.users["county"]
    client.force_login(user)
    client.get(reverse("two_factor"))
    response = client.post(reverse("two_factor"), {"action": "confirm", "code": "000000"})
    assert response.status_code == 400
    assert "验证码错误或已过期" in response.content.decode()
    assert not twofactor.has_device(user)


def test_after_enrolment_a_sign_in_asks_for_the_code_before_any_page(client, world):
    user = world.users["county"]
    device, codes = enrol(client, user)
    client.logout()
    assert sign_in(client, "county", PASSWORD).status_code == 302
    page = client.get(reverse("enterprises:enterprise_list"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("login_verify"))

    wrong = client.post(reverse("login_verify"), {"code": "123456"})
    assert "验证码错误或已过期" in wrong.content.decode()
    assert client.get(reverse("home")).status_code == 302

    device.refresh_from_db()
    device.throttle_reset()
    assert client.post(reverse("login_verify"), {"code": code_for(device, 1)}).status_code == 302
    assert client.get(reverse("enterprises:enterprise_list")).status_code == 200


def test_a_recovery_code_signs_in_once(client, world):
    user = world.users["county"]
    _device, codes = enrol(client, user)
    client.logout()
    sign_in(client, "county", PASSWORD)
    assert client.post(reverse("login_verify"), {"code": codes[0]}).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert user_events(user)[-1].after == {"recovery_codes": 9}
    client.logout()
    sign_in(client, "county", PASSWORD)
    assert client.post(reverse("login_verify"), {"code": codes[0]}).status_code == 200
    assert client.get(reverse("home")).status_code == 302


def test_a_role_that_requires_two_factors_is_sent_to_enrol_and_cannot_switch_it_off(client, world, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["admin", "auditor"]
    assert sign_in(client, "admin", PASSWORD).status_code == 302
    page = client.get(reverse("accounts:user_list"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("two_factor"))
    device, _codes = enrol(client, world.users["admin"])
    assert client.get(reverse("accounts:user_list")).status_code == 200
    response = client.post(reverse("two_factor"), {"action": "disable", "code": code_for(device, 1)})
    assert response.status_code == 400
    assert "不能关闭" in response.content.decode()

    # A role that does not require it is not sent anywhere.
    client.logout()
    assert sign_in(client, "county", PASSWORD).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_a_user_may_switch_optional_two_factor_off_with_a_code(client, world):
    from accounts import twofactor

    user = world.users["county"]
    device, _codes = enrol(client, user)
    response = client.post(reverse("two_factor"), {"action": "disable", "code": code_for(device, 1)})
    assert response.status_code == 302
    assert not twofactor.has_device(user)
    assert user_events(user)[-1].after == {"two_factor": False, "recovery_codes": 0}


# ---- htmx requests sent to log in ------------------------------------------------------------------------


def fragment(client, url: str, current: str):
    """A request as htmx sends it from the page at ``current`` (the header box's drop-down)."""
    return client.get(
        url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="cb-search-box-results", HTTP_HX_CURRENT_URL=current
    )


def test_an_htmx_request_of_a_logged_out_browser_sends_the_page_to_log_in_and_back(client, world):
    here = "http://testserver/enterprises/?region=140581&page=2"
    response = fragment(client, reverse("search") + "?q=景柏", here)
    # Not the log-in form swapped into the drop-down: the whole page goes to log in, then back here.
    assert response.status_code == 204 and not response.content
    assert (
        response["HX-Redirect"] == reverse("login") + "?next=%2Fenterprises%2F%3Fregion%3D140581%26page%3D2"
    )
    # An ordinary request is redirected as before, back to what it asked for.
    plain = client.get(reverse("search") + "?q=jb")
    assert plain.status_code == 302 and plain["Location"] == reverse("login") + "?next=/search/%3Fq%3Djb"
    # A page on another site is never where the log-in leads: back to the fragment's page instead.
    elsewhere = fragment(client, reverse("search") + "?q=jb", "https://evil.example/x")
    assert elsewhere["HX-Redirect"] == reverse("login") + "?next=%2Fsearch%2F%3Fq%3Djb"


def test_an_htmx_request_of_a_session_owing_a_password_change_sends_the_page_there(
    client, world, settings, time_machine
):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    time_machine.move_to(timezone.now() + dt.timedelta(days=91), tick=False)
    assert sign_in(client, "county", PASSWORD).status_code == 302
    response = fragment(client, reverse("search") + "?q=jb", "http://testserver/enterprises/")
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("password_change") + "?next=%2Fenterprises%2F"


def test_an_htmx_request_logged_in_is_answered_as_before(client, world):
    client.force_login(world.users["office"])
    response = fragment(client, reverse("search") + "?q=jb", "http://testserver/")
    assert response.status_code == 200 and "HX-Redirect" not in response
