import json
import re

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


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
