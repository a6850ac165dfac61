"""In a browser, on a phone-sized screen: a chief gives an instruction, picking the instructed user by
typing part of the name, and the instructed user answers it in place (htmx) (docs/instructions.md)."""

from __future__ import annotations

import pytest

from chainboard.tests.test_browser import browser, close_settled, expect, log_in, sync_api  # noqa: F401

pytestmark = pytest.mark.usefixtures("audit_triggers_lifted_for_flush")
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):  # noqa: F811
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    close_settled(context)


@pytest.mark.browser
def test_a_chief_instructs_and_the_office_answers_on_a_phone(phone, world):
    from chainboard.models import Instruction

    chain = world.chains["silk"]
    log_in(phone, "chief")
    phone.goto(chain.get_absolute_url())
    panel = phone.locator("#instructions")
    expect(panel).to_be_visible()
    panel.locator("summary").click()
    panel.locator("textarea[name=text]").fill("请本周内梳理缫丝环节短板")
    picker = panel.locator(".ts-wrapper")
    picker.locator(".ts-control").click()
    # The list is filtered and asked for "offi" 300 ms after the last key (Tom Select's refreshThrottle):
    # a choice before then would be followed by that refresh, which opens the list again. So wait for
    # the server's answer to "offi" itself.
    with phone.expect_response(lambda response: "q=offi" in response.url):
        phone.keyboard.type("offi")
    # The list preloaded on focus holds every user: wait for the server's answer to "offi" and for every
    # request to be back before choosing from the list.
    expect(picker.locator(".ts-dropdown .option", has_text="enterprise")).to_have_count(0)
    expect(panel.locator(".ts-wrapper.loading")).to_have_count(0)
    picker.locator(".ts-dropdown .option", has_text="office").first.click()
    expect(picker.locator(".ts-dropdown")).to_be_hidden()
    panel.locator("button[type=submit]").click()
    expect(phone.locator("#instructions .instruction-open")).to_contain_text("请本周内梳理缫丝环节短板")
    assert Instruction.objects.get().instructed_user == world.users["office"]

    phone.context.clear_cookies()
    log_in(phone, "office")
    phone.goto(chain.get_absolute_url())
    open_one = phone.locator("#instructions .instruction-open")
    expect(open_one).to_contain_text("chief")
    open_one.locator("textarea").fill("已梳理，三处短板见附件")
    open_one.locator("button[type=submit]").click()
    expect(phone.locator("#instructions .instruction-answered")).to_contain_text("已梳理，三处短板见附件")
    expect(phone.locator("#instructions .instruction-open")).to_have_count(0)
    # No horizontal scrolling on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
def test_a_late_answer_does_not_reopen_the_picker_over_the_form(phone, world):
    """On a slow connection the list preloaded on focus can come back after the user typed, chose and
    the list closed: it fills the picker's options but leaves the list closed, so the form's button
    stays where the user is about to press it."""
    import re

    held = []
    phone.route(re.compile(r"[?&]q=$"), lambda route: held.append(route))  # the preload, held back
    log_in(phone, "chief")
    phone.goto(world.chains["silk"].get_absolute_url())
    panel = phone.locator("#instructions")
    panel.locator("summary").click()
    picker = panel.locator(".ts-wrapper")
    with phone.expect_request(re.compile(r"[?&]q=$")):  # the preload asked (and held) before typing
        picker.locator(".ts-control").click()
    phone.keyboard.type("offi")
    option = picker.locator(".ts-dropdown .option", has_text="office").first
    option.click()
    expect(picker.locator(".ts-dropdown")).to_be_hidden()
    expect(picker.locator(".ts-control .item")).to_contain_text("office")
    expect(panel.locator(".ts-wrapper.loading")).to_have_count(1)  # the preload is still out
    assert len(held) == 1
    held[0].continue_()
    expect(panel.locator(".ts-wrapper.loading")).to_have_count(0)
    expect(picker.locator(".ts-dropdown")).to_be_hidden()
    expect(picker.locator(".ts-control .item")).to_contain_text("office")
