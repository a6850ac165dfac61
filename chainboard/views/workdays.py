"""The working-day schedule, for the administrator: which years the calendar covers, and a year's
adjusted days entered by hand (docs/workdays.md)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chainboard import scope, workdays
from chainboard.models import WorkdayOverride, WorkdayYear

WORK_WORDS = {"work": True, "班": True, "上班": True, "off": False, "休": False, "休息": False}


def _require(user, action: str) -> None:
    if not scope.has_permission(user, action, WorkdayYear):
        raise PermissionDenied


def _year_rows(today: dt.date) -> list[dict]:
    calendar = workdays.Calendar()
    years = set(WorkdayYear.objects.values_list("year", flat=True))
    years.update({today.year - 1, today.year, today.year + 1})
    counts: dict[int, int] = {}
    for day in WorkdayOverride.objects.values_list("date", flat=True):
        counts[day.year] = counts.get(day.year, 0) + 1
    years.update(counts)
    rows = []
    for year in sorted(years, reverse=True):
        if year in calendar.entered_years():
            source = _("entered by an administrator")
        elif workdays.calendar_covers(year):
            source = _("chinese-calendar")
        else:
            source = _("provisional: plain weekdays")
        rows.append(
            {
                "year": year,
                "source": source,
                "provisional": calendar.is_provisional_year(year),
                "overrides": counts.get(year, 0),
            }
        )
    return rows


@login_required
def year_list(request):
    _require(request.user, "view")
    today = timezone.localdate()
    context = {
        "years": _year_rows(today),
        "to_enter": workdays.years_to_enter(today),
        "can_change": scope.has_permission(request.user, "change", WorkdayYear),
    }
    return render(request, "chainboard/workdays/list.html", context)


class ScheduleForm(forms.Form):
    days = forms.CharField(
        label=gettext_lazy("adjusted days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "class": "form-control font-monospace"}),
        help_text=gettext_lazy(
            "One day a line: the date, then “off” (休) for a holiday on a weekday or “work” (班) for a "
            "weekend day worked in its place, then a note. For example: 2027-10-01 off 国庆节"
        ),
    )
    entered = forms.BooleanField(
        label=gettext_lazy("schedule complete"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        help_text=gettext_lazy(
            "Every holiday and adjusted working day of the year is entered: its deadlines stop being "
            "provisional and are recomputed."
        ),
    )

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def clean_days(self) -> list[tuple[dt.date, bool, str]]:
        errors, out, seen = [], [], set()
        for number, line in enumerate(self.cleaned_data["days"].splitlines(), start=1):
            parts = line.split(maxsplit=2)
            if not parts:
                continue
            try:
                day = dt.date.fromisoformat(parts[0])
            except ValueError:
                errors.append(
                    _("Line %(line)d: %(value)s is not a date (YYYY-MM-DD).")
                    % {"line": number, "value": parts[0]}
                )
                continue
            if day.year != self.year:
                errors.append(
                    _("Line %(line)d: %(date)s is not in %(year)d.")
                    % {"line": number, "date": day, "year": self.year}
                )
                continue
            if len(parts) < 2 or parts[1].lower() not in WORK_WORDS:
                errors.append(_("Line %(line)d: say “work” or “off” after the date.") % {"line": number})
                continue
            if day in seen:
                errors.append(_("Line %(line)d: %(date)s is entered twice.") % {"line": number, "date": day})
                continue
            seen.add(day)
            out.append((day, WORK_WORDS[parts[1].lower()], parts[2].strip()[:100] if len(parts) > 2 else ""))
        if errors:
            raise forms.ValidationError(errors)
        return out


def _as_text(days) -> str:
    return "\n".join(
        f"{day:%Y-%m-%d} {'work' if work else 'off'} {note}".rstrip() for day, work, note in days
    )


@login_required
def year_edit(request, year: int):
    _require(request.user, "view")
    if not 1990 <= year <= 2200:
        raise Http404
    current = list(
        WorkdayOverride.objects.filter(date__year=year)
        .order_by("date")
        .values_list("date", "is_workday", "note")
    )
    row = WorkdayYear.objects.filter(year=year).first()
    can_change = scope.has_permission(request.user, "change", WorkdayYear) and scope.has_permission(
        request.user, "add", WorkdayOverride
    )
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        form = ScheduleForm(request.POST, year=year)
        if form.is_valid():
            written = workdays.enter_schedule(
                request.user, year, form.cleaned_data["days"], form.cleaned_data["entered"]
            )
            if written:
                messages.success(
                    request, _("The working-day schedule of %(year)d is saved.") % {"year": year}
                )
            else:
                messages.info(request, _("Nothing changed."))
            return HttpResponseRedirect(reverse("workdays:year_list"))
    else:
        form = ScheduleForm(
            initial={"days": _as_text(current), "entered": bool(row and row.entered)}, year=year
        )
    context = {
        "year": year,
        "form": form,
        "can_change": can_change,
        "covered": workdays.calendar_covers(year),
        "provisional": workdays.is_provisional_year(year),
        "calendar_days": workdays.calendar_days(year),
    }
    return render(request, "chainboard/workdays/year.html", context)
