"""The funnel, the targets' progress and the events' outcomes on small fixed data (docs/investment.md):
each figure, each rate, and each link, whose lead list shows exactly the leads the figure counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from chainboard import actions, audit
from chainboard.scope import SystemActor
from chainboard.testing import build_world
from investment import funnel
from investment.outcomes import approximate_date, outcomes
from projects.models import Project, ProjectStage
from regions.models import Region

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("test:funnel")
Y = 2025
D = dt.date


@pytest.fixture
def w():
    from investment.models import Event, Lead, MacroRegion, Target, Team

    w = build_world()
    silk, other = w.chains["silk"], w.chains["other"]
    with audit.operation(user=ACTOR, source=audit.Source.COMMAND, label="test:funnel"):
        jiangsu = Region.objects.create(code="320000", name="江苏省", level=1, path="32", full_name="江苏省")
        Region.objects.create(
            code="320500", name="苏州市", level=2, parent=jiangsu, path="3205", full_name="江苏省苏州市"
        )
        yrd = MacroRegion.objects.get(name="长三角")  # reference data (a migration)
        a = actions.create_direct(ACTOR, Team(name="甲队", chain=silk))
        b = actions.create_direct(ACTOR, Team(name="乙队", chain=silk))
        c = actions.create_direct(ACTOR, Team(name="丙队", chain=other))
        event = actions.create_direct(
            ACTOR,
            Event(
                name="推介会",
                kind="promotion",
                chain=silk,
                date_value=D(2024, 7, 25),
                date_precision="before",
            ),
        )

        def project(name, chain, stage, started=None):
            return actions.create_direct(
                ACTOR,
                Project(name=name, chain=chain, region=w.regions["140581"], stage=stage, started_on=started),
            )

        def lead(key, team, chain=silk, **fields):
            w.leads[key] = actions.create_direct(
                ACTOR,
                Lead(
                    company_name=f"{key}公司",
                    chain=chain,
                    team=team,
                    landing_region=w.regions["140581"],
                    **fields,
                ),
            )

        w.leads = {}
        lead(
            "L1",
            a,
            source_kind="team_visit",
            segment=w.segments["缫丝"],
            home_macro_region=yrd,
            event=event,
            stage="signed",
            opened_on=D(Y, 2, 1),
            negotiating_on=D(Y, 3, 1),
            signed_on=D(Y, 5, 1),
            planned_investment=Decimal("1000000"),
            project=project("P1", silk, ProjectStage.SIGNED),
        )
        lead(
            "L2",
            a,
            source_kind="event",
            segment=w.segments["织造"],
            home_region=Region.objects.get(code="320500"),
            event=event,
            stage="negotiating",
            opened_on=D(Y, 3, 10),
            negotiating_on=D(Y, 4, 1),
        )
        lead(
            "L3",
            a,
            source_kind="team_visit",
            stage="landed",
            opened_on=D(Y - 1, 6, 1),
            negotiating_on=D(Y - 1, 8, 1),
            signed_on=D(Y, 1, 20),
            landed_on=D(Y, 6, 1),
            planned_investment=Decimal("3000000"),
            project=project("P3", silk, ProjectStage.STARTED, D(Y, 6, 1)),
        )
        lead(
            "L4",
            b,
            source_kind="referral",
            referrer=w.enterprises["luanfu"],
            stage="abandoned",
            opened_on=D(Y, 5, 5),
            abandoned_on=D(Y, 7, 1),
            abandon_reason="意向转移",
        )
        lead("L5", None, source_kind="online", stage="contact", opened_on=D(Y, 8, 8))
        lead(
            "L6",
            b,
            source_kind="team_visit",
            stage="in_production",
            opened_on=D(Y - 2, 1, 1),
            signed_on=D(Y - 2, 5, 1),
            landed_on=D(Y - 1, 3, 1),
            in_production_on=D(Y, 9, 1),
            project=project("P6", silk, ProjectStage.IN_PRODUCTION, D(Y - 1, 3, 1)),
        )
        lead("L7", c, chain=other, source_kind="team_visit", stage="signed", opened_on=D(Y, 1, 1),
             signed_on=D(Y, 2, 1), segment=w.segments["other"])  # fmt: skip
        lead("L8", a, source_kind="team_visit", stage="contact", opened_on=D(Y + 1, 1, 5))
        # A project that landed in Y without a lead: the chain's landed count has it, no team's does.
        project("P9", silk, ProjectStage.BUILDING, D(Y, 4, 1))
        actions.create_direct(
            ACTOR,
            Target(chain=silk, team=a, year=Y, leads_opened=5, signed=2, landed=1, amount=Decimal("5000000")),
        )
        actions.save_fields(ACTOR, silk, yearly_landing_target=2)
        actions.create_direct(ACTOR, Target(chain=silk, year=Y, landed=2))
    w.teams = {"a": a, "b": b, "c": c}
    w.event = event
    return w


def counts(row) -> dict[str, int]:
    return {cell.stage: cell.count for cell in row.cells}


def listed(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


def test_the_funnel_by_team_counts_each_stage_reached_in_the_year_in_the_users_scope(w):
    result = funnel.funnel(w.users["investment"], Y, "team")
    rows = {row.name if row.key else "none": counts(row) for row in result.rows}
    assert rows == {
        "甲队": {"opened": 2, "negotiating": 2, "signed": 2, "landed": 1, "in_production": 0, "abandoned": 0},
        "乙队": {"opened": 1, "negotiating": 0, "signed": 0, "landed": 0, "in_production": 1, "abandoned": 1},
        "none": {
            "opened": 1, "negotiating": 0, "signed": 0, "landed": 0, "in_production": 0, "abandoned": 0,
        },
    }  # fmt: skip
    # 丙队 is another chain's: the silk chain's investment team never counts it.
    assert counts(result.total) == {
        "opened": 4, "negotiating": 2, "signed": 2, "landed": 1, "in_production": 1, "abandoned": 1,
    }  # fmt: skip


def test_the_rates_are_each_stage_over_the_leads_opened_in_the_year(w):
    result = funnel.funnel(w.users["investment"], Y, "team")
    a = next(r for r in result.rows if r.name == "甲队")
    rates = {c.stage: c.rate for c in a.cells}
    assert rates == {"opened": None, "negotiating": 1.0, "signed": 1.0, "landed": 0.5, "in_production": 0.0,
                     "abandoned": 0.0}  # fmt: skip
    total = {c.stage: c.rate for c in result.total.cells}
    assert total["signed"] == 0.5 and total["landed"] == 0.25 and total["abandoned"] == 0.25


@pytest.mark.parametrize("by", list(funnel.GROUPINGS))
def test_every_figure_links_to_a_lead_list_showing_exactly_that_many_leads(client, w, by):
    client.force_login(w.users["investment"])
    result = funnel.funnel(w.users["investment"], Y, by)
    assert result.rows
    for row in [*result.rows, result.total]:
        for cell in row.cells:
            assert listed(client, cell.url) == cell.count, (by, row.name, cell.stage, cell.url)


def test_the_other_groupings_count_the_same_leads(w):
    user = w.users["investment"]
    by_source = {r.key: counts(r)["opened"] for r in funnel.funnel(user, Y, "source_kind").rows}
    assert by_source == {"team_visit": 1, "event": 1, "referral": 1, "online": 1}
    by_segment = {r.name: counts(r) for r in funnel.funnel(user, Y, "segment").rows}
    assert by_segment["缫丝"]["signed"] == 1 and by_segment["织造"]["negotiating"] == 1
    by_macro = {r.name: counts(r)["opened"] for r in funnel.funnel(user, Y, "macro_region").rows}
    assert by_macro["长三角"] == 1
    by_province = {r.name: counts(r)["opened"] for r in funnel.funnel(user, Y, "province").rows}
    assert by_province["江苏省"] == 1


def test_the_funnel_takes_one_query_per_grouping_whatever_the_number_of_groups(
    w, django_assert_max_num_queries
):
    user = w.users["investment"]
    funnel.funnel(user, Y, "team")  # grants cached on the user
    with django_assert_max_num_queries(2):  # the counts, the groups' names
        funnel.funnel(user, Y, "team")


def test_the_funnel_page_shows_the_figures_and_the_chart_data(client, w):
    client.force_login(w.users["investment"])
    response = client.get(reverse("investment:funnel"), {"year": Y, "by": "team"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="funnel-chart-data"' in html and "甲队" in html and "丙队" not in html
    assert response.context["chart"]["stages"][0]["value"] == 4
    bad = client.get(reverse("investment:funnel"), {"year": "abc"})
    assert bad.status_code == 400 and "2000" in bad.content.decode()


def test_the_funnel_page_says_when_its_figures_include_sample_data(client, w):
    # rules on sample data: a report whose figures include sample rows says so visibly.
    from investment.models import Lead

    client.force_login(w.users["investment"])
    url = reverse("investment:funnel")
    assert "data-sample-notice" not in client.get(url, {"year": Y}).content.decode()
    Lead.objects.filter(chain=w.chains["silk"]).update(is_sample=True)
    assert "data-sample-notice" in client.get(url, {"year": Y}).content.decode()


def test_the_funnel_api_gives_the_same_figures(client, w):
    from chainboard.models import ApiToken
    from chainboard.models.tokens import hash_token

    raw = ApiToken.generate()
    actions.create_direct(
        ACTOR, ApiToken(user=w.users["investment"], prefix=raw[:8], key_hash=hash_token(raw))
    )
    response = client.get(f"/api/v1/lead_funnel?year={Y}&by=team", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    body = response.json()
    assert {c["stage"]: c["count"] for c in body["total"]["cells"]}["signed"] == 2
    assert client.get("/api/v1/lead_funnel?year=1900", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 422


def test_an_enterprise_user_counts_no_leads(client, w):
    client.force_login(w.users["enterprise"])
    assert client.get(reverse("investment:funnel")).status_code == 403


def test_a_teams_progress_against_its_target(w):
    chief = w.users["chief"]
    [progress] = funnel.progress(chief, Y, teams=[w.teams["a"]])
    figures = {f.measure: f for f in progress.figures}
    assert (figures["leads_opened"].done, figures["leads_opened"].target) == (2, 5)
    assert (figures["signed"].done, figures["signed"].target) == (2, 2) and figures["signed"].met
    assert (figures["landed"].done, figures["landed"].target) == (1, 1)
    if funnel.may_see_amounts(chief):
        assert figures["amount"].done == Decimal("4000000") and figures["amount"].target == Decimal("5000000")
    else:
        assert figures["amount"].hidden and figures["amount"].done is None


def test_the_chains_landed_count_is_the_headline_cards(client, w):
    """One definition: the projects that reached 开工 in the year, lead or no lead (P3 and P9)."""
    from chains.desk import LANDED_PROVIDERS

    silk = w.chains["silk"]
    chief = w.users["chief"]
    [progress] = funnel.progress(chief, Y, chains=[silk])
    figures = {f.measure: f for f in progress.figures}
    headline = {}
    for provider in LANDED_PROVIDERS:
        headline.update(provider(chief, [silk], Y))
    assert figures["landed"].done == headline[silk.pk].count == 2
    assert figures["landed"].target == 2  # Chain.yearly_landing_target
    assert figures["landed"].url == headline[silk.pk].url
    assert (figures["leads_opened"].done, figures["signed"].done) == (4, 2)
    client.force_login(chief)
    for f in progress.figures:
        if f.measure in ("leads_opened", "signed"):
            assert listed(client, f.url) == f.done


def test_the_team_page_and_the_desk_show_the_progress(client, w, time_machine):
    time_machine.move_to(dt.datetime(Y, 11, 15, 9, tzinfo=dt.UTC), tick=False)
    client.force_login(w.users["investment"])
    page = client.get(w.teams["a"].get_absolute_url()).content.decode()
    assert 'id="target-progress"' in page
    home = client.get(reverse("home")).content.decode()
    assert 'id="investment-targets"' in home and "甲队" in home and "丙队" not in home


def test_an_events_outcomes_are_its_leads_beside_the_reported_figures(client, w):
    chief = w.users["chief"]
    out = outcomes(chief, w.event)
    assert (out["leads"], out["signed"]) == (2, 1)
    assert out["reported"] is False  # the source gives no figures: none are shown as zeros
    if not out["amount_hidden"]:
        assert out["amount"] == Decimal("1000000")
    client.force_login(chief)
    assert listed(client, out["leads_url"]) == 2
    assert listed(client, out["signed_url"]) == 1
    html = client.get(w.event.get_absolute_url()).content.decode()
    assert 'id="event-outcomes"' in html and "2024-07-25前" in html


def test_approximate_dates_read_as_the_source_gives_them():
    with translation.override("zh-hans"):
        assert approximate_date(D(2024, 7, 1), "month") == "2024年7月"
        assert approximate_date(D(2024, 7, 25), "before") == "2024-07-25前"
        assert approximate_date(D(2024, 1, 1), "year") == "2024年"
        assert approximate_date(D(2024, 7, 25), "day") == "2024-07-25"
        assert approximate_date(None, "unknown") == "—"
