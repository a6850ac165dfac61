"""Numbers, dates and sample marks on every screen and export (docs/formatting.md).

A walk over every registered entity's list, detail and export (CSV and XLSX), in Chinese and English,
built from the viewset registry, fails on: a ``.00`` number, an unformatted money value, a space between
a number and its Chinese unit, a date in a second format, a sample row without its mark (screen and
export), and a money column an export holds as text. Then one test per rule the walk cannot see.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from chainboard import actions, formatting
from chainboard.formatting import MONEY, PerRow
from chainboard.scope import SystemActor
from chainboard.tables import SAMPLE_LABEL
from chainboard.testing import build_world
from chainboard.tests.test_scope_matrix import FAST_HASHERS, registered_viewsets

pytestmark = pytest.mark.django_db

LANGUAGES = ["zh-hans", "en"]
VIEWSETS = sorted(registered_viewsets(), key=lambda v: v.url_prefix)

# ---- the data: the shared world plus official figures, sample rows and an enterprise at city level -----


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    from accounts.models import Grant, User
    from accounts.roles import Role
    from chains.models import ChainAttribute, ChainStatistic, Segment, SegmentLink
    from enterprises.models import AboveSizeStatus, Enterprise, Indicator, Membership
    from organisations.models import Person

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("compile_catalog", verbosity=0)
            w = build_world()
            actor = SystemActor("test:numbers")
            silk, other = w.chains["silk"], w.chains["other"]
            for metric, value, sample in (("output_value", 430000000, False), ("above_size_count", 6, False)):
                actions.create_direct(
                    actor,
                    ChainStatistic(
                        chain=silk,
                        metric=metric,
                        period_type="year",
                        year=2023,
                        value=value,
                        is_sample=sample,
                    ),
                )
            actions.create_direct(
                actor, ChainAttribute(chain=silk, kind="special_action", name="企业育强培优")
            )
            actions.create_direct(
                actor, ChainAttribute(chain=silk, kind="fact", name="示例事实", is_sample=True)
            )
            jingbai = w.enterprises["jingbai"]
            actions.create_direct(actor, AboveSizeStatus(enterprise=jingbai, year=2023, is_sample=True))
            actions.create_direct(
                actor, Person(organisation=w.organisations["bureau"], name="联络员", is_sample=True)
            )
            actions.create_direct(actor, Membership(enterprise=jingbai, chain=other, is_sample=True))
            actions.create_direct(
                actor,
                Indicator(
                    enterprise=jingbai,
                    period_type="year",
                    year=2024,
                    output_value=Decimal("52000000.00"),
                    revenue=Decimal("9999.50"),
                    employees=320,
                    electricity=Decimal("2600000.00"),
                    is_sample=True,
                ),
            )
            sample_segment = actions.create_direct(
                actor, Segment(chain=silk, name="示例环节", order=9, is_sample=True)
            )
            actions.create_direct(
                actor, SegmentLink(upstream=w.segments["服装"], downstream=sample_segment, is_sample=True)
            )
            city = actions.create_direct(
                actor,
                Enterprise(
                    name="森鹅",
                    region=w.regions["140500"],
                    longitude=Decimal("112.850000"),
                    latitude=Decimal("35.500000"),
                ),
            )
            actions.create_direct(actor, Membership(enterprise=city, chain=silk))
            _projects(actor, w)
            _closed_loop(w, actor)
            _investment(w, actor)
            # One reader who sees every entity: the chain office everywhere plus the administrator.
            reader = User(username="reader", full_name="reader")
            reader.set_unusable_password()
            reader = actions.create_direct(actor, reader)
            actions.create_direct(actor, Grant(user=reader, role=Role.OFFICE))
            actions.create_direct(actor, Grant(user=reader, role=Role.ADMIN))
            # A time shown on screen: the reader's last log-in.
            User.objects.filter(pk=reader.pk).update(last_login="2026-12-04T06:05:00+00:00")
            w.users["reader"] = User.objects.get(pk=reader.pk)
            yield w
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _investment(w, actor) -> None:
    """Leads and their contacts, teams, members, targets, events, visits, follow-ups: the investment
    matrix's rows (it names the organisations' liaison person, made here as that cast makes it)."""
    from investment.tests.matrix import extend
    from organisations.models import Person

    if not Person.objects.filter(name="工信局联络员").exists():
        actions.create_direct(actor, Person(organisation=w.organisations["bureau"], name="工信局联络员"))
    extend(w, actor)


def _closed_loop(w, actor) -> None:
    """Problems, tasks, meetings, progress notes and kinds: the closed loop's matrix rows."""
    from problems.tests.matrix import extend

    extend(w, actor)


