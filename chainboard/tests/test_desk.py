"""The desk (the home page's cards, chainboard/desk.py): each role sees its own cards, only numbers and
changes within its scope, every number a link to a list showing the same count, and a query count that
does not grow with the data."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from chainboard import actions, audit, desk
from chainboard.scope import SystemActor

ACTOR = SystemActor("test")


def cards(client) -> dict[str, dict]:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return {card["card"].name: card for card in response.context["cards"]}


def signed_in(client, world, username):
    client.force_login(world.users[username])
    return client


def change(user, instance, **values):
    """A change as a person makes it: audited under their name."""
    with audit.operation(user=user, source=audit.Source.WEB):
        return actions.save_fields(user, instance, version=instance.version, **values)


# ---- which cards each role sees ----------------------------------------------------------------------------

CARDS = {
    "chief": {"counts", "needs_me", "chain_headline", "recent_changes"},
    "office": {"counts", "needs_me", "chain_headline", "recent_changes"},
    "county": {"counts", "needs_me", "chain_headline", "recent_changes"},
    "investment": {"counts", "needs_me", "chain_headline", "recent_changes"},
    "enterprise": {"counts", "needs_me", "chain_headline", "recent_changes"},
    # The auditor and the administrators see their own cards and no business data.
    "auditor": {"counts", "needs_me", "audit_trail"},
    "admin": {"counts", "needs_me", "recent_changes"},
    "security_admin": {"counts", "needs_me", "recent_changes"},
    "outsider": set(),
}


@pytest.mark.parametrize("role", sorted(CARDS))
def test_each_role_sees_its_own_cards(client, world, role):
    assert set(cards(signed_in(client, world, role))) == CARDS[role]


def test_the_administrators_recent_changes_name_no_business_record(client, world):
    office = world.users["office"]
    change(office, world.enterprises["jingbai"], address="泽州县某路1号")
    shown = cards(signed_in(client, world, "admin"))["recent_changes"]["changes"]
    assert shown, "the administrator sees the changes to users and grants"
    assert all(c["entry"].content_type.app_label in {"accounts", "chains", "organisations"} for c in shown)
    # A grant names the enterprise it gives (the administrator's own record); the enterprise's change is
    # not shown.
    assert not any(c["entry"].content_type.model == "enterprise" for c in shown)


def test_the_outsider_sees_the_empty_desk(client, world):
    html = signed_in(client, world, "outsider").get(reverse("home")).content.decode()
    assert "data-desk" not in html


# ---- the strip of counts: sample data, scope in words ---------------------------------------------------------


@pytest.mark.parametrize("role", sorted(CARDS))
def test_the_strips_sample_flags_are_has_sample_in_two_queries_at_most(client, world, role):
    from django.apps import apps

    from accounts.models import User
    from chains.models import Chain
    from enterprises.models import Enterprise
    from projects.models import Project

    user = User.objects.get(pk=world.users[role].pk)
    desk.discover()
    kinds = [apps.get_model(count.model) for count in desk.COUNTS] + [Project]
    desk.scope.grants(user)  # read once per request

    def probed():
        with CaptureQueriesContext(connection) as captured:
            flags = desk.samples_for(user, kinds)
        assert flags == {kind: desk.has_sample(kind, user) for kind in kinds}
        return flags, len(captured)

    # No sample data anywhere (a deployment that purged it): one query.
    flags, queries = probed()
    assert queries == 1 and not any(flags.values())
    # Sample data: an enterprise only the city's scopes hold (泽州其他企业, the other chain), the chains
    # (one in every scope), none of the projects: the scoped probes of the two tables in a second query.
    Enterprise.objects.filter(pk=world.enterprises["zezhou_other"].pk).update(is_sample=True)
    Chain.objects.update(is_sample=True)
    flags, queries = probed()
    assert queries == 2 and not flags[Project]
    if role == "county":  # 高平市 holds the other chain but not 泽州县's enterprise
        assert flags[Chain] and not flags[Enterprise]


def test_the_sample_note_shows_where_the_scope_holds_sample_data(client, world):
    from enterprises.models import Enterprise

    Enterprise.objects.filter(pk=world.enterprises["gaoping_other"].pk).update(is_sample=True)  # 高平市
    client.force_login(world.users["county"])
    assert client.get(reverse("home")).context["sample_note"]
    client.force_login(world.users["office"])  # the silk chain: not 高平其他企业
    response = client.get(reverse("home"))
    assert not response.context["sample_note"]
    assert "data-sample-notice" not in response.content.decode()


def test_the_strip_names_each_scope_once_per_request(client, world):
    from django.apps import apps

    from accounts.models import User

    chief = User.objects.get(pk=world.users["chief"].pk)
    desk.discover()
    with CaptureQueriesContext(connection) as captured:
        counts = desk.counts_for(chief)
    names = [q for q in captured if '"name"' in q["sql"] and "chains_chain" in q["sql"]]
    assert len(names) == 1  # 丝麻纺织服装产业链, asked once for every kind of the chain
    assert {c["scope"] for c in counts if c["scope"]} == {"丝麻纺织服装产业链"}
    for count in counts:
        model = apps.get_model(next(c.model for c in desk.COUNTS if c.label == count["label"]))
        assert count["scope"] == desk.scope.describe(chief, model)


@pytest.mark.parametrize("role", ["chief", "county", "office", "enterprise", "admin"])
def test_the_strip_is_one_query_of_every_count_and_sample_flag(client, world, role):
    from django.apps import apps

    from accounts.models import User
    from chains.models import Chain
    from enterprises.models import Enterprise

    Enterprise.objects.filter(pk=world.enterprises["zezhou_other"].pk).update(is_sample=True)
    Chain.objects.update(is_sample=True)
    user = User.objects.get(pk=world.users[role].pk)
    desk.discover()
    desk.scope.grants(user)  # read once per request, by whichever card comes first
    with CaptureQueriesContext(connection) as captured:
        counts = desk.counts_for(user)
    # One query for the counts and the sample flags; besides it the scopes' names (one per distinct
    # reach) and the projects' grouping by light and stage, which the to-dos and the card read anyway
    # (its sum is the strip's count of projects: ``Count.value``).
    strip = [q for q in captured if '"c0"' in q["sql"]]
    grouping = [q for q in captured if "GROUP BY" in q["sql"]]
    assert len(strip) == 1 and len(grouping) <= 1 and len(captured) <= 3
    by_label = {str(c.label): apps.get_model(c.model) for c in desk.COUNTS}
    for count in counts:
        model = by_label[str(count["label"])]
        assert count["value"] == model.objects.restrict(user, "view").count(), count["label"]
        assert count["sample"] == desk.has_sample(model, user), count["label"]
        assert not count["about"]  # a small world: every count exact


def test_count_all_asks_every_count_in_one_query_and_an_empty_one_is_zero(world):
    from enterprises.models import Enterprise

    querysets = {
        "none": Enterprise.objects.none(),  # a scope that covers nothing: the subquery reads NULL
        "empty": Enterprise.objects.filter(pk__in=[]),
        "all": Enterprise.objects.all(),
        "county": Enterprise.objects.restrict(world.users["county"], "view"),
    }
    with CaptureQueriesContext(connection) as captured:
        counts = desk.count_all(world.users["chief"], querysets)
    assert len(captured) == 1
    assert counts == {key: queryset.count() for key, queryset in querysets.items()}
    assert counts["none"] == counts["empty"] == 0 < counts["county"] < counts["all"]


def test_about_rounds_an_estimate_to_two_significant_figures():
    assert [desk.about(n) for n in (7, 42, 999, 1_034_512, 227_810, 99_500)] == [
        7,
        42,
        1_000,
        1_000_000,
        230_000,
        100_000,
    ]


@pytest.mark.parametrize("exact_below", [3, 10**9])
def test_a_large_whole_table_is_counted_about_on_postgresql_and_exactly_otherwise(
    client, world, settings, exact_below
):
    # On PostgreSQL a count of a whole table (no scope narrows it: the office's organisations) that the
    # statistics say holds at least CHAINBOARD_DESK_EXACT_BELOW rows is the statistics' estimate, marked
    # 约; a scoped count, a small table and every count on SQLite stay exact.
    from organisations.models import Organisation, OrganisationKind

    settings.CHAINBOARD_DESK_EXACT_BELOW = exact_below
    for i in range(4):
        actions.create_direct(ACTOR, Organisation(name=f"机构{i}", kind=OrganisationKind.CITY_BUREAU))
    exact = Organisation.objects.count()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE organisations_organisation")  # reltuples: the rows as analysed
    estimated = connection.vendor == "postgresql" and exact >= exact_below
    client = signed_in(client, world, "chief")
    with translation.override("zh-hans"):
        response = client.get(reverse("home"))
    strip = response.context["cards"][0]["counts"]
    organisations = next(c for c in strip if c["url"] == reverse("organisations:organisation_list"))
    assert organisations["about"] is estimated
    assert organisations["value"] == (desk.about(exact) if estimated else exact)
    assert listed_count(client, organisations["url"]) == exact  # the list counts every row
    html = response.content.decode()
    assert ("data-count-about" in html) is estimated
    if estimated:
        assert f"约{organisations['value']:,}" in html
    # The chain's enterprises are the chief's scope, not a whole table: exact whatever the threshold.
    assert not any(c["about"] for c in strip if c["scope"])


# ---- what needs me -----------------------------------------------------------------------------------------


@pytest.fixture
def todos():
    saved = list(desk.TODOS)
    yield desk.TODOS
    desk.TODOS[:] = saved


def test_nothing_registered_or_nothing_due_reads_nothing_waiting(client, world, todos):
    todos.append(lambda user: [desk.Todo("批示待答复", 0, "/x/")])
    client = signed_in(client, world, "chief")
    assert cards(client)["needs_me"]["todos"] == []
    assert "data-nothing-waiting" in client.get(reverse("home")).content.decode()


def test_registered_items_show_with_their_count_and_link(client, world, todos):
    def mine(user):
        return (
            [desk.Todo("批示待答复", 2, "/instructions/?open=1", "danger")]
            if user.username == "chief"
            else []
        )

    todos.append(mine)
    html = signed_in(client, world, "chief").get(reverse("home")).content.decode()
    assert re.search(
        r'href="/instructions/\?open=1"[^>]*data-todo>\s*<span[^>]*>批示待答复</span>\s*<span[^>]*>2<', html
    )
    assert "data-nothing-waiting" not in html
    assert cards(signed_in(client, world, "office"))["needs_me"]["todos"] == []


def test_the_administrator_is_told_of_locked_accounts(client, world, settings, time_machine):
    from axes.models import AccessAttempt

    # In June: no reminder of next year's working days beside it (chainboard/workdays.py).
    time_machine.move_to(dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC), tick=False)

    AccessAttempt.objects.create(
        username="county",
        ip_address="10.0.0.1",
        user_agent="test",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        attempt_time=timezone.now(),
    )
    todo = cards(signed_in(client, world, "admin"))["needs_me"]["todos"]
    assert [(t.count, t.url) for t in todo] == [(1, reverse("accounts:lockout_list"))]
    assert cards(signed_in(client, world, "office"))["needs_me"]["todos"] == []


# ---- recent changes ----------------------------------------------------------------------------------------


def texts(client) -> list[str]:
    return [c["text"] for c in cards(client)["recent_changes"]["changes"]]


def test_recent_changes_read_as_sentences_and_link_to_the_record(client, world):
    office = world.users["office"]
    office.full_name = "张三"
    office.save(update_fields=["full_name"])
    jingbai = world.enterprises["jingbai"]
    change(office, jingbai, address="泽州县某路1号")
    client = signed_in(client, world, "office")
    client.cookies["django_language"] = "zh-hans"
    first = cards(client)["recent_changes"]["changes"][0]
    assert first["text"] == "张三 修改了 景柏服饰：地址"
    assert first["url"] == reverse("enterprises:enterprise_detail", kwargs={"pk": jingbai.pk})
    assert client.get(first["url"]).status_code == 200


def test_recent_changes_never_reveal_a_record_outside_the_scope(client, world):
    from enterprises.models import Contact

    office = world.users["office"]
    change(office, world.enterprises["jingbai"], address="泽州县某路1号")  # 泽州县, silk chain
    change(office, world.enterprises["luanfu"], address="高平市某路2号")  # 高平市, silk chain
    other = Contact.objects.get(enterprise=world.enterprises["gaoping_other"])
    change(world.users["county"], other, phone="0356-1234567")  # 高平市, other chain
    zezhou_other = world.enterprises["zezhou_other"]
    change(SystemActor("x"), zezhou_other, address="泽州县某路3号")  # nobody but the city sees it

    def seen(username):
        joined = " ".join(texts(signed_in(client, world, username)))
        return {name for name in ("景柏服饰", "潞安府潞绸", "高平其他企业", "泽州其他企业") if name in joined}

    assert seen("county") == {"潞安府潞绸", "高平其他企业"}
    assert seen("office") == {"景柏服饰", "潞安府潞绸"}
    assert seen("chief") == {"景柏服饰", "潞安府潞绸"}
    assert seen("enterprise") == {"景柏服饰"}
    assert seen("investment") == {"景柏服饰", "潞安府潞绸"}


def test_recent_changes_show_at_most_ten(client, world):
    office = world.users["office"]
    jingbai = world.enterprises["jingbai"]
    for n in range(12):
        jingbai = change(office, jingbai, address=f"泽州县某路{n}号")
    assert len(texts(signed_in(client, world, "office"))) == 10


def test_recent_changes_walk_past_the_first_batch_down_to_the_windows_bound(world, monkeypatch):
    from chainboard import recent

    office = world.users["office"]
    jingbai, luanfu = world.enterprises["jingbai"], world.enterprises["luanfu"]
    jingbai = change(office, jingbai, address="泽州县某路1号")  # the enterprise user's only change
    for n in range(30):  # then 30 changes it may not see (潞安府潞绸 is another enterprise)
        luanfu = change(office, luanfu, address=f"高平市某路{n}号")

    def shown(username):
        user = type(office).objects.get(username=username)
        return [
            (c["entry"].object_repr, c["entry"].after.get("address")) for c in recent.recent_changes(user)
        ]

    # Batches of 2, 6, 18, …: the enterprise's change lies in the fourth; the window, the latest 31 entries
    # of the trail, ends at it (the world's own rows are older).
    monkeypatch.setattr(recent, "BATCH", 2)
    monkeypatch.setattr(recent, "GROWTH", 3)
    monkeypatch.setattr(recent, "WINDOW", 31)
    assert shown("enterprise") == [("景柏服饰", "泽州县某路1号")]
    assert shown("office") == [("潞安府潞绸", f"高平市某路{n}号") for n in range(29, 19, -1)]
    # One entry fewer in the window: the enterprise's change is beyond it.
    monkeypatch.setattr(recent, "WINDOW", 30)
    assert shown("enterprise") == []


def test_recent_changes_leave_out_a_deleted_record(client, world):
    from enterprises.models import Product

    office = world.users["office"]
    product = actions.create_direct(
        office, Product(enterprise=world.enterprises["jingbai"], name="桑蚕丝围巾")
    )
    product = change(office, product, name="桑蚕丝披肩")
    client = signed_in(client, world, "office")
    assert any("桑蚕丝披肩" in text for text in texts(client))
    actions.delete(office, product, version=product.version)
    assert not any("桑蚕丝" in text for text in texts(client))


def test_recent_changes_take_three_queries_when_the_newest_batch_holds_ten(world):
    from accounts.models import User
    from chainboard.recent import recent_changes

    office = world.users["office"]
    jingbai = world.enterprises["jingbai"]
    for n in range(12):
        jingbai = change(office, jingbai, address=f"泽州县某路{n}号")
    user = User.objects.get(pk=office.pk)
    recent_changes(user)  # the grants and the content types, read once per request and per process
    with CaptureQueriesContext(connection) as captured:
        assert len(recent_changes(user)) == 10
    assert len(captured) == 3  # the batch, which of its records the user may view, the ten entries


# ---- the chain's headline figures ----------------------------------------------------------------------------


@pytest.fixture
def figures(world):
    from chains.models import AttributeKind, ChainAttribute, ChainStatistic

    silk = world.chains["silk"]
    actions.save_fields(ACTOR, silk, version=silk.version, yearly_landing_target=2)
    for metric, period_type, year, month, value in [
        ("output_value", "year", 2022, None, "300000000"),
        ("output_value", "year", 2023, None, "430000000"),
        ("above_size_count", "month", 2024, 7, "6"),
    ]:
        actions.create_direct(
            ACTOR,
            ChainStatistic(
                chain=silk,
                metric=metric,
                period_type=period_type,
                year=year,
                month=month,
                value=Decimal(value),
            ),
        )
    actions.create_direct(
        ACTOR, ChainAttribute(chain=silk, kind=AttributeKind.COMMITMENT, name="每年招引2个项目")
    )
    return silk


def test_the_headline_shows_each_official_figure_with_its_period_and_the_target(client, world, figures):
    client = signed_in(client, world, "chief")
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("home")).content.decode()
    html = html.split('data-card="chain_headline"', 1)[1].split("data-card=", 1)[0]
    (row,) = cards(client)["chain_headline"]["chains"]
    with translation.override("zh-hans"):
        shown = [(str(f["value"]), f["period"]) for f in row["figures"]]
    assert shown == [("4.3亿元", "2023年"), ("6户", "2024年7月")]
    assert (
        ">3亿元<" not in html and "2022年" not in html
    )  # the latest period of each figure, not an older one
    assert row["target"]["done"] == 0  # the projects app counts the chain's projects landed this year
    assert "0 / 2个" in html and "2024年7月" in html


def test_a_landed_provider_fills_the_target(client, world, figures):
    from chains import desk as chains_desk

    def landed(user, chains, year):
        return {chain.pk: chains_desk.Landed(1, f"/projects/?chain={chain.pk}") for chain in chains}

    chains_desk.register_landed(landed)
    try:
        (row,) = cards(signed_in(client, world, "chief"))["chain_headline"]["chains"]
    finally:
        chains_desk.LANDED_PROVIDERS.remove(landed)
    assert (row["target"]["done"], row["target"]["url"]) == (1, f"/projects/?chain={figures.pk}")


def test_each_role_sees_the_headline_of_its_own_chains_only(client, world, figures):
    def shown(username):
        return {
            row["chain"].name for row in cards(signed_in(client, world, username))["chain_headline"]["chains"]
        }

    assert shown("chief") == {"丝麻纺织服装产业链"}
    assert shown("enterprise") == {"丝麻纺织服装产业链"}  # published facts of the chain it is on
    assert shown("county") == {"丝麻纺织服装产业链", "其他产业链"}


# ---- every number links to a list showing the same count -----------------------------------------------------


def listed_count(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


@pytest.mark.parametrize("role", ["chief", "county", "enterprise", "admin"])
def test_every_count_links_to_a_list_of_as_many_records(client, world, figures, role):
    client = signed_in(client, world, role)
    desk_cards = cards(client)
    for count in desk_cards["counts"]["counts"]:
        assert listed_count(client, count["url"]) == count["value"], count["label"]
    for row in desk_cards.get("chain_headline", {}).get("chains", []):
        assert listed_count(client, row["commitments_url"]) == row["commitments"]
        for figure in row["figures"]:
            assert client.get(figure["url"]).status_code == 200


# ---- queries bounded ---------------------------------------------------------------------------------------


def home_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", ["chief", "county", "enterprise", "auditor", "admin"])
def test_the_home_pages_query_count_does_not_grow_with_the_data(client, world, figures, role):
    from enterprises.models import Enterprise, Membership

    client = signed_in(client, world, role)
    office = world.users["office"]
    jingbai = world.enterprises["jingbai"]
    region = world.regions["140581"]

    def grow(n):
        nonlocal jingbai
        for i in range(n):
            jingbai = change(office, jingbai, address=f"泽州县某路{i}号")
            e = actions.create_direct(ACTOR, Enterprise(name=f"高平企业{i}{n}", region=region))
            actions.create_direct(ACTOR, Membership(enterprise=e, chain=world.chains["silk"]))

    grow(5)
    home_queries(client)  # warm the content types' and grants' caches
    small = home_queries(client)
    grow(45)
    assert small > 3  # the count is real: the session, the strip, the cards
    assert home_queries(client) == small


@pytest.mark.parametrize("role", sorted(CARDS))
def test_restrict_with_joins_covers_the_same_rows_as_restrict(world, role):
    # The probes of recent changes and the sample-data check use joins (scope.restrict(joins=True)):
    # the same rows, only repeated where a to-many relation repeats them.
    from chainboard import scope
    from chainboard.views.generic import registered_viewsets

    user = world.users[role]
    for viewset in registered_viewsets():
        model = viewset.model
        if not hasattr(model.objects, "restrict"):
            continue
        plain = set(model.objects.restrict(user, "view").values_list("pk", flat=True))
        joined = scope.restrict(model._base_manager.all(), user, "view", joins=True)
        assert set(joined.values_list("pk", flat=True)) == plain, model._meta.label
