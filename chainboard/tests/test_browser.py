"""End to end in a real browser: Debian's chromium, driven by Playwright, against the live test server.

Two roles log in through the login form and see only what their grants allow; the county user edits an
enterprise through the edit form and finds the change, old value and new, on the record's history page.

Elements are found by name, id and href, never by visible text: the interface is translated (zh-hans by
default) and its wording may change. Playwright's ``expect`` waits for each condition; nothing sleeps.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse the ORM calls
# the test makes between browser steps ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium; "
        "`make test` installs it)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = sync_api.expect

from chainboard.testing import PASSWORD  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000

# The audit table is append-only by database triggers; a live-server test runs on transactional_db, whose
# flush they would refuse: conftest.py's fixture lifts them for the flush only.
pytestmark = pytest.mark.usefixtures("audit_triggers_lifted_for_flush")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def close_settled(context) -> None:
    """Close a browser context once its pages have no request in flight. The live server answers in
    threads of its own: a request still running (an htmx poll, the favicon) when the test's database is
    flushed holds a lock on SQLite's shared in-memory test database, and the flush fails with "database
    table is locked"."""
    for open_page in context.pages:
        try:
            open_page.wait_for_load_state("networkidle", timeout=5_000)
        except sync_api.Error:
            pass  # a page that never settles (a poll every second) is closed as it is
    context.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    close_settled(context)


def log_in(page, username: str) -> None:
    """Log in through the form, as a person would, and land on the overview."""
    page.goto(reverse("login"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator(f"form[action='{reverse('login')}'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("home")) + "$"))
    expect(page.locator("#sidebar-menu")).to_be_attached()


def list_rows(page):
    return page.locator("#list-table tbody tr")


def nav_link(page, url_name: str):
    return page.locator(f"#sidebar-menu a[href='{reverse(url_name)}']")


@pytest.mark.browser
def test_county_staff_see_their_county_only_and_no_system_menu(page, world):
    log_in(page, "county")
    expect(nav_link(page, "enterprises:enterprise_list")).to_have_count(1)
    expect(nav_link(page, "accounts:user_list")).to_have_count(0)
    expect(nav_link(page, "accounts:grant_list")).to_have_count(0)
    expect(nav_link(page, "audit:auditentry_list")).to_have_count(0)

    nav_link(page, "enterprises:enterprise_list").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("enterprises:enterprise_list")) + "$"))
    table = page.locator("#list-table")
    expect(table).to_contain_text("潞安府潞绸")
    expect(table).to_contain_text("高平其他企业")
    expect(table).not_to_contain_text("景柏服饰")
    expect(table).not_to_contain_text("泽州其他企业")
    expect(list_rows(page)).to_have_count(2)

    # An enterprise in another county is not there at all, even by its address.
    response = page.goto(world.enterprises["jingbai"].get_absolute_url())
    assert response is not None and response.status == 404


@pytest.mark.browser
def test_an_enterprise_user_sees_only_their_own_enterprise(page, world):
    log_in(page, "enterprise")
    expect(nav_link(page, "accounts:user_list")).to_have_count(0)
    expect(nav_link(page, "audit:auditentry_list")).to_have_count(0)
    expect(nav_link(page, "organisations:organisation_list")).to_have_count(0)
    expect(nav_link(page, "enterprises:enterprise_list")).to_have_count(1)

    page.goto(reverse("enterprises:enterprise_list"))
    expect(list_rows(page)).to_have_count(1)
    expect(page.locator("#list-table")).to_contain_text("景柏服饰")

    own = world.enterprises["jingbai"]
    page.locator(f"#list-table a[href='{own.get_absolute_url()}']").click()
    expect(page).to_have_url(re.compile(re.escape(own.get_absolute_url()) + "$"))
    # It may keep its own profile: the record's actions (in the page header) offer the edit form.
    expect(page.locator(".page-header a[href$='/edit/']")).to_have_count(1)

    response = page.goto(world.enterprises["luanfu"].get_absolute_url())
    assert response is not None and response.status == 404