def client_for(client, user, language):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


# ---- what a screen must not show ---------------------------------------------------------------------

TAG = re.compile(r"<[^>]+>")
SCRIPT = re.compile(r"<script.*?</script>|<style.*?</style>", re.S)
TRAILING_ZEROS = re.compile(r"\d\.00(?!\d)")
# A Chinese unit or measure word after a number, with a space between them (rules.md: 6户, not 6 户).
SPACED_UNIT = re.compile(r"\d[ \t\r\n\u00a0\u3000]+[个户家人元万亿条项页位处行次秒天分年月日]")
OTHER_DATES = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|[A-Z][a-z]{2}\.? \d{1,2}, \d{4}")
ISO_DATE_OR_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$")


def text_nodes(html: str) -> list[str]:
    """The page's text, one string per text node (so that no tag boundary looks like a space)."""
    return [t for t in TAG.split(SCRIPT.sub("", html)) if t.strip()]


def screen_problems(html: str, language: str) -> list[str]:
    problems = []
    for node in text_nodes(html):
        if TRAILING_ZEROS.search(node):
            problems.append(f".00 number: {node.strip()!r}")
        if language.startswith("zh") and SPACED_UNIT.search(node):
            problems.append(f"space before a Chinese unit: {node.strip()!r}")
        if OTHER_DATES.search(node):
            problems.append(f"a second date format: {node.strip()!r}")
    return problems


def money_values(obj) -> list[Decimal]:
    """The money the record holds, by its model's measures."""
    out = []
    for name, measure in getattr(type(obj), "measures", {}).items():
        if isinstance(measure, PerRow):
            measure = measure.pick(obj)
        value = getattr(obj, name)
        if measure is MONEY and value is not None:
            out.append(Decimal(value))
    return out


def unformatted_money(html: str, objects) -> list[str]:
    """Money shown as digits (430000000, 9999.50) instead of 4.3亿元: each value's raw forms are looked for
    as whole numbers in the page's text."""
    text = "\x00".join(text_nodes(html))
    problems = []
    for obj in objects:
        for value in money_values(obj):
            if value < 10000 and value == value.to_integral_value():
                continue  # 9999 reads the same formatted or not (9999元 is checked by the unit below)
            for raw in {f"{value:.2f}", f"{value:.0f}", str(value)}:
                if re.search(rf"(?<![\d.,]){re.escape(raw)}(?![\d.,]|元| yuan)", text):
                    problems.append(f"{type(obj).__name__} {obj.pk}: {raw}")
    return problems


def sample_rows_without_mark(html: str, rows) -> list[str]:
    problems = []
    for row in rows:
        obj = row["object"]
        if not getattr(obj, "is_sample", False):
            continue
        url = obj.get_absolute_url()
        marked = [tr for tr in html.split("<tr")[1:] if f'href="{url}"' in tr and "badge-sample" in tr]
        if not marked:
            problems.append(f"{type(obj).__name__} {obj.pk}")
    return problems


def _projects(actor, w) -> None:
    """A project with a plan, a milestone, a round and a filed report, money in each (sample and not)."""
    import datetime as dt

    from projects.models import Milestone, ProgressReport, Project, ProjectPlan, SchedulingRound

    project = actions.create_direct(
        actor,
        Project(
            name="丝绸项目",
            chain=w.chains["silk"],
            region=w.regions["140581"],
            total_investment=Decimal("120000000"),
            planned_start=dt.date(2026, 3, 1),
        ),
    )
    actions.create_direct(
        actor,
        ProjectPlan(project=project, year=2026, planned_investment=Decimal("60000000"), is_sample=True),
    )
    actions.create_direct(actor, Milestone(project=project, name="开工", planned_date=dt.date(2026, 3, 1)))
    round_ = actions.create_direct(actor, SchedulingRound(chain=w.chains["silk"], year=2026, month=6))
    actions.create_direct(
        actor,
        ProgressReport(
            round=round_,
            project=project,
            completed_investment=Decimal("25000000"),
            progress_pct=Decimal("40"),
            is_sample=True,
        ),
    )


