"""Raising problems: an enterprise user's short form (a phone is enough: title, kind, what the matter is,
photos), and a meeting or visit record's decisions made into tasks or problems in one action. Both go
through the write path (chainboard/actions.py): checked, audited as one operation, nothing half-made."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View

from chainboard import actions, scope
from chainboard.forms import AttachmentForm
from chainboard.models.attachments import AttachmentKind
from chainboard.views.generic import DetailActionView

from .forms import MakeItemsForm, RaiseForm
from .models import MeetingRecord, Problem, RaisedVia, Task


def own_enterprise_id(user) -> int | None:
    """The enterprise an enterprise user raises problems for: the one their grants name (None for staff,
    or when the grants name several: they then choose on the staff form)."""
    ids = {g.enterprise_id for g in scope.grants(user) if g.enterprise_id is not None}
    return ids.pop() if len(ids) == 1 else None


def attach_photos(user, record, photos) -> None:
    ct = ContentType.objects.get_for_model(record)
    for upload in photos:
        actions.create(
            user,
            AttachmentForm,
            {"kind": AttachmentKind.PHOTO, "title": upload.name[:200]},
            {"file": upload},
            parent=record,
            content_type=ct,
            object_id=str(record.pk),
            uploaded_by=user,
        )


def raise_problem(user, data, files=None) -> Problem:
    """An enterprise user's problem, for their own enterprise, with its photos; InvalidData by field."""
    enterprise_id = own_enterprise_id(user)
    if enterprise_id is None:
        raise PermissionDenied(_("Only an enterprise's own user raises a problem on this form."))
    form = RaiseForm(data, files, user=user)
    if not form.is_valid():
        raise actions.InvalidData(actions.form_errors(form), form)
    with transaction.atomic():
        problem = actions.create(
            user,
            RaiseForm,
            data,
            files,
            enterprise_id=enterprise_id,
            raised_by=user,
            raised_via=RaisedVia.ENTERPRISE,
        )
        attach_photos(user, problem, form.cleaned_data["photos"])
    return problem


class RaiseView(LoginRequiredMixin, View):
    """/problems/raise/: the enterprise user's form, phone-sized."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and (
            not scope.has_permission(request.user, "add", Problem) or own_enterprise_id(request.user) is None
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def page(self, request, form, status=200):
        return render(request, "problems/raise.html", {"form": form}, status=status)

    def get(self, request):
        return self.page(request, RaiseForm(user=request.user))

    def post(self, request):
        try:
            problem = raise_problem(request.user, request.POST, request.FILES)
        except actions.InvalidData as exc:
            return self.page(request, exc.form or RaiseForm(request.POST, user=request.user), status=400)
        messages.success(request, _("Problem submitted: the chain office will accept it and assign it."))
        return HttpResponseRedirect(problem.get_absolute_url())


def make_items(
    user, record: MeetingRecord, *, make: str, owner_unit=None, enterprise=None, kind=None
) -> list:
    """One task (for ``owner_unit``) or one problem (of ``enterprise``, of ``kind``) per decision line of
    the record, linked to it, in one transaction: all of them or none."""
    if not scope.can(user, "make_items", record):
        raise PermissionDenied(_("You may not do this."))
    lines = record.decision_lines()
    if not lines:
        raise actions.InvalidData({"decisions": [_("The record has no decisions to make items of.")]})
    made = []
    with transaction.atomic():
        for line in lines:
            common = {
                "title": line[:200],
                "description": line,
                "chain": record.chain,
                "region": record.region,
                "meeting": record,
                "source": record.source,
                "is_sample": record.is_sample,
            }
            if make == "task":
                item = Task(owner_unit=owner_unit, **common)
            else:
                item = Problem(
                    enterprise=enterprise, kind=kind, raised_by=user, raised_via=RaisedVia.MEETING, **common
                )
            made.append(actions.create_direct(user, item, parent=record))
    return made


class MakeItemsView(DetailActionView):
    action = "make_items"
    template = "problems/make_items.html"

    def page(self, obj, form, status=200):
        return render(
            self.request,
            self.template,
            self.context(object=obj, form=form, lines=obj.decision_lines()),
            status=status,
        )

    def get(self, request, pk):
        obj = self.get_object()
        return self.page(obj, MakeItemsForm(user=request.user))

    def post(self, request, pk):
        obj = self.get_object()
        form = MakeItemsForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.page(obj, form, status=400)
        try:
            made = make_items(request.user, obj, **form.cleaned_data)
        except actions.InvalidData as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            return self.page(obj, form, status=400)
        messages.success(request, _("%(count)s items made of the decisions.") % {"count": len(made)})
        return HttpResponseRedirect(obj.get_absolute_url())


def urls() -> list:
    return [path("problems/raise/", RaiseView.as_view(), name="problem_raise")]
