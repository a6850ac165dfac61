"""Two factors (django-otp): a TOTP authenticator app per user, plus single-use recovery codes.

Optional for everyone; required for the roles in ``CHAINBOARD_2FA_REQUIRED_ROLES``. Enrolment, the
recovery codes and switching it off are events on the user record in the audit trail (never the secret
or a code). django-otp throttles wrong codes per device (1, 2, 4 ... seconds).
"""

from __future__ import annotations

import io

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from chainboard import scope

from .login import record_event

TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def required(user) -> bool:
    """Does one of the user's roles (grants or positions) require a second factor?"""
    wanted = set(settings.TWO_FACTOR_REQUIRED_ROLES)
    return bool(wanted) and any(grant.role in wanted for grant in scope.grants(user))


def totp_device(user, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def pending_device(user) -> TOTPDevice:
    """The not yet confirmed device the enrolment page shows (a new secret if there is none)."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an SVG QR code (drawn here: no image service)."""
    # One <path> with a viewBox, so it scales with its box. django_otp's write_qrcode_image draws
    # prefixed <svg:rect> elements, which an HTML page (not XHTML) does not render: the code was invisible.
    import qrcode
    from qrcode.image.svg import SvgPathImage

    out = io.BytesIO()
    qrcode.make(device.config_url, image_factory=SvgPathImage).save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]  # inline in the page: without the XML declaration


def secret_base32(device: TOTPDevice) -> str:
    """The secret for typing into an app by hand, in groups of four."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _new_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()  # the old codes stop working; the audit row says so
    codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def confirm(user, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm enrolment with a code from the app; return the new recovery codes (shown once), or None
    when the code is wrong."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if not device.verify_token(_digits(token)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Another unconfirmed secret from an abandoned enrolment must not linger.
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = _new_codes(user)
        record_event(
            user.username,
            before={"two_factor": False},
            after={"two_factor": True, "recovery_codes": len(codes)},
            user=user,
        )
    return codes


def verify(user, token: str):
    """The device that accepts ``token`` (a code from the app, or an unused recovery code), or None.
    A recovery code is used up; its use is audited with the number left."""
    token = token.strip().replace(" ", "").lower()
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if token.isdigit() and device.verify_token(token):
                return device
        for device in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
            left = device.token_set.count()
            if device.verify_token(token):
                record_event(
                    user.username,
                    before={"recovery_codes": left},
                    after={"recovery_codes": left - 1},
                    user=user,
                )
                return device
    return None


def throttled_seconds(user) -> int:
    """Seconds before the user's authenticator accepts another try after wrong codes (0: now)."""
    from django.utils import timezone

    device = totp_device(user)
    if device is None:
        return 0
    allowed, data = device.verify_is_allowed()
    if allowed or not data or "locked_until" not in data:
        return 0
    return max(1, int((data["locked_until"] - timezone.now()).total_seconds()) + 1)


def regenerate_codes(user) -> list[str]:
    with transaction.atomic():
        left = recovery_codes_left(user)
        codes = _new_codes(user)
        record_event(
            user.username,
            before={"recovery_codes": left},
            after={"recovery_codes": len(codes)},
            user=user,
        )
    return codes


def disable(user) -> None:
    with transaction.atomic():
        left = recovery_codes_left(user)
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        record_event(
            user.username,
            before={"two_factor": True, "recovery_codes": left},
            after={"two_factor": False, "recovery_codes": 0},
            user=user,
        )


def _digits(token: str) -> str:
    return "".join(c for c in token if c.isdigit())
