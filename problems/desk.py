"""The closed loop on the desk (chainboard/desk.py):

- due items (``register_due``): the open problems and tasks the user handles (their unit's, or theirs as
  handler) or raised, due within two working days, due today or overdue; the desk's "Due" card and the
  daily digest list them;
- to-dos: the office's problems to accept, extension requests to decide and answered tasks to confirm;
  the enterprise's answers to rate;
- a card with the loop in the user's scope by state, the overdue and the escalated, each a link to its
  list; and counts of problems and tasks in the strip.

Everything is read through ``restrict``: a unit counts its unit's, a county its county's.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Count as Counted
from django.db.models import Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainboard import desk, scope, workdays

from .models import OPEN_STATES, LoopState, Problem, Task

DUE_SOON_DAYS = 2  # working days: "due soon" (docs/closed-loop.md)
DUE_LIMIT = 50  # items of each kind listed; the list behind the card has the rest


def list_url(model, **filters) -> str:
    base = reverse(f"problems:{model._meta.model_name}_list")
    return f"{base}?{urlencode(filters)}" if filters else base


def due_state(due_on, today, soon) -> str | None:
    if due_on < today:
        return "overdue"
    if due_on == today:
        return "due_today"
    if due_on <= soon:
        return "due_soon"
    return None


def _mine(user, model) -> Q | None:
    """The user's own items of ``model``: their unit's (a unit grant), theirs as handler, raised by them."""
    units = {g.unit_id for g in scope.grants(user) if getattr(g, "unit_id", None) is not None}
    condition = Q(handler__user=user)
    if units:
        condition |= Q(**{f"{model.unit_field}__in": units})
    if model is Problem:
        condition |= Q(raised_by=user)
    return condition


def due_items(user) -> list[desk.DueItem]:
    """The user's open problems and tasks due soon, due today or overdue, the earliest ``DUE_LIMIT`` of
    each: one query, each model's items picked by key from its own earliest (``pk IN (… LIMIT 50)``) and
    the two joined with ``UNION ALL``."""
    if not getattr(user, "is_authenticated", False):
        return []
    today = timezone.localdate()
    soon = workdays.deadline(today, DUE_SOON_DAYS).due_on
    models_ = [model for model in (Problem, Task) if scope.has_permission(user, "view", model)]
    parts = []
    for i, model in enumerate(models_):
        earliest = (
            model.objects.restrict(user, "view")
            .filter(_mine(user, model), state__in=OPEN_STATES, due_on__lte=soon)
            .order_by("due_on", "pk")
            .values("pk")[:DUE_LIMIT]
        )
        parts.append(
            model._base_manager.filter(pk__in=earliest)
            .values("pk", "title", "due_on", "due_provisional")
            .annotate(kind=Value(i))
            .order_by()
        )
    if not parts:
        return []
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    out = []
    for row in rows:
        model = models_[row["kind"]]
        out.append(
            desk.DueItem(
                label=f"{model._meta.verbose_name}: {row['title']}",
                url=model(pk=row["pk"]).get_absolute_url(),
                due_on=row["due_on"],
                provisional=row["due_provisional"],
                state=due_state(row["due_on"], today, soon),
            )
        )
    return out


def _scoped(user, model, action: str, **filters):
    if not scope.has_permission(user, action, model):
        return None
    return model.objects.restrict(user, action).filter(**filters)


def todos(user) -> list[desk.Todo]:
    """The closed loop's to-dos, their counts asked in one query (``desk.count_all``)."""
    asked = {
        "to_accept": _scoped(user, Problem, "transition", state=LoopState.SUBMITTED),
        "problem_requests": _scoped(
            user, Problem, "approve_extension", extension_requested_days__isnull=False
        ),
        "task_requests": _scoped(user, Task, "approve_extension", extension_requested_days__isnull=False),
        "to_confirm": _scoped(user, Task, "transition", state=LoopState.ANSWERED),
        # The raiser's, not the office's.
        "to_rate": None
        if scope.has_permission(user, "assign", Problem)
        else _scoped(user, Problem, "rate", state=LoopState.ANSWERED),
    }
    counts = desk.count_all(user, {key: qs for key, qs in asked.items() if qs is not None})
    out = []
    if counts.get("to_accept"):
        url = list_url(Problem, state=LoopState.SUBMITTED)
        out.append(desk.Todo(_("Problems to accept"), counts["to_accept"], url, "warning"))
    for model, key, label in (
        (Problem, "problem_requests", _("Extension requests to decide (problems)")),
        (Task, "task_requests", _("Extension requests to decide (tasks)")),
    ):
        if counts.get(key):
            out.append(desk.Todo(label, counts[key], list_url(model, extension_requested="true"), "warning"))
    if counts.get("to_confirm"):
        out.append(
            desk.Todo(
                _("Answered tasks to confirm"), counts["to_confirm"], list_url(Task, state=LoopState.ANSWERED)
            )
        )
    if counts.get("to_rate"):
        out.append(
            desk.Todo(_("Answers to rate"), counts["to_rate"], list_url(Problem, state=LoopState.ANSWERED))
        )
    return out