# ---- the walk ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewset", VIEWSETS, ids=[v.url_prefix for v in VIEWSETS])
def test_every_list_and_detail_shows_numbers_dates_and_sample_marks_one_way(client, data, viewset, language):
    client = client_for(client, data.users["reader"], language)
    names = viewset.names()
    response = client.get(reverse(names["list"]), {"page_size": 100})
    assert response.status_code == 200
    html = response.content.decode()
    rows = response.context["rows"]
    assert rows, f"{viewset.url_prefix}: the walk needs rows to look at"
    objects = [row["object"] for row in rows]
    problems = screen_problems(html, language) + unformatted_money(html, objects)
    problems += [f"sample row without its mark: {p}" for p in sample_rows_without_mark(html, rows)]
    for obj in objects:
        detail = client.get(obj.get_absolute_url())
        assert detail.status_code == 200, obj
        page = detail.content.decode()
        problems += [f"detail {obj.pk}: {p}" for p in screen_problems(page, language)]
        problems += [f"detail: {p}" for p in unformatted_money(page, [obj])]
        if getattr(obj, "is_sample", False):
            title = page.split('class="page-title', 1)[1].split("</h", 1)[0]
            if "badge-sample" not in title:
                problems.append(f"detail {obj.pk}: sample record without its mark")
    assert not problems, f"{viewset.url_prefix} ({language}): " + "; ".join(dict.fromkeys(problems))


def read_export(response, fmt: str) -> list[list]:
    if fmt == "csv":
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text)))
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewset", VIEWSETS, ids=[v.url_prefix for v in VIEWSETS])
def test_every_export_holds_numbers_iso_dates_and_a_sample_column(client, data, viewset, language, fmt):
    client = client_for(client, data.users["reader"], language)
    model = viewset.model
    response = client.get(reverse(viewset.names()["list"]), {"export": fmt})
    assert response.status_code == 200
    header, *body = read_export(response, fmt)
    assert body
    problems = []
    with translation.override(language):
        money_heading = MONEY.heading("")
        sample_heading = str(SAMPLE_LABEL)
    money_columns = [i for i, h in enumerate(header) if h and h.endswith(money_heading)]
    if any(money_values(obj) for obj in model._base_manager.all()):
        assert money_columns, f"no money column headed {money_heading!r} in {header}"
    for row in body:
        for i in money_columns:
            cell = row[i]
            if cell in (None, ""):
                continue
            if fmt == "xlsx" and not isinstance(cell, int | float):
                problems.append(f"money as text: {cell!r}")
            if fmt == "csv" and not re.fullmatch(r"\d+(\.\d+)?", cell):
                problems.append(f"money not a plain number: {cell!r}")
        for cell in row:
            if isinstance(cell, str) and (TRAILING_ZEROS.search(cell) or OTHER_DATES.search(cell)):
                problems.append(f"cell {cell!r}")
            if (
                isinstance(cell, str)
                and re.match(r"^\d{4}-\d{2}-\d{2}", cell)
                and not ISO_DATE_OR_TIME.match(cell)
            ):
                problems.append(f"not an ISO date: {cell!r}")
            if fmt == "xlsx" and isinstance(cell, str) and ISO_DATE_OR_TIME.match(cell):
                problems.append(f"a date as text, not a date cell: {cell!r}")
    if any(f.name == "is_sample" for f in model._meta.concrete_fields):
        assert header[-1] == sample_heading, header
        flagged = sum(1 for row in body if row[-1] in ("是", "Yes", True))
        samples = model.objects.restrict(data.users["reader"], "view").filter(is_sample=True).count()
        if flagged != samples:
            problems.append(f"{flagged} rows flagged as sample of {samples}")
    if fmt == "xlsx":  # a date the CSV writes as ISO text is a date cell here, the same date
        _header, *as_text = read_export(
            client.get(reverse(viewset.names()["list"]), {"export": "csv"}), "csv"
        )
        for text_row, row in zip(as_text, body, strict=True):
            for text, cell in zip(text_row, row, strict=False):
                if ISO_DATE_OR_TIME.match(text) and not same_date(text, cell):
                    problems.append(f"{text} exported as {cell!r}")
    assert not problems, f"{viewset.url_prefix} {fmt} ({language}): " + "; ".join(dict.fromkeys(problems))


