"""Keep a new session on the page that settles what its log-in still owes (accounts.login.checks_for)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseRedirectBase
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from . import login

# Where each pending check sends the session; the pages every pending session may still reach.
TARGETS = {login.VERIFY: "login_verify", login.PASSWORD: "password_change", login.ENROL: "two_factor"}
ALWAYS = ("logout", "set_language")


class LoginPolicyMiddleware:
    """A session with a pending second factor, password change or 2FA enrolment reaches only the page
    that settles it (and log-out, and the language switch). The checks are worked out once at log-in
    and kept in the session, so an ordinary request costs no query here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        checks = session.get(login.CHECKS_KEY) if session is not None else None
        if checks and request.user.is_authenticated:
            response = self._redirect(request, checks)
            if response is not None:
                return response
        return self.get_response(request)

    def _redirect(self, request, checks: list[str]):
        check = checks[0]
        if check == login.VERIFY and request.user.is_verified():
            login.settle(request, check)  # verified another way (django_otp.login)
            return self._redirect(request, checks[1:]) if len(checks) > 1 else None
        target = reverse(TARGETS.get(check, "logout"))
        allowed = {target, *(reverse(name) for name in ALWAYS)}
        if check == login.PASSWORD:
            allowed.add(reverse("password_change_done"))
        if request.path in allowed:
            return None
        if request.method == "GET" and request.path != reverse("home"):
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)


class HtmxLoginRedirectMiddleware:
    """An htmx request (the header box's drop-down, a list's update) answered by a redirect to log in,
    or to the page a pending log-in check owes, gets ``HX-Redirect`` instead: htmx would follow the
    redirect itself and swap the log-in form into the fragment. The browser goes to that page whole,
    and comes back afterwards to the page the user was on (htmx's ``HX-Current-URL``, when it is on this
    site), not to the fragment's address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true" or not isinstance(response, HttpResponseRedirectBase):
            return response
        location = urlsplit(response["Location"])
        if location.path not in {reverse(settings.LOGIN_URL), *(reverse(name) for name in TARGETS.values())}:
            return response
        query = parse_qsl(location.query)
        current = request.headers.get("HX-Current-URL", "")
        if query and url_has_allowed_host_and_scheme(
            current, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            page = urlsplit(current)
            back = page.path + (f"?{page.query}" if page.query else "")
            query = [(key, back if key == "next" else value) for key, value in query]
        target = location.path + (f"?{urlencode(query)}" if query else "")
        return HttpResponse(status=204, headers={"HX-Redirect": target})