def _loop_counts(user, models_: list) -> dict:
    """For each of ``models_`` (problems, tasks) in the user's scope: the count of each state, and of the
    open items the overdue and the escalated; one query, the models' grouped counts joined with
    ``UNION ALL`` (a few thousand rows in scope at most, read once each)."""
    today = timezone.localdate()
    parts = [
        model.objects.restrict(user, "view")
        .values("state")
        .annotate(
            kind=Value(i),
            n=Counted("*"),
            overdue=Counted("pk", filter=Q(state__in=OPEN_STATES, due_on__lt=today)),
            escalated=Counted("pk", filter=Q(state__in=OPEN_STATES, escalation_level__gt=0)),
        )
        .order_by()
        for i, model in enumerate(models_)
    ]
    if not parts:
        return {}
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    out: dict = {model: {"states": {}, "overdue": 0, "escalated": 0} for model in models_}
    for row in rows:
        counts = out[models_[row["kind"]]]
        counts["states"][row["state"]] = row["n"]
        counts["overdue"] += row["overdue"]
        counts["escalated"] += row["escalated"]
    return out


def _card(request) -> dict | None:
    user = request.user
    models_ = [model for model in (Problem, Task) if scope.has_permission(user, "view", model)]
    rows = []
    for model, counts in _loop_counts(user, models_).items():
        by_state = counts["states"]
        if not by_state:
            continue
        rows.append(
            {
                "label": model._meta.verbose_name_plural,
                "total": sum(by_state.values()),
                "url": list_url(model),
                "states": [
                    {"label": label, "value": by_state[value], "url": list_url(model, state=value)}
                    for value, label in LoopState.choices
                    if by_state.get(value)
                ],
                "overdue": counts["overdue"],
                "overdue_url": list_url(model, overdue="true"),
                "escalated": counts["escalated"],
                "escalated_url": list_url(model, escalated="true", overdue="true"),
                "scope": desk.describe(user, model),
            }
        )
    if not rows:
        return None
    can_raise = scope.has_permission(user, "add", Problem) and _raises_for_own(user)
    return {"rows": rows, "raise_url": reverse("problems:problem_raise") if can_raise else None}


def _raises_for_own(user) -> bool:
    from .raising import own_enterprise_id

    return own_enterprise_id(user) is not None


desk.register_due(due_items)
desk.register_todo(todos)
desk.register(
    desk.Card(
        "problems", _("Closed loop"), "problems/desk/loop.html", _card, order=22, model="problems.Problem"
    )
)
desk.register_count(
    desk.Count(_("Problems"), "problems.Problem", "problems:problem_list", "message-report", 40)
)
desk.register_count(desk.Count(_("Tasks"), "problems.Task", "problems:task_list", "checklist", 41))
