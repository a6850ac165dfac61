"""Scope: one mechanism deciding which rows a user may see or change.

A user holds grants (``rules.md``, Scope). A grant is a role, plus a set of chains (or all chains), plus
a region subtree (or the whole city), or a single enterprise. Conditions within a grant combine with
AND, grants combine with OR. Roles map to permissions ``<app_label>.<action>_<model_name>``.

Each scoped model declares ``scope_paths``: for each scope *dimension* it has, the ORM path from it to
the dimension's value: the chain id (``"chain"``), the region's code path (``"region"``), the enterprise
id (``"enterprise"``), the handling unit's id (``"unit"``). The dimensions are a registry
(:data:`DIMENSIONS`, :func:`register_dimension`): each says how a grant names its value and which lookup
compares it, so a new dimension is a declaration, not new branches here and in the facets. A grant's
condition on a dimension the model does not have does not restrict that model (a county grant restricts
enterprises by region, but a chain, which has no region, only by the grant's chains), except for an
*exclusive* dimension: a grant that names a handling unit sees nothing of a scoped model without
``unit`` (a unit's users see the items assigned to their unit and nothing else of the enterprises).

Everything that reads data goes through :func:`restrict`: list pages, details, counts, form choices,
exports, search and the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.module_loading import import_string

ACTIONS = ("view", "add", "change", "delete")


def actions_of(model: type[models.Model]) -> tuple[str, ...]:
    """The actions a role may be granted on ``model``: the four of every record, plus the named actions
    the model declares (``named_actions = ("transition", "file_progress")``, docs/roles.md)."""
    return ACTIONS + tuple(getattr(model, "named_actions", ()))


@dataclass(frozen=True)
class GrantSpec:
    role: str
    permissions: frozenset[str]
    chain_ids: frozenset[int] | None = None  # None: every chain
    region_path: str | None = None  # None: the whole city
    enterprise_id: int | None = None  # set: this enterprise only
    unit_id: int | None = None  # set: the items assigned to this organisation (a handling unit) only

    def allows(self, permission: str) -> bool:
        return permission in self.permissions

    def value(self, dimension: str):
        """The grant's value on ``dimension`` (None: no restriction on it)."""
        return DIMENSIONS[dimension].value(self)


@dataclass(frozen=True)
class Dimension:
    """A scope dimension: ``scope_paths[name]`` leads from a model to a value that ``lookup`` compares
    with the grant's ``value(grant)`` (None: the grant does not restrict along it)."""

    name: str
    lookup: str  # "exact", "in" or "startswith" (a prefix range)
    value: Callable[[GrantSpec], Any]
    # A grant restricted along an exclusive dimension sees nothing of a scoped model without it.
    exclusive: bool = False


DIMENSIONS: dict[str, Dimension] = {}


def register_dimension(dimension: Dimension) -> None:
    DIMENSIONS[dimension.name] = dimension


register_dimension(Dimension("enterprise", "exact", lambda grant: grant.enterprise_id))
register_dimension(
    Dimension(
        "chain",
        "in",
        lambda grant: None if grant.chain_ids is None else sorted(grant.chain_ids),
    )
)
register_dimension(Dimension("region", "startswith", lambda grant: grant.region_path))
register_dimension(Dimension("unit", "exact", lambda grant: grant.unit_id, exclusive=True))


def excluded(model: type[models.Model], grant: GrantSpec) -> bool:
    """Does ``grant`` see nothing of ``model``: restricted along an exclusive dimension ``model`` (a
    scoped model) does not declare? Unscoped models (reference data) are left to the permissions."""
    paths = getattr(model, "scope_paths", {})
    if not paths:
        return False
    return any(
        dimension.exclusive and dimension.name not in paths and dimension.value(grant) is not None
        for dimension in DIMENSIONS.values()
    )


@cache
def _provider():
    return import_string(settings.CHAINBOARD_GRANTS_PROVIDER)