@pytest.mark.browser
def test_an_edit_through_the_form_shows_on_the_history_page_with_old_and_new_value(page, world):
    from chainboard import actions, audit
    from chainboard.scope import SystemActor
    from enterprises.models import Enterprise

    luanfu = world.enterprises["luanfu"]
    actor = SystemActor("test")
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="test:address"):
        actions.save_fields(actor, luanfu, address="高平市旧址路1号")

    log_in(page, "county")
    page.goto(reverse("enterprises:enterprise_list"))
    page.locator(f"#list-table a[href='{luanfu.get_absolute_url()}']").click()
    expect(page).to_have_url(re.compile(re.escape(luanfu.get_absolute_url()) + "$"))

    page.locator(".page-header a[href$='/edit/']").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("enterprises:enterprise_edit", args=[luanfu.pk]))))
    address = page.locator("input[name=address]")
    expect(address).to_have_value("高平市旧址路1号")
    address.fill("高平市新址路8号")
    page.locator("main form[method=post] button[type=submit]").click()

    # Saved: back on the detail page, which shows the new address.
    expect(page).to_have_url(re.compile(re.escape(luanfu.get_absolute_url()) + "$"))
    expect(page.locator(".datagrid")).to_contain_text("高平市新址路8号")
    assert Enterprise.objects.get(pk=luanfu.pk).address == "高平市新址路8号"

    page.locator(
        f".page-header a[href='{reverse('enterprises:enterprise_history', args=[luanfu.pk])}']"
    ).click()
    change = page.locator(
        ".diff-table tbody tr", has=page.locator("ins.diff-new", has_text="高平市新址路8号")
    )
    expect(change).to_have_count(1)
    expect(change.locator("del.diff-old")).to_have_text("高平市旧址路1号")
    # The newest entry comes first and names who made the change.
    expect(page.locator(".timeline-event").first).to_contain_text("county")


@pytest.mark.browser
def test_a_file_imported_through_the_pages_is_found_by_pinyin(page, world, tmp_path):
    """Upload a GB18030 CSV with a title row, check it, import it, then find the new enterprise by its
    pinyin initials in the list's search box."""
    from enterprises.models import Enterprise

    path = tmp_path / "新企业名单.csv"
    path.write_bytes(
        "晋城市丝麻纺织企业名单（示例数据）\n序号,企业名称,所在县区,产业链\n1,晋城锦绣丝绸有限公司,140581,丝麻纺织服装产业链\n".encode(
            "gb18030"
        )
    )
    log_in(page, "office")
    page.goto(reverse("enterprises:enterprise_list"))
    page.locator(f".page-header a[href='{reverse('enterprises:enterprise_import')}']").click()
    page.locator("input[name=file]").set_input_files(str(path))
    page.locator("#import-upload-form button[type=submit]").click()

    # The mapping step: columns matched by their titles, 序号 ignored.
    expect(page.locator("select[name=column-1]")).to_have_value("name")
    expect(page.locator("select[name=column-0]")).to_have_value("")
    page.locator("#import-mapping-form button[type=submit]").click()
    expect(page.locator("#import-status")).to_have_attribute("data-status", "ready")
    expect(page.locator("#import-preview")).to_contain_text("晋城锦绣丝绸有限公司")
    assert not Enterprise.objects.filter(name="晋城锦绣丝绸有限公司").exists()  # the check wrote nothing

    page.locator("#import-commit").click()
    expect(page.locator("#import-status")).to_have_attribute("data-status", "done")
    assert Enterprise.objects.filter(name="晋城锦绣丝绸有限公司", region_id="140581").exists()

    page.goto(reverse("enterprises:enterprise_list"))
    search = page.locator("#cb-filter-form input[name=q]")
    search.fill("jcjx")
    search.press("Enter")
    expect(list_rows(page)).to_have_count(1)
    expect(page.locator("#list-table")).to_contain_text("晋城锦绣丝绸有限公司")


@pytest.mark.browser
def test_the_header_box_drops_down_matches_in_scope_as_the_user_types(page, world):
    call_command("rebuild_search")
    log_in(page, "county")
    box = page.locator("header form[role=search] input[name=q]")
    results = page.locator("#cb-search-box-results")
    expect(results).to_be_hidden()
    box.press_sequentially("企业")
    expect(results).to_be_visible()
    expect(
        results.locator(f"a[href='{world.enterprises['gaoping_other'].get_absolute_url()}']")
    ).to_have_count(1)
    # Another county's enterprise is not offered, and the page itself has not changed.
    expect(
        results.locator(f"a[href='{world.enterprises['zezhou_other'].get_absolute_url()}']")
    ).to_have_count(0)
    expect(page).to_have_url(re.compile(re.escape(reverse("home")) + "$"))

    # From the drop-down's links, Escape shuts it and returns to the box, the term kept.
    box.press("Tab")
    expect(results.locator("a").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(results).to_be_hidden()
    expect(box).to_be_focused()
    expect(box).to_have_value("企业")
    box.press("Enter")  # the page of every result
    expect(page).to_have_url(re.compile(re.escape(reverse("search")) + r"\?q=%E4%BC%81%E4%B8%9A$"))

    # Logged out meanwhile: typing sends the whole page to log in, not the log-in form into the drop-down.
    page.context.clear_cookies()
    page.locator("header form[role=search] input[name=q]").press_sequentially("潞安")
    expect(page).to_have_url(re.compile(re.escape(reverse("login")) + r"\?next=%2Fsearch%2F"))
