"""Log-in security (等保 2.0 level 3): lockout, per-address slowing, and what a new session must settle.

- Lockout is django-axes (settings: AXES_*): a user name is locked after ``AXES_FAILURE_LIMIT`` failures
  in a row for ``AXES_COOLOFF_TIME``; while it lasts even the right password is refused. The lock and
  an administrator's unlock are events on the user record in the audit trail.
- Per address: axes' own attempt rows give the failures from one IP address; past
  ``LOGIN_IP_FREE_FAILURES`` each attempt must wait twice as long after the last failure (see
  :func:`ip_wait_seconds`). A request, not a sleeping worker: the early attempt is answered 429 at once.
- A log-in that needs a second factor, a password change or a 2FA enrolment marks the session; the
  :class:`accounts.middleware.LoginPolicyMiddleware` lets such a session reach only the page that settles it.
"""

from __future__ import annotations

import datetime as dt
import math

from axes.helpers import get_client_ip_address, get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Max, Sum
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from chainboard import audit
from chainboard.models.audit import AuditAction

# The session key holding what this log-in still has to settle, in order.
CHECKS_KEY = "chainboard_login_checks"
VERIFY, PASSWORD, ENROL = "verify", "password", "enrol"


# ---- events on the user record ----------------------------------------------------------------------


def record_event(username: str, before: dict, after: dict, user=None) -> None:
    """An audit row on the user record (action "state changed"); for a user name that names no user
    (an attacker's guess) the row names the user name alone."""
    from .models import User

    if user is None:
        user = User.objects.filter(username=username).first()
    if user is not None:
        audit.record(AuditAction.TRANSITION, user, before=before, after=after)
    else:
        audit.record(AuditAction.TRANSITION, model=User, object_repr=username, before=before, after=after)


# ---- log-ins, log-outs and failed log-ins: events on the user record ---------------------------------


class LoginOutcome:
    """What became of a log-in attempt (the ``outcome`` of its audit row; chainboard/history.py names
    them for people)."""

    SUCCEEDED = "succeeded"
    WRONG_CREDENTIALS = "wrong_credentials"
    LOCKED_OUT = "locked_out"


def _record_login_event(action: str, username: str, request, outcome: str | None, user=None) -> None:
    """One audit row for a log-in event, in an operation of its own (the request's was opened while the
    visitor was anonymous): who (the user name tried, for a name that names nobody), from which address,
    and what came of it. Written through audit.record, so the row joins the hash chain like any other."""
    from .models import User

    if user is None and username:
        user = User.objects.filter(username=username).first()
    after = {"username": username, "ip_address": get_client_ip_address(request) if request else None}
    if outcome is not None:
        after["outcome"] = outcome
    label = username[:150] or "?"
    with audit.operation(user=user, source=audit.Source.WEB, label=label):
        if user is not None:
            audit.record(action, user, after=after)
        else:
            audit.record(action, model=User, object_repr=label, after=after)


@receiver(user_logged_in)
def _audit_login(sender, request, user, **kwargs) -> None:
    _record_login_event(AuditAction.LOGIN, user.get_username(), request, LoginOutcome.SUCCEEDED, user)


@receiver(user_logged_out)
def _audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:  # a log-out without a session logs nobody out
        # request.user is a lazy wrapper; the row needs the model: found again by the name.
        _record_login_event(AuditAction.LOGOUT, user.get_username(), request, None)


@receiver(user_login_failed)
def _audit_login_failure(sender, credentials, request=None, **kwargs) -> None:
    # axes refuses a locked user name inside authenticate() and marks the request; a wrong password or
    # an unknown user name is a plain failure. The password never reaches the trail (Django masks it).
    username = str(credentials.get("username") or "")[:150]
    locked = getattr(request, "axes_locked_out", False)
    outcome = LoginOutcome.LOCKED_OUT if locked else LoginOutcome.WRONG_CREDENTIALS
    _record_login_event(AuditAction.LOGIN_FAILED, username, request, outcome)


# ---- lockout -----------------------------------------------------------------------------------------


def _cool_off() -> dt.timedelta:
    return get_cool_off() or dt.timedelta(0)


def locked_until(username: str) -> dt.datetime | None:
    """When the lock on ``username`` ends, or None when it is not locked."""
    since = timezone.now() - _cool_off()
    row = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    if (row["failures"] or 0) < settings.AXES_FAILURE_LIMIT:
        return None
    # Failures during a lock are not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False), so
    # the last attempt is the one that locked.
    return row["last"] + _cool_off()


