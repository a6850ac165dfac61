"""Working days: which dates count, and deadlines counted in them (docs/workdays.md).

The rule (docs/workdays.md): a deadline of N working days counts from the next working day after the
day of assignment, so the due date is the N-th working day after it. Whether a date is a working day:

1. a row in ``WorkdayOverride`` for that date wins (an administrator's correction or a year's schedule
   entered by hand);
2. otherwise ``chinese-calendar`` decides, for the years it covers (statutory holidays and the weekend
   days worked in their place, 调休);
3. otherwise a plain weekday (Monday to Friday) is a working day.

A year ``chinese-calendar`` does not cover, and whose schedule no administrator has marked complete
(``WorkdayYear.entered``), is *provisional*: a deadline that counts a day in it is flagged provisional
and recomputed when the year's schedule is entered (:data:`schedule_changed`). Which years the library
covers is asked of the library itself (it refuses a year it has no data for), never written here.

A :class:`Calendar` reads the override table once per year it touches; the module's functions use a
fresh one per call. Code that computes many deadlines (a job over every open item) keeps one
``Calendar`` for the whole pass.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from functools import cache

import chinese_calendar
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

# Sent with ``year=`` once an administrator's change to that year's schedule is committed, so apps
# recompute the deadlines that count days of it.
schedule_changed = Signal()

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    due_on: dt.date
    provisional: bool


@cache
def calendar_covers(year: int) -> bool:
    """Does chinese-calendar know ``year``'s holidays? Asked of the library: it raises
    ``NotImplementedError`` for a year it has no data for."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _day_of_year(day: dt.date) -> int:
    """1 for 1 January."""
    return day.toordinal() - dt.date(day.year, 1, 1).toordinal() + 1


@cache
def _base_year(year: int) -> tuple[bool, ...]:
    """Each day of ``year`` (index: day of the year − 1) as the library, or beyond its years a plain week,
    says: static, so worked out once per process."""
    out, day = [], dt.date(year, 1, 1)
    covered = calendar_covers(year)
    while day.year == year:
        out.append(chinese_calendar.is_workday(day) if covered else day.weekday() < 5)
        day += ONE_DAY
    return tuple(out)


@cache
def _base_departures(year: int) -> tuple[tuple[dt.date, bool], ...]:
    """The days of ``year`` where the library (or a plain week) departs from Monday-to-Friday, each with
    whether it is a working day: static, so worked out once per process."""
    first = dt.date(year, 1, 1)
    return tuple(
        (day, flag)
        for day, flag in ((first + dt.timedelta(days=i), flag) for i, flag in enumerate(_base_year(year)))
        if flag != (day.weekday() < 5)
    )


def departures(first: dt.date, last: dt.date) -> list[tuple[dt.date, bool]]:
    """The days from ``first`` to ``last`` where the calendar departs from Monday-to-Friday, in order, each
    with whether it is a working day: what :class:`Calendar` says of each day, without walking the days.
    The library's departures are worked out once per process and year (``_base_departures``); the
    override table is read on every call, in one query, so an administrator's change counts at once in
    every process (nothing to invalidate)."""
    from chainboard.models import WorkdayOverride

    found: dict[dt.date, bool] = {}
    for year in range(first.year, last.year + 1):
        found.update((day, flag) for day, flag in _base_departures(year) if first <= day <= last)
    overrides = WorkdayOverride.objects.filter(date__gte=first, date__lte=last).values_list(
        "date", "is_workday"
    )
    for day, is_workday_ in overrides:
        if is_workday_ != (day.weekday() < 5):
            found[day] = is_workday_
        else:
            found.pop(day, None)  # the override puts back the plain week
    return sorted(found.items())


