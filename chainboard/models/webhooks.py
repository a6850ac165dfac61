from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import AuditedModel


class WebhookEndpoint(AuditedModel):
    """A receiver of the product's events (chainboard/webhooks.py): a URL, the shared secret the body is
    signed with, and the events it wants. Configured by the administrator, audited (never the secret)."""

    url = models.URLField(
        verbose_name=_("URL"),
        max_length=500,
    )
    secret = models.CharField(
        verbose_name=_("secret"),
        max_length=200,
        help_text=_("Shared with the receiver, which checks the X-Chainboard-Signature header with it."),
    )
    events = models.CharField(
        verbose_name=_("events"),
        max_length=500,
        blank=True,
        help_text=_(
            "Comma-separated event names (problem.escalated, notice.digest) or prefixes ending in a dot "
            "(notice.); empty: every event."
        ),
    )
    active = models.BooleanField(
        verbose_name=_("active"),
        default=True,
    )

    audit_exclude = ("created_at", "updated_at", "secret")
    # Its delivery log is kept: an endpoint no longer wanted is switched off, not deleted.
    delete_protected = ("deliveries",)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ("url", "pk")

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        names = [name.strip() for name in self.events.split(",") if name.strip()]
        return not names or any(event == n or (n.endswith(".") and event.startswith(n)) for n in names)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")

    @property
    def colour(self) -> str:
        return {"pending": "blue", "delivered": "green", "failed": "red"}[self.value]


class Outcome(models.Model):
    """What the receiver answered last (a delivery) or that time (an attempt)."""

    response_code = models.PositiveIntegerField(
        verbose_name=_("response code"),
        null=True,
        blank=True,
    )
    error = models.TextField(
        verbose_name=_("error"),
        blank=True,
    )

    class Meta:
        abstract = True


class WebhookDelivery(Outcome):
    """One event to one endpoint, tried until delivered or out of attempts. Bookkeeping of the sender (as
    a scheduled job's runs are): not audited; each attempt is logged in ``WebhookAttempt``."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    event = models.CharField(
        verbose_name=_("event"),
        max_length=100,
    )
    payload = models.JSONField(
        verbose_name=_("payload"),
    )
    attempts = models.PositiveIntegerField(
        verbose_name=_("attempts"),
        default=0,
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=20,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    created_at = models.DateTimeField(
        verbose_name=_("created"),
        default=timezone.now,
    )
    next_attempt_at = models.DateTimeField(
        verbose_name=_("next attempt"),
        null=True,
        blank=True,
    )
    delivered_at = models.DateTimeField(
        verbose_name=_("delivered"),
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-created_at", "-id")
        default_permissions = ("view", "change")
        indexes = [
            # The retry job: pending deliveries whose next attempt is due.
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"

    @property
    def state(self) -> DeliveryStatus:
        return DeliveryStatus(self.status)


class WebhookAttempt(Outcome):
    """One try of a delivery: when, what the receiver answered or what went wrong, how long it took."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    number = models.PositiveIntegerField(
        verbose_name=_("attempt"),
    )
    at = models.DateTimeField(
        verbose_name=_("time"),
    )
    duration_ms = models.PositiveIntegerField(
        verbose_name=_("duration (ms)"),
        default=0,
    )

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ("delivery", "number")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
