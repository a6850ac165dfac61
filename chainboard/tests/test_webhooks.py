"""Webhooks (chainboard/webhooks.py, docs/notices.md) with a fake sender: no network. The body is signed
so the receiver can verify it with the shared secret; failures are retried with exponential backoff and
given up after the configured attempts; every attempt is logged; the pages are the administrator's."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from chainboard import webhooks
from chainboard.models import AuditEntry, WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

SENT: list[dict] = []
ANSWERS: list = []  # what the fake receiver answers next: a status code or an exception


def fake_send(url, body, headers, timeout):
    SENT.append({"url": url, "body": body, "headers": headers})
    answer = ANSWERS.pop(0) if ANSWERS else 200
    if isinstance(answer, Exception):
        raise answer
    return answer


@pytest.fixture(autouse=True)
def fake_sender(settings):
    settings.CHAINBOARD_WEBHOOK_SENDER = f"{__name__}.fake_send"
    settings.CHAINBOARD_WEBHOOK_MAX_ATTEMPTS = 4
    settings.CHAINBOARD_WEBHOOK_BACKOFF_SECONDS = 60
    SENT.clear()
    ANSWERS.clear()


@pytest.fixture
def endpoint(db):
    return WebhookEndpoint.objects.create(url="https://hooks.example.org/in", secret="s3cret", events="")


def emit(event, payload, capture):
    with capture(execute=True):
        webhooks.emit(event, payload)


def test_a_delivery_is_signed_so_the_receiver_verifies_it_with_the_secret(
    endpoint, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC), tick=False)
    emit("problem.escalated", {"problem": 7, "level": 1}, django_capture_on_commit_callbacks)
    (sent,) = SENT
    header = sent["headers"]["X-Chainboard-Signature"]
    timestamp = int(timezone.now().timestamp())
    assert header.startswith(f"t={timestamp},v1=")
    assert webhooks.verify("s3cret", header, sent["body"], now=timestamp)
    assert not webhooks.verify("wrong", header, sent["body"], now=timestamp)
    assert not webhooks.verify("s3cret", header, sent["body"] + b" ", now=timestamp)  # body changed
    assert not webhooks.verify("s3cret", header, sent["body"], now=timestamp + 3600)  # replayed later
    body = json.loads(sent["body"])
    assert (body["event"], body["data"]) == ("problem.escalated", {"problem": 7, "level": 1})
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)


def test_failures_are_retried_with_backoff_then_failed_and_every_attempt_is_logged(
    endpoint, django_capture_on_commit_callbacks, time_machine
):
    start = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    ANSWERS.extend([500, ConnectionRefusedError("refused"), 503, 502])
    emit("notice.digest", {"text": "x"}, django_capture_on_commit_callbacks)  # attempt 1, at once
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at == start + dt.timedelta(seconds=60)
    assert webhooks.retry_due(start + dt.timedelta(seconds=59)) == 0  # not due yet
    waits = []
    now = start
    for _ in range(3):
        delivery.refresh_from_db()
        waits.append((delivery.next_attempt_at - now).total_seconds())
        now = delivery.next_attempt_at
        assert webhooks.retry_due(now) == 1
    assert waits == [60, 120, 240]  # doubled each time
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 4, None)
    log = list(
        WebhookAttempt.objects.filter(delivery=delivery).values_list("number", "response_code", "error")
    )
    assert log == [
        (1, 500, "HTTP 500"),
        (2, None, "ConnectionRefusedError: refused"),
        (3, 503, "HTTP 503"),
        (4, 502, "HTTP 502"),
    ]
    assert webhooks.retry_due(now + dt.timedelta(days=2)) == 0  # failed: never tried again
    assert len(SENT) == 4


def test_only_active_endpoints_that_want_the_event_get_it(db, django_capture_on_commit_callbacks):
    wanted = WebhookEndpoint.objects.create(
        url="https://a.example.org/", secret="a", events="problem.escalated"
    )
    prefix = WebhookEndpoint.objects.create(url="https://b.example.org/", secret="b", events="notice.")
    WebhookEndpoint.objects.create(url="https://c.example.org/", secret="c", events="", active=False)
    emit("problem.escalated", {}, django_capture_on_commit_callbacks)
    emit("notice.digest", {}, django_capture_on_commit_callbacks)
    assert sorted(WebhookDelivery.objects.values_list("endpoint_id", "event")) == sorted(
        [(wanted.pk, "problem.escalated"), (prefix.pk, "notice.digest")]
    )


def test_an_event_of_a_rolled_back_write_is_never_sent(endpoint, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        webhooks.emit("problem.escalated", {})
    assert not WebhookDelivery.objects.exists() and SENT == []


def test_the_backoff_is_capped_at_a_day(settings):
    assert webhooks.backoff(1) == dt.timedelta(seconds=60)
    assert webhooks.backoff(30) == dt.timedelta(days=1)


def test_the_administrator_manages_endpoints_and_retries_a_delivery(
    client, world, endpoint, django_capture_on_commit_callbacks
):
    client.force_login(world.users["admin"])
    assert client.get(reverse("webhooks:endpoint_list")).status_code == 200
    bad = client.post(reverse("webhooks:endpoint_add"), {"url": "not a url", "secret": "", "events": ""})
    assert bad.status_code == 200 and WebhookEndpoint.objects.count() == 1
    added = client.post(
        reverse("webhooks:endpoint_add"),
        {"url": "https://new.example.org/", "secret": "k", "events": "", "active": "on"},
    )
    assert added.status_code == 302
    entry = AuditEntry.objects.filter(content_type__model="webhookendpoint", action="create").get()
    assert "secret" not in entry.after  # the secret never reaches the trail
    ANSWERS.extend([500, 500])
    emit("problem.escalated", {}, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).get()
    page = client.get(reverse("webhooks:delivery_detail", args=[delivery.pk]))
    assert 'data-attempt="1"' in page.content.decode()
    client.post(reverse("webhooks:delivery_retry", args=[delivery.pk]))
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert AuditEntry.objects.filter(content_type__model="webhookdelivery", action="run").exists()


@pytest.mark.parametrize("username", ["chief", "office", "county", "enterprise", "auditor", "security_admin"])
def test_other_roles_do_not_reach_the_webhook_pages(client, world, endpoint, username):
    client.force_login(world.users[username])
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="x", payload={})
    for url in (
        reverse("webhooks:endpoint_list"),
        reverse("webhooks:endpoint_edit", args=[endpoint.pk]),
        reverse("webhooks:delivery_list"),
        reverse("webhooks:delivery_detail", args=[delivery.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("webhooks:delivery_retry", args=[delivery.pk])).status_code == 403