class Calendar:
    """Working days with the override table read once per year; keep one for a batch of deadlines."""

    def __init__(self) -> None:
        self._overrides: dict[int, dict[dt.date, bool]] = {}
        self._entered: set[int] | None = None
        self._flags: dict[int, tuple[bool, ...]] = {}
        self._ranks: dict[int, list[int]] = {}

    def overrides(self, year: int) -> dict[dt.date, bool]:
        found = self._overrides.get(year)
        if found is None:
            from chainboard.models import WorkdayOverride

            rows = WorkdayOverride.objects.filter(
                date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
            ).values_list("date", "is_workday")
            found = self._overrides[year] = dict(rows)
        return found

    def entered_years(self) -> set[int]:
        if self._entered is None:
            from chainboard.models import WorkdayYear

            self._entered = set(WorkdayYear.objects.filter(entered=True).values_list("year", flat=True))
        return self._entered

    def is_provisional_year(self, year: int) -> bool:
        return not calendar_covers(year) and year not in self.entered_years()

    def _year(self, year: int) -> tuple[bool, ...]:
        """Each day of ``year``: the library's (or a plain week's) answer with the overrides on top."""
        flags = self._flags.get(year)
        if flags is None:
            overrides = self.overrides(year)
            if overrides:
                days = list(_base_year(year))
                for day, is_workday_ in overrides.items():
                    days[_day_of_year(day) - 1] = is_workday_
                flags = tuple(days)
            else:
                flags = _base_year(year)
            self._flags[year] = flags
        return flags

    def is_workday(self, day: dt.date) -> bool:
        return self._year(day.year)[_day_of_year(day) - 1]

    def deadline(self, assigned_on: dt.date, n: int) -> Deadline:
        """The ``n``-th working day after ``assigned_on``; provisional when a day counted (or skipped)
        lies in a provisional year. Found from the running counts of working days (a binary search in
        each year's), not day by day."""
        if n < 0:
            raise ValueError("a deadline counts zero or more working days")
        if n == 0:
            return Deadline(assigned_on, False)
        year = assigned_on.year
        target = self._rank(assigned_on) + n  # the rank, within ``year``, of the day sought
        while target > self._year_total(year):
            target -= self._year_total(year)
            year += 1
        ranks = self._ranks[year]
        due_on = dt.date(year, 1, 1) + dt.timedelta(days=bisect.bisect_left(ranks, target) - 1)
        first = assigned_on + ONE_DAY
        provisional = any(self.is_provisional_year(y) for y in range(first.year, due_on.year + 1))
        return Deadline(due_on, provisional)

    def _rank(self, day: dt.date) -> int:
        """Working days from 1 January of ``day``'s year up to and including ``day``."""
        ranks = self._ranks.get(day.year)
        if ranks is None:
            ranks, total = [0], 0
            for flag in self._year(day.year):
                total += flag
                ranks.append(total)
            self._ranks[day.year] = ranks
        return ranks[_day_of_year(day)]

    def _year_total(self, year: int) -> int:
        return self._rank(dt.date(year, 12, 31))

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``; 0 when ``end`` is not after ``start``."""
        if end <= start:
            return 0
        if start.year == end.year:
            return self._rank(end) - self._rank(start)
        count = self._year_total(start.year) - self._rank(start)
        count += sum(self._year_total(year) for year in range(start.year + 1, end.year))
        return count + self._rank(end)


def is_workday(day: dt.date) -> bool:
    return Calendar().is_workday(day)


def deadline(assigned_on: dt.date, n: int) -> Deadline:
    return Calendar().deadline(assigned_on, n)


def between(start: dt.date, end: dt.date) -> int:
    return Calendar().between(start, end)


def is_provisional_year(year: int) -> bool:
    return Calendar().is_provisional_year(year)


def years_to_enter(today: dt.date | None = None) -> list[int]:
    """The years an administrator is reminded to enter: from November, next year while it is
    provisional; and the current year while it still is (the reminder runs until it is entered)."""
    today = today or timezone.localdate()
    calendar = Calendar()
    years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    return [year for year in years if calendar.is_provisional_year(year)]


# The library names holidays in English; a note keeps the holiday's Chinese name, as the State
# Council's notice does.
_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
}


def calendar_days(year: int) -> list[tuple[dt.date, bool, str]]:
    """What chinese-calendar says of ``year`` that differs from a plain week: holidays on weekdays and
    weekend days worked in their place, with the holiday's name; empty for a year it does not cover."""
    if not calendar_covers(year):
        return []
    out = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        on, name = chinese_calendar.get_holiday_detail(day)
        workday = not on
        if workday != (day.weekday() < 5):
            out.append((day, workday, _HOLIDAY_NAMES.get(name, name or "")))
        day += ONE_DAY
    return out


# ---- an administrator enters a year's schedule --------------------------------------------------------


def enter_schedule(user, year: int, days: list[tuple[dt.date, bool, str]], entered: bool) -> int:
    """Make ``year``'s override rows exactly ``days`` and its ``entered`` flag ``entered``, through the
    write path (each row audited). :data:`schedule_changed` follows the commit when anything changed.
    Returns the number of rows written."""
    from chainboard import actions
    from chainboard.models import WorkdayOverride, WorkdayYear

    wanted = {day: (is_workday_, note) for day, is_workday_, note in days}
    written = 0
    with transaction.atomic():
        existing = {
            row.date: row
            for row in WorkdayOverride.objects.filter(
                date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
            )
        }
        for day, row in existing.items():
            if day not in wanted:
                actions.delete(user, row)
                written += 1
            elif (row.is_workday, row.note) != wanted[day]:
                actions.save_fields(user, row, is_workday=wanted[day][0], note=wanted[day][1])
                written += 1
        for day, (is_workday_, note) in sorted(wanted.items()):
            if day not in existing:
                actions.create_direct(user, WorkdayOverride(date=day, is_workday=is_workday_, note=note))
                written += 1
        row = WorkdayYear.objects.filter(year=year).first()
        if row is None:
            actions.create_direct(user, WorkdayYear(year=year, entered=entered))
            written += 1
        elif row.entered != entered:
            actions.save_fields(user, row, entered=entered)
            written += 1
        if written:
            transaction.on_commit(lambda: schedule_changed.send(sender=WorkdayYear, year=year))
    return written


def remind(years: list[int]) -> None:
    """A notice to every administrator who may enter the schedule (chainboard/notices.py)."""
    from django.utils.translation import gettext as _

    from chainboard import notices
    from chainboard.models import WorkdayYear

    users = notices.users_with_permission("change", WorkdayYear)
    for year in years:
        notices.notify(
            users,
            "workdays",
            _("Enter the working days of %(year)d: its deadlines are provisional until then.")
            % {"year": year},
            url=reverse("workdays:year_edit", args=[year]),
        )
