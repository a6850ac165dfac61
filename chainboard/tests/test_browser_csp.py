"""The main pages pass their Content-Security-Policy in a real browser (等保 2.0 level 3).

Debian's chromium, driven by Playwright, opens the pages whose scripts do the most: the enterprise list
with its facets, filters and htmx swaps, a chain's ECharts graph and its tooltip, an import from upload to
preview, the edit form's tom-select pickers asking the server, and the API's docs. Every
``securitypolicyviolation`` event and every uncaught script error fails the test, naming what was blocked.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

# The browser, the live server and the log-in come from the main module; conftest.py lifts the audit
# triggers for the flush.
from chainboard.tests.test_browser import (  # noqa: F401 (fixtures)
    TIMEOUT_MS,
    browser,
    close_settled,
    expect,
    list_rows,
    log_in,
)

pytestmark = pytest.mark.usefixtures("audit_triggers_lifted_for_flush")

# Runs in every document before its own scripts (Playwright injects it outside the page's policy).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber + " (" + (e.sample || "") + ")");
});
"""


@pytest.fixture
def watched(browser, live_server):  # noqa: F811 (pytest hands in the fixture imported above)
    """A page, with a list that collects every CSP violation and script error it reports."""
    problems: list[str] = []
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()

    def console(message) -> None:
        if message.type == "error" and "CSP violation" in message.text:
            problems.append(f"{page.url}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: script error: {error}"))
    yield page, problems
    close_settled(context)


@pytest.mark.browser
def test_the_main_pages_run_without_a_single_csp_violation(watched, world, tmp_path):
    page, problems = watched
    log_in(page, "office")

    # The enterprise list: the filters and the facets swap the table in with htmx.
    response = page.goto(reverse("enterprises:enterprise_list"))
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(list_rows(page)).to_have_count(2)
    search = page.locator("#cb-filter-form input[name=q]")
    search.fill("景柏")
    search.press("Enter")
    expect(list_rows(page)).to_have_count(1)
    page.goto(reverse("enterprises:enterprise_list"))
    facet = page.locator(".list-group-item-action").first
    expect(facet).to_be_visible()
    facet.click()
    expect(page).to_have_url(re.compile(r"\?"))
    expect(page.locator("#list-table")).to_be_visible()

    # A chain's segment graph: ECharts draws on a canvas and shows a node's tooltip as HTML.
    page.goto(world.chains["silk"].get_absolute_url())
    expect(page.locator("#segment-graph canvas")).to_have_count(1)
    page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('segment-graph'))"
        ".dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 0})"
    )
    expect(page.locator("#segment-graph")).to_contain_text("缫丝")

    # An import, from the upload to the checked preview (its status part is polled with htmx).
    path = tmp_path / "名单.csv"
    path.write_text(
        "企业名称,所在县区,产业链\n晋城锦绣丝绸有限公司,140581,丝麻纺织服装产业链\n", encoding="utf-8"
    )
    page.goto(reverse("enterprises:enterprise_import"))
    page.locator("input[name=file]").set_input_files(str(path))
    page.locator("#import-upload-form button[type=submit]").click()
    page.locator("#import-mapping-form button[type=submit]").click()
    expect(page.locator("#import-status")).to_have_attribute("data-status", "ready")

    # The edit form: its region picker searches the server as the user types.
    page.goto(reverse("enterprises:enterprise_edit", args=[world.enterprises["luanfu"].pk]))
    picker = page.locator("select[name=region] + .ts-wrapper")
    picker.click()
    page.keyboard.type("泽州")
    expect(picker.locator(".ts-dropdown .option", has_text="泽州县")).to_have_count(1)

    # The API's interactive documentation.
    page.goto(reverse("api:openapi-view"))
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible()

    assert problems == []


@pytest.mark.browser
def test_the_other_screens_run_without_a_csp_violation(watched, world):
    """Overview, search, a record with its attachments and journal, its history, bulk edit, add and delete
    forms, password change; then the auditor's trail and one entry."""
    from chainboard.models import AuditEntry

    page, problems = watched
    log_in(page, "office")
    luanfu = world.enterprises["luanfu"]
    for url in [
        reverse("home"),
        reverse("search") + "?q=jb",
        luanfu.get_absolute_url(),
        reverse("enterprises:enterprise_history", args=[luanfu.pk]),
        reverse("enterprises:enterprise_bulk_edit") + f"?pk={luanfu.pk}",
        reverse("enterprises:enterprise_add"),
        reverse("enterprises:product_delete", args=[luanfu.products.get().pk]),
        reverse("password_change"),
        reverse("password_change_done"),
    ]:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert "script-src 'self'" in response.headers.get("content-security-policy", ""), url
        page.wait_for_load_state("load")
    page.context.clear_cookies()  # logged out

    log_in(page, "auditor")
    for url in [
        reverse("audit:auditentry_list"),
        reverse("audit:auditentry_detail", args=[AuditEntry.objects.order_by("pk").first().pk]),
    ]:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert "script-src 'self'" in response.headers.get("content-security-policy", ""), url
        page.wait_for_load_state("load")

    assert problems == []


@pytest.mark.browser
def test_an_uploaded_photo_opens_in_the_browser_despite_the_sandbox(watched, world, tmp_path):
    """The sandbox and nosniff of a download still let the browser show an image; an HTML page named
    .png is refused at the upload."""
    from PIL import Image

    page, problems = watched
    photo = tmp_path / "厂房.png"
    Image.new("RGB", (40, 30), (30, 120, 200)).save(photo)
    fake = tmp_path / "假图.png"
    fake.write_bytes(b"<!DOCTYPE html><html><script>alert(1)</script></html>")
    log_in(page, "office")
    luanfu = world.enterprises["luanfu"]

    page.goto(luanfu.get_absolute_url())
    form = page.locator("#attachments form[enctype='multipart/form-data']")
    form.locator("select[name=kind]").select_option("photo")
    form.locator("input[name=file]").set_input_files(str(fake))
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert-danger")).to_contain_text("假图.png")

    form.locator("select[name=kind]").select_option("photo")
    form.locator("input[name=file]").set_input_files(str(photo))
    form.locator("button[type=submit]").click()
    link = page.locator("#attachments a[target=_blank]", has_text="厂房.png")
    expect(link).to_have_count(1)

    response = page.goto(link.get_attribute("href"))
    assert response.headers["content-security-policy"] == "sandbox; default-src 'none'"
    assert response.headers["content-type"] == "image/png"
    assert page.evaluate("document.images.length && document.images[0].naturalWidth") == 40
    assert [p for p in problems if "script error" in p] == []
