"""The desk: the home page's cards. Apps register cards as they register menu entries, and a user sees
the cards they may see, in order, each computed from scoped querysets (style.md, Dashboards).

Three registries, read by the home page (``chainboard/views/home.py``):

- ``register(Card(...))``: a card with its template and a context function; the card shows when the
  user may view its ``model`` (if it names one) and its context function returns something.
- ``register_todo(function)``: ``function(user) -> list[Todo]`` for the "What needs me" card. Projects
  (rounds to file, red and yellow projects) and instructions (批示 to answer) add theirs here.
- ``register_count(Count(...))``: a count of records in the compact strip of counts, each a link to the
  list that shows the same rows.
- ``register_due(function)``: ``function(user) -> list[DueItem]``, the user's own items with a deadline
  that is near, today or past (problems and tasks to handle); the "Due" card groups them by state and
  the daily digest (chainboard/digest.py) lists them.

An app puts its registrations in its own ``desk.py``; every installed app's ``desk`` module is imported
the first time the desk is read (as ``registered_viewsets`` imports each app's ``views``), so no central
file grows with each card. ``register`` may as well be called from ``AppConfig.ready``.

Every number on a card is a link to the records it counts, and every card's query count is bounded by
the registrations, never by the data (``chainboard/tests/test_desk.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import BooleanField, Case, Exists, Func, IntegerField, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from chainboard import scope


@dataclass(frozen=True)
class Card:
    name: str
    label: Any  # lazy text
    template: str
    # context(request) -> dict, or None when the card has nothing to show to this user
    context: Callable[[Any], dict | None]
    order: int = 100
    model: str | None = None  # "app_label.ModelName": the card shows only when the user may view it
    wide: bool = False  # the full width of the desk rather than half of it on a wide screen


@dataclass(frozen=True)
class Todo:
    label: Any
    count: int
    url: str
    severity: str = "info"  # "info", "warning" or "danger": the colour of its badge


@dataclass(frozen=True)
class Count:
    label: Any
    model: str
    url_name: str
    icon: str = "circle"
    order: int = 100
    # value(user) -> the count, where the app reads it anyway for its own card (the projects' grouping by
    # light and stage, once per request): the strip then asks no count of its own. It must count exactly
    # ``restrict(user, "view")`` of ``model``.
    value: Callable[[Any], int] | None = None


class DueState:
    """Where a due item stands against its deadline, in the order the card shows them."""

    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    DUE_SOON = "due_soon"
    ORDER = (OVERDUE, DUE_TODAY, DUE_SOON)
    LABELS = {OVERDUE: _("Overdue"), DUE_TODAY: _("Due today"), DUE_SOON: _("Due soon")}
    COLOURS = {OVERDUE: "red", DUE_TODAY: "orange", DUE_SOON: "yellow"}


@dataclass(frozen=True)
class DueItem:
    label: Any
    url: str
    due_on: Any  # a date
    provisional: bool  # the deadline counts days of a year whose working days are not published yet
    state: str  # DueState: "due_soon", "due_today" or "overdue"

    def __post_init__(self):
        if self.state not in DueState.ORDER:
            raise ValueError(f"unknown due state {self.state!r}")


CARDS: dict[str, Card] = {}
TODOS: list[Callable[[Any], list[Todo]]] = []
COUNTS: list[Count] = []
DUES: list[Callable[[Any], list[DueItem]]] = []
_discovered = False


def register(card: Card) -> None:
    CARDS[card.name] = card  # by name: a module imported twice does not show its card twice


def register_todo(function: Callable[[Any], list[Todo]]) -> None:
    if function not in TODOS:
        TODOS.append(function)


def register_count(count: Count) -> None:
    if count not in COUNTS:
        COUNTS.append(count)


def register_due(function: Callable[[Any], list[DueItem]]) -> None:
    if function not in DUES:
        DUES.append(function)


def due_for(user) -> list[DueItem]:
    """The user's due items, most urgent first (overdue, due today, due soon; then by date)."""
    discover()
    items = [item for function in DUES for item in function(user)]
    return sorted(items, key=lambda i: (DueState.ORDER.index(i.state), i.due_on, str(i.label)))