def locked_accounts() -> list[dict]:
    """The user names locked now: failures, when the lock ends, the addresses that tried."""
    from .models import User

    since = timezone.now() - _cool_off()
    rows = list(
        AccessAttempt.objects.filter(attempt_time__gte=since, username__isnull=False)
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last", "username")
    )
    names = [r["username"] for r in rows]
    addresses: dict[str, set[str]] = {}
    for username, ip in AccessAttempt.objects.filter(username__in=names, attempt_time__gte=since).values_list(
        "username", "ip_address"
    ):
        addresses.setdefault(username, set()).add(ip or "?")
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    return [
        {
            "username": r["username"],
            "user": users.get(r["username"]),
            "failures": r["failures"],
            "locked_at": r["last"],
            "locked_until": r["last"] + _cool_off(),
            "addresses": sorted(addresses.get(r["username"], ())),
        }
        for r in rows
    ]


@receiver(user_locked_out)
def _audit_lock(sender, request, username, ip_address, **kwargs) -> None:
    # axes sends this signal again for each attempt refused during a lock; only the failure that locked
    # was counted in this request (axes_failures_since_start set), so only that one is the event.
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    until = timezone.now() + _cool_off()
    # The lock is the system's act, not the anonymous visitor's: its own operation, named for it.
    with audit.operation(user=None, source=audit.Source.WEB, label="system:login-lockout"):
        record_event(
            username or "",
            before={"login_locked": False},
            after={
                "login_locked": True,
                "failed_attempts": request.axes_failures_since_start,
                "ip_address": ip_address,
                "locked_until": until.isoformat(),
            },
        )


def unlock(username: str) -> int:
    """Lift the lock on ``username`` (the administrator's act, in their request's operation)."""
    until = locked_until(username)
    count = axes_reset(username=username)
    if until is not None:
        record_event(
            username,
            before={"login_locked": True, "locked_until": until.isoformat()},
            after={"login_locked": False},
        )
    return count


def lockout_response(request, response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the log-in page again, saying the account is locked and until when (429)."""
    username = get_client_username(request, credentials) or ""
    until = locked_until(username) or timezone.now() + _cool_off()
    message = _(
        "Too many failed sign-ins: this account is locked until %(time)s. Try again then, or ask an "
        "administrator to lift the lock."
    ) % {"time": date_format(timezone.localtime(until), "H:i")}
    return _refused(request, username, message)


# ---- per-address slowing ------------------------------------------------------------------------------


def ip_wait_seconds(request) -> int:
    """Seconds this address must still wait before its next log-in attempt (0: it may try now).

    Past LOGIN_IP_FREE_FAILURES failures within the lock time, the n-th further failure asks for 2^n
    seconds after it, at most LOGIN_IP_MAX_DELAY_SECONDS.
    """
    ip = get_client_ip_address(request)
    if not ip:
        return 0
    now = timezone.now()
    row = AccessAttempt.objects.filter(ip_address=ip, attempt_time__gte=now - _cool_off()).aggregate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    over = (row["failures"] or 0) - settings.LOGIN_IP_FREE_FAILURES
    if over < 0:
        return 0
    delay = min(settings.LOGIN_IP_MAX_DELAY_SECONDS, 2 ** min(over + 1, 30))
    return max(0, math.ceil((row["last"] + dt.timedelta(seconds=delay) - now).total_seconds()))


def slowed_response(request, seconds: int):
    message = _(
        "Too many failed sign-ins from your network address. Wait %(seconds)d seconds before trying again."
    ) % {"seconds": seconds}
    response = _refused(request, request.POST.get("username", ""), message)
    response["Retry-After"] = str(seconds)
    return response


def _refused(request, username: str, message: str):
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "login_refused": message, "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)


# ---- what a new session must settle -------------------------------------------------------------------


def checks_for(user) -> list[str]:
    from . import passwords, twofactor

    checks = []
    has_device = twofactor.has_device(user)
    if has_device:
        checks.append(VERIFY)
    if user.must_change_password or passwords.expired(user):
        checks.append(PASSWORD)
    if not has_device and twofactor.required(user):
        checks.append(ENROL)
    return checks


@receiver(user_logged_in)
def _mark_session(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    checks = checks_for(user)
    if checks:
        request.session[CHECKS_KEY] = checks
    else:
        request.session.pop(CHECKS_KEY, None)


def settle(request, check: str) -> None:
    """The session has settled ``check`` (second factor given, password changed, 2FA enrolled)."""
    checks = [c for c in request.session.get(CHECKS_KEY, []) if c != check]
    if checks:
        request.session[CHECKS_KEY] = checks
    else:
        request.session.pop(CHECKS_KEY, None)