def same_date(text: str, cell) -> bool:
    """Whether an XLSX cell is a date cell holding the date (or time) ``text`` says."""
    return isinstance(cell, dt.datetime) and text in (cell.date().isoformat(), f"{cell:%Y-%m-%d %H:%M:%S}")


def test_the_walk_would_see_each_kind_of_problem():
    """The detectors above, on pages made to fail them (a test that cannot fail is a defect)."""
    assert screen_problems("<td>6.00</td>", "zh-hans")
    assert screen_problems("<span>（1 家企业）</span>", "zh-hans")
    assert screen_problems("<td>2026年12月4日</td>", "zh-hans")
    assert screen_problems("<td>Dec. 4, 2026</td>", "en")
    assert not screen_problems("<td>6户</td><td>2026-12-04 14:05</td><td>2024年7月</td>", "zh-hans")

    class Row:
        pk, is_sample = 1, True
        measures = {"value": MONEY}
        value = Decimal("430000000.00")

        def get_absolute_url(self):
            return "/x/1/"

    assert unformatted_money("<td>430000000.00</td>", [Row()])
    assert not unformatted_money("<td>4.3亿元</td>", [Row()])
    assert sample_rows_without_mark('<tr><td><a href="/x/1/">x</a></td></tr>', [{"object": Row()}])


# ---- one test per rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (Decimal("430000000.00"), "4.3亿元", "430 million yuan"),
        (Decimal("123450000000.00"), "1234.5亿元", "123.45 billion yuan"),
        (Decimal("1234500000000.00"), "12,345亿元", "1,234.5 billion yuan"),
        (Decimal("31000000.00"), "3100万元", "31 million yuan"),
        (Decimal("9999.50"), "9999.5元", "9,999.5 yuan"),
        (None, "—", "—"),
    ],
)
def test_money_reads_in_chinese_typesetting_and_in_english(value, zh, en):
    with translation.override("zh-hans"):
        assert formatting.yuan(value) == zh
    with translation.override("en"):
        assert formatting.yuan(value) == en


def test_counts_are_integers_with_their_unit_and_no_space(data):
    from chainboard.formatting import ENTERPRISES, PEOPLE

    with translation.override("zh-hans"):
        assert str(formatting.Quantity(Decimal("6.00"), ENTERPRISES)) == "6户"
        assert str(formatting.Quantity(320, PEOPLE)) == "320人"
    with translation.override("en"):
        assert str(formatting.Quantity(Decimal("6.00"), ENTERPRISES)) == "6 enterprises"
        assert str(formatting.Quantity(1, ENTERPRISES)) == "1 enterprise"


def test_official_statistics_read_as_money_and_counts_and_export_per_unit(client, data):
    client = client_for(client, data.users["office"], "zh-hans")
    html = client.get(reverse("chains:chainstatistic_list")).content.decode()
    nodes = [n.strip() for n in text_nodes(html)]
    assert "4.3亿元" in nodes and "6户" in nodes
    assert "产值（元）" not in nodes  # the value carries its unit; the metric's name does not repeat it
    response = client.get(reverse("chains:chainstatistic_list"), {"export": "xlsx"})
    header, *body = read_export(response, "xlsx")
    money, count = header.index("数值（元）"), header.index("数值（户）")
    assert 430000000 in [row[money] for row in body]
    assert 6 in [row[count] for row in body]
    assert all(isinstance(row[money], int | float) for row in body if row[money] is not None)


def chain_page(client, data, username, language="zh-hans"):
    client = client_for(client, data.users[username], language)
    return client.get(reverse("chains:chain_detail", kwargs={"pk": data.chains["silk"].pk})).content.decode()


def statistics_section(html: str) -> str:
    return html.split('id="statistics"', 1)[1].split("</table>", 1)[0]


def test_a_county_users_sum_says_it_covers_only_the_county(client, data):
    section = statistics_section(chain_page(client, data, "county"))
    # 潞安府潞绸 is the silk chain's one enterprise in 高平市: 100万元 of output in 2023.
    assert "100万元" in section
    assert "（高平市范围内，1家企业）" in section
    section = statistics_section(chain_page(client, data, "office"))
    assert "（全链，2家企业）" in section  # the office's scope is the whole chain: it says so


def test_a_county_users_overview_counts_say_which_scope_they_cover(client, data):
    client = client_for(client, data.users["county"], "zh-hans")
    html = client.get(reverse("home")).content.decode()
    assert "高平市范围内" in html


