"""Scope: one mechanism deciding which rows a user may see or change.

A user holds grants (``rules.md``, Scope). A grant is a role, plus a set of chains (or all chains), plus
a region subtree (or the whole city), or a single enterprise. Conditions within a grant combine with
AND, grants combine with OR. Roles map to permissions ``<app_label>.<action>_<model_name>``.

Each scoped model declares ``scope_paths``: the ORM path from it to the chain id (``"chain"``), to the
region's code path (``"region"``) and to the enterprise id (``"enterprise"``). A grant's condition on a
dimension the model does not have does not restrict that model: a county grant restricts enterprises by
region, but a chain (which has no region) only by the grant's chains.

Everything that reads data goes through :func:`restrict`: list pages, details, counts, form choices,
exports, search and the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import models
from django.db.models import Q
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

    def allows(self, permission: str) -> bool:
        return permission in self.permissions


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
    if hasattr(user, "_chainboard_grants"):
        del user._chainboard_grants


def permission_name(model: type[models.Model], action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def has_permission(user, action: str, model: type[models.Model]) -> bool:
    """May the user ``action`` some rows of ``model`` at all (before scope)?"""
    perm = permission_name(model, action)
    return any(g.allows(perm) for g in grants(user))


def _is_multi_valued(model: type[models.Model], path: str) -> bool:
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


def _condition(model: type[models.Model], path: str, lookup: str, value, joins: bool = False) -> Q:
    if not joins and _is_multi_valued(model, path):
        # A subquery instead of a join: OR-ing joined conditions would repeat rows.
        inner = model._base_manager.filter(**{f"{path}__{lookup}": value}).values("pk")
        return Q(pk__in=inner)
    return Q(**{f"{path}__{lookup}": value})


def grant_condition(model: type[models.Model], grant: GrantSpec, joins: bool = False) -> Q | None:
    """The rows of ``model`` one grant covers; ``None`` when it covers them all."""
    paths: dict[str, str] = getattr(model, "scope_paths", {})
    conditions: list[Q] = []
    if grant.enterprise_id is not None and "enterprise" in paths:
        conditions.append(_condition(model, paths["enterprise"], "exact", grant.enterprise_id, joins))
    if grant.chain_ids is not None and "chain" in paths:
        conditions.append(_condition(model, paths["chain"], "in", sorted(grant.chain_ids), joins))
    if grant.region_path is not None and "region" in paths:
        conditions.append(_condition(model, paths["region"], "startswith", grant.region_path, joins))
    if not conditions:
        return None
    combined = conditions[0]
    for extra in conditions[1:]:
        combined &= extra
    return combined


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
        condition = grant_condition(queryset.model, grant, joins)
        if condition is None:
            return queryset
        combined = condition if combined is None else combined | condition
    return queryset.filter(combined)


def narrowing(
    user, model: type[models.Model], dimensions=("chain", "region", "enterprise")
) -> list[GrantSpec]:
    """The view grants that narrow ``model`` along ``dimensions``; empty when one of them covers every row
    (so a sum over the user's scope is a sum over everything)."""
    paths = set(getattr(model, "scope_paths", {})) & set(dimensions)
    perm = permission_name(model, "view")
    out = []
    for grant in grants(user):
        if not grant.allows(perm):
            continue
        narrows = {
            "chain": grant.chain_ids is not None,
            "region": grant.region_path is not None,
            "enterprise": grant.enterprise_id is not None,
        }
        if not any(narrows[d] for d in paths):
            return []
        out.append(grant)
    return out


@cache
def _namer():
    return import_string(settings.CHAINBOARD_SCOPE_NAMER)


def describe(user, model: type[models.Model], dimensions=("chain", "region", "enterprise")) -> str | None:
    """Which part of ``model`` the user's scope covers, in words (高平市, 景柏服饰), for a label beside any
    sum or count over it (docs/formatting.md); None when it covers every row."""
    narrowing_grants = narrowing(user, model, dimensions)
    if not narrowing_grants:
        return None
    paths = set(getattr(model, "scope_paths", {})) & set(dimensions)
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
