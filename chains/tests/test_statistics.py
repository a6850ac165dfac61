"""Official chain figures are shown beside sums computed from enterprises, and money reads in 万元/亿元."""

from decimal import Decimal

import pytest
from django.urls import reverse

from chainboard import actions
from chainboard.formatting import count, yuan
from chainboard.scope import SystemActor
from chains.models import ChainStatistic
from enterprises.models import Enterprise, Indicator, Membership

# ---- yuan(): Chinese typesetting of money (rules.md: 4.3亿元, 92万元, no space) --------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (430000000, "4.3亿元"),
        (Decimal("430000000.00"), "4.3亿元"),
        (920000, "92万元"),
        (Decimal("920000.00"), "92万元"),
        (100000000, "1亿元"),
        (123456789, "1.23亿元"),
        (10000, "1万元"),
        (9999, "9999元"),
        (0, "0元"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_yuan_shows_money_in_the_largest_unit_that_reads_well(value, shown):
    assert yuan(value) == shown


def test_yuan_puts_no_space_between_number_and_unit():
    assert " " not in yuan(430000000)


def test_counts_read_with_their_unit_and_unknown_reads_as_a_dash():
    assert count(6) == "6户"
    assert count(None) == "—"


# ---- the chain page ---------------------------------------------------------------------------------------


@pytest.fixture
def silk_statistic(world):
    actor = SystemActor("test")
    return actions.create_direct(
        actor,
        ChainStatistic(
            chain=world.chains["silk"],
            metric="output_value",
            period_type="year",
            year=2023,
            value=Decimal("430000000"),
            source="TA0302 reply",
        ),
    )


def statistics_row(response):
    (row,) = response.context["statistics"]
    return row


def chain_page(client, world, username="office"):
    client.force_login(world.users[username])
    return client.get(reverse("chains:chain_detail", kwargs={"pk": world.chains["silk"].pk}))


def test_chain_page_shows_the_official_figure_beside_the_sum_of_enterprises(client, world, silk_statistic):
    response = chain_page(client, world)
    assert response.status_code == 200
    row = statistics_row(response)
    # world: 景柏服饰 and 潞安府潞绸 are on the silk chain, each with a 2023 output of 100万元.
    assert row["computed"] == Decimal("2000000")
    assert row["counted"] == 2
    html = response.content.decode()
    assert "4.3亿元" in html
    assert "200万元" in html


def test_the_official_figure_is_not_overwritten_by_the_computed_sum(client, world, silk_statistic):
    chain_page(client, world)
    silk_statistic.refresh_from_db()
    assert silk_statistic.value == Decimal("430000000")


def test_a_sum_with_no_sample_rows_carries_no_sample_marker(client, world, silk_statistic):
    response = chain_page(client, world)
    assert statistics_row(response)["includes_samples"] is False
    assert "badge-sample" not in response.content.decode().split('id="statistics"')[1].split("</table>")[0]


def test_a_sum_that_includes_a_sample_indicator_says_so(client, world, silk_statistic):
    actor = SystemActor("test")
    sample = actions.create_direct(
        actor, Enterprise(name="示例丝绸企业", region=world.regions["140581"], is_sample=True)
    )
    actions.create_direct(actor, Membership(enterprise=sample, chain=world.chains["silk"], is_sample=True))
    actions.create_direct(
        actor,
        Indicator(
            enterprise=sample, period_type="year", year=2023, output_value=Decimal("920000"), is_sample=True
        ),
    )
    response = chain_page(client, world)
    row = statistics_row(response)
    assert row["includes_samples"] is True
    assert row["computed"] == Decimal("2920000")
    section = response.content.decode().split('id="statistics"')[1].split("</table>")[0]
    assert "292万元" in section
    assert "badge-sample" in section


def test_the_sum_counts_only_indicators_of_the_official_figures_period(client, world, silk_statistic):
    actor = SystemActor("test")
    actions.create_direct(
        actor,
        Indicator(
            enterprise=world.enterprises["jingbai"],
            period_type="year",
            year=2022,
            output_value=Decimal("50000000"),
        ),
    )
    row = statistics_row(chain_page(client, world))
    assert row["computed"] == Decimal("2000000")


def test_county_staff_see_the_sum_over_their_own_county_only(client, world, silk_statistic):
    # 高平市 staff see 潞安府潞绸 on the silk chain, not 景柏服饰 (泽州县).
    row = statistics_row(chain_page(client, world, "county"))
    assert row["computed"] == Decimal("1000000")
    assert row["counted"] == 1


def test_a_sum_over_fewer_than_three_enterprises_is_withheld_from_roles_without_individual_figures(
    client, world
):
    from decimal import Decimal

    from chainboard import actions
    from chainboard.scope import SystemActor
    from chains.models import ChainStatistic

    silk = world.chains["silk"]
    actions.create_direct(
        SystemActor("test"),
        ChainStatistic(
            chain=silk, metric="output_value", period_type="year", year=2023, value=Decimal("430000000")
        ),
    )
    client.force_login(world.users["investment"])
    rows = client.get(silk.get_absolute_url()).context["statistics"]
    assert rows[0]["withheld"] and rows[0]["computed"] is None  # two enterprises: one could be deduced
    client.force_login(world.users["office"])
    rows = client.get(silk.get_absolute_url()).context["statistics"]
    assert not rows[0]["withheld"] and rows[0]["computed"] == Decimal("2000000")
