"""Error pages: a page in the site's frame for the web, problem+json (RFC 9457) under /api/.

Django calls these for errors raised outside a view that handles them: a URL that matches nothing, a
``PermissionDenied`` or ``SuspiciousOperation`` in a web view, an unhandled exception. Under /api/ a
client reads JSON, so it gets the same problem+json the API's own handlers answer with, in the user's
language.
"""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from chainboard.middleware import is_api


def _problem(status: int, title: str, **extra):
    from chainboard.api import problem  # the API module builds the NinjaAPI: imported when needed

    return problem(status, title, **extra)


def bad_request_response(request, message: str, field: str | None = None):
    """400 for input refused before it reached a view (chainboard.middleware.RefuseNulMiddleware)."""
    if is_api(request):
        return _problem(400, _("The request is not valid."), errors=[{"field": field, "message": message}])
    return render(request, "chainboard/400.html", {"message": message}, status=400)


def bad_request(request, exception=None):
    if is_api(request):
        return _problem(400, _("The request is not valid."))
    return render(request, "chainboard/400.html", {"message": ""}, status=400)


def forbidden(request, exception=None):
    if is_api(request):
        return _problem(403, _("You may not do this."))
    return render(request, "chainboard/403.html", status=403)


def not_found(request, exception=None):
    if is_api(request):
        return _problem(404, _("Not found."))
    return render(request, "chainboard/404.html", status=404)


def server_error(request):
    if is_api(request):
        return _problem(500, _("Server error: the request could not be completed."))
    return defaults.server_error(request)
