"""Notices and the due registry (chainboard/notices.py, chainboard/desk.py; docs/notices.md): a notice
reaches the users named and nobody else, is audited and emitted as a webhook event; each user reads their
own inbox; the header counts the unread; the desk's "Due" card groups a user's items by state."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from chainboard import desk, notices
from chainboard.models import AuditEntry, Notice, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_notify_writes_one_notice_per_user_audited_and_emits_the_event(
    world, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(url="https://hooks.example.org/in", secret="s3cret", events="notice.")
    county, office = world.users["county"], world.users["office"]
    chain = world.chains["silk"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = notices.notify([county, office, county], "escalation", "某诉求已逾期", obj=chain)
    assert [n.user for n in created] == [county, office]  # each user once
    assert {n.url for n in created} == {chain.get_absolute_url()}
    assert AuditEntry.objects.filter(content_type__model="notice", action="create").count() == 2
    assert not WebhookDelivery.objects.exists()  # not before the commit
    for callback in callbacks:
        callback()
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "notice.escalation"
    assert delivery.payload["users"] == ["county", "office"]
    assert notices.notify([], "escalation", "nobody") == []


def test_each_user_reads_their_own_inbox_and_marks_it_read(client, world):
    county, office = world.users["county"], world.users["office"]
    mine = notices.notify([county], "test", "给高平市的通知")[0]
    theirs = notices.notify([office], "test", "给产业链办公室的通知")[0]
    client.force_login(county)
    page = client.get(reverse("notices:notice_list"))
    text = page.content.decode()
    assert "给高平市的通知" in text and "给产业链办公室的通知" not in text
    assert 'data-unread-notices="1"' in text  # the header's badge
    # Another user's notice is not revealed, nor marked.
    assert client.post(reverse("notices:notice_read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notices:notice_read", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    assert (
        AuditEntry.objects.filter(content_type__model="notice", action="update", user_name="county").count()
        == 1
    )
    assert 'data-unread-notices="0"' in client.get(reverse("home")).content.decode()


def test_mark_all_read_touches_only_the_user_s_own(client, world):
    county, office = world.users["county"], world.users["office"]
    notices.notify([county, office], "test", "两人都收到")
    notices.notify([county], "test", "再一条")
    client.force_login(county)
    client.post(reverse("notices:notice_read_all"))
    assert not Notice.objects.filter(user=county, read_at__isnull=True).exists()
    assert Notice.objects.filter(user=office, read_at__isnull=True).count() == 1


def test_the_desk_shows_unread_notices(client, world):
    county = world.users["county"]
    notices.notify([county], "test", "桌面上的通知")
    client.force_login(county)
    text = client.get(reverse("home")).content.decode()
    assert 'id="desk-notices"' in text and "桌面上的通知" in text
    client.force_login(world.users["office"])
    assert 'id="desk-notices"' not in client.get(reverse("home")).content.decode()


@pytest.fixture
def due_registered(monkeypatch):
    """A registration as an app makes it: each user's own items (here: by username)."""
    today = dt.date(2026, 12, 4)
    items = {
        "county": [
            desk.DueItem("诉求甲", "/a/", today - dt.timedelta(days=2), False, "overdue"),
            desk.DueItem("诉求乙", "/b/", today, False, "due_today"),
            desk.DueItem("任务丙", "/c/", today + dt.timedelta(days=2), True, "due_soon"),
        ]
    }
    monkeypatch.setattr(desk, "DUES", [])
    desk.register_due(lambda user: items.get(user.username, []))
    return items


def test_the_due_card_groups_the_user_s_items_by_state(client, world, due_registered):
    groups = desk.due_groups(desk.due_for(world.users["county"]))
    assert [(g["state"], [str(i.label) for i in g["items"]]) for g in groups] == [
        ("overdue", ["诉求甲"]),
        ("due_today", ["诉求乙"]),
        ("due_soon", ["任务丙"]),
    ]
    client.force_login(world.users["county"])
    text = client.get(reverse("home")).content.decode()
    assert 'id="desk-due"' in text
    assert text.index('data-due-state="overdue"') < text.index('data-due-state="due_today"')
    client.force_login(world.users["office"])
    assert 'id="desk-due"' not in client.get(reverse("home")).content.decode()


def test_a_due_item_has_a_known_state():
    with pytest.raises(ValueError):
        desk.DueItem("x", "/", dt.date(2026, 1, 1), False, "late")
