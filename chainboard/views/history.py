"""A record's history page: its audit entries and its children's, as changes a person reads."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q
from django.shortcuts import render

from chainboard.history import describe_operations, humanise
from chainboard.models import AuditEntry
from chainboard.views.generic import EntityView


def history_entries(obj: models.Model):
    ct = ContentType.objects.get_for_model(obj)
    return AuditEntry.objects.filter(
        Q(content_type=ct, object_id=str(obj.pk)) | Q(parent_content_type=ct, parent_object_id=str(obj.pk))
    ).select_related("content_type")


class HistoryView(EntityView):
    def get(self, request, pk):
        obj = self.get_object()
        paginator = Paginator(history_entries(obj).order_by("-time", "-id"), 50)
        page = paginator.get_page(request.GET.get("page"))
        page_entries = list(page.object_list)
        entries = []
        described = zip(
            page_entries, humanise(page_entries, request.user), describe_operations(page_entries), strict=True
        )
        for entry, changes, operation in described:
            model = entry.content_type.model_class()
            entries.append(
                {
                    "entry": entry,
                    "changes": changes,
                    "operation": operation,
                    "model_name": model._meta.verbose_name if model else "",
                }
            )
        return render(
            request, "chainboard/generic/history.html", self.context(object=obj, page=page, entries=entries)
        )
