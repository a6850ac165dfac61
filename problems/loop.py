"""The closed loop as a workflow (chainboard/workflow.py), one declaration for problems and tasks.

Problem: 提交 submitted → 受理 accepted | 退回 returned (reason) → 交办 assigned (unit, handler, deadline in
working days) → 办理 in_progress → 答复 answered → the raiser rates: 满意 / 基本满意 → 办结 closed, 不满意 → back
to 办理 (reopened, counted). 转派 transfer to another unit with a reason; 延期 extension requested by the unit
and approved or refused by the office. A task has no acceptance and no rating: it is assigned from
submitted, and the assigner confirms the answer (closed) or sends it back (reopened). docs/closed-loop.md.

The moves are split between named actions so roles are granted them separately (problems/access.py):
``transition`` (accept, return), ``assign`` (assign, transfer),
``handle`` (start, answer, request an extension), ``rate`` and ``approve_extension``; a task's confirm and
send back are ``transition``, the office's as a problem's accept and return.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainboard.workflow import COMMENT, Transition, Workflow

SUBMITTED, ACCEPTED, RETURNED = "submitted", "accepted", "returned"
ASSIGNED, IN_PROGRESS, ANSWERED, CLOSED = "assigned", "in_progress", "answered", "closed"
HANDLING = (ASSIGNED, IN_PROGRESS)
DISSATISFIED = "dissatisfied"


def _same(record) -> str:
    return record.state


def schedule(record, today=None, calendar=None) -> None:
    """Set the due date from the assignment day and the deadline in working days (workdays.deadline: the
    N-th working day after the day of assignment; provisional where a year's schedule is not published)."""
    from chainboard import workdays

    if record.assigned_on is None or record.deadline_days is None:
        record.due_on, record.due_provisional = None, False
        return
    found = (calendar or workdays).deadline(record.assigned_on, record.deadline_days)
    record.due_on, record.due_provisional = found.due_on, found.provisional


def _assign(record, cleaned: dict) -> None:
    record.assigned_on = timezone.localdate()
    schedule(record)
    record.escalation_level, record.escalated_on = 0, None
    record.extension_requested_days, record.extension_reason = None, ""


def _handler_check(unit_field: str):
    def check(record, cleaned: dict) -> dict:
        unit, handler = cleaned.get(unit_field), cleaned.get("handler")
        if unit is not None and handler is not None and handler.organisation_id != unit.pk:
            return {"handler": _("The handler does not belong to this unit.")}
        return {}

    return check


def _transfer_check(unit_field: str):
    handler_check = _handler_check(unit_field)

    def check(record, cleaned: dict) -> dict:
        unit = cleaned.get(unit_field)
        if unit is not None and unit.pk == getattr(record, f"{unit_field}_id"):
            return {unit_field: _("Transfer to another unit than the one holding it.")}
        return handler_check(record, cleaned)

    return check


def _answer(record, cleaned: dict) -> None:
    record.answered_on = timezone.localdate()
    record.extension_requested_days, record.extension_reason = None, ""


def _no_pending_request(record, cleaned: dict) -> dict:
    if record.extension_requested_days:
        return {"extension_requested_days": _("An extension request is waiting for the office's decision.")}
    if record.due_on is None:
        return {"extension_requested_days": _("This item has no deadline to extend.")}
    return {}


def _pending_request(record, cleaned: dict) -> dict:
    if not record.extension_requested_days:
        return {COMMENT: _("No extension has been requested.")}
    return {}


def _approve_extension(record, cleaned: dict) -> None:
    days = record.extension_requested_days
    record.deadline_days = (record.deadline_days or 0) + days
    schedule(record)
    if record.due_on is not None and record.due_on >= timezone.localdate():
        record.escalation_level, record.escalated_on = 0, None  # no longer overdue
    record.extension_requested_days, record.extension_reason = None, ""


def _refuse_extension(record, cleaned: dict) -> None:
    record.extension_requested_days, record.extension_reason = None, ""


def _close(record, cleaned: dict) -> None:
    record.closed_on = timezone.localdate()


def _reopen(record, cleaned: dict) -> None:
    record.reopen_count += 1
    record.answered_on = None


def _rate(record, cleaned: dict) -> None:
    if record.rating == DISSATISFIED:
        _reopen(record, cleaned)
    else:
        _close(record, cleaned)


def _rated_target(record) -> str:
    return IN_PROGRESS if record.rating == DISSATISFIED else CLOSED


def loop_workflow(unit_field: str, *, rated: bool) -> Workflow:
    """The loop of a problem (``rated``: accepted by the office first, rated by its raiser at the end) or
    a task (assigned straight away, its answer confirmed by the assigner). ``unit_field`` names the
    record's handling unit."""
    moves = []
    if rated:
        moves += [
            Transition("accept", (SUBMITTED,), ACCEPTED, _("Accept"), icon="check"),
            Transition(
                "return",
                (SUBMITTED,),
                RETURNED,
                _("Return"),
                fields=("return_reason",),
                requires=("return_reason",),
                icon="arrow-back-up",
                style="warning",
            ),
        ]
    moves += [
        Transition(
            "assign",
            (ACCEPTED,) if rated else (SUBMITTED,),
            ASSIGNED,
            _("Assign"),
            action="assign",
            fields=(unit_field, "handler", "deadline_days"),
            # A problem is assigned with a deadline; a task may have none (the letter gives few dates).
            requires=(unit_field, "deadline_days") if rated else (unit_field,),
            clean=_handler_check(unit_field),
            apply=_assign,
            icon="send",
        ),
        Transition(
            "transfer",
            HANDLING,
            ASSIGNED,
            _("Transfer"),
            action="assign",
            fields=(unit_field, "handler", "return_reason"),
            requires=(unit_field, "return_reason"),
            clean=_transfer_check(unit_field),
            apply=_assign,
            icon="arrows-exchange",
            style="warning",
        ),
        Transition("start", (ASSIGNED,), IN_PROGRESS, _("Start handling"), action="handle", icon="tool"),
        Transition(
            "answer",
            HANDLING,
            ANSWERED,
            _("Answer"),
            action="handle",
            fields=("answer",),
            requires=("answer",),
            apply=_answer,
            icon="message-check",
        ),
        Transition(
            "request_extension",
            HANDLING,
            _same,
            _("Request an extension"),
            action="handle",
            fields=("extension_requested_days", "extension_reason"),
            requires=("extension_requested_days", "extension_reason"),
            clean=_no_pending_request,
            icon="clock-plus",
            style="secondary",
        ),
        Transition(
            "approve_extension",
            HANDLING,
            _same,
            _("Approve the extension"),
            action="approve_extension",
            clean=_pending_request,
            apply=_approve_extension,
            icon="clock-check",
        ),
        Transition(
            "refuse_extension",
            HANDLING,
            _same,
            _("Refuse the extension"),
            action="approve_extension",
            requires=(COMMENT,),
            clean=_pending_request,
            apply=_refuse_extension,
            icon="clock-x",
            style="danger",
        ),
    ]
    # The daily job's move (problems/escalation.py), made by the system: no role holds ``escalate``.
    moves.append(
        Transition(
            "escalate",
            HANDLING,
            _same,
            _("Escalate"),
            action="escalate",
            fields=("escalation_level", "escalated_on"),
            requires=("escalation_level", "escalated_on"),
            icon="alarm",
            style="danger",
        )
    )
    if rated:
        moves.append(
            Transition(
                "rate",
                (ANSWERED,),
                _rated_target,
                _("Rate the answer"),
                action="rate",
                fields=("rating",),
                requires=("rating",),
                apply=_rate,
                icon="star",
            )
        )
    else:
        moves += [
            Transition("confirm", (ANSWERED,), CLOSED, _("Confirm and close"), apply=_close, icon="check"),
            Transition(
                "send_back",
                (ANSWERED,),
                IN_PROGRESS,
                _("Send back"),
                requires=(COMMENT,),
                apply=_reopen,
                icon="arrow-back-up",
                style="warning",
            ),
        ]
    return Workflow(field="state", transitions=moves)
