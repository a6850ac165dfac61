"""The daily digest (docs/notices.md): each morning (job ``daily-digest``, 07:30 Asia/Shanghai) every
active user with something to say gets one notice in the app and, with an e-mail address, one mail
(Django's mail: ``EMAIL_*`` settings, the console in the demo) listing:

- their desk to-dos (``desk.todos_for``: what needs them),
- their due items, overdue first (``desk.due_for``: the apps' ``register_due`` functions),
- how many notices they have not read (earlier digests not counted).

Everything is computed as that user, through the same registrations as their desk: a user's digest
holds their own items only, never anyone else's. A user with nothing gets nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chainboard import audit, desk, notices

logger = logging.getLogger(__name__)
KIND = "digest"


@dataclass
class Digest:
    user: object
    todos: list = field(default_factory=list)
    due: list = field(default_factory=list)
    unread: int = 0

    @property
    def empty(self) -> bool:
        return not (self.todos or self.due or self.unread)

    def summary(self) -> str:
        counts = dict.fromkeys(desk.DueState.ORDER, 0)
        for item in self.due:
            counts[item.state] += 1
        return _(
            "Today: %(overdue)d overdue, %(today)d due today, %(soon)d due soon; %(todos)d to-dos; "
            "%(unread)d unread notices."
        ) % {
            "overdue": counts[desk.DueState.OVERDUE],
            "today": counts[desk.DueState.DUE_TODAY],
            "soon": counts[desk.DueState.DUE_SOON],
            "todos": len(self.todos),
            "unread": self.unread,
        }

    def text(self) -> str:
        base = settings.CHAINBOARD_BASE_URL
        lines = [self.summary(), ""]
        if self.due:
            lines.append(_("Due:"))
            for item in self.due:
                provisional = _(" (provisional)") if item.provisional else ""
                lines.append(
                    f"- [{desk.DueState.LABELS[item.state]}] {item.label} · {item.due_on:%Y-%m-%d}{provisional}"
                    f"  {base}{item.url}"
                )
            lines.append("")
        if self.todos:
            lines.append(_("What needs you:"))
            lines.extend(f"- {todo.label}: {todo.count}  {base}{todo.url}" for todo in self.todos)
            lines.append("")
        if self.unread:
            lines.append(
                _("Unread notices: %(count)d  %(url)s")
                % {"count": self.unread, "url": base + reverse("notices:notice_list")}
            )
        return "\n".join(lines).rstrip() + "\n"


def digest_for(user) -> Digest:
    from chainboard.models import Notice

    unread = Notice.objects.filter(user=user, read_at__isnull=True).exclude(kind=KIND).count()
    return Digest(user=user, todos=desk.todos_for(user), due=desk.due_for(user), unread=unread)


def send_all(today=None) -> dict[str, int]:
    """Write every user's digest (the job). Counts of notices and mails sent."""
    today = today or timezone.localdate()
    sent = {"notices": 0, "mails": 0}
    messages = []
    with (
        translation.override(settings.LANGUAGE_CODE),
        audit.operation(source=audit.Source.TASK, label="task:daily_digest"),
    ):
        for user in get_user_model().objects.filter(is_active=True).order_by("pk").iterator(chunk_size=500):
            digest = digest_for(user)
            if digest.empty:
                continue
            notices.notify([user], KIND, digest.summary(), url=reverse("home"))
            sent["notices"] += 1
            if settings.CHAINBOARD_DIGEST_EMAIL and user.email:
                subject = _("Chain chief workbench: your items on %(date)s") % {"date": today.isoformat()}
                messages.append(EmailMessage(subject, digest.text(), None, [user.email]))
    if messages:
        try:
            sent["mails"] = get_connection().send_messages(messages) or 0
        except Exception:  # the mail server being down must not lose the in-app digests
            logger.exception("the daily digest's mail could not be sent")
    return sent
