"""Scheduling rounds (调度): open, file, remind, close. Every write goes through chainboard.actions.

- ``open_round``: one round per chain per month (idempotent for the scheduler); a report row per active
  project of the chain (not 竣工, 投产 or 终止: a suspended project still reports its problems), naming
  the project's responsible user.
- ``file_progress``: the responsible user files (the named action ``file_progress`` on the project: the
  office and county staff may file on behalf); the report, then this year's ``ProjectPlan``'s completed
  investment and the project's light are updated, each audited.
- ``remind``: mail and an in-app notice (the report's ``reminded_at``, shown on the user's filing page and
  desk) to every responsible user who has not filed.
- ``close``: the office closes the round; its reports are frozen (``ProgressReport.write_refusal``).
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chainboard import actions, scope
from chainboard.scope import SystemActor

from . import lights
from .models import ProgressReport, Project, ProjectPlan, ProjectStage, RoundStatus, SchedulingRound

INACTIVE_STAGES = (ProjectStage.COMPLETED, ProjectStage.IN_PRODUCTION, ProjectStage.TERMINATED)
# Derived writes (a plan's completed investment after a filing) are made under this actor's permissions;
# the audit row still names the person, whose operation it is.
DERIVED = "projects:progress filing"


def active_projects(chain):
    return (
        Project.objects.filter(chain=chain)
        .exclude(stage__in=INACTIVE_STAGES)
        .select_related("responsible_person")
    )


def last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def open_round(user, chain, year: int, month: int, due_on: dt.date | None = None) -> SchedulingRound:
    """Open the chain's round for the month with a report row per active project. Refused (InvalidData)
    when the month has its round already."""
    if not scope.has_permission(user, "add", SchedulingRound):
        raise PermissionDenied(_("You may not do this."))
    round_ = SchedulingRound(
        chain=chain,
        year=year,
        month=month,
        due_on=due_on or last_day(year, month),
        opened_at=timezone.now(),
        opened_by=user if getattr(user, "pk", None) else None,
    )
    try:
        round_.validate_constraints()
    except ValidationError as exc:
        raise actions.InvalidData(exc.message_dict) from exc
    with transaction.atomic():
        round_ = actions.create_direct(user, round_)
        for project in active_projects(chain).order_by("name"):
            actions.create_direct(
                SystemActor(DERIVED),
                ProgressReport(round=round_, project=project, responsible_id=responsible_id(project)),
                parent=round_,
            )
    return round_


def responsible_id(project: Project) -> int | None:
    """The user account that files the project's progress: its responsible person's (docs/projects.md)."""
    person = project.responsible_person
    return person.user_id if person is not None else None


def open_due_rounds(today: dt.date | None = None) -> list[SchedulingRound]:
    """The scheduler's job: on or after the open day, open this month's round for every chain with an
    active project that has none. Running it again opens nothing more."""
    from chains.models import Chain

    today = today or timezone.localdate()
    if today.day < settings.CHAINBOARD_ROUND_OPEN_DAY:
        return []
    opened = []
    actor = SystemActor("task:open_due_rounds")
    chains = Chain.objects.filter(projects__isnull=False).exclude(
        scheduling_rounds__year=today.year, scheduling_rounds__month=today.month
    )
    for chain in chains.distinct().order_by("pk"):
        if active_projects(chain).exists():
            opened.append(open_round(actor, chain, today.year, today.month))
    return opened


def may_file(user, report: ProgressReport) -> bool:
    """The responsible user, or anyone holding ``file_progress`` on the project in scope."""
    return scope.can(user, "file_progress", report.project)


def report_for(round_: SchedulingRound, project: Project) -> ProgressReport:
    """The project's row in the round; a project added after the round opened gets one when filed."""
    report = ProgressReport.objects.filter(round=round_, project=project).first()
    if report is None:
        if project.chain_id != round_.chain_id:
            raise actions.InvalidData({"project": [_("This project is on another chain.")]})
        report = actions.create_direct(
            SystemActor(DERIVED),
            ProgressReport(round=round_, project=project, responsible_id=responsible_id(project)),
            parent=round_,
        )
    return report


