"""Notices: messages to users in the app (docs/notices.md).

``notify(users, kind, text, obj=None, url="")`` writes one :class:`~chainboard.models.Notice` per user in
one INSERT, audits each row (under the current operation: the request, command or task that caused it;
no role permission is needed, as the write path's own audit rows need none), and emits the webhook event
``notice.<kind>`` (chainboard/webhooks.py). A user reads their own notices only: the inbox at
``/notices/``, the unread count in the header, a card on the desk; reading one (or all) is audited too.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from chainboard import audit


def _ids(users) -> list[int]:
    out = []
    for user in users:
        pk = user if isinstance(user, int) else getattr(user, "pk", None)
        if pk is not None and pk not in out:
            out.append(pk)
    return out


def notify(users: Iterable, kind: str, text: str, obj: models.Model | None = None, url: str = "") -> list:
    """One notice per user (users or their ids; each once), audited, and the webhook event
    ``notice.<kind>``. Returns the notices; nothing is written for no user."""
    from chainboard import webhooks
    from chainboard.models import Notice
    from chainboard.models.audit import AuditAction

    ids = _ids(users)
    if not ids:
        return []
    if not url and obj is not None and hasattr(obj, "get_absolute_url"):
        url = obj.get_absolute_url()
    content_type = ContentType.objects.get_for_model(obj) if obj is not None else None
    object_id = str(obj.pk) if obj is not None else ""
    now = timezone.now()
    rows = [
        Notice(
            user_id=pk,
            kind=kind,
            text=text,
            url=url,
            content_type=content_type,
            object_id=object_id,
            created_at=now,
        )
        for pk in ids
    ]
    with transaction.atomic():
        created = Notice.objects.bulk_create(rows)
        if any(n.pk is None for n in created):  # a backend that does not return keys: read them back
            created = list(
                Notice.objects.filter(user_id__in=ids, kind=kind, created_at=now).order_by("user_id")
            )
        audit.record_many(
            audit.values(AuditAction.CREATE, notice, before=None, after=audit.snapshot(notice))
            for notice in created
        )
        usernames = dict(get_user_model()._base_manager.filter(pk__in=ids).values_list("pk", "username"))
        webhooks.emit(
            f"notice.{kind}",
            {
                "kind": kind,
                "text": text,
                "url": url,
                "object": {"type": content_type.model, "id": object_id} if content_type else None,
                "users": [usernames.get(pk) for pk in ids],
            },
        )
    return created


def mark_read(user, notices=None) -> int:
    """Mark ``user``'s notices read (``notices``: a queryset or ids of them; None: all unread), audited.
    Another user's notices are never touched. The number marked."""
    from chainboard.models import Notice
    from chainboard.models.audit import AuditAction

    unread = Notice.objects.filter(user=user, read_at__isnull=True)
    if notices is not None:
        unread = unread.filter(
            pk__in=_ids(notices) if not isinstance(notices, models.QuerySet) else notices.values("pk")
        )
    now = timezone.now()
    with transaction.atomic():
        rows = list(unread.select_for_update())
        if not rows:
            return 0
        Notice.objects.filter(pk__in=[n.pk for n in rows]).update(read_at=now)
        entries = []
        for notice in rows:
            before = audit.snapshot(notice)
            notice.read_at = now
            entries.append(
                audit.values(AuditAction.UPDATE, notice, before=before, after=audit.snapshot(notice))
            )
        audit.record_many(entries)
    return len(rows)


def unread_count(user) -> int:
    """The header's badge: once per request (cached on the user object)."""
    from chainboard.models import Notice

    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    cached = getattr(user, "_chainboard_unread_notices", None)
    if cached is None:
        cached = user._chainboard_unread_notices = Notice.objects.filter(
            user=user, read_at__isnull=True
        ).count()
    return cached


def users_with_permission(action: str, model: type[models.Model]):
    """The active users some grant or position of whom allows ``action`` on ``model`` (the administrators
    for the working-day schedule): asked of the grants provider's models (accounts/scope.py)."""
    from accounts.scope import users_holding
    from chainboard.scope import permission_name

    return users_holding(permission_name(model, action))
