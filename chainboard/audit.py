"""Audit: who changed what, when, from where, with before and after.

Every write goes through :mod:`chainboard.actions`, which calls :func:`record`. The operation id is
kept in a context variable so that one request, one import or one management command shares it; a
write outside any of those (a shell) gets an operation of its own, so nothing escapes the trail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import functools
import getpass
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    WEB = "web", _("web page")
    API = "api", _("API")
    IMPORT = "import", _("import")
    COMMAND = "command", _("command")
    TASK = "task", _("background task")
    SHELL = "shell", _("shell")


@dataclass
class Operation:
    user: Any = None
    source: str = Source.SHELL
    label: str = ""
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    # Audit row values shared by every row of one kind in this operation (see values())
    common: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def user_name(self) -> str:
        if self.user is not None and getattr(self.user, "is_authenticated", False):
            return self.user.get_username()[:150]
        if self.label:
            return self.label
        try:
            return f"{self.source}:{getpass.getuser()}"
        except (OSError, KeyError):
            return self.source


_current: ContextVar[Operation | None] = ContextVar("chainboard_operation", default=None)


def current_operation() -> Operation:
    op = _current.get()
    return op if op is not None else Operation()


@contextlib.contextmanager
def operation(user: Any = None, source: str = Source.SHELL, label: str = "") -> Iterator[Operation]:
    """Run a block as one operation: every audit row written inside shares its id."""
    op = Operation(user=user, source=source, label=label)
    token = _current.set(op)
    try:
        yield op
    finally:
        _current.reset(token)


class AuditOperationMiddleware:
    """One operation per request, so a request's audit rows share an id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = Source.API if request.path.startswith("/api/") else Source.WEB
        with operation(user=getattr(request, "user", None), source=source) as op:
            request.audit_operation = op
            return self.get_response(request)


_PLAIN = frozenset((str, int, bool))


def _jsonable(value: Any) -> Any:
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "storage"):  # FieldFile
        return value.name or None
    if isinstance(value, models.Model):  # a relation a move sets (a lead's project): by its id
        return value.pk
    return value


def snapshot(instance: models.Model, related: dict[str, list] | None = None) -> dict[str, Any]:
    """The audited state of an instance: concrete fields (foreign keys by id) and many-to-many ids.

    ``related`` gives many-to-many ids already known (bulk writes), so they are not queried per row.
    """
    fields, many = _audited_fields(type(instance))
    # (most values are None, str, int or bool, which _jsonable returns as they are: not called for those)
    data = {
        key: value if (value := read(instance)) is None or type(value) in _PLAIN else _jsonable(value)
        for key, read in fields
    }
    if instance.pk is not None:
        for name in many:
            if related is not None and name in related:
                data[name] = sorted(related[name])
            else:
                data[name] = sorted(obj.pk for obj in getattr(instance, name).all())
    return data


@functools.cache
def _audited_fields(model: type[models.Model]) -> tuple[list[tuple[str, Callable]], list[str]]:
    """What :func:`snapshot` reads, worked out once per model: (key, reader) per concrete field, and
    the many-to-many names. A field that reads its value the usual way is read by attribute."""
    exclude = set(getattr(model, "audit_exclude", ()))
    fields = []
    for f in model._meta.concrete_fields:
        if f.name in exclude:
            continue
        usual = type(f).value_from_object is models.Field.value_from_object
        fields.append(
            (f.attname if f.is_relation else f.name, attrgetter(f.attname) if usual else f.value_from_object)
        )
    many = [f.name for f in model._meta.many_to_many if f.name not in exclude]
    return fields, many


def diff(before: dict | None, after: dict | None) -> dict[str, tuple[Any, Any]]:
    before, after = before or {}, after or {}
    keys = [k for k in {**before, **after} if k not in {"version"}]
    return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}


def record(action: str, instance: models.Model | None = None, **fields):
    """Write one audit row for ``instance`` (or, for bulk operations, for ``model`` with counts);
    ``fields`` are those of :func:`values`."""
    from chainboard import auditchain

    return auditchain.append(values(action, instance, **fields))


def record_many(rows: Iterable[dict[str, Any]]) -> list[int]:
    """Write many audit rows made by :func:`values` (an import's, maybe a generator, taken a batch at a
    time), chained in one pass; the new ids."""
    from chainboard import auditchain

    return auditchain.append_many(rows)


def values(
    action: str,
    instance: models.Model | None = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    parent: models.Model | None = None,
    model: type[models.Model] | None = None,
    object_repr: str = "",
    object_id: str = "",
) -> dict[str, Any]:
    """An audit row as {column attribute: value}: what :func:`record` saves, and what bulk writes insert
    without building model instances (:func:`record_many`)."""
    op = current_operation()
    model = model or type(instance)
    key = (model, type(parent) if parent is not None else None)
    common = op.common.get(key)
    if common is None:  # the same for every row of this kind in this operation (an import's 200,000)
        from django.contrib.contenttypes.models import ContentType

        user = op.user if isinstance(op.user, models.Model) and op.user.is_authenticated else None
        common = op.common[key] = {
            "user_id": user.pk if user is not None else None,
            "user_name": op.user_name,
            "operation_id": op.id,
            "source": op.source,
            "content_type_id": ContentType.objects.get_for_model(model, for_concrete_model=False).pk,
            "parent_content_type_id": ContentType.objects.get_for_model(parent).pk
            if parent is not None
            else None,
        }
    return {
        **common,
        "action": action,
        "object_id": str(instance.pk) if instance is not None else object_id,
        "object_repr": (str(instance) if instance is not None else object_repr)[:200],
        "parent_object_id": str(parent.pk) if parent is not None else "",
        "before": before,
        "after": after,
    }
