"""Recent changes in a user's scope, in words (张三 修改了 景柏服饰：电话), for the desk.

Two queries find them, whatever the size of the trail or of the scope. The first lists the kinds of
record changed among the latest ``WINDOW`` audit entries; the second walks those entries down from the
newest and keeps the changes whose record the user may view now (an ``EXISTS`` through ``restrict`` for
each kind present, probed entry by entry), stopping at the tenth, with the entry's kind and user joined.
So the desk never reveals a record outside the scope, not even its name in an old audit row, and a
deleted record (which nobody may open any more) is not listed.

The window bounds the walk: a user whose records were not touched among the latest ``WINDOW`` entries
of the trail sees "no recent changes" (their records' History pages still have it all).
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import BigIntegerField, Case, Exists, OuterRef, Q, Subquery, When
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from chainboard import converters, scope
from chainboard.actions import field_label, model_field
from chainboard.audit import diff
from chainboard.models import AuditEntry
from chainboard.models.audit import AuditAction

SHOWN = 10
WINDOW = 2000
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


def _visible(model: type[models.Model], content_type_id: int, user) -> Exists:
    # The CASE keeps PostgreSQL from casting another kind's object id (a code such as C1741) to a number.
    object_pk = Cast(
        Case(When(Exact(OuterRef("content_type_id"), content_type_id), then=OuterRef("object_id"))),
        BigIntegerField(),
    )
    # Joins, not the scope's subqueries: each probe seeks one row (scope.restrict).
    return Exists(scope.restrict(model._base_manager.filter(pk=object_pk), user, "view", joins=True))


def recent_changes(user, shown: int = SHOWN) -> list[dict[str, Any]] | None:
    """The latest changes to records the user may view, newest first; None when the user may view no
    kind of record at all (the desk then leaves the card out)."""
    kinds = viewable_kinds(user)
    if not kinds:
        return None
    types = ContentType.objects.get_for_models(*(model for model, _name in kinds))
    url_names = {types[model].pk: name for model, name in kinds}
    # The walk goes down the primary key from the newest entry and stops at the ``shown``-th visible one,
    # or at the window's bound: the id of the WINDOW-th newest entry (0 when the trail is shorter).
    bound = Coalesce(Subquery(AuditEntry.objects.order_by("-pk").values("pk")[WINDOW - 1 : WINDOW]), 0)
    window = AuditEntry.objects.filter(pk__gte=bound, content_type_id__in=url_names, action__in=CHANGES)
    # Only the kinds the window holds get their EXISTS: building and compiling one per kind the user may
    # view costs more than the query itself.
    present = set(window.order_by().values_list("content_type_id", flat=True).distinct())
    if not present:
        return []
    visible = Q()
    for model, _name in kinds:
        ct = types[model].pk
        if ct in present:
            visible |= Q(content_type_id=ct) & _visible(model, ct, user)
    entries = list(window.filter(visible).select_related("content_type", "user").order_by("-pk")[:shown])
    return [_in_words(entry, url_names[entry.content_type_id]) for entry in entries]


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
