"""JSON look-ups for searchable pickers (tom-select): ``?q=`` → ``{"results": [{"id", "text"}]}``."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import JsonResponse

LIMIT = 20


def lookup_view(
    queryset: Callable[[object], QuerySet],
    fields: tuple[str, ...],
    text: Callable[[object], str] = str,
    prefix_fields: tuple[str, ...] = (),
    order: tuple[str, ...] = (),
):
    """A login-protected view searching ``fields`` (substring) and ``prefix_fields`` (prefix) in scope."""

    @login_required
    def view(request):
        q = request.GET.get("q", "").strip()
        qs = queryset(request.user)
        if q:
            condition = Q()
            for f in fields:
                condition |= Q(**{f"{f}__icontains": q})
            for f in prefix_fields:
                condition |= Q(**{f"{f}__startswith": q})
            qs = qs.filter(condition)
        if order:
            qs = qs.order_by(*order)
        return JsonResponse({"results": [{"id": str(o.pk), "text": text(o)} for o in qs[:LIMIT]]})

    return view
