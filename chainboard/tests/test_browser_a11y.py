"""Every kind of page is usable by assistive technology and on a phone, in a real browser.

axe-core (from npm, ``node_modules/axe-core``) runs on one page of each kind, in zh-hans, for the chain
office and for an enterprise user: no serious or critical violation. At a phone's width (390×844) the same
kinds fit the screen: the page never scrolls sideways, no tag (badge) is cut off, wide tables scroll inside
their card, and the chain page's segment graph draws no node or label over another (positions read from the
ECharts instance). docs/accessibility.md says what is held and how to add a page.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.urls import reverse

# The browser, the live server and the log-in come from the main module; conftest.py lifts the audit
# triggers for the flush.
from chainboard.tests.test_browser import (  # noqa: F401 (fixtures)
    TIMEOUT_MS,
    browser,
    close_settled,
    expect,
    log_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("audit_triggers_lifted_for_flush")]

AXE_SOURCE = settings.NODE_MODULES / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
BLOCKING = {"serious", "critical"}

# Longest-path layers 2-2-1-2-2, as the demo's silk chain: on a phone, side by side, the labels collide.
EXTRA_SEGMENTS = ["栽桑养蚕", "麻纺纱线", "针织面料", "染整", "婚庆文化", "家纺"]
EXTRA_LINKS = [
    ("栽桑养蚕", "缫丝"),
    ("麻纺纱线", "织造"),
    ("麻纺纱线", "针织面料"),
    ("针织面料", "染整"),
    ("织造", "染整"),
    ("织造", "婚庆文化"),
    ("染整", "服装"),
    ("染整", "家纺"),
]
LONG_TAG = "编制《晋城市重点产业发展概况》《晋城市十大重点产业链链长链主工作联络手册》并逐季更新"


def pages_of_each_kind(world, username: str) -> list[tuple[str, str]]:
    """(kind, URL) for one page of each kind the user may open."""
    chain = world.chains["silk"].get_absolute_url()
    own = world.enterprises["jingbai"]
    common = [
        ("home", reverse("home")),
        ("list", reverse("enterprises:enterprise_list")),
        ("detail", own.get_absolute_url()),
        ("edit form", reverse("enterprises:enterprise_edit", args=[own.pk])),
        ("history", reverse("enterprises:enterprise_history", args=[own.pk])),
        ("search", reverse("search") + "?q=景柏"),
        ("chain with its graph", chain),
    ]
    if username == "office":
        common.append(("import", reverse("enterprises:enterprise_import")))
        common.append(("list with tags beside links", reverse("chains:segmentlink_list")))
    if username == "auditor":
        return [("audit", reverse("audit:auditentry_list"))]
    return common


def add_segments_and_a_long_tag(world) -> None:
    from chainboard import actions, audit
    from chainboard.scope import SystemActor
    from chains.models import AttributeKind, ChainAttribute, Segment, SegmentLink

    silk = world.chains["silk"]
    actor = SystemActor("test")
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="test:graph"):
        segments = dict(world.segments)
        for order, name in enumerate(EXTRA_SEGMENTS, start=10):
            segments[name] = actions.create_direct(actor, Segment(chain=silk, name=name, order=order))
        for up, down in EXTRA_LINKS:
            # Marked sample, as the demo's inferred edges are: the list shows a tag beside each link.
            link = SegmentLink(upstream=segments[up], downstream=segments[down], is_sample=True)
            actions.create_direct(actor, link)
        actions.create_direct(
            actor, ChainAttribute(chain=silk, kind=AttributeKind.SPECIAL_ACTION, name=LONG_TAG)
        )


@pytest.fixture
def contexts(browser, live_server):  # noqa: F811 (pytest hands in the fixture imported above)
    """Opens browser contexts at a given viewport on the live server; closes them after the test."""
    opened = []

    def new_page(viewport):
        context = browser.new_context(base_url=live_server.url, viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context.new_page()

    yield new_page
    for context in opened:
        close_settled(context)


def open_page(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url} answered {response and response.status}"
    page.wait_for_load_state("networkidle")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")


def axe_problems(page) -> list[str]:
    """Serious and critical axe-core violations on the page, one line per rule with its first elements.

    The script is evaluated through the DevTools protocol (Playwright's evaluate), which the page's
    Content-Security-Policy does not govern, so the page is checked with its policy in force."""
    assert AXE_SOURCE.exists(), f"{AXE_SOURCE} is missing: `npm ci` installs axe-core (package.json)"
    page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
             id: v.id, impact: v.impact, targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
             summary: v.nodes.length ? v.nodes[0].failureSummary : ""}))"""
    )
    return [
        f"{v['impact']} {v['id']}: {', '.join(v['targets'])} ({v['summary']})"
        for v in violations
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("username", ["office", "enterprise", "auditor"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_page_kind_has_a_serious_or_critical_axe_violation(contexts, world, username, viewport):
    add_segments_and_a_long_tag(world)
    page = contexts(viewport)
    problems = {}
    open_page(page, reverse("login"))
    problems["log-in"] = axe_problems(page)
    log_in(page, username)
    for kind, url in pages_of_each_kind(world, username):
        open_page(page, url)
        problems[f"{kind} {url}"] = axe_problems(page)
    failing = {kind: found for kind, found in problems.items() if found}
    assert not failing, json.dumps(failing, ensure_ascii=False, indent=2)


# Measured in the page: the document's width, badges cut off or out of the screen, tables not in a
# scrolling box of their own.
LAYOUT_PROBLEMS = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width) {
    problems.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " > " + width + " px");
  }
  const scroller = el => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(p).overflowX)) return p;
    }
    return null;
  };
  document.querySelectorAll("main .badge").forEach(badge => {
    const box = badge.getBoundingClientRect();
    if (!box.width) return;
    const cut = badge.scrollWidth > badge.clientWidth + 1;
    const outside = !scroller(badge) && (box.left < 0 || box.right > width + 0.5);
    if (cut || outside) problems.push("tag clipped: " + badge.textContent.trim().slice(0, 30));
  });
  document.querySelectorAll("main table").forEach(table => {
    const box = scroller(table);
    if (!box) { problems.push("table outside a scrolling box: " + table.className); return; }
    const edge = box.getBoundingClientRect();
    if (edge.left < 0 || edge.right > width + 0.5) problems.push("table's scrolling box runs off the screen");
  });
  return problems;
}"""

# Each node's circle and its label (drawn under it) as boxes in px, from the ECharts instance's own option
# and its public convertToPixel; text measured with the chart's font size.
GRAPH_BOXES = """() => {
  const el = document.getElementById("segment-graph");
  const chart = echarts.getInstanceByDom(el);
  const series = chart.getOption().series[0];
  const fontSize = (series.label && series.label.fontSize) || 12;
  const canvas = document.createElement("canvas").getContext("2d");
  canvas.font = fontSize + "px " + getComputedStyle(document.body).fontFamily;
  return series.data.map(node => {
    const at = chart.convertToPixel({seriesIndex: 0}, node.value || [node.x, node.y]);
    const size = node.symbolSize || series.symbolSize;
    const text = canvas.measureText(node.name).width;
    return {
      name: node.name, width: el.clientWidth,
      circle: [at[0] - size / 2, at[1] - size / 2, at[0] + size / 2, at[1] + size / 2],
      label: [at[0] - text / 2, at[1] + size / 2 + 5, at[0] + text / 2, at[1] + size / 2 + 5 + fontSize],
    };
  });
}"""


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def graph_problems(page) -> list[str]:
    nodes = page.evaluate(GRAPH_BOXES)
    problems = []
    shapes = [(f"{n['name']} ({part})", n[part]) for n in nodes for part in ("circle", "label")]
    for i, (name_a, a) in enumerate(shapes):
        if a[0] < 0 or a[2] > nodes[0]["width"]:
            problems.append(f"{name_a} runs out of the chart")
        for name_b, b in shapes[i + 1 :]:
            if overlaps(a, b):
                problems.append(f"{name_a} overlaps {name_b}")
    return problems


def test_every_page_kind_fits_a_phone_and_the_graph_draws_nothing_over_anything(contexts, world):
    add_segments_and_a_long_tag(world)
    page = contexts(PHONE)
    open_page(page, reverse("login"))
    found = {"log-in": page.evaluate(LAYOUT_PROBLEMS)}
    log_in(page, "office")
    for kind, url in pages_of_each_kind(world, "office"):
        open_page(page, url)
        found[f"{kind} {url}"] = page.evaluate(LAYOUT_PROBLEMS)

    open_page(page, world.chains["silk"].get_absolute_url())
    expect(page.locator("#segment-graph canvas")).to_have_count(1)
    expect(page.locator("main .badge", has_text=LONG_TAG[:10])).to_be_visible()
    assert len(page.evaluate(GRAPH_BOXES)) == 3 + len(EXTRA_SEGMENTS)
    found["segment graph"] = graph_problems(page)

    # Turned sideways the card is wide enough for the layers side by side: the graph relayouts.
    page.set_viewport_size({"width": 844, "height": 390})
    expect(page.locator("#segment-graph")).to_have_attribute("data-layout", "horizontal")
    found["segment graph, phone turned"] = graph_problems(page)
    page.set_viewport_size(PHONE)
    expect(page.locator("#segment-graph")).to_have_attribute("data-layout", "vertical")

    failing = {kind: problems for kind, problems in found.items() if problems}
    assert not failing, json.dumps(failing, ensure_ascii=False, indent=2)
