"""Recent changes in a user's scope, in words (张三 修改了 景柏服饰：电话), for the desk.

The walk goes down the audit trail from the newest entry, in batches, and keeps the changes whose record
the user may view now, stopping at the tenth:

1. a batch of the newest entries of the kinds the user may view (id, kind, record id only), the first
   ``BATCH`` of them, the next batch ``GROWTH`` times larger, and so on down to the window's bound;
2. for the batch, one query asks which of its records the user may view: for each kind present in it,
   ``restrict(model).filter(pk__in=…)``, the kinds joined with ``UNION ALL``;
3. the visible entries, at most ten, read whole with their kind and user.

So the desk never reveals a record outside the scope, not even its name in an old audit row, and a
deleted record (which nobody may open any more) is not listed. Three queries when the newest batch holds
ten visible changes (the chief, the office), two more per further batch. Plain ``restrict`` queries per
kind present in a batch rather than one correlated ``EXISTS`` per kind present in the whole window: the
ORM's work to build and compile each ``EXISTS`` (1.8 ms a kind on SQLite, over thirty kinds) cost more than
the queries themselves; a plain query is a third of that, and the newest batch holds a third of the kinds.

The window bounds the walk: a user whose records were not touched among the latest ``WINDOW`` entries
of the trail sees "no recent changes" (their records' History pages still have it all).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import IntegerField, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from chainboard import converters, scope
from chainboard.actions import field_label, model_field
from chainboard.audit import diff
from chainboard.models import AuditEntry
from chainboard.models.audit import AuditAction

SHOWN = 10
WINDOW = 2000
BATCH = 5 * SHOWN  # the first batch of the walk: the chief's and the office's ten are in it
GROWTH = 8  # each further batch this many times the one before: three batches cover the window
CHANGES = (AuditAction.CREATE, AuditAction.UPDATE, AuditAction.TRANSITION)
FIELDS_NAMED = 3  # "景柏服饰：电话、地址 and 2 more"


def viewable_kinds(user) -> list[tuple[type[models.Model], str]]:
    """(model, detail URL name) for each entity with pages that the user may view."""
    from chainboard.views.generic import registered_viewsets

    out = []
    for viewset in registered_viewsets():
        model = viewset.model
        if not converters.is_integer_pk(model) or not hasattr(model.objects, "restrict"):
            continue  # reference data (codes as keys) is loaded in bulk, one audit row per load
        if scope.has_permission(user, "view", model):
            out.append((model, viewset.names()["detail"]))
    return out


def _visible(user, models_by_type: dict[int, type[models.Model]], batch) -> set[tuple[int, int]]:
    """(kind, record id) of the batch's records that the user may view now: one query."""
    wanted: dict[int, set[int]] = defaultdict(set)
    for _pk, content_type_id, object_id in batch:
        wanted[content_type_id].add(object_id)
    parts = [
        # Joins, not the scope's subqueries: a few rows sought by key (scope.restrict).
        scope.restrict(models_by_type[ct]._base_manager.filter(pk__in=sorted(ids)), user, "view", joins=True)
        .order_by()
        .values_list(Value(ct, output_field=IntegerField()), "pk")
        for ct, ids in wanted.items()
    ]
    if not parts:
        return set()
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return set(union)


def recent_changes(user, shown: int = SHOWN) -> list[dict[str, Any]] | None:
    """The latest changes to records the user may view, newest first; None when the user may view no
    kind of record at all (the desk then leaves the card out)."""
    kinds = viewable_kinds(user)
    if not kinds:
        return None
    types = ContentType.objects.get_for_models(*(model for model, _name in kinds))
    url_names = {types[model].pk: name for model, name in kinds}
    models_by_type = {types[model].pk: model for model, _name in kinds}
    # The window's bound: the id of the WINDOW-th newest entry of the whole trail (0 when it is shorter).
    bound = Coalesce(Subquery(AuditEntry.objects.order_by("-pk").values("pk")[WINDOW - 1 : WINDOW]), 0)
    window = AuditEntry.objects.filter(pk__gte=bound, content_type_id__in=url_names, action__in=CHANGES)
    found: list[int] = []
    below, size = None, BATCH
    while len(found) < shown:
        rows = window if below is None else window.filter(pk__lt=below)
        read = list(rows.order_by("-pk").values_list("pk", "content_type_id", "object_id")[:size])
        # Integer keys only (viewable_kinds): anything else is nobody's record.
        batch = [(pk, ct, int(object_id)) for pk, ct, object_id in read if object_id.isdigit()]
        visible = _visible(user, models_by_type, batch)
        found += [pk for pk, ct, object_id in batch if (ct, object_id) in visible]
        if len(read) < size:
            break  # the window's end
        below, size = read[-1][0], size * GROWTH
    if not found:
        return []
    entries = AuditEntry.objects.filter(pk__in=found[:shown]).select_related("content_type", "user")
    return [_in_words(entry, url_names[entry.content_type_id]) for entry in entries.order_by("-pk")]


def _changed_fields(entry: AuditEntry) -> list[str]:
    model = entry.content_type.model_class()
    excluded = set(getattr(model, "audit_exclude", ())) | {"version", "updated_at", "created_at"}
    labels = []
    for name in diff(entry.before, entry.after):
        field = model_field(model, name)
        if name in excluded or (field is not None and field.primary_key):
            continue
        labels.append(field_label(model, name))
    return labels


def _in_words(entry: AuditEntry, url_name: str) -> dict[str, Any]:
    # A person by name (the user name written on the row when the user is gone); a command, an import's
    # task or a loader as "the system" (the record's History page says which).
    if entry.user_id is None:
        who = _("the system")
    else:
        person = entry.user
        who = (getattr(person, "full_name", "") or entry.user_name) if person else entry.user_name
    what = entry.object_repr
    if entry.action == AuditAction.UPDATE:
        fields = _changed_fields(entry)
        if fields:
            named = "、".join(fields[:FIELDS_NAMED])
            more = len(fields) - FIELDS_NAMED
            if more > 0:
                named = _("%(fields)s and %(count)s more") % {"fields": named, "count": more}
            what = _("%(record)s: %(fields)s") % {"record": entry.object_repr, "fields": named}
        sentence = _("%(who)s changed %(what)s")
    elif entry.action == AuditAction.CREATE:
        sentence = _("%(who)s added %(what)s")
    else:
        sentence = _("%(who)s moved %(what)s on")
    try:
        url = reverse(url_name, kwargs={"pk": entry.object_id})
    except NoReverseMatch:
        url = ""
    return {
        "entry": entry,
        "text": sentence % {"who": who, "what": what},
        "kind": entry.content_type.model_class()._meta.verbose_name,
        "url": url,
    }


def latest_audit_entries(shown: int = SHOWN) -> list[dict[str, Any]]:
    """The auditor's card: the latest entries of the whole trail, each linking to its entry."""
    entries = list(AuditEntry.objects.select_related("content_type").order_by("-pk")[:shown])
    return [
        {
            "entry": entry,
            "text": f"{entry.user_name} · {entry.get_action_display()} · {entry.object_repr}".strip(" ·"),
            "url": reverse("audit:auditentry_detail", kwargs={"pk": entry.pk}),
        }
        for entry in entries
    ]