def grants(user) -> list[GrantSpec]:
    """The user's grants, computed once per user object (that is, once per request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_chainboard_grants", None)
    if cached is None:
        cached = list(_provider()(user))
        user._chainboard_grants = cached
    return cached


def forget(user) -> None:
    """Drop the cached grants after they changed."""
    for name in ("_chainboard_grants", "_chainboard_permissions"):
        if hasattr(user, name):
            delattr(user, name)


def permission_name(model: type[models.Model], action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def has_permission(user, action: str, model: type[models.Model]) -> bool:
    """May the user ``action`` some rows of ``model`` at all (before scope)?"""
    return permission_name(model, action) in permissions(user)


def permissions(user) -> frozenset[str]:
    """The union of the user's grants' permissions, once per user object (a page asks a hundred times:
    the menu, the desk's cards, the list's buttons)."""
    found = grants(user)
    if not found:
        return frozenset()
    cached = getattr(user, "_chainboard_permissions", None)
    if cached is None or cached[0] is not found:
        cached = (found, frozenset().union(*(g.permissions for g in found)))
        user._chainboard_permissions = cached
    return cached[1]


def is_multi_valued(model: type[models.Model], path: str) -> bool:
    """True when following ``path`` crosses a to-many relation (and so could duplicate rows)."""
    current = model
    for part in path.split("__"):
        try:
            field = current._meta.get_field(part)
        except Exception:  # noqa: BLE001 - a lookup such as "startswith" ends the walk
            return False
        if not field.is_relation:
            return False
        if field.many_to_many or field.one_to_many:
            return True
        current = field.related_model
    return False


def prefix_range(path: str, prefix: str) -> Q:
    """Rows whose ``path`` starts with ``prefix``, as a range (``path >= '1405' AND path < '1406'``).

    Django writes ``startswith`` as ``LIKE '1405%' ESCAPE '\\'``, which SQLite never answers from an
    index (its LIKE is case-insensitive and the ESCAPE clause turns the optimisation off) and PostgreSQL
    only under the C collation or a pattern index: at province scale a county's scope or a region filter
    read every row. A range on the same column is answered from its B-tree on both. The bound is the
    prefix with its last character raised by one, which is exact for codes (digits and capital letters
    sort in code-point order under every collation) and for any text a binary collation compares."""
    if not prefix:
        return Q()
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{path}__gte": prefix, f"{path}__lt": upper})


def _by_key(model: type[models.Model], path: str) -> str:
    """``region__path`` as ``region`` when a region's key starts with its path, so that a prefix of the
    path is a range of the foreign key column itself (``region_id >= '1405' AND region_id < '1406'``):
    no join to the regions, and the row's own index answers. A model declares it with
    ``key_starts_with = "path"`` (``regions.Region``: a GB/T 2260 code starts with its significant
    prefix, and nothing outside the subtree does)."""
    head, _sep, last = path.rpartition("__")
    if not head:
        return path
    current = model
    for part in head.split("__"):
        field = current._meta.get_field(part)
        if not field.is_relation or field.related_model is None:
            return path
        current = field.related_model
    if getattr(current, "key_starts_with", None) == last and field.many_to_one:
        return head
    return path


def condition(model: type[models.Model], path: str, lookup: str, value, joins: bool = False) -> Q:
    """``path__lookup=value`` as a condition that never repeats a row of ``model``.

    Across a to-many relation the condition is ``EXISTS`` on the far table's own foreign key
    (``EXISTS (SELECT 1 FROM membership m WHERE m.enterprise_id = e.id AND m.chain_id IN …)``, or
    ``… = indicator.enterprise_id`` from an enterprise's child rows): no join, so no ``DISTINCT`` over the
    whole list and no second pass over the model's own table. ``EXISTS`` rather than ``IN``: SQLite
    drives an ``IN`` from the subquery (every membership of the chain, then each enterprise at random:
    1.6 s for a county's 3,784 of 1,000,000), an ``EXISTS`` from the other conditions (the county's
    enterprises by region, each checked on the unique (enterprise, chain) index: 0.13 s); PostgreSQL
    plans both as a semi-join. A ``startswith`` is a :func:`prefix_range`. With ``joins`` (an existence
    probe of one row, chainboard/recent.py) a to-many condition joins instead: a repeated row does not
    matter there.
    """
    if joins and is_multi_valued(model, path):
        return Q(**{f"{path}__{lookup}": value})
    if lookup == "startswith" and not is_multi_valued(model, path):
        return prefix_range(_by_key(model, path), value)
    if not is_multi_valued(model, path):
        return Q(**{f"{path}__{lookup}": value})
    parts = path.split("__")
    current, head = model, []
    for index, part in enumerate(parts):
        field = current._meta.get_field(part)
        rest = "__".join(parts[index + 1 :])
        if field.one_to_many and rest and field.field.target_field.primary_key:
            far = field.related_model._base_manager.filter(
                condition(field.related_model, rest, lookup, value),
                **{field.field.attname: OuterRef("__".join(head) or "pk")},
            )
            return Q(Exists(far))
        if field.many_to_many or field.one_to_many:
            break
        head.append(part)
        current = field.related_model
    # Any other shape (a many-to-many hop): the model's own rows that match, by primary key.
    inner = model._base_manager.filter(**{f"{path}__{lookup}": value}).values("pk")
    return Q(pk__in=inner)


def grant_condition(model: type[models.Model], grant: GrantSpec, joins: bool = False) -> Q | None:
    """The rows of ``model`` one grant covers; ``None`` when it covers them all."""
    if excluded(model, grant):
        return Q(pk__in=[])
    conditions = [condition(model, *spec, joins) for spec in grant_conditions(model, grant)]
    if not conditions:
        return None
    combined = conditions[0]
    for extra in conditions[1:]:
        combined &= extra
    return combined


def grant_conditions(model: type[models.Model], grant: GrantSpec) -> list[tuple[str, str, Any]]:
    """The (path, lookup, value) conditions, one per dimension, that :func:`grant_condition` joins with
    AND for ``grant`` on ``model`` (none: the grant covers every row). Not for an excluded grant."""
    paths: dict[str, str] = getattr(model, "scope_paths", {})
    return [
        (paths[dimension.name], dimension.lookup, value)
        for dimension in DIMENSIONS.values()
        if (value := dimension.value(grant)) is not None and dimension.name in paths
    ]


def scope_conditions(model: type[models.Model], user, action: str = "view") -> list | None:
    """The rows of ``model`` the user may ``action`` (what :func:`restrict` selects) as (path, lookup,
    value) conditions that hold together, when they are one grant's: ``[]`` when the scope is every row,
    None when it is no such list (grants that narrow differently, joined by OR; no grant at all). A far
    table that carries the fields they start with can then select the far rows of the scope's rows by
    its own columns (:func:`carried`: a county user's memberships by the region each carries)."""
    perm = permission_name(model, action)
    found = None
    for grant in grants(user):
        if not grant.allows(perm) or excluded(model, grant):
            continue  # an excluded grant covers no row: nothing added to the OR
        specs = grant_conditions(model, grant)
        if not specs:
            return []
        if found is not None and specs != found:
            return None
        found = specs
    return found


def restrict(
    queryset: models.QuerySet, user, action: str = "view", *, joins: bool = False
) -> models.QuerySet:
    """The rows of ``queryset`` the user may ``action``. With ``joins``, conditions through to-many
    relations join instead of collecting the scope's rows in a subquery: only for an ``EXISTS`` probe of
    one row (chainboard/recent.py), where a repeated row does not matter and a join is a few index seeks
    where the subquery would first gather every row in scope."""
    if action not in actions_of(queryset.model):
        raise ValueError(f"unknown action {action!r} on {queryset.model._meta.label}")
    perm = permission_name(queryset.model, action)
    allowed = [g for g in grants(user) if g.allows(perm)]
    if not allowed:
        return queryset.none()
    combined: Q | None = None
    for grant in allowed:
        covered = grant_condition(queryset.model, grant, joins)
        if covered is None:
            return queryset
        combined = covered if combined is None else combined | covered
    restricted = queryset.filter(combined)
    if not joins and len(allowed) == 1 and not queryset.query.where and hasattr(restricted, "count_from"):
        far = far_rows(queryset.model, allowed[0])
        if far is not None:
            restricted = restricted.count_from(far.using(queryset.db))
    return restricted


# Every row of a model the user may ``action``, as restrict() builds it from a manager's plain queryset,
# per set of grants (restrict_all). Bounded: cleared when it grows past this many entries.
_RESTRICTED: dict[tuple, models.QuerySet] = {}
RESTRICTED_KEPT = 4096


def restrict_all(manager: models.Manager, user, action: str = "view") -> models.QuerySet:
    """``restrict(manager.all(), user, action)``, built once per set of grants and copied after that.

    Building the scope's conditions (a Q per grant, ``EXISTS`` subqueries resolved against the model)
    costs 0.1-0.5 ms of Python a call, and a page asks for a dozen (the global search box asks every
    kind: 4 ms of its 22 in the demo; docs/lists.md, "The page's Python"). The result depends only on the
    model, the manager's plain queryset, the action, the grants that allow it and the declarations it
    reads (the model's ``scope_paths`` and the registered dimensions), which make the key; it reads no row.
    Each call returns a copy (``QuerySet.all()``), so the kept queryset is never evaluated or changed."""
    model = manager.model
    perm = permission_name(model, action)
    allowed = tuple(g for g in grants(user) if g.allows(perm))
    if not allowed:
        return restrict(manager.all(), user, action)
    key = (
        model,
        type(manager),
        manager.db,
        action,
        allowed,
        tuple(sorted(getattr(model, "scope_paths", {}).items())),
        tuple(DIMENSIONS.values()),
    )
    kept = _RESTRICTED.get(key)
    if kept is None:
        kept = restrict(manager.all(), user, action)
        if len(_RESTRICTED) >= RESTRICTED_KEPT:
            _RESTRICTED.clear()
        _RESTRICTED[key] = kept
    return kept.all()


def far_rows(model: type[models.Model], grant: GrantSpec) -> models.QuerySet | None:
    """The rows of a far table that stand one for one for the rows of ``model`` the grant covers, when
    there are such rows; else None.

    A grant that narrows ``model`` along one dimension only, through a one-to-many relation, to one value
    (a chief's chain: the enterprises with a membership on the chain) covers as many rows of ``model`` as
    the far table has rows with that value, when a unique constraint makes the pair (the far row's key to
    ``model``, the value's field) unique: an enterprise is on a chain once. Counting those rows reads the
    far table's index on the value; counting ``model`` through ``EXISTS`` reads every row of ``model``
    (a chain's 228,000 enterprises among a million: 326 ms against 34 on SQLite; bench/README.md, "Issue
    14: projects")."""
    paths: dict[str, str] = getattr(model, "scope_paths", {})
    narrowed = [
        (paths[dimension], lookup, value)
        for dimension, lookup, value in (
            ("enterprise", "exact", grant.enterprise_id),
            ("chain", "in", sorted(grant.chain_ids) if grant.chain_ids is not None else None),
            ("region", "startswith", grant.region_path),
        )
        if value is not None and dimension in paths
    ]
    if len(narrowed) != 1:
        return None
    path, lookup, value = narrowed[0]
    if lookup == "in":
        if len(value) != 1:
            return None  # a row on two of the chains would be counted twice
        lookup, value = "exact", value[0]
    if lookup != "exact":
        return None
    return far_rows_of(model, path, value)


def far_rows_of(model: type[models.Model], path: str, value) -> models.QuerySet | None:
    """The rows of the far table that stand one for one for the rows of ``model`` with ``path`` equal to
    ``value``, through a one-to-many relation whose far rows are unique for (the key to ``model``, the
    field) (an enterprise's membership of a chain); None otherwise (see :func:`far_rows`)."""
    found = _far_rows(model, path, "exact", value)
    return found[2] if found is not None and one_per_row(model, path) else None


def one_per_row(model: type[models.Model], path: str) -> bool:
    """Does ``path`` cross a one-to-many relation of ``model`` to a field that a unique constraint makes
    unique with the far rows' key (an enterprise is on a chain once), so that the far rows of one value
    of it stand one for one for rows of ``model``?"""
    first, _sep, rest = path.partition("__")
    try:
        field = model._meta.get_field(first)
    except FieldDoesNotExist:
        return False
    if not field.one_to_many or not rest or "__" in rest:
        return False
    return unique_together(field.related_model, field.field.name, rest)


def far_keys(model: type[models.Model], path: str, lookup: str, value) -> models.QuerySet | None:
    """The keys of the rows of ``model`` with ``path__lookup=value``, read off the far table of a
    one-to-many relation (``SELECT enterprise_id FROM membership WHERE role = 'core'``): the rows a
    filter across it keeps, as a subquery the database can start from (see
    ``ScopedFilterSet._filter_each``); None for any other shape."""
    found = _far_rows(model, path, lookup, value)
    if found is None:
        return None
    field, _rest, rows = found
    return rows.order_by().values(field.field.attname)


def _far_rows(model: type[models.Model], path: str, lookup: str, value):
    """(the one-to-many relation, the rest of ``path``, the far table's rows with ``rest__lookup=value``
    that point at a row of ``model``) when ``path`` starts with a one-to-many relation to ``model``'s key;
    else None."""
    first, _sep, rest = path.partition("__")
    try:
        field = model._meta.get_field(first)
    except FieldDoesNotExist:
        return None
    if not (field.one_to_many and rest and field.field.target_field.primary_key):
        return None
    rows = field.related_model._base_manager.filter(**{f"{rest}__{lookup}": value})
    rows = rows.filter(**{f"{field.field.name}__isnull": False}) if field.field.null else rows
    return field, rest, rows


def carried(
    model: type[models.Model], relation: str, conditions: list, leading: str, *, seek: bool = False
) -> Q | None:
    """``conditions`` ((path, lookup, value) each, on ``model``'s own fields) together, as the same
    conditions on the far rows of the one-to-many ``relation`` (a region on an enterprise's memberships):
    when the far model carries the field each path starts with (its ``carried``: fields of the row its
    foreign key points at, kept equal in the database, chainboard/schema.py ``carried_column``), and an
    index of the far rows begins with ``leading`` (the field a filter or a facet reads there) and those
    fields (:func:`indexed_together`; with ``seek``, ``leading`` first: a filter's far rows of one value
    sought within the carried conditions). A far row then meets them exactly when the row of ``model``
    it points at does. None otherwise (a condition given as None is one that cannot be carried); no
    conditions, ``Q()``."""
    try:
        field = model._meta.get_field(relation)
    except FieldDoesNotExist:
        return None
    if not field.one_to_many or not field.field.target_field.primary_key:
        return None
    far = field.related_model
    kept = getattr(far, "carried", {}).get(field.field.name, ())
    combined, fields = Q(), []
    for spec in conditions:
        if spec is None:
            return None
        path, lookup, value = spec
        fields.append(path.split("__")[0])
        if fields[-1] not in kept:
            return None
        combined &= condition(far, path, lookup, value)
    if fields and not indexed_together(far, leading, *fields, first=leading if seek else None):
        return None
    return combined


def carried_values(model: type[models.Model], key: str, parent: models.Model) -> dict[str, Any]:
    """The fields ``model`` carries from the row its foreign key ``key`` points at (its ``carried``), as
    ``parent``, that row, has them, by column name: given on insert, the triggers that keep them
    (chainboard/schema.py ``carried_column``) find them right and write nothing (SQLite: an UPDATE per
    row saved, about 10 µs of each membership an import writes)."""
    out = {}
    for name in getattr(model, "carried", {}).get(key, ()):
        out[model._meta.get_field(name).attname] = getattr(parent, parent._meta.get_field(name).attname)
    return out


def indexed_together(model: type[models.Model], *names: str, first: str | None = None) -> bool:
    """Does an index (or a unique constraint) of ``model`` begin with the fields ``names``, in any order
    (with ``first``, that one first)? The far rows of a filter and a carried field are read off such an
    index; without one the database reads every far row of either and looks the other up in the row (the
    office's core enterprises in a city, off the memberships: 208 ms on SQLite, where the enterprises'
    own plan took 148). ``first``: a count that seeks one value's far rows within a carried range wants
    the value's field first. Behind a range, SQLite planning without statistics (a database never
    analysed) prefers the value's own index and reads its far rows over the whole table (a county's core
    enterprises off (role, enterprise): 30 ms, against under 1 off (region, role, enterprise) with
    statistics; bench/README.md, session 31)."""
    wanted = set(names)
    sets = [[f.lstrip("-") for f in index.fields] for index in model._meta.indexes]
    sets += [list(c.fields) for c in model._meta.total_unique_constraints]
    return any(
        set(fields[: len(wanted)]) == wanted and (first is None or fields[0] == first) for fields in sets
    )


def unique_together(model: type[models.Model], *names: str) -> bool:
    """Does a unique constraint of ``model`` make the fields ``names`` unique together (one membership per
    enterprise and chain)? Only a constraint without a condition counts: every row must obey it."""
    wanted = set(names)
    for name in wanted:
        try:
            if not model._meta.get_field(name).concrete:
                return False
        except FieldDoesNotExist:  # a lookup path, not a field
            return False
    meta = model._meta
    sets = [set(fields) for fields in meta.unique_together]
    sets += [set(c.fields) for c in meta.total_unique_constraints]
    return any(fields <= wanted for fields in sets)


def narrowing(user, model: type[models.Model], dimensions=None) -> list[GrantSpec]:
    """The view grants that narrow ``model`` along ``dimensions`` (None: every registered one); empty
    when one of them covers every row (so a sum over the user's scope is a sum over everything). A grant
    that sees nothing of ``model`` (:func:`excluded`) narrows nothing and is left out."""
    paths = set(getattr(model, "scope_paths", {})) & set(DIMENSIONS if dimensions is None else dimensions)
    perm = permission_name(model, "view")
    out = []
    for grant in grants(user):
        if not grant.allows(perm) or excluded(model, grant):
            continue
        if not any(grant.value(d) is not None for d in paths):
            return []
        out.append(grant)
    return out


@cache
def _namer():
    return import_string(settings.CHAINBOARD_SCOPE_NAMER)


def describe(user, model: type[models.Model], dimensions=None) -> str | None:
    """Which part of ``model`` the user's scope covers, in words (高平市, 景柏服饰), for a label beside any
    sum or count over it (docs/formatting.md); None when it covers every row."""
    narrowing_grants = narrowing(user, model, dimensions)
    if not narrowing_grants:
        return None
    paths = set(getattr(model, "scope_paths", {})) & set(DIMENSIONS if dimensions is None else dimensions)
    names = [_namer()(grant, paths) for grant in narrowing_grants]
    return "、".join(dict.fromkeys(n for n in names if n)) or None


def can(user, action: str, obj: models.Model) -> bool:
    """May the user ``action`` this very object?"""
    model = type(obj)
    return restrict(model._base_manager.filter(pk=obj.pk), user, action).exists()


class SystemActor:
    """The actor of set-up commands and loaders: every permission, no scope limit, no database row.

    Audit rows name the command (``command:setup``) rather than a user.
    """

    is_authenticated = True
    is_active = True
    pk = None

    def __init__(self, label: str = "system"):
        from django.apps import apps

        perms = frozenset(
            permission_name(model, action) for model in apps.get_models() for action in actions_of(model)
        )
        self._chainboard_grants = [GrantSpec(role="system", permissions=perms)]
        self.label = label

    def get_username(self) -> str:
        return self.label

    def __str__(self) -> str:
        return self.label
