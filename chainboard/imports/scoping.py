"""The user's scope in an import: defaults from it, and each row checked against it by column.

A user whose grants (for adding this kind of record) all name the same one chain, or the same one
region, gets that chain or region filled in where the file gives none (no such column, or a blank
cell on a new record); the preview says so once. Every checked row is then held against the grants
in memory, so that a row outside the user's scope is reported with the other errors, naming its
column and value: "所在县（市、区）: 高平市 不在您的数据范围（泽州县）内". The write still checks scope
after it (``Writing._check_scope``), as every action does; this check is what makes its message rare.

Only the dimensions a row carries in its own columns are checked here (an enterprise's region and
chains, a membership's chain); a grant restricting anything else (a single enterprise) is left to
the write.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext as _

from chainboard import scope
from chainboard.imports.mapping import Spec


@dataclass
class Dimension:
    """A scope dimension (chain, region) and the column that carries it."""

    kind: str  # "chain" or "region"
    column: str
    many: bool
    path_field: str = ""  # "path" for a region: the grant's region_path is a prefix of it
    allowed: set = field(default_factory=set)  # the grants' chain ids, or region paths
    default: models.Model | None = None  # the one chain or region of every grant


class ScopeCheck:
    """What the user's grants say about new and changed rows of one entity."""

    def __init__(self, spec: Spec, user):
        self.spec = spec
        self.dimensions: dict[str, Dimension] = {}
        self.grants: dict[str, list[scope.GrantSpec] | None] = {}  # None: the action is not limited
        model = spec.model
        for action in ("add", "change"):
            mine = [g for g in scope.grants(user) if g.allows(scope.permission_name(model, action))]
            unlimited = any(scope.grant_condition(model, g) is None for g in mine)
            self.grants[action] = None if unlimited else mine
        paths = getattr(model, "scope_paths", {})
        for kind in ("chain", "region"):
            if kind in paths:
                found = _dimension(spec, model, kind, paths[kind])
                if found is not None:
                    self.dimensions[kind] = found
        limited = [g for grants in self.grants.values() if grants for g in grants]
        # Only grants that restrict nothing but the dimensions found can be decided here.
        self.active = bool(limited) and all(self._checkable(g) for g in limited)
        if not self.active:
            return
        adding = self.grants["add"] or []
        for kind, dim in self.dimensions.items():
            dim.allowed = {self._grant_value(g, kind) for g in limited} - {None}
            mine = {self._grant_value(g, kind) for g in adding}
            if len(mine) == 1 and None not in mine:
                dim.default = self._object(dim, next(iter(mine)))
        self.names = {kind: self._names(dim) for kind, dim in self.dimensions.items()}

    def _checkable(self, grant: scope.GrantSpec) -> bool:
        paths = getattr(self.spec.model, "scope_paths", {})
        if grant.enterprise_id is not None and "enterprise" in paths:
            return False
        if grant.chain_ids is not None and "chain" in paths and "chain" not in self.dimensions:
            return False
        return not (grant.region_path is not None and "region" in paths and "region" not in self.dimensions)

    @staticmethod
    def _grant_value(grant: scope.GrantSpec, kind: str):
        if kind == "region":
            return grant.region_path
        if grant.chain_ids is not None and len(grant.chain_ids) == 1:
            return next(iter(grant.chain_ids))
        return None if grant.chain_ids is None else frozenset(grant.chain_ids)

    def _object(self, dim: Dimension, value) -> models.Model | None:
        if isinstance(value, frozenset):
            return None
        related = self.spec.columns[dim.column].related
        lookup = {dim.path_field: value} if dim.path_field else {"pk": value}
        return related._base_manager.filter(**lookup).first()

    def _names(self, dim: Dimension) -> str:
        related = self.spec.columns[dim.column].related
        if dim.path_field:
            found = related._base_manager.filter(**{f"{dim.path_field}__in": dim.allowed})
        else:
            ids = set()
            for value in dim.allowed:
                ids |= set(value) if isinstance(value, frozenset) else {value}
            found = related._base_manager.filter(pk__in=ids)
        return "、".join(sorted(str(o) for o in found))

    # -- the row ----------------------------------------------------------------------------------
    def defaults(self) -> dict[str, models.Model]:
        """Field name -> the value a row without one gets (the user's one chain or region)."""
        if not self.active:
            return {}
        return {d.column: d.default for d in self.dimensions.values() if d.default is not None}

    def problems(
        self, instance: models.Model, related: dict[str, list], action: str
    ) -> list[tuple[str, str, str]]:
        """(column, value, message) for a row (to ``action``: add or change) that no grant covers."""
        grants = self.grants.get(action)
        if not self.active or grants is None:
            return []
        values = {kind: self._row_values(dim, instance, related) for kind, dim in self.dimensions.items()}
        failing_by_grant = []
        for grant in grants:
            failing = [kind for kind in self.dimensions if not self._covers(grant, kind, values[kind])]
            if not failing:
                return []
            failing_by_grant.append(failing)
        out = []
        for kind in min(failing_by_grant, key=len) if failing_by_grant else ():
            dim = self.dimensions[kind]
            shown = "、".join(str(o) for o in values[kind])
            if not shown:
                message = _("Not given; your scope covers only %(scope)s.") % {"scope": self.names[kind]}
            else:
                message = _("%(value)s is outside your scope (%(scope)s).") % {
                    "value": shown,
                    "scope": self.names[kind],
                }
            out.append((dim.column, shown, message))
        return out

    def _row_values(self, dim: Dimension, instance: models.Model, related: dict[str, list]) -> list:
        if dim.many:
            if dim.column in related:
                return list(related[dim.column])
            if instance.pk is not None and not instance._state.adding:
                return list(getattr(instance, dim.column).all())  # prefetched with the record
            return []
        value = getattr(instance, dim.column, None)
        return [] if value is None else [value]

    def _covers(self, grant: scope.GrantSpec, kind: str, objects: list) -> bool:
        if kind == "chain":
            return grant.chain_ids is None or any(o.pk in grant.chain_ids for o in objects)
        if grant.region_path is None:
            return True
        path_field = self.dimensions[kind].path_field
        return any(str(getattr(o, path_field)).startswith(grant.region_path) for o in objects)


def _dimension(spec: Spec, model, kind: str, path: str) -> Dimension | None:
    """The column whose value decides ``kind`` for a row of ``model`` (``scope_paths``): the region
    foreign key for "region__path", the chains many-to-many for "memberships__chain"."""
    parts = path.split("__")
    try:
        first = model._meta.get_field(parts[0])
    except Exception:  # noqa: BLE001 - "pk" and the like are no relation
        return None
    if not first.is_relation:
        return None
    # The model at the end of the path's relations, and the plain field it ends on, if any.
    current, path_field = first.related_model, ""
    for part in parts[1:]:
        f = current._meta.get_field(part)
        if f.is_relation:
            current = f.related_model
        else:
            path_field = part
    for column in spec.columns.values():
        if column.related is not current:
            continue
        if column.name == parts[0] and not first.many_to_many and len(parts) <= 2:
            return Dimension(kind, column.name, False, path_field)
        if column.many:
            through = model._meta.get_field(column.name).remote_field.through
            if first.related_model is through or column.name == parts[0]:
                return Dimension(kind, column.name, True, path_field)
    return None


def scope_defaults(spec: Spec, user) -> dict[str, models.Model]:
    """Field name -> what the user's scope fills in where a file gives nothing (their one chain or
    county): such a field needs no column of its own."""
    return ScopeCheck(spec, user).defaults()
