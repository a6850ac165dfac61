"""Log-in, second factor, password change, 2FA enrolment, and the administrator's page of locked accounts."""

from __future__ import annotations

import django_otp
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chainboard import scope

from . import login, passwords, twofactor
from .forms import CodeForm
from .models import User


def _me(request) -> User:
    """The signed-in user as a model instance (request.user is a lazy wrapper; audit rows need the model)."""
    return User.objects.get(pk=request.user.pk)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    """Django's log-in, after the per-address check: an address that failed too often waits (429)."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        wait = login.ip_wait_seconds(request)
        if wait:
            return login.slowed_response(request, wait)
        return super().post(request, *args, **kwargs)


@login_required
def verify(request):
    """The second step of a log-in for a user with an authenticator: a code, or a recovery code."""
    user = _me(request)
    if not twofactor.has_device(user) and not twofactor.recovery_codes_left(user):
        login.settle(request, login.VERIFY)
        return HttpResponseRedirect(_next_url(request))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        wait = twofactor.throttled_seconds(user)
        if wait:
            form.add_error("code", _("Too many wrong codes: wait %(seconds)d seconds.") % {"seconds": wait})
            status = 429
        else:
            device = twofactor.verify(user, form.cleaned_data["code"])
            if device is not None:
                django_otp.login(request, device)
                login.settle(request, login.VERIFY)
                return HttpResponseRedirect(_next_url(request))
            form.add_error("code", _("This code is wrong or has expired."))
    elif request.method == "POST":
        status = 400
    return render(
        request, "accounts/verify.html", {"form": form, "next": request.GET.get("next", "")}, status=status
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page, writing through ``passwords.change_own_password`` (audited); it also serves the
    change a log-in forces (set by an administrator, or expired)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if login.PASSWORD in self.request.session.get(login.CHECKS_KEY, []):
            if user.must_change_password:
                context["forced_reason"] = _(
                    "Your password was set by an administrator: choose your own before you continue."
                )
            else:
                context["forced_reason"] = _(
                    "Your password is older than %(days)d days: choose a new one before you continue."
                ) % {"days": settings.PASSWORD_MAX_AGE_DAYS}
        return context

    def form_valid(self, form):
        user = passwords.change_own_password(form.user, form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)
        login.settle(self.request, login.PASSWORD)
        return HttpResponseRedirect(self.get_success_url())


@login_required
def two_factor(request):
    """Enrol an authenticator app (scan the QR code, confirm with a code), renew the recovery codes, or
    switch two-factor sign-in off (not where the user's role requires it)."""
    user = _me(request)
    device = twofactor.totp_device(user)
    form = CodeForm(request.POST or None)
    new_codes = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if not form.is_valid():
            status = 400
        elif device is None and action == "confirm":
            pending = twofactor.pending_device(user)
            new_codes = twofactor.confirm(user, pending, form.cleaned_data["code"])
            if new_codes is None:
                form.add_error("code", _("This code is wrong or has expired."))
                status = 400
            else:
                django_otp.login(request, twofactor.totp_device(user))
                login.settle(request, login.ENROL)
                login.settle(request, login.VERIFY)
                device = twofactor.totp_device(user)
                form = CodeForm()
        elif device is not None and action in {"codes", "disable"}:
            if action == "disable" and twofactor.required(user):
                form.add_error("code", _("Your role requires two-factor sign-in: it cannot be switched off."))
                status = 400
            elif twofactor.verify(user, form.cleaned_data["code"]) is None:
                form.add_error("code", _("This code is wrong or has expired."))
                status = 400
            elif action == "codes":
                new_codes = twofactor.regenerate_codes(user)
                form = CodeForm()
            else:
                twofactor.disable(user)
                messages.success(request, _("Two-factor sign-in is off."))
                return HttpResponseRedirect(request.path)
        else:
            status = 400
    context = {
        "form": form,
        "device": device,
        "new_codes": new_codes,
        "codes_left": twofactor.recovery_codes_left(user) if device is not None else 0,
        "required": twofactor.required(user),
        "forced": login.ENROL in request.session.get(login.CHECKS_KEY, []),
        "next": request.GET.get("next", ""),
    }
    if device is None:
        pending = twofactor.pending_device(user)
        context.update(qr_svg=twofactor.qr_svg(pending), secret=twofactor.secret_base32(pending))
    if new_codes is not None:
        context["continue_url"] = _next_url(request)
    return render(request, "accounts/two_factor.html", context, status=status)


@login_required
def lockouts(request):
    """Locked accounts, for the administrator, who can lift a lock."""
    if not scope.has_permission(request.user, "view", AccessAttempt):
        raise PermissionDenied
    context = {
        "rows": login.locked_accounts(),
        "can_unlock": scope.has_permission(request.user, "delete", AccessAttempt),
        "limit": settings.AXES_FAILURE_LIMIT,
        "lock_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "accounts/lockouts.html", context)


@login_required
@require_POST
def unlock(request):
    if not scope.has_permission(request.user, "delete", AccessAttempt):
        raise PermissionDenied
    username = request.POST.get("username", "")
    if login.locked_until(username) is None:
        messages.warning(request, _("%(username)s is not locked.") % {"username": username})
    else:
        login.unlock(username)
        messages.success(request, _("The lock on %(username)s was lifted.") % {"username": username})
    return HttpResponseRedirect(resolve_url("accounts:lockout_list"))
