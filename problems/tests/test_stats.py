"""The closed loop's statistics (problems/stats.py): each figure's arithmetic on a small fixed set of
problems, working days across National Day 2025, the user's scope, and every figure's link opening the
problem list with exactly as many problems as the figure says."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Grant, User
from accounts.roles import Role
from chainboard import actions, workdays
from chainboard.scope import SystemActor
from chainboard.testing import build_world
from organisations.models import Organisation
from problems import stats
from problems.models import Problem, ProblemKind

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("test:stats")
YEAR = 2025
D = dt.date


@pytest.fixture
def w():
    w = build_world()
    w.units = {
        "bureau": w.organisations["bureau"],
        "gaoping": actions.create_direct(
            ACTOR, Organisation(name="高平市人民政府", kind="county_government", region=w.regions["140581"])
        ),
    }
    city_office = User(username="city_office", full_name="市链长办")  # the office of every chain
    city_office.set_unusable_password()
    actions.create_direct(ACTOR, city_office)
    actions.create_direct(ACTOR, Grant(user=city_office, role=Role.OFFICE))
    w.users["city_office"] = city_office
    w.kinds = {k.name: k for k in ProblemKind.objects.all()}
    w.problems = {}

    def problem(key, enterprise, unit, kind, assigned, answered, due, closed, rating="", reopened=0, **extra):
        p = actions.create_direct(
            ACTOR,
            Problem(
                title=key,
                kind=w.kinds[kind],
                enterprise=w.enterprises[enterprise],
                handling_unit=w.units[unit],
            ),
        )
        Problem.objects.filter(pk=p.pk).update(
            state=extra.pop("state", "closed"),
            assigned_on=assigned,
            answered_on=answered,
            due_on=due,
            closed_on=closed,
            rating=rating,
            reopen_count=reopened,
            **extra,
        )
        w.problems[key] = p

    # 泽州县 (景柏服饰, 泽州其他企业) and 高平市 (潞安府潞绸, 高平其他企业 in 米山镇).
    # Across National Day 2025: 1–8 October off, Sunday 28 September and Saturday 11 October worked.
    problem("before", "jingbai", "bureau", "融资", D(2025, 9, 26), D(2025, 9, 30), D(2025, 10, 10), D(2025, 9, 30), "satisfied")  # fmt: skip
    problem("across", "jingbai", "bureau", "融资", D(2025, 9, 30), D(2025, 10, 9), D(2025, 10, 9), D(2025, 10, 11), "dissatisfied", 1)  # fmt: skip
    # Due 10 March, extended to 20 March (the deadline moved): closed on 18 March, on time.
    problem("extended", "luanfu", "gaoping", "用工", D(2025, 3, 3), D(2025, 3, 17), D(2025, 3, 20), D(2025, 3, 18), "basically_satisfied", extension_requested_days=8)  # fmt: skip
    problem("late", "gaoping_other", "gaoping", "融资", D(2025, 3, 3), D(2025, 3, 14), D(2025, 3, 10), D(2025, 3, 14), "satisfied")  # fmt: skip
    # Not counted: closed another year, or not closed.
    problem("last_year", "luanfu", "gaoping", "融资", D(2024, 12, 2), D(2024, 12, 5), D(2024, 12, 10), D(2024, 12, 6), "satisfied")  # fmt: skip
    problem("open", "zezhou_other", "bureau", "用工", D(2025, 5, 6), None, D(2025, 5, 13), None, state="in_progress")  # fmt: skip
    return w


def by_label(result: stats.Statistics) -> dict[str, stats.Figures]:
    return {row.label: row.figures for row in result.rows}


def test_the_on_time_rate_counts_an_approved_extension_as_the_moved_deadline(w):
    total = stats.compute(w.users["city_office"], YEAR, "unit").total
    assert (total.closed, total.on_time, total.late) == (
        4,
        2,
        2,
    )  # before, extended on time; across, late late
    assert total.on_time_rate == 0.5


def test_handling_time_is_counted_in_working_days_across_national_day(w):
    # 26 Sep (Fri) → 30 Sep: Sunday 28th (worked), 29th, 30th: 3 working days.
    assert workdays.between(D(2025, 9, 26), D(2025, 9, 30)) == 3
    # 30 Sep → 9 Oct: 1–8 October off: 1 working day.
    assert workdays.between(D(2025, 9, 30), D(2025, 10, 9)) == 1
    bureau = by_label(stats.compute(w.users["city_office"], YEAR, "unit"))["晋城市工业和信息化局"]
    assert (bureau.handled, bureau.handling_days) == (2, 4)
    assert bureau.average_handling_days == 2.0
    # 3 → 17 March 2025: ten working days; 3 → 14 March: nine.
    gaoping = by_label(stats.compute(w.users["city_office"], YEAR, "unit"))["高平市人民政府"]
    assert gaoping.average_handling_days == 9.5


def test_handling_time_across_spring_festival_and_the_new_year(w):
    college = actions.create_direct(ACTOR, Organisation(name="晋城职业技术学院", kind="college"))
    for title, assigned_on, answered_on in (
        # Spring Festival 2025: 28 January – 4 February off, Sunday 26 January and Saturday 8 February worked.
        ("spring", D(2025, 1, 24), D(2025, 2, 10)),
        # 1 January 2025 off; assigned in one year, answered in the next.
        ("new_year", D(2024, 12, 30), D(2025, 1, 3)),
    ):
        p = actions.create_direct(
            ACTOR,
            Problem(
                title=title, kind=w.kinds["审批"], enterprise=w.enterprises["jingbai"], handling_unit=college
            ),
        )
        Problem.objects.filter(pk=p.pk).update(
            state="closed",
            assigned_on=assigned_on,
            answered_on=answered_on,
            due_on=answered_on,
            closed_on=answered_on,
        )
    assert workdays.between(D(2025, 1, 24), D(2025, 2, 10)) == 7
    assert workdays.between(D(2024, 12, 30), D(2025, 1, 3)) == 3
    figures = by_label(stats.compute(w.users["city_office"], YEAR, "unit"))["晋城职业技术学院"]
    assert (figures.handled, figures.handling_days, figures.average_handling_days) == (2, 10, 5.0)


def test_the_average_is_the_mean_of_workdays_between_over_the_closed_problems(w):
    closed = Problem.objects.filter(state="closed", closed_on__year=YEAR)
    expected = [workdays.between(p.assigned_on, p.answered_on) for p in closed]
    total = stats.compute(w.users["city_office"], YEAR, "month").total
    assert total.average_handling_days == sum(expected) / len(expected)


def test_handling_days_agree_with_workdays_between_over_the_whole_window(w):
    # Assigned on days spread over the five years before YEAR and YEAR itself (holidays, adjusted
    # weekend days, year ends), answered 0 to 44 days later: the SQL's working-day numbers give what
    # workdays.between gives, problem by problem.
    template = Problem.objects.get(title="before")
    fields = [f.attname for f in Problem._meta.concrete_fields if f.attname not in ("id", "title")]
    first = D(YEAR - stats.LOOKBACK_YEARS, 1, 1)
    spread = []
    for i in range(80):
        assigned = first + dt.timedelta(days=27 * i)
        answered = min(assigned + dt.timedelta(days=(i * 11) % 45), D(YEAR, 12, 31))
        values = {f: getattr(template, f) for f in fields}
        values.update(assigned_on=assigned, answered_on=answered, closed_on=D(YEAR, 12, 31))
        spread.append(Problem(title=f"spread{i}", **values))
    Problem.objects.bulk_create(spread)
    closed = Problem.objects.filter(state="closed", closed_on__year=YEAR)
    expected = sum(workdays.between(p.assigned_on, p.answered_on) for p in closed)
    assert expected > 80 * 10  # the spread counts days
    total = stats.compute(w.users["city_office"], YEAR, "total").total
    assert (total.handled, total.handling_days) == (len(closed), expected)


def test_satisfaction_is_the_share_of_each_rating_and_reopened_counts_problems(w):
    total = stats.compute(w.users["city_office"], YEAR, "kind").total
    assert total.ratings == {"satisfied": 2, "basically_satisfied": 1, "dissatisfied": 1}
    assert (total.share("satisfied"), total.share("basically_satisfied"), total.share("dissatisfied")) == (
        0.5,
        0.25,
        0.25,
    )
    assert total.reopened == 1


def test_groupings_by_kind_county_and_month(w):
    office = w.users["city_office"]
    kinds = by_label(stats.compute(office, YEAR, "kind"))
    assert {k: f.closed for k, f in kinds.items()} == {"融资": 3, "用工": 1}
    counties = by_label(stats.compute(office, YEAR, "county"))
    assert {k: f.closed for k, f in counties.items()} == {"泽州县": 2, "高平市": 2}  # 米山镇 is in 高平市
    months = stats.compute(office, YEAR, "month")
    assert [(row.key, row.figures.closed) for row in months.rows] == [(3, 2), (9, 1), (10, 1)]


def test_a_county_users_statistics_count_only_its_county(w):
    total = stats.compute(w.users["county"], YEAR, "unit").total
    assert total.closed == 2  # 潞安府潞绸 and 高平其他企业, not 泽州县's two
    assert (total.on_time, total.late) == (1, 1)


def test_one_query_per_grouping_whatever_the_data(w):
    def queries(by):
        with CaptureQueriesContext(connection) as ctx:
            stats.compute(w.users["city_office"], YEAR, by)
        return len(ctx.captured_queries)

    queries("unit")  # the user's grants, read once per request
    before = {by: queries(by) for by in stats.GROUPINGS}
    fields = [f.attname for f in Problem._meta.concrete_fields if f.attname != "id"]
    Problem.objects.bulk_create(  # twice the problems
        [Problem(**{f: getattr(p, f) for f in fields}) for p in Problem.objects.filter(state="closed")]
    )
    assert {by: queries(by) for by in stats.GROUPINGS} == before
    # The figures, the groups' names, and the override table once for the calendar's whole window.
    assert max(before.values()) <= 3


def test_an_administrators_change_to_the_working_days_counts_at_the_next_view(w):
    from chainboard.models import WorkdayOverride

    office = w.users["city_office"]
    # 3 → 17 March 2025: ten working days; 3 → 14 March: nine (the average 9.5).
    assert by_label(stats.compute(office, YEAR, "unit"))["高平市人民政府"].handling_days == 19
    # Monday 10 March off (both problems count it), Saturday 15 March worked (the one answered on the 17th).
    WorkdayOverride.objects.create(date=D(2025, 3, 10), is_workday=False, note="停电")
    WorkdayOverride.objects.create(date=D(2025, 3, 15), is_workday=True, note="加班")
    assert workdays.between(D(2025, 3, 3), D(2025, 3, 17)) == 10
    assert workdays.between(D(2025, 3, 3), D(2025, 3, 14)) == 8
    assert by_label(stats.compute(office, YEAR, "unit"))["高平市人民政府"].handling_days == 18
    # An override taken back: Saturday 15 March is a weekend day again.
    WorkdayOverride.objects.filter(date=D(2025, 3, 15)).delete()
    assert by_label(stats.compute(office, YEAR, "unit"))["高平市人民政府"].handling_days == 17


def _figure_links(figures: stats.Figures) -> list[tuple[str, int]]:
    out = [
        (figures.url(), figures.closed),
        (figures.url(on_time="true"), figures.on_time),
        (figures.url(on_time="false"), figures.late),
        (figures.url(reopened="true"), figures.reopened),
    ]
    out += [(figures.url(rating=r), figures.ratings[r]) for r in stats.RATINGS]
    return out


@pytest.mark.parametrize("username", ["city_office", "office", "county"])
def test_every_figure_links_to_a_list_of_exactly_its_problems(client, w, username):
    client.force_login(w.users[username])
    checked = 0
    for by in stats.GROUPINGS:
        result = stats.compute(w.users[username], YEAR, by)
        for figures in [row.figures for row in result.rows] + [result.total]:
            for url, count in _figure_links(figures):
                response = client.get(url)
                assert response.status_code == 200, url
                assert response.context["page"].paginator.count == count, (by, url)
                checked += 1
    assert checked > 40


def test_the_statistics_page_shows_the_figures_with_their_links(client, w):
    client.force_login(w.users["city_office"])
    response = client.get(reverse("problems:problem_statistics"), {"year": YEAR, "by": "kind"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "融资" in html and "50.0%" in html  # the total's on-time rate
    total = response.context["total"]
    assert total["closed"] == 4 and "closed_year=2025" in total["closed_url"]


def test_a_mistyped_year_says_so_and_shows_this_year(client, w):
    client.force_login(w.users["city_office"])
    response = client.get(reverse("problems:problem_statistics"), {"year": "20x5"})
    assert response.status_code == 200
    assert "20x5" in response.content.decode()


def test_the_page_is_refused_to_a_user_who_may_not_view_problems(client, w):
    client.force_login(w.users["auditor"])
    assert client.get(reverse("problems:problem_statistics")).status_code == 403


def test_the_api_gives_the_same_figures(client, w):
    from chainboard.models import ApiToken
    from chainboard.models.tokens import hash_token

    raw = ApiToken.generate()
    actions.create_direct(ACTOR, ApiToken(user=w.users["county"], prefix=raw[:8], key_hash=hash_token(raw)))
    response = client.get(
        "/api/v1/problem_statistics/",
        {"year": YEAR, "by": "unit"},
        headers={"authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["total"]["closed"] == 2
    assert [row["label"] for row in body["rows"]] == ["高平市人民政府"]


def test_the_api_refuses_a_user_who_may_not_view_problems(client, w):
    from chainboard.models import ApiToken
    from chainboard.models.tokens import hash_token

    raw = ApiToken.generate()
    actions.create_direct(ACTOR, ApiToken(user=w.users["auditor"], prefix=raw[:8], key_hash=hash_token(raw)))
    response = client.get("/api/v1/problem_statistics/", headers={"authorization": f"Bearer {raw}"})
    assert response.status_code == 403


@pytest.mark.parametrize(("username", "shown"), [("chief", True), ("office", True), ("county", False)])
def test_the_chief_and_the_office_see_this_years_rates_on_their_desk(client, w, username, shown):
    from django.utils import timezone

    this_year = timezone.localdate().year
    Problem.objects.filter(state="closed", closed_on__year=YEAR).update(closed_on=dt.date(this_year, 1, 2))
    client.force_login(w.users[username])
    response = client.get(reverse("home"))
    cards = {c["card"].name: c for c in response.context["cards"]}
    assert ("problem_statistics" in cards) is shown
    if shown:
        f = cards["problem_statistics"]["f"]
        for url, count in [
            (f["closed_url"], f["closed"]),
            (f["on_time_url"], f["on_time"]),
            (f["late_url"], f["late"]),
        ]:
            assert client.get(url).context["page"].paginator.count == count
        assert f["closed"] == 3  # the silk chain's closed problems; 高平其他企业 is on the other chain


def test_the_lists_enterprise_filter_is_a_picker_that_filters(client, w):
    client.force_login(w.users["city_office"])
    jingbai = w.enterprises["jingbai"]
    response = client.get(reverse("problems:problem_list"), {"enterprise": jingbai.pk})
    assert response.context["page"].paginator.count == 2  # "before" and "across"
    assert "潞安府潞绸</option>" not in response.content.decode()  # only the chosen enterprise is an option
    found = client.get(reverse("enterprises:enterprise_lookup"), {"q": "景柏"}).json()["results"]
    assert [r["text"] for r in found] == ["景柏服饰"]
    client.force_login(w.users["county"])  # 高平市: 泽州县's enterprise is not offered
    assert client.get(reverse("enterprises:enterprise_lookup"), {"q": "景柏"}).json()["results"] == []
