import json
import logging
import re
import time
from contextlib import contextmanager

from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class LanguageMiddleware:
    """The UI speaks zh-hans unless the user chose another language with the switch (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a Chinese office with an
    English-language browser would get English; rules say zh-hans is the default.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


# -- sessions and a busy database ------------------------------------------------------------------

SESSION_REFRESHED_KEY = "_refreshed"  # epoch seconds of the session's last save, for the idle time-out


def is_database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) is the database refusing for a lock held too long.

    SQLite says "database is locked" once its busy time-out (``CHAINBOARD_SQLITE_BUSY_SECONDS``) has run
    out behind another writer; PostgreSQL says lock_not_available (55P03) past a lock time-out. Django's
    session store hides the first behind UpdateError and SessionInterrupted, hence the walk down the chain.
    """
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, OperationalError):
            text = str(current).lower()
            if (
                "database is locked" in text
                or "database table is locked" in text
                or "database is busy" in text
            ):
                return True
            if getattr(getattr(current, "__cause__", None), "sqlstate", None) == "55P03":
                return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def busy_response(request) -> HttpResponse:
    """503 with Retry-After: the write did not happen and may simply be tried again."""
    title = _("The database is busy")
    detail = _(
        "Another large write (such as an import) is holding the database. Nothing was changed; "
        "please try again in a few seconds."
    )
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"type": "about:blank", "title": str(title), "status": 503, "detail": str(detail)},
            status=503,
            content_type="application/problem+json",
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = render(request, "chainboard/503.html", {"title": title, "detail": detail}, status=503)
    response["Retry-After"] = str(settings.BUSY_RETRY_SECONDS)
    return response


# How long a refresh-only session save waits for SQLite's write lock: a page is not held up behind an
# import just to extend an idle time-out (the next request refreshes instead).
SESSION_REFRESH_WAIT_MS = 100


@contextmanager
def _short_wait(short: bool):
    """On SQLite, wait at most SESSION_REFRESH_WAIT_MS for the write lock inside the block (``short``)."""
    from django.db import connection

    if not short or connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {SESSION_REFRESH_WAIT_MS:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {settings.SQLITE_BUSY_SECONDS * 1000:d}")


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, without a database write on every request.

    ``SESSION_SAVE_EVERY_REQUEST`` would write the session row on every page: under SQLite, while an
    import held the write lock, reading a list then failed with "database is locked" (400 or 500). A
    session is saved when it changes; for the idle time-out a signed-in user's session is saved again
    (extending its expiry by ``SESSION_COOKIE_AGE``) once at least ``SESSION_REFRESH_SECONDS`` have
    passed since its last save. Should the database be busy for that refresh, the page is served
    anyway (the next request refreshes); a busy database for a real change answers 503.
    """

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        refresh_only = False
        if (
            session is not None
            and session.session_key
            and not session.modified
            and response.status_code < 500
        ):
            last = session.get(SESSION_REFRESHED_KEY, 0)
            now = int(time.time())
            if session.session_key and now - last >= settings.SESSION_REFRESH_SECONDS:
                session[SESSION_REFRESHED_KEY] = now
                refresh_only = True
        elif session is not None and session.modified and not session.is_empty():
            session[SESSION_REFRESHED_KEY] = int(time.time())
        try:
            with _short_wait(refresh_only):
                return super().process_response(request, response)
        except (OperationalError, UpdateError, SessionInterrupted) as exc:
            if not is_database_busy(exc):
                raise
            if refresh_only:
                logger.info("session refresh skipped: the database is busy")
                return response
            return busy_response(request)


class PlanningFactsMiddleware:
    """A request reads each fact its search plans are decided on once (a table's size, the index's
    statistics, the planner's estimate of a token: chainboard.search.facts_once), however many queries
    it plans with them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from chainboard import search

        with search.facts_once():
            return self.get_response(request)


class BusyDatabaseMiddleware:
    """A view that found the database busy answers 503 with Retry-After and a translated page (or
    problem+json under /api/), not 500: the user is asked to try again, and nothing was written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_busy(exception):
            logger.warning("database busy: %s %s answered 503", request.method, request.path)
            return busy_response(request)
        return None


_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)  # \u0000 not itself escaped (\\u0000)


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


class RefuseNulMiddleware:
    """A NUL character (U+0000) anywhere in a request's path, query, cookies or form or JSON body is
    refused with 400 naming the parameter, on every database.

    PostgreSQL cannot store or even compare a text holding NUL (psycopg raises, a 500), SQLite can; so the
    same filter, look-up or form gave a 500 on one database and a result on the other. Refusing it here,
    before any view, makes the answer the same everywhere. Uploaded files are not read: a file's bytes
    may hold NUL, and the import checks them itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = self.nul_in(request)
        if name is not None:
            from chainboard.views.errors import bad_request_response

            if name == "":
                message = _("The request contains a NUL character (U+0000), which is not allowed.")
            else:
                message = _("“%(name)s” contains a NUL character (U+0000), which is not allowed.") % {
                    "name": name
                }
            return bad_request_response(request, message, field=name or None)
        return self.get_response(request)

    @staticmethod
    def nul_in(request) -> str | None:
        """The name of the first part holding NUL ("" for the path or an unnamed part), or None."""
        if "\x00" in request.path:
            return ""
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "")
        for key, value in request.COOKIES.items():
            if "\x00" in key or "\x00" in value:
                return key.replace("\x00", "")
        if request.method in {"GET", "HEAD", "OPTIONS"}:
            return None
        content_type = request.content_type or ""
        if content_type in {"multipart/form-data", "application/x-www-form-urlencoded"}:
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return key.replace("\x00", "")
            for key, files in request.FILES.lists():
                if any("\x00" in (f.name or "") for f in files):
                    return key
            return None
        body = request.body
        if b"\x00" in body or _JSON_NUL.search(body):
            return _json_path_with_nul(body)
        return None


def _json_path_with_nul(body: bytes) -> str:
    """The dotted path of the first JSON value or key holding NUL ("name", "segments.0"); "" if none is
    found (not JSON, or the NUL is between the values)."""
    try:
        document = json.loads(body)
    except ValueError:
        return ""
    stack: list[tuple[str, object]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return path
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    return child.replace("\x00", "")
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return ""


def content_security_policy(directives: dict[str, list[str]]) -> str:
    """``{"default-src": ["'self'"], ...}`` as a header value: ``default-src 'self'; ...``."""
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


class SecurityHeadersMiddleware:
    """A Content-Security-Policy on every response, and no caching of anything a logged-in user is shown.

    等保 2.0 level 3 (docs/http-security.md). The policy is ``settings.SECURE_CSP``, named and shaped as
    Django 6.0's own setting, so that its ContentSecurityPolicyMiddleware can take over when the project
    moves up. A response that already carries a policy keeps it (attachments are served with a sandbox).
    Static files never get here: WhiteNoise answers them earlier in the chain, and they may be cached.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy(getattr(settings, "SECURE_CSP", {}))

    def __call__(self, request):
        response = self.get_response(request)
        # Django's technical 404 and 500 pages (DEBUG only) are built with inline script and style.
        technical = settings.DEBUG and response.status_code in (404, 500)
        if self.policy and not technical and "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = self.policy
        # A shared or back-button cache must not keep confidential pages: a session's pages, or an API
        # answer to a token (which authenticates per request, without a session).
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META:
            add_never_cache_headers(response)
        return response
