"""``/favicon.ico``: browsers ask for it on every page whatever the page links; answer with our icon."""

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

ICON = "chainboard/favicon.svg"  # a chain link, drawn for the product (base.html links it too)


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    # Read once per process: a few hundred bytes, the same for everyone, no login needed.
    global _icon
    if _icon is None:
        with open(finders.find(ICON), "rb") as f:
            _icon = f.read()
    return HttpResponse(_icon, content_type="image/svg+xml")


_icon: bytes | None = None
