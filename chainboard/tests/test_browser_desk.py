"""The desk's cards in a real browser: each card keeps the width of its column, nothing inside a card
runs out of it, and only progress bars take a width from ``data-progress`` (app.js sets it, as the
Content-Security-Policy forbids inline styles). A row of the investment targets card once carried that
attribute and was squeezed to its percentage; the layout is what a user sees, so it is checked here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from chainboard import actions
from chainboard.scope import SystemActor
from chainboard.tests.test_browser import browser, close_settled, expect, log_in, sync_api  # noqa: F401

pytestmark = pytest.mark.usefixtures("audit_triggers_lifted_for_flush")

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}

# Every card's box against its column's content box, each descendant's right edge against its card's, and every element
# app.js sized from data-progress: [{card, width, column, overflowing: [...], sized: [...]}].
LAYOUT = """() => Array.from(document.querySelectorAll("main .card")).filter(c => !c.parentElement.closest(".card"))
  .map(card => {
    const box = card.getBoundingClientRect();
    const style = getComputedStyle(card.parentElement);
    const column = card.parentElement.getBoundingClientRect().width
      - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const overflowing = Array.from(card.querySelectorAll("*")).filter(el => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.right > box.right + 1 && !el.closest(".table-responsive, .overflow-auto");
    }).map(el => el.outerHTML.slice(0, 120));
    const sized = Array.from(card.querySelectorAll("[data-progress]"))
      .filter(el => !(el.classList.contains("progress-bar") && el.parentElement.classList.contains("progress")))
      .map(el => el.outerHTML.slice(0, 120));
    return {card: card.id || card.querySelector(".card-title")?.textContent.trim() || "?",
            width: box.width, column, overflowing, sized};
  })"""


@pytest.fixture
def targets(world):
    actor = SystemActor("test:desk-layout")
    from investment.models import Target

    return actions.create_direct(
        actor,
        Target(
            chain=world.chains["silk"], year=dt.date.today().year, leads_opened=6, signed=3, landed=2,
            amount=Decimal("500000000"),
        ),
    )  # fmt: skip


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def desk_page(request, browser, live_server):  # noqa: F811 - the imported fixture
    context = browser.new_context(base_url=live_server.url, viewport=request.param)
    context.set_default_timeout(15_000)
    yield context.new_page()
    close_settled(context)


@pytest.mark.browser
@pytest.mark.parametrize("username", ["chief", "office", "investment", "county"])
def test_each_desk_card_keeps_its_column_and_nothing_runs_out_of_it(desk_page, world, targets, username):
    page = desk_page
    log_in(page, username)
    expect(page.locator("main .card").first).to_be_visible()
    if username == "investment":
        expect(page.locator("#investment-targets [data-progress-of]")).to_have_count(1)
    cards = page.evaluate(LAYOUT)
    assert cards, "the desk shows no card"
    for card in cards:
        assert card["width"] >= card["column"] - 1, card  # no card squeezed inside its column
        assert card["overflowing"] == [], card
        assert card["sized"] == [], card  # only progress bars are sized from data-progress
