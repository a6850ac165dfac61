"""The audit trail, for auditors: browse, filter, export. Nobody edits or deletes it in the product."""

import csv
import json

import django_filters
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chainboard import confidential, scope
from chainboard.exports import csv_safe
from chainboard.filters import ScopedFilterSet
from chainboard.history import describe_operations, humanise
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
    # The product's own kinds, by their names in the reader's language (a callable: read per form).
    content_type = django_filters.ChoiceFilter(choices=lambda: _kind_choices(), label=gettext_lazy("kind"))

    class Meta:
        model = AuditEntry
        fields = []


def _kind_choices() -> list[tuple[int, str]]:
    return sorted(((ct.pk, capfirst(ct.name)) for ct in audited_kinds()), key=lambda choice: choice[1])


def audited_kinds() -> list[ContentType]:
    """The kinds of record the product itself writes audit rows for: every registered entity, every
    audited record (users, grants, attachments, comments, tokens, the city's configuration) and the
    trail's own entries (purges, backups). Not Django's internals (sessions, content types, task
    results), which the product never audits."""
    from chainboard.models.base import AuditedModel
    from chainboard.views.generic import registered_viewsets

    models = {vs.model for vs in registered_viewsets()}
    models.update(m for m in apps.get_models() if issubclass(m, AuditedModel))
    models.add(AuditEntry)
    return list(ContentType.objects.get_for_models(*models, for_concrete_models=False).values())


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
    entries = list(page.object_list)
    # Who (a person) and how (网页编辑, 导入演示数据, 导入 <file>), as the history pages say it: never the
    # raw operation label (command:load_demo).
    described = list(zip(entries, describe_operations(entries), strict=True))
    return render(
        request,
        "chainboard/audit/list.html",
        {"filterset": filterset, "page": page, "described": described, "query": query.urlencode()},
    )


@login_required
def audit_detail(request, pk):
    _require_auditor(request.user)
    entry = get_object_or_404(AuditEntry.objects.select_related("content_type"), pk=pk)
    changes = humanise([entry], request.user)[0]
    return render(request, "chainboard/audit/detail.html", {"entry": entry, "changes": changes})


CHUNK = 2000


class _Echo:
    def write(self, value):
        return value


@login_required
def audit_export(request):
    """CSV of exactly the filtered entries, streamed (the trail can be long)."""
    _require_auditor(request.user)
    _filterset, qs = _filtered(request)
    writer = csv.writer(_Echo())

    def chunks():
        # humanise() names related records with one query per related model for a whole chunk.
        chunk = []
        for entry in qs.iterator(chunk_size=CHUNK):
            chunk.append(entry)
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    language = translation.get_language()

    def rows():
        # Streamed after the view returns, when the request's language is no longer active: set it again.
        with translation.override(language):
            yield from words()

    def words():
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
                _("before (JSON)"),
                _("after (JSON)"),
            ]
        )
        for chunk in chunks():
            for e, changes in zip(chunk, humanise(chunk, request.user), strict=True):
                yield writer.writerow(
                    [
                        timezone.localtime(e.time).isoformat(),
                        csv_safe(e.user_name),
                        e.get_source_display(),
                        e.get_action_display(),
                        capfirst(e.content_type.name),
                        e.object_id,
                        csv_safe(e.object_repr),
                        e.operation_id,
                        csv_safe(_pairs((label, old) for label, old, _new in changes if e.before)),
                        csv_safe(_pairs((label, new) for label, _old, new in changes if e.after)),
                        e.hash,
                        _json(_masked(e.before, e, request.user)),
                        _json(_masked(e.after, e, request.user)),
                    ]
                )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


def _pairs(changes) -> str:
    """``field: value`` pairs, one per line (a spreadsheet cell keeps the line breaks)."""
    return "\n".join(f"{capfirst(label)}: {value}" for label, value in changes)


def _masked(values, entry, user):
    """A snapshot without the confidential fields the reader may not read (chainboard/confidential.py)."""
    hidden = confidential.hidden_fields(user, entry.content_type.model_class())
    if not hidden or not values:
        return values
    return {k: (str(confidential.HIDDEN) if k in hidden else v) for k, v in values.items()}


def _json(value) -> str:
    # JSON, as stored (null when there is none), so a program reading the export can parse it; a
    # Python repr (single quotes, None, True) it could not.
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
