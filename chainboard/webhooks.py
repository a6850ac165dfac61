"""Webhooks: the product's events sent to receivers the administrator configures (docs/notices.md).

``emit(event, payload)`` creates, once the current transaction commits (an event of a write rolled back
is never sent), one :class:`~chainboard.models.WebhookDelivery` per active endpoint that wants the event,
and enqueues its sending on django-tasks. A delivery is a POST of a JSON body::

    {"id": 12, "event": "problem.escalated", "created_at": "2026-12-04T09:00:00+08:00", "data": {...}}

signed with the endpoint's secret in the header ``X-Chainboard-Signature: t=<unix time>,v1=<hex>``,
where ``v1`` is HMAC-SHA256 over ``"<t>.<body>"`` (the receiver recomputes it, and refuses an old
``t``). A 2xx answer delivers it; anything else (another status, a timeout, a refused connection) is
logged as an attempt (``WebhookAttempt``) and retried with exponential backoff
(``CHAINBOARD_WEBHOOK_BACKOFF_SECONDS`` × 2^(n−1), at most a day) by the scheduled job ``retry-webhooks``,
until ``CHAINBOARD_WEBHOOK_MAX_ATTEMPTS`` attempts have failed: then the delivery is failed. The sender
is a setting (``CHAINBOARD_WEBHOOK_SENDER``, a dotted path): tests put a fake there and reach no
network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Chainboard-Signature"
MAX_BACKOFF = dt.timedelta(days=1)
# While an attempt is under way its delivery is not due (another worker's retry pass leaves it alone).
LEASE = dt.timedelta(minutes=5)
MAX_ERROR_CHARS = 2000


def emit(event: str, payload: dict) -> None:
    """Queue ``event`` for every active endpoint that wants it, after the current transaction commits."""
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))  # what the JSON column will hold
    transaction.on_commit(lambda: _create_deliveries(event, data))


def _create_deliveries(event: str, data: dict) -> list[int]:
    from chainboard.models import WebhookDelivery, WebhookEndpoint
    from chainboard.tasks import send_webhook

    now = timezone.now()
    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if e.wants(event)]
    ids = []
    for endpoint in endpoints:
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, payload=data, created_at=now, next_attempt_at=now
        )
        ids.append(delivery.pk)
    for pk in ids:
        try:
            send_webhook.enqueue(pk)
        except Exception:  # the retry job sends it anyway
            logger.warning("could not enqueue webhook delivery %s", pk, exc_info=True)
    return ids


def body_of(delivery) -> bytes:
    document = {
        "id": delivery.pk,
        "event": delivery.event,
        "created_at": timezone.localtime(delivery.created_at).isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value: ``t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str, header: str, body: bytes, tolerance: int | None = 300, now: float | None = None
) -> bool:
    """What a receiver does (shown in docs/notices.md): recompute the signature; refuse an old one."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if tolerance is not None and abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: base × 2^(attempts−1), at most a day."""
    base = dt.timedelta(seconds=settings.CHAINBOARD_WEBHOOK_BACKOFF_SECONDS)
    return min(base * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def http_send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """The default sender: a POST with urllib; the status code (an HTTP error status is returned, not
    raised; a network failure raises)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - an administrator's URL
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _claim(delivery_id: int, now: dt.datetime):
    """The pending delivery, if due, with its next attempt moved a lease away (one sender at a time)."""
    from chainboard.models import DeliveryStatus, WebhookDelivery

    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        return None
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk,
        status=DeliveryStatus.PENDING,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
    ).update(next_attempt_at=now + LEASE)
    return delivery if claimed else None


def attempt(delivery_id: int, now: dt.datetime | None = None) -> str | None:
    """Try one delivery now if it is due: send, log the attempt, and deliver, schedule a retry or fail it.
    Returns the delivery's status afterwards (None: not due or not pending)."""
    from chainboard.models import DeliveryStatus, WebhookAttempt, WebhookDelivery

    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "chainboard-webhooks",
        "X-Chainboard-Event": delivery.event,
        "X-Chainboard-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: signature(delivery.endpoint.secret, int(now.timestamp()), body),
    }
    sender = import_string(settings.CHAINBOARD_WEBHOOK_SENDER)
    started = time.monotonic()
    code, error = None, ""
    try:
        code = int(sender(delivery.endpoint.url, body, headers, settings.CHAINBOARD_WEBHOOK_TIMEOUT_SECONDS))
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except Exception as exc:  # noqa: BLE001 - a refused connection, a timeout, a bad URL: a failed attempt
        error = f"{type(exc).__name__}: {exc}"
    duration = int((time.monotonic() - started) * 1000)
    number = delivery.attempts + 1
    fields = {"attempts": number, "response_code": code, "error": error[-MAX_ERROR_CHARS:]}
    if not error:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif number >= settings.CHAINBOARD_WEBHOOK_MAX_ATTEMPTS:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    else:
        fields.update(next_attempt_at=now + backoff(number))
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            at=now,
            response_code=code,
            error=fields["error"],
            duration_ms=duration,
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    if error:
        logger.info("webhook delivery %s attempt %s failed: %s", delivery.pk, number, error)
    return fields.get("status", DeliveryStatus.PENDING)


def retry_due(now: dt.datetime | None = None, limit: int = 500) -> int:
    """The job ``retry-webhooks``: attempt every pending delivery whose next attempt is due. The number
    attempted."""
    from chainboard.models import DeliveryStatus, WebhookDelivery

    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(attempt(pk, now) is not None for pk in due)


def retry_now(user, delivery) -> None:
    """The administrator's "retry now": a failed or waiting delivery gets one more attempt at once
    (audited as a run by hand)."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from chainboard import audit, scope
    from chainboard.models import DeliveryStatus, WebhookDelivery
    from chainboard.models.audit import AuditAction

    if not scope.has_permission(user, "change", WebhookDelivery):
        raise PermissionDenied(_("You may not do this."))
    now = timezone.now()
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status == DeliveryStatus.DELIVERED:
            return
        before = {"status": locked.status, "attempts": locked.attempts}
        # One more attempt; failing again, a delivery out of attempts is failed again.
        WebhookDelivery.objects.filter(pk=locked.pk).update(
            status=DeliveryStatus.PENDING, next_attempt_at=now
        )
        audit.record(AuditAction.RUN, locked, before=before, after={"status": DeliveryStatus.PENDING})
    attempt(locked.pk, now)