def file_progress(user, report: ProgressReport, data, *, version: int | None = None) -> ProgressReport:
    """File (or correct, while the round is open) a project's progress for the round's month."""
    from .forms import ProgressReportForm

    if not may_file(user, report):
        raise PermissionDenied(_("You may not file this project's progress."))
    round_ = report.round
    if not round_.is_open:
        raise PermissionDenied(_("This round is closed: its figures are frozen as filed."))
    with transaction.atomic():
        report = actions.update(user, report, ProgressReportForm, data, version=version, parent=round_)
        report = actions.save_fields(
            SystemActor(DERIVED),
            report,
            filed_by=user if user.pk else None,
            filed_at=timezone.now(),
            parent=round_,
        )
        if report.completed_investment is not None:
            _update_plan(report.project, round_.year, report.completed_investment)
        lights.refresh(report.project, today=timezone.localdate())
    return report


def _update_plan(project: Project, year: int, completed) -> None:
    actor = SystemActor(DERIVED)
    plan = ProjectPlan.objects.filter(project=project, year=year).first()
    if plan is None:
        actions.create_direct(actor, ProjectPlan(project=project, year=year, completed_investment=completed))
    elif plan.completed_investment != completed:
        actions.save_fields(actor, plan, completed_investment=completed)


def not_filed(round_: SchedulingRound):
    return round_.reports.filter(filed_at__isnull=True)


def remind(user, round_: SchedulingRound) -> int:
    """Mail every responsible user who has not filed, and mark their rows reminded (the in-app notice).
    The number of people reminded."""
    if not scope.can(user, "change", round_):
        raise PermissionDenied(_("You may not do this."))
    if not round_.is_open:
        raise PermissionDenied(_("This round is closed: its figures are frozen as filed."))
    pending = list(not_filed(round_).select_related("responsible", "project").order_by("project__name"))
    now = timezone.now()
    by_user: dict = {}
    with transaction.atomic():
        for report in pending:
            actions.save_fields(SystemActor(DERIVED), report, reminded_at=now, parent=round_)
            if report.responsible is not None:
                by_user.setdefault(report.responsible, []).append(report.project.name)
    for person, names in by_user.items():
        if person.email:
            with translation.override(settings.LANGUAGE_CODE):
                send_mail(
                    _("Progress to file: %(round)s") % {"round": round_},
                    _(
                        "Please file the month's progress of these projects by %(due)s:\n%(projects)s\n\n%(url)s"
                    )
                    % {
                        "due": round_.due_on.isoformat() if round_.due_on else "—",
                        "projects": "\n".join(f"- {n}" for n in names),
                        "url": reverse("projects:my_progress"),
                    },
                    None,
                    [person.email],
                    fail_silently=True,  # one bad address must not stop the others' reminders
                )
    return len(by_user)


def close(user, round_: SchedulingRound, *, version: int | None = None) -> SchedulingRound:
    """Close the round: from now on its reports are frozen as filed."""
    if not scope.can(user, "change", round_):
        raise PermissionDenied(_("You may not do this."))
    if not round_.is_open:
        return round_
    return actions.save_fields(
        user, round_, status=RoundStatus.CLOSED, closed_at=timezone.now(), version=version
    )


def pending_for(user):
    """The user's reports still to file in open rounds (their in-app notice and desk card)."""
    if not getattr(user, "is_authenticated", False):
        return ProgressReport.objects.none()
    return (
        ProgressReport.objects.filter(responsible=user, filed_at__isnull=True, round__status=RoundStatus.OPEN)
        .select_related("round", "round__chain", "project")
        .order_by("round__due_on", "project__name")
    )