def due_groups(items: list[DueItem]) -> list[dict]:
    return [
        {
            "state": state,
            "label": DueState.LABELS[state],
            "colour": DueState.COLOURS[state],
            "items": [item for item in items if item.state == state],
        }
        for state in DueState.ORDER
        if any(item.state == state for item in items)
    ]


def discover() -> None:
    """Import every installed app's ``desk`` module once, so its registrations are made."""
    global _discovered
    if not _discovered:
        autodiscover_modules("desk")
        _discovered = True


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None  # the desk shows only what exists


def may_view(user, model_label: str | None) -> bool:
    return model_label is None or scope.has_permission(user, "view", apps.get_model(model_label))


def cards_for(request) -> list[dict]:
    """The cards this user sees, in order: ``{"card": Card, **its context}``."""
    discover()
    out = []
    for card in sorted(CARDS.values(), key=lambda c: (c.order, c.name)):
        if not may_view(request.user, card.model):
            continue
        context = card.context(request)
        if context is None:
            continue
        out.append({"card": card, **context})
    return out


def todos_for(user) -> list[Todo]:
    discover()
    items = [todo for function in TODOS for todo in function(user)]
    return [todo for todo in items if todo.count]


def has_sample(model, user) -> bool:
    """Does the user's scope hold sample data (示例数据) of ``model``?

    First whether the table holds any at all: one search of the is_sample index, and the answer in a
    deployment that purged its samples. ``is_sample = true`` rather than ``filter(is_sample=True)``,
    which Django writes as the bare column, and SQLite then reads the whole index instead of searching
    it. Only then the scoped probe, with joins rather than the scope's subqueries, which would first
    gather every row in scope; at a chain of 228,000 enterprises the planner still walks the chain's
    memberships for it (0.4 s on SQLite; bench/README.md, "Issue 14: projects"). Each probe is one query
    (``samples_for``, which asks them for several models at once)."""
    return samples_for(user, [model])[model]


def _probe_row(user, probes: dict[str, Any]) -> tuple | None:
    """The values of ``probes`` (scalar expressions: ``EXISTS``, counts) in one query, selected from the
    user's own row (a row that is there whenever someone asks); None when the user has no row."""
    row = get_user_model()._base_manager.filter(pk=user.pk).annotate(**probes).values_list(*probes)
    return row.order_by().first()


def _samples(model):
    return model.objects.filter(is_sample=Value(True))


def _sample_probe(user, model) -> Case:
    """Whether the user's scope holds sample rows of ``model``, as one expression: the scoped probe only
    when the table holds any sample at all (``CASE`` evaluates its branch only then: an unused uncorrelated
    subquery is never run, on PostgreSQL as on SQLite)."""
    scoped = Exists(scope.restrict(_samples(model), user, "view", joins=True))
    return Case(When(Exists(_samples(model)), then=scoped), default=Value(False), output_field=BooleanField())


def samples_for(user, models) -> dict[type, bool]:
    """:func:`has_sample` for each of ``models``, its two probes each asked for all of them at once: one
    query whether each table holds any sample at all (the only one in a deployment that purged its
    samples), then, for the tables that do, one query of the scoped probes."""
    out = dict.fromkeys(models, False)
    probed = [model for model in dict.fromkeys(models) if hasattr(model, "is_sample")]
    if not probed or getattr(user, "pk", None) is None:
        return out
    held = _probe_row(user, {f"s{i}": Exists(_samples(model)) for i, model in enumerate(probed)})
    probed = [model for model, flag in zip(probed, held or (), strict=False) if flag]
    if probed:
        probes = {
            f"s{i}": Exists(scope.restrict(_samples(model), user, "view", joins=True))
            for i, model in enumerate(probed)
        }
        flags = _probe_row(user, probes) or (False,) * len(probed)
        out.update(zip(probed, (bool(flag) for flag in flags), strict=True))
    return out


