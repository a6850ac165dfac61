"""Working days and deadlines (chainboard/workdays.py, docs/workdays.md): statutory holidays and adjusted
working days from chinese-calendar, the override table winning, a provisional year beyond the calendar,
the administrator's page and the November reminder."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from chainboard import audit, desk, workdays
from chainboard.models import AuditEntry, WorkdayOverride, WorkdayYear
from chainboard.scope import SystemActor

pytestmark = pytest.mark.django_db

D = dt.date


def first_uncovered_year() -> int:
    """The first year chinese-calendar does not cover, asked of the library (not written here)."""
    year = D.today().year
    while workdays.calendar_covers(year):
        year += 1
    return year


def test_national_day_2024_and_its_adjusted_weekend_days():
    # 2024: 1–7 October off; Sunday 29 September and Saturday 12 October worked in their place.
    assert workdays.is_workday(D(2024, 9, 29))  # a Sunday, worked
    assert not any(workdays.is_workday(D(2024, 10, day)) for day in range(1, 8))
    assert workdays.is_workday(D(2024, 10, 12))  # a Saturday, worked
    # Assigned on Monday 30 September, 3 working days: 8, 9 and 10 October.
    assert workdays.deadline(D(2024, 9, 30), 3) == workdays.Deadline(D(2024, 10, 10), False)
    # Assigned on Friday 27 September, counted from the next working day: Sunday 29th, Monday 30th,
    # then 8 October.
    assert workdays.deadline(D(2024, 9, 27), 3).due_on == D(2024, 10, 8)
    # 5 working days from 30 September reach the adjusted Saturday.
    assert workdays.deadline(D(2024, 9, 30), 5).due_on == D(2024, 10, 12)
    assert workdays.between(D(2024, 9, 27), D(2024, 10, 12)) == 7


def test_spring_festival_2025_and_its_adjusted_working_days():
    # 2025: 28 January to 4 February off; Sunday 26 January and Saturday 8 February worked.
    assert workdays.is_workday(D(2025, 1, 26))
    assert not workdays.is_workday(D(2025, 1, 28))
    assert not workdays.is_workday(D(2025, 2, 4))
    assert workdays.is_workday(D(2025, 2, 8))
    # Assigned on Friday 24 January: Sunday 26th, Monday 27th, Wednesday 5 February.
    assert workdays.deadline(D(2025, 1, 24), 3) == workdays.Deadline(D(2025, 2, 5), False)
    assert workdays.between(D(2025, 1, 24), D(2025, 2, 5)) == 3
    assert workdays.between(D(2025, 2, 5), D(2025, 1, 24)) == 0
    assert workdays.between(D(2025, 2, 5), D(2025, 2, 5)) == 0


def test_between_across_years_agrees_with_counting_day_by_day():
    start, end = D(2024, 12, 20), D(2025, 1, 10)
    by_hand = sum(workdays.is_workday(start + dt.timedelta(days=i)) for i in range(1, (end - start).days + 1))
    assert workdays.between(start, end) == by_hand
    # New Year's Day 2025 is a Wednesday holiday.
    assert not workdays.is_workday(D(2025, 1, 1))


def test_a_year_the_calendar_does_not_cover_gives_provisional_deadlines_on_plain_weekdays(time_machine):
    year = first_uncovered_year()
    time_machine.move_to(dt.datetime(year - 1, 12, 20, 10, 0), tick=False)
    assert workdays.is_provisional_year(year)
    assert not workdays.is_provisional_year(year - 1)
    # From the last Friday of December on: plain weekdays in the new year, flagged provisional.
    friday = max(D(year - 1, 12, day) for day in range(22, 32) if D(year - 1, 12, day).weekday() == 4)
    due = workdays.deadline(friday, 10)
    assert due.provisional
    counted, day = 0, friday
    while counted < 10:
        day += dt.timedelta(days=1)
        if day.year == year:
            counted += day.weekday() < 5
        else:
            counted += workdays.is_workday(day)
    assert due.due_on == day
    # A deadline that stays inside the covered year is not provisional.
    assert not workdays.deadline(D(year - 1, 3, 2), 2).provisional


def test_the_override_table_wins_and_an_entered_year_is_no_longer_provisional():
    year = first_uncovered_year()
    changed = []
    workdays.schedule_changed.connect(
        lambda sender, year, **kw: changed.append(year), weak=False, dispatch_uid="t"
    )
    try:
        actor = SystemActor("test")
        national_day = D(year, 10, 1)
        with audit.operation(user=actor, source=audit.Source.COMMAND):
            workdays.enter_schedule(actor, year, [(national_day, False, "国庆节")], entered=False)
        assert not workdays.is_workday(national_day)
        assert workdays.is_provisional_year(year)  # not marked complete yet
        with audit.operation(user=actor, source=audit.Source.COMMAND):
            workdays.enter_schedule(actor, year, [(national_day, False, "国庆节")], entered=True)
        assert not workdays.is_provisional_year(year)
        assert not workdays.deadline(D(year, 3, 1), 3).provisional
    finally:
        workdays.schedule_changed.disconnect(dispatch_uid="t")
    # The override also beats chinese-calendar in a year it covers: a Monday made a holiday.
    WorkdayOverride.objects.create(date=D(2024, 3, 4), is_workday=False, note="停工")
    assert not workdays.is_workday(D(2024, 3, 4))
    assert WorkdayYear.objects.get(year=year).entered


def test_schedule_changed_is_sent_after_the_commit(django_capture_on_commit_callbacks):
    year = first_uncovered_year()
    changed = []
    workdays.schedule_changed.connect(
        lambda sender, year, **kw: changed.append(year), weak=False, dispatch_uid="t"
    )
    try:
        actor = SystemActor("test")
        with django_capture_on_commit_callbacks(execute=True):
            workdays.enter_schedule(actor, year, [(D(year, 1, 1), False, "元旦")], entered=True)
        assert changed == [year]
        with django_capture_on_commit_callbacks(execute=True):
            assert workdays.enter_schedule(actor, year, [(D(year, 1, 1), False, "元旦")], entered=True) == 0
        assert changed == [year]  # nothing changed: no signal
    finally:
        workdays.schedule_changed.disconnect(dispatch_uid="t")


def test_the_administrator_enters_a_year_on_the_page(client, world):
    year = first_uncovered_year()
    client.force_login(world.users["admin"])
    page = client.get(reverse("workdays:year_list"))
    assert page.status_code == 200
    assert f'data-year="{year}"' in page.content.decode()
    bad = client.post(
        reverse("workdays:year_edit", args=[year]),
        {"days": f"{year}-10-01 off 国庆节\n{year}-13-01 off\n{year - 1}-10-08 work", "entered": "on"},
    )
    assert bad.status_code == 200
    errors = bad.context["form"].errors["days"]
    assert len(errors) == 2 and "2" in errors[0] and "13" in errors[0] and "3" in errors[1]
    assert not WorkdayOverride.objects.exists()  # nothing saved
    good = client.post(
        reverse("workdays:year_edit", args=[year]),
        {"days": f"{year}-10-01 off 国庆节\n{year}-10-09 work 国庆节调休", "entered": "on"},
    )
    assert good.status_code == 302
    assert workdays.is_workday(D(year, 10, 9)) == True  # noqa: E712
    assert not workdays.is_workday(D(year, 10, 1))
    assert not workdays.is_provisional_year(year)
    entries = AuditEntry.objects.filter(user_name="admin", content_type__model="workdayoverride")
    assert entries.count() == 2


@pytest.mark.parametrize("username", ["chief", "office", "county", "enterprise", "auditor"])
def test_other_roles_do_not_see_the_working_day_pages(client, world, username):
    client.force_login(world.users[username])
    assert client.get(reverse("workdays:year_list")).status_code == 403
    assert client.post(reverse("workdays:year_edit", args=[2030]), {"days": ""}).status_code == 403


def test_administrators_are_reminded_from_november_until_the_year_is_entered(world, time_machine):
    year = first_uncovered_year()
    admin = world.users["admin"]
    labels = lambda user: [str(t.label) for t in desk.todos_for(user)]  # noqa: E731
    time_machine.move_to(dt.datetime(year - 1, 10, 31, 12, 0), tick=False)
    assert workdays.years_to_enter() == []
    assert not any(str(year) in label for label in labels(admin))
    time_machine.move_to(dt.datetime(year - 1, 11, 1, 9, 0), tick=False)
    assert workdays.years_to_enter() == [year]
    assert any(str(year) in label for label in labels(admin))
    assert not any(str(year) in label for label in labels(world.users["office"]))
    # Still in January of the year itself, until it is entered.
    time_machine.move_to(dt.datetime(year, 1, 15, 9, 0), tick=False)
    assert workdays.years_to_enter() == [year]
    WorkdayYear.objects.create(year=year, entered=True)
    assert workdays.years_to_enter() == []
    assert not any(str(year) in label for label in labels(admin))


def test_the_reminder_job_sends_the_administrators_a_notice(world):
    from chainboard.models import Notice
    from chainboard.tasks import remind_workday_schedule

    year = first_uncovered_year()
    assert remind_workday_schedule.call(today=f"{year - 1}-10-15") == []
    assert not Notice.objects.exists()
    assert remind_workday_schedule.call(today=f"{year - 1}-11-02") == [year]
    assert list(Notice.objects.values_list("user__username", "kind")) == [("admin", "workdays")]


def test_deadlines_agree_with_counting_day_by_day_across_years_and_overrides():
    year = first_uncovered_year()
    WorkdayOverride.objects.create(date=D(year, 1, 4), is_workday=False, note="元旦")
    WorkdayOverride.objects.create(date=D(year - 1, 12, 27), is_workday=True, note="调休")
    calendar = workdays.Calendar()
    start = D(year - 1, 12, 1)
    for offset in range(0, 60, 3):
        assigned = start + dt.timedelta(days=offset)
        for n in (1, 5, 12):
            day, counted = assigned, 0
            while counted < n:
                day += dt.timedelta(days=1)
                counted += calendar.is_workday(day)
            found = calendar.deadline(assigned, n)
            assert found.due_on == day, (assigned, n)
            assert found.provisional == (day.year == year)
            assert calendar.between(assigned, found.due_on) == n
    assert calendar.deadline(D(year, 5, 5), 0) == workdays.Deadline(D(year, 5, 5), False)


def test_departures_name_the_days_the_calendar_says_differ_from_a_plain_week():
    # National Day 2025 (1–8 October off, Sunday 28 September and Saturday 11 October worked), and the
    # override table on top: a weekday off, a Sunday worked, and an override that gives a statutory
    # holiday back as a plain weekday (no departure any more).
    WorkdayOverride.objects.create(date=D(2025, 9, 24), is_workday=False, note="停电")
    WorkdayOverride.objects.create(date=D(2025, 10, 19), is_workday=True, note="加班")
    WorkdayOverride.objects.create(date=D(2025, 10, 8), is_workday=True, note="提前上班")
    WorkdayOverride.objects.create(date=D(2025, 10, 15), is_workday=True, note="与平常相同")
    found = workdays.departures(D(2025, 9, 20), D(2025, 10, 31))
    assert found == [
        (D(2025, 9, 24), False),
        (D(2025, 9, 28), True),
        *[(D(2025, 10, day), False) for day in (1, 2, 3, 6, 7)],  # the 4th and 5th: a weekend anyway
        (D(2025, 10, 11), True),
        (D(2025, 10, 19), True),
    ]
    # Over years, and beyond the library's years, the same as asking the calendar day by day.
    first, last = D(2023, 12, 1), D(first_uncovered_year(), 2, 28)
    calendar, day, walked = workdays.Calendar(), first, []
    while day <= last:
        if calendar.is_workday(day) != (day.weekday() < 5):
            walked.append((day, calendar.is_workday(day)))
        day += dt.timedelta(days=1)
    assert workdays.departures(first, last) == walked
