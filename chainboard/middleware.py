from django.conf import settings
from django.utils import translation
from django.utils.cache import add_never_cache_headers


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
