"""The attachments and the journal of a record: their part of its detail page, upload, download, notes.

Split from :mod:`chainboard.views.generic`, whose ``ViewSet.urls()`` routes them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from chainboard import actions, filetypes, scope
from chainboard.forms import AttachmentForm, JournalForm
from chainboard.models import Attachment, JournalEntry
from chainboard.views.generic import EntityView


def may_attach(user, obj, *, can_change: bool | None = None) -> bool:
    """Files are attached by whoever may change the record, or, where its model lists ``attach`` among
    its named actions, by whoever is granted that action on it: an enterprise on the problem it raised, a
    handling unit on what it handles (docs/roles.md). Removing one stays with those who may change it."""
    if can_change if can_change is not None else scope.can(user, "change", obj):
        return True
    return "attach" in getattr(type(obj), "named_actions", ()) and scope.can(user, "attach", obj)


def attachment_and_journal_context(request, obj) -> dict:
    ct = ContentType.objects.get_for_model(obj)
    can_change = scope.can(request.user, "change", obj)
    return {
        "attachments": Attachment.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related(
            "uploaded_by"
        ),
        "journal": JournalEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related(
            "author"
        )[:50],
        "attachment_form": AttachmentForm() if may_attach(request.user, obj, can_change=can_change) else None,
        "can_remove_attachments": can_change,
        "journal_form": JournalForm() if scope.has_permission(request.user, "add", JournalEntry) else None,
    }


def _add_to(request, obj, form_class, model, *args, **fields) -> bool:
    """Add an attachment or a journal note to ``obj`` through the action layer; a refused one is told
    field by field. True when it was added."""
    ct = ContentType.objects.get_for_model(obj)
    try:
        actions.create(
            request.user, form_class, *args, parent=obj, content_type=ct, object_id=str(obj.pk), **fields
        )
    except actions.InvalidData as exc:
        for field, errors in exc.errors.items():
            for error in errors:
                messages.error(request, f"{actions.field_label(model, field)}: {error}")
        return False
    return True


class AttachmentsView(EntityView):
    def post(self, request, pk):
        obj = self.get_object()
        if not may_attach(request.user, obj):
            raise PermissionDenied
        args = (request.POST, request.FILES)
        if _add_to(request, obj, AttachmentForm, Attachment, *args, uploaded_by=request.user):
            messages.success(request, _("Attachment uploaded."))
        return HttpResponseRedirect(obj.get_absolute_url() + "#attachments")


class AttachmentDownloadView(EntityView):
    def get(self, request, pk, attachment_id):
        obj = self.get_object()
        ct = ContentType.objects.get_for_model(obj)
        attachment = get_object_or_404(Attachment, pk=attachment_id, content_type=ct, object_id=str(obj.pk))
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        # 等保 2.0 level 3 (docs/http-security.md): the type comes from the extension, which the upload
        # checked against the content; the browser must not guess another (nosniff), and whatever the
        # file is, it runs no script and loads nothing (a sandbox with no sources). Images and PDF are
        # shown in the browser, anything else is downloaded.
        kind = filetypes.file_type(attachment.file_name)
        response = FileResponse(
            handle,
            as_attachment=not kind.inline,
            filename=attachment.file_name,
            content_type=kind.content_type,
        )
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def post(self, request, pk, attachment_id):
        obj = self.get_object("change")
        ct = ContentType.objects.get_for_model(obj)
        attachment = get_object_or_404(Attachment, pk=attachment_id, content_type=ct, object_id=str(obj.pk))
        actions.delete(request.user, attachment, parent=obj)
        messages.success(request, _("Attachment removed."))
        return HttpResponseRedirect(obj.get_absolute_url() + "#attachments")


class JournalView(EntityView):
    def post(self, request, pk):
        obj = self.get_object()
        _add_to(request, obj, JournalForm, JournalEntry, request.POST, author=request.user)
        return HttpResponseRedirect(obj.get_absolute_url() + "#journal")