def test_the_enterprise_user_sees_the_published_facts_but_no_other_enterprises_figures(client, data):
    html = chain_page(client, data, "enterprise")
    section = statistics_section(html)
    assert "4.3亿元" in section and "6户" in section  # the official figures the source letter published
    assert "企业育强培优" in html  # its special actions
    # The sum covers 景柏服饰 alone: its own 2023 output (100万元), never the chain's other enterprises'.
    assert "（景柏服饰范围内，1家企业）" in section and "100万元" in section
    assert "200万元" not in section and "300万元" not in section
    client = client_for(client, data.users["enterprise"], "zh-hans")
    listed = client.get(reverse("enterprises:indicator_list")).context["rows"]
    assert {row["object"].enterprise_id for row in listed} == {data.enterprises["jingbai"].pk}


def test_a_city_level_region_reads_the_same_in_the_list_the_detail_and_the_export(client, data):
    from enterprises.models import Enterprise

    client = client_for(client, data.users["office"], "zh-hans")
    city = Enterprise.objects.get(name="森鹅")
    listed = client.get(reverse("enterprises:enterprise_list")).content.decode()
    detail = client.get(city.get_absolute_url()).content.decode()
    exported = read_export(client.get(reverse("enterprises:enterprise_list"), {"export": "csv"}), "csv")
    assert any("晋城市（县区未知）" in node for node in text_nodes(listed))
    assert "晋城市（县区未知）" in detail
    assert ["晋城市（县区未知）"] == [row[2] for row in exported[1:] if row[0] == "森鹅"]


def test_a_sample_membership_is_marked_in_the_enterprise_list_and_its_export(client, data):
    client = client_for(client, data.users["reader"], "zh-hans")
    listed = client.get(reverse("enterprises:enterprise_list")).content.decode()
    assert "其他产业链·成员企业（示例数据）" in listed
    assert "丝麻纺织服装产业链·成员企业（示例数据）" not in listed
    exported = read_export(client.get(reverse("enterprises:enterprise_list"), {"export": "xlsx"}), "xlsx")
    (jingbai,) = [row for row in exported[1:] if row[0] == "景柏服饰"]
    assert "其他产业链·成员企业（示例数据）" in jingbai[4]


def test_the_segment_graph_marks_sample_links_and_its_legend_describes_what_is_drawn(client, data):
    from chains.models import Segment

    html = chain_page(client, data, "office")
    legend = html.split('id="segment-graph-legend"', 1)[1].split("</div>", 1)[0]
    graph = html.split('id="segment-graph-data"', 1)[1].split("</script>", 1)[0]
    assert '"sample": true' in graph
    assert "虚线" in legend and "badge-sample" in legend
    assert "红色" not in legend  # no weak segment is drawn, so no red is claimed
    Segment.objects.filter(pk=data.segments["织造"].pk).update(is_weak=True)
    assert "红色为薄弱环节" in chain_page(client, data, "office").split('id="segment-graph-legend"', 1)[1]


def test_the_sample_badge_is_legible(settings):
    """WCAG AA: text on its background at least 4.5:1, computed from the colours app.css declares."""
    css = (settings.BASE_DIR / "chainboard" / "static" / "chainboard" / "css" / "app.css").read_text()
    rule = css.split(".badge-sample {", 1)[1].split("}", 1)[0]
    colour = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", rule).group(1)
    background = re.search(r"background:\s*(#[0-9a-fA-F]{6})", rule).group(1)
    assert contrast(colour, background) >= 4.5
    assert contrast("#f76707", "#fef0e6") < 4.5  # Tabler's orange on orange-lt, the old badge: 2.7:1


def contrast(a: str, b: str) -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_a_history_page_shows_money_and_counts_as_the_record_does(client, data):
    from chains.models import ChainStatistic

    client = client_for(client, data.users["office"], "zh-hans")
    for metric, shown in (("output_value", "4.3亿元"), ("above_size_count", "6户")):
        statistic = ChainStatistic.objects.get(chain=data.chains["silk"], metric=metric)
        url = reverse("chains:chainstatistic_history", kwargs={"pk": statistic.pk})
        html = client.get(url).content.decode()
        assert any(node.strip() == shown for node in text_nodes(html)), metric
        assert not screen_problems(html, "zh-hans")
