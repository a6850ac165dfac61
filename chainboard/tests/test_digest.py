"""The daily digest (chainboard/digest.py, docs/notices.md), time frozen, mail in Django's outbox: each
user's digest holds their own to-dos, due items and unread notices only; users with nothing get nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from chainboard import desk, digest, notices, scheduler
from chainboard.models import AuditEntry, Notice

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 4)


@pytest.fixture
def items(world, monkeypatch, time_machine):
    """Registrations as the apps make them: each user's own items (here by username), nothing else."""
    time_machine.move_to(
        dt.datetime(2026, 12, 4, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False
    )
    due = {
        "county": [
            desk.DueItem("高平市的诉求", "/problems/1/", TODAY - dt.timedelta(days=1), False, "overdue")
        ],
        "office": [desk.DueItem("办公室的任务", "/tasks/2/", TODAY + dt.timedelta(days=1), True, "due_soon")],
    }
    todos = {"county": [desk.Todo("待受理的诉求", 3, "/problems/?state=submitted")]}
    monkeypatch.setattr(desk, "DUES", [])
    monkeypatch.setattr(desk, "TODOS", [])
    monkeypatch.setattr(desk, "_discovered", True)
    desk.register_due(lambda user: due.get(user.username, []))
    desk.register_todo(lambda user: todos.get(user.username, []))
    for name in ("county", "office", "chief"):
        user = world.users[name]
        user.email = f"{name}@example.org"
        user.save(update_fields=["email"])
    return world


def test_each_user_gets_their_own_items_only(items):
    notices.notify([items.users["chief"]], "test", "给链长的通知")
    assert digest.digest_for(items.users["chief"]).unread == 1
    sent = digest.send_all(TODAY)
    assert sent == {"notices": 3, "mails": 3}
    by_address = {m.to[0]: m for m in mail.outbox}
    county = by_address["county@example.org"].body
    assert "高平市的诉求" in county and "待受理的诉求" in county
    assert "办公室的任务" not in county
    office = by_address["office@example.org"].body
    assert "办公室的任务" in office and "高平市的诉求" not in office
    chief = by_address["chief@example.org"].body
    assert "高平市的诉求" not in chief and "办公室的任务" not in chief
    assert "/notices/" in chief  # the one unread notice, linked
    assert "2026-12-04" in by_address["county@example.org"].subject
    in_app = Notice.objects.filter(kind="digest")
    assert sorted(in_app.values_list("user__username", flat=True)) == ["chief", "county", "office"]
    assert AuditEntry.objects.filter(content_type__model="notice", user_name="task:daily_digest").count() == 3


def test_users_with_nothing_get_nothing(items):
    digest.send_all(TODAY)
    nothing = {"investment", "enterprise", "auditor", "admin", "security_admin", "outsider"}
    assert not Notice.objects.filter(kind="digest", user__username__in=nothing).exists()
    assert not any(m.to[0].split("@")[0] in nothing for m in mail.outbox)


def test_yesterday_s_digest_does_not_make_today_s(items, time_machine):
    digest.send_all(TODAY)
    mail.outbox.clear()
    chief = items.users["chief"]
    # The chief had only a digest notice: unread digests do not count, so nothing to say.
    assert digest.digest_for(chief).empty


def test_the_digest_is_a_scheduled_job_at_half_past_seven():
    registration = scheduler.REGISTRY["daily-digest"]
    assert registration.cron == "30 7 * * *"
    assert registration.task == "chainboard.tasks.daily_digest"
    assert "retry-webhooks" in scheduler.REGISTRY and "workday-reminder" in scheduler.REGISTRY
