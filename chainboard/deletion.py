"""What stops a deletion, asked before anything is deleted (docs/roles.md, Deleting).

A record is deleted alone, or with the child rows the user could delete one by one. It is refused, for
every role and command alike, when other records still hang on it, naming them and their counts:

- rows that refer to it through a ``PROTECT`` foreign key (the database would refuse anyway);
- rows in the relations the model lists in ``delete_protected`` (accessor names): links that would
  otherwise vanish by cascade or be silently cleared (a chain's grants, a segment's enterprises);
- whatever the model's ``delete_refusal(user)`` says (a chain leader is not deleted while it leads).

Rows of a model marked ``part_of_parent`` (a user's API tokens) go with their parent without a check.

It is refused for this user when the cascade would take rows the user may not delete themselves (a
county clerk deleting an enterprise would also take its memberships on the chain, which only the chain
office manages): "roles delete only what their work creates". An entity still to come gets all of this
by declaring its foreign keys' ``on_delete`` and, where a cascade would lose something, its
``delete_protected``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models.deletion import Collector
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from chainboard import scope

EXAMPLES = 3  # records named per kind; the rest are counted


@dataclass
class Dependents:
    """Records of one kind that stand in a deletion's way."""

    model: type[models.Model]
    count: int
    examples: list[str]

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    def __str__(self) -> str:
        names = "、".join(self.examples)
        if self.count > len(self.examples):
            names = _("%(names)s and others") % {"names": names}
        return _("%(kind)s: %(count)s (%(names)s)") % {
            "kind": capfirst(self.label),
            "count": self.count,
            "names": names,
        }

    def as_dict(self) -> dict:
        return {
            "kind": self.model._meta.label_lower,
            "label": self.label,
            "count": self.count,
            "examples": self.examples,
        }


@dataclass
class Refusal:
    message: str
    dependents: list[Dependents]


def _dependents(model: type[models.Model], rows: list | models.QuerySet) -> Dependents:
    if isinstance(rows, models.QuerySet):
        return Dependents(model, rows.count(), [str(o) for o in rows[:EXAMPLES]])
    return Dependents(model, len(rows), [str(o) for o in rows[:EXAMPLES]])


def _grouped(objects) -> list[Dependents]:
    by_model: dict[type[models.Model], list] = {}
    for obj in objects:
        by_model.setdefault(type(obj), []).append(obj)
    return [_dependents(model, rows) for model, rows in by_model.items()]


def _declared(instance: models.Model) -> list[Dependents]:
    """Rows in the relations the model declares ``delete_protected``."""
    out = []
    for accessor in getattr(type(instance), "delete_protected", ()):
        related = getattr(instance, accessor).all()
        if related.exists():
            out.append(_dependents(related.model, related.order_by("pk")))
    return out


def collect(instance: models.Model) -> tuple[Collector | None, list[Dependents]]:
    """The collector that would delete ``instance``, or the dependents that protect it."""
    collector = Collector(using=instance._state.db or "default")
    try:
        collector.collect([instance])
    except (models.ProtectedError, models.RestrictedError) as exc:
        blocking = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        return None, _grouped(blocking)
    return collector, []


def cascaded_rows(collector: Collector, instance: models.Model):
    """Every row the collector deletes besides ``instance`` itself."""
    for model, rows in collector.data.items():
        for row in rows:
            if not (model is type(instance) and row.pk == instance.pk):
                yield row
    for queryset in collector.fast_deletes:
        yield from queryset


def _not_deletable(user, collector: Collector, instance: models.Model) -> list[Dependents]:
    """Cascaded rows of scoped kinds that the user could not delete one by one (one query per kind)."""
    pks: dict[type[models.Model], list] = {}
    for model, rows in collector.data.items():
        pks.setdefault(model, []).extend(
            r.pk for r in rows if not (model is type(instance) and r.pk == instance.pk)
        )
    for queryset in collector.fast_deletes:
        pks.setdefault(queryset.model, []).extend(queryset.values_list("pk", flat=True))
    out = []
    for model, ids in pks.items():
        if not ids or getattr(model, "part_of_parent", False) or not hasattr(model.objects.all(), "restrict"):
            continue  # link tables, search keys, tokens, password history: parts of the record
        rows = model._base_manager.filter(pk__in=ids)
        allowed = scope.restrict(rows, user, "delete").values("pk")
        refused = rows.exclude(pk__in=allowed).order_by("pk")
        if refused.exists():
            out.append(_dependents(model, refused))
    return out


def check(user, instance: models.Model) -> tuple[Collector | None, Refusal | None]:
    """The collector to delete ``instance`` with, or why it may not be deleted by ``user``."""
    refusal = getattr(instance, "delete_refusal", None)
    reason = refusal(user) if refusal is not None else None
    if reason:
        return None, Refusal(str(reason), [])
    declared = _declared(instance)
    collector, protected = collect(instance)
    if declared or protected:
        dependents = declared + [d for d in protected if d.model not in {x.model for x in declared}]
        message = _("%(name)s cannot be deleted while other records depend on it: %(dependents)s.") % {
            "name": instance,
            "dependents": _("; ").join(str(d) for d in dependents),
        }
        return None, Refusal(message, dependents)
    refused = _not_deletable(user, collector, instance)
    if refused:
        message = _(
            "Deleting %(name)s would also delete records you may not delete: %(dependents)s. "
            "Ask whoever manages them."
        ) % {"name": instance, "dependents": _("; ").join(str(d) for d in refused)}
        return None, Refusal(message, refused)
    return collector, None
