"""The audit trail, for auditors: browse, filter, export. Nobody edits or deletes it in the product."""

import csv
import json

import django_filters
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chainboard import scope
from chainboard.exports import csv_safe
from chainboard.filters import ScopedFilterSet
from chainboard.models import AuditEntry
from chainboard.models.audit import AuditAction


class AuditEntryFilterSet(ScopedFilterSet):
    search_fields = ("object_repr", "user_name")
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label=gettext_lazy("action"))
    source = django_filters.CharFilter(label=gettext_lazy("source"))
    user_name = django_filters.CharFilter(label=gettext_lazy("user name"))
    operation_id = django_filters.UUIDFilter(label=gettext_lazy("operation"))
    since = django_filters.DateFilter(field_name="time", lookup_expr="date__gte", label=gettext_lazy("from"))
    until = django_filters.DateFilter(field_name="time", lookup_expr="date__lte", label=gettext_lazy("to"))
    content_type = django_filters.ModelChoiceFilter(
        queryset=ContentType.objects.order_by("app_label", "model"), label=gettext_lazy("kind")
    )

    class Meta:
        model = AuditEntry
        fields = []


def _require_auditor(user):
    if not scope.has_permission(user, "view", AuditEntry):
        raise PermissionDenied


def _filtered(request):
    filterset = AuditEntryFilterSet(request.GET or None, queryset=AuditEntry.objects.all(), request=request)
    if filterset.is_bound and not filterset.is_valid():
        qs = AuditEntry.objects.none()  # a mistyped filter shows nothing, never the whole trail
    else:
        qs = filterset.qs if filterset.is_bound else AuditEntry.objects.all()
    return filterset, qs.select_related("content_type").order_by("-time", "-id")


@login_required
def audit_list(request):
    _require_auditor(request.user)
    filterset, qs = _filtered(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "chainboard/audit/list.html",
        {"filterset": filterset, "page": page, "query": query.urlencode()},
    )


@login_required
def audit_detail(request, pk):
    _require_auditor(request.user)
    entry = get_object_or_404(AuditEntry.objects.select_related("content_type"), pk=pk)
    from chainboard.history import humanise

    changes = humanise([entry])[0]
    return render(request, "chainboard/audit/detail.html", {"entry": entry, "changes": changes})


class _Echo:
    def write(self, value):
        return value


@login_required
def audit_export(request):
    """CSV of exactly the filtered entries, streamed (the trail can be long)."""
    _require_auditor(request.user)
    _filterset, qs = _filtered(request)
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff"  # BOM: Excel opens UTF-8 Chinese text correctly
        yield writer.writerow(
            [
                _("time"),
                _("user"),
                _("source"),
                _("action"),
                _("kind"),
                _("object id"),
                _("object"),
                _("operation"),
                _("before"),
                _("after"),
                _("hash"),
            ]
        )
        for e in qs.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    timezone.localtime(e.time).isoformat(),
                    e.user_name,
                    e.get_source_display(),
                    e.action,
                    f"{e.content_type.app_label}.{e.content_type.model}",
                    e.object_id,
                    csv_safe(e.object_repr),
                    e.operation_id,
                    _json(e.before),
                    _json(e.after),
                    e.hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


def _json(value) -> str:
    # JSON, as stored (null when there is none), so a program reading the export can parse it; a
    # Python repr (single quotes, None, True) it could not.
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
