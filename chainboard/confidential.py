"""Confidential fields: values only the holders of a model's ``view_confidential`` named action read.

A model lists them in ``confidential_fields`` (an investment lead's planned amount) and declares
``view_confidential`` among its ``named_actions``; a child record whose fields are confidential with its
parent's names the parent in ``confidential_via`` (the attribute: ``"lead"``), and the parent's
permission decides. Every place that shows a record's values asks here: the detail page, lists and
exports (the column is left out), the API (the value reads null), the global search (its columns are the
list's) and history and audit views (the change reads "hidden"). Sorting and filtering never name a
confidential field, so neither can reveal the value by order.

Lists, exports and the API's lists decide per model, conservatively: the value shows only when every
grant that lets the user see the rows also gives the right (one grant, the common case). A user whose
grants give it on only some of the rows they see reads the values on each record's own page, which
decides per record (:func:`hidden_fields_of`).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from chainboard import scope

ACTION = "view_confidential"
HIDDEN = _("(confidential)")


def fields(model: type[models.Model] | None) -> tuple[str, ...]:
    return tuple(getattr(model, "confidential_fields", ()) or ()) if model is not None else ()


def _permission_model(model: type[models.Model]) -> type[models.Model]:
    via = getattr(model, "confidential_via", None)
    return model._meta.get_field(via).related_model if via else model


def hidden_fields(user, model: type[models.Model] | None) -> frozenset[str]:
    """The confidential fields of ``model`` hidden from ``user`` in lists, exports, the API and
    histories: all of them unless every grant that views the rows also holds the right."""
    names = fields(model)
    if not names:
        return frozenset()
    target = _permission_model(model)
    view = scope.permission_name(model, "view")
    right = scope.permission_name(target, ACTION)
    viewing = [g for g in scope.grants(user) if g.allows(view)]
    if viewing and all(g.allows(right) for g in viewing):
        return frozenset()  # a grant's right reaches the rows the grant views: all of them
    return frozenset(names)


def hidden_fields_of(user, obj: models.Model) -> frozenset[str]:
    """The confidential fields of this record hidden from ``user`` (its own page, the API's detail)."""
    model = type(obj)
    hidden = hidden_fields(user, model)
    if not hidden:
        return hidden
    target = _permission_model(model)
    if not scope.has_permission(user, ACTION, target):
        return hidden
    via = getattr(model, "confidential_via", None)
    record = getattr(obj, via) if via else obj
    return frozenset() if record is not None and scope.can(user, ACTION, record) else hidden