class _CountRows(Func):
    """``COUNT(*)`` as a plain expression: selected alone from a queryset it counts the queryset's rows,
    without the ``GROUP BY`` an aggregate annotation would add."""

    template = "COUNT(*)"
    output_field = IntegerField()


def count_subquery(queryset) -> Subquery | None:
    """``queryset.count()`` as a scalar subquery, to be asked beside others in one query; None for a
    queryset whose count Django must wrap (sliced, distinct, grouped, combined). A scoped queryset counts
    the far rows ``restrict`` gave it (``ScopedQuerySet.counted``, docs/scope.md, "Counting a scope")."""
    rows = queryset.counted() if hasattr(queryset, "counted") else queryset
    query = rows.query
    if query.is_sliced or query.distinct or query.combinator or query.group_by is not None:
        return None
    return Subquery(rows.order_by().values(n=_CountRows()))


def once(user, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per request for ``key``: kept on the user object (which lives for one request),
    as ``scope.grants`` keeps the grants, and dropped with them (``scope.forget``). For what two cards
    read alike (the chains in scope, the open instructions), so the second does not ask again; never a
    figure kept across requests (docs/desk.md, "Cold, every card")."""
    grants = scope.grants(user)
    memo = getattr(user, "_chainboard_desk_once", None)
    if memo is None or memo[0] is not grants:
        if not grants:  # no signed-in user with a role: nothing to share
            return compute()
        memo = (grants, {})
        user._chainboard_desk_once = memo
    if key not in memo[1]:
        memo[1][key] = compute()
    return memo[1][key]


def describe(user, model) -> str | None:
    """``scope.describe(user, model)``, worked out once per request for each reach it names: the strip
    and the cards name 丝麻纺织服装产业链 or 高平市 for many kinds, a query of the names each otherwise.
    A scope's words depend on the grants that narrow ``model`` and, for each, the dimensions along which
    it narrows it (``CHAINBOARD_SCOPE_NAMER`` names a grant's reach: a dimension the grant does not narrow
    adds no words), so kinds with the same reach share them. Cached on the user object, as
    ``scope.grants`` caches the grants (so for one request), and dropped with them."""
    grants = scope.grants(user)
    cached = getattr(user, "_chainboard_desk_describe", None)
    if cached is None or cached[0] is not grants:
        cached = (grants, {})
        user._chainboard_desk_describe = cached
    paths = set(getattr(model, "scope_paths", {}))

    def reach(grant) -> frozenset[str]:
        return frozenset(n for n, d in scope.DIMENSIONS.items() if n in paths and d.value(grant) is not None)

    key = tuple((grant, reach(grant)) for grant in scope.narrowing(user, model))
    if key not in cached[1]:
        cached[1][key] = scope.describe(user, model)
    return cached[1][key]


def count_all(user, querysets: dict[str, Any]) -> dict[str, int]:
    """``{key: queryset.count()}`` in one query: each count a scalar subquery (:func:`count_subquery`),
    selected from the user's row; a queryset Django must count on its own (sliced, distinct) is counted
    alone. For a card's or a to-do's several counts (the closed loop's to-dos)."""
    subqueries = {key: count_subquery(qs) for key, qs in querysets.items()}
    probes = {f"n{i}": sub for i, sub in enumerate(subqueries.values()) if sub is not None}
    row = _probe_row(user, probes) if probes and getattr(user, "pk", None) is not None else None
    values = dict(zip(probes, row, strict=True)) if row is not None else {}
    out = {}
    for i, (key, queryset) in enumerate(querysets.items()):
        name = f"n{i}"
        # NULL: a subquery over no rows at all (a scope that excludes every row).
        out[key] = (values[name] or 0) if name in values else queryset.count()
    return out


def _estimate(queryset):
    """PostgreSQL's estimate of the rows of ``queryset``'s whole table (``pg_class.reltuples``: the count
    as of the table's last ANALYZE or VACUUM, which autovacuum repeats once a tenth of the rows changed;
    -1 when never analysed), as an expression; None where there is none (SQLite)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    return RawSQL("(SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass)", (table,))


def about(value: int) -> int:
    """An estimate rounded to two significant figures (1,034,512 → 1,000,000): no more digits than it has."""
    digits = len(str(abs(int(value))))
    return int(round(value, 2 - digits)) if digits > 2 else int(value)


def _whole_table(queryset) -> bool:
    rows = queryset.counted() if hasattr(queryset, "counted") else queryset
    return rows is queryset and not queryset.query.where and not queryset.query.is_empty()


def counts_for(user) -> list[dict]:
    """The strip of counts: each registered kind the user may view, counted through ``restrict``, and
    whether the user's scope holds sample data of it, all in one query of scalar subqueries (a count and
    a sample probe per kind, selected from the user's row: one round trip, not two per kind); the kinds'
    scopes in words once per distinct scope (``describe``)."""
    discover()
    shown = []
    for count in sorted(COUNTS, key=lambda c: c.order):
        url = _url(count.url_name) if may_view(user, count.model) else None
        if url is not None:
            shown.append((count, url, apps.get_model(count.model)))
    if not shown:
        return []
    querysets = [model.objects.restrict(user, "view") for _count, _url, model in shown]
    probes: dict[str, Any] = {}
    exact_below = settings.CHAINBOARD_DESK_EXACT_BELOW
    for i, queryset in enumerate(querysets):
        counted = count_subquery(queryset) if shown[i][0].value is None else None
        if counted is None:
            continue
        estimate = _estimate(queryset) if _whole_table(queryset) else None
        if estimate is not None:
            # A whole table the statistics say is large: its estimate, and the count only when it is not.
            probes[f"e{i}"] = estimate
            counted = Case(
                When(GreaterThanOrEqual(estimate, exact_below), then=None),
                default=counted,
                output_field=IntegerField(),
            )
        probes[f"c{i}"] = counted
    sampled = [model for model in dict.fromkeys(m for _c, _u, m in shown) if hasattr(model, "is_sample")]
    for i, model in enumerate(sampled):
        probes[f"s{i}"] = _sample_probe(user, model)
    row = _probe_row(user, probes) if getattr(user, "pk", None) is not None else None
    if row is None:  # no row of the user to select from (a system actor): each asked alone
        values = {f"c{i}": queryset.count() for i, queryset in enumerate(querysets)}
        samples = samples_for(user, sampled)
    else:
        values = dict(zip(probes, row, strict=True))
        samples = {model: bool(values[f"s{i}"]) for i, model in enumerate(sampled)}

    def value(i: int) -> tuple[int, bool]:
        """The count and whether it is the statistics' estimate."""
        estimate = values.get(f"e{i}")
        if estimate is not None and estimate >= exact_below:
            return about(estimate), True
        if f"c{i}" not in values:
            provided = shown[i][0].value
            return (provided(user) if provided is not None else querysets[i].count()), False
        return values[f"c{i}"] or 0, False  # NULL: a subquery over no rows at all (nothing in scope)

    out = []
    for i, (count, url, model) in enumerate(shown):
        n, estimated = value(i)  # once: a count asked alone or provided by the app is a query
        out.append(
            {
                "label": count.label,
                "value": n,
                "about": estimated,  # the template writes 约 (about) before it
                "url": url,
                "icon": count.icon,
                # A count over the user's scope says which part it covers (高平市); docs/formatting.md.
                "scope": describe(user, model),
                "sample": samples.get(model, False),
            }
        )
    return out


# ---- the framework's own cards ---------------------------------------------------------------------------


def _needs_me(request) -> dict | None:
    # Shown to everyone with a role, even with nothing due: "nothing waiting" is an answer too.
    if not scope.grants(request.user):
        return None
    return {"todos": todos_for(request.user)}


def _counts(request) -> dict | None:
    counts = counts_for(request.user)
    return {"counts": counts} if counts else None


def _recent_changes(request) -> dict | None:
    from chainboard.recent import recent_changes

    changes = recent_changes(request.user)
    return None if changes is None else {"changes": changes}


def _audit_trail(request) -> dict | None:
    from chainboard.recent import latest_audit_entries

    return {"entries": latest_audit_entries()}


def _due(request) -> dict | None:
    items = due_for(request.user)
    return {"groups": due_groups(items)} if items else None


def _notices(request) -> dict | None:
    from chainboard.models import Notice
    from chainboard.notices import unread_count

    # The header's count first (once per request, chainboard/notices.py): with nothing unread, the card is
    # left out without asking for the latest.
    unread = unread_count(request.user)
    if not unread:
        return None
    latest = list(Notice.objects.filter(user=request.user, read_at__isnull=True)[:5])
    return {"notices": latest, "unread": unread} if latest else None


register(Card("counts", _("Overview"), "chainboard/desk/counts.html", _counts, order=0, wide=True))
register(Card("due", _("Due"), "chainboard/desk/due.html", _due, order=11))
register(Card("notices", _("Notices"), "chainboard/desk/notices.html", _notices, order=12))
register(Card("needs_me", _("What needs me"), "chainboard/desk/needs_me.html", _needs_me, order=10))
register(
    Card(
        "recent_changes", _("Recent changes in my scope"), "chainboard/desk/changes.html", _recent_changes, 30
    )
)
register(
    Card(
        "audit_trail",
        _("Latest audit entries"),
        "chainboard/desk/audit.html",
        _audit_trail,
        order=30,
        model="chainboard.AuditEntry",
    )
)
register_count(
    Count(_("Audit entries"), "chainboard.AuditEntry", "audit:auditentry_list", "shield-check", 90)
)


# ---- leaders' instructions (批示, chainboard/instructions.py) ---------------------------------------------


def _open_instructions(user) -> tuple[list, list]:
    """The user's instructions to answer and those they gave, still open: one query, once per request (the
    to-do and the card read the same lists)."""
    from chainboard.instructions import open_and_given

    return once(user, "instructions", lambda: open_and_given(user))


def _instructions(request) -> dict | None:
    """The instructions the user must answer and, for a leader, those they gave that are still open; each
    links to its record's instructions panel. Only records the user may view are listed."""
    user = request.user
    to_answer, given = _open_instructions(user)
    if not to_answer and not given:
        return None
    return {"to_answer": to_answer, "given": given, "today": timezone.localdate()}


def _instructions_todo(user) -> list[Todo]:
    open_, _given = _open_instructions(user)
    if not open_:
        return []
    today = timezone.localdate()
    overdue = any(i.due_date and i.due_date < today for i in open_)
    url = open_[0].url if len(open_) == 1 else reverse("home") + "#desk-instructions"
    return [Todo(_("Leaders' instructions to answer"), len(open_), url, "danger" if overdue else "warning")]


register(
    Card(
        "instructions",
        _("Leaders' instructions"),
        "chainboard/desk/instructions.html",
        _instructions,
        order=15,
    )
)
register_todo(_instructions_todo)


# ---- the working-day schedule (chainboard/workdays.py) ----------------------------------------------------


def _workdays_todo(user) -> list[Todo]:
    """From November, administrators enter next year's working days while the calendar does not cover it."""
    from chainboard import workdays
    from chainboard.models import WorkdayYear

    if not scope.has_permission(user, "change", WorkdayYear):
        return []
    return [
        Todo(
            _("Enter the working days of %(year)d") % {"year": year},
            1,
            reverse("workdays:year_edit", args=[year]),
        )
        for year in workdays.years_to_enter()
    ]


register_todo(_workdays_todo)
