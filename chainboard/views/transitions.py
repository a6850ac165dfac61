"""A record's workflow on its pages: the timeline panel with the moves the user may make, and the small
form of one move (chainboard/workflow.py, docs/workflows.md)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from chainboard import actions, scope
from chainboard.models import Transition
from chainboard.views.generic import DetailActionView, stale_form_message, submitted_version, viewset_for
from chainboard.workflow import COMMENT, workflow_of

TIMELINE_LIMIT = 100


def timeline(obj) -> list[dict]:
    """The record's moves, newest first: who, when, from → to, comment (one query)."""
    model = type(obj)
    flow = workflow_of(model)
    rows = (
        Transition.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id=str(obj.pk)
        ).order_by("-time", "-id")
    )[:TIMELINE_LIMIT]
    labels = {m.name: m.label for m in flow.transitions}
    return [
        {
            "row": row,
            "label": labels.get(row.name, row.name),
            "from_label": flow.state_label(model, row.from_state),
            "to_label": flow.state_label(model, row.to_state),
        }
        for row in rows
    ]


def move_links(user, obj) -> list[dict]:
    """The moves the record's state allows that the user may make, as links to their forms."""
    flow = workflow_of(type(obj))
    moves = flow.allowed(obj)
    name = viewset_for(type(obj)).names()["transition"]
    allowed_actions = {a for a in {m.action for m in moves} if scope.can(user, a, obj)}
    return [
        {"move": m, "url": reverse(name, kwargs={"pk": obj.pk, "move": m.name})}
        for m in moves
        if m.action in allowed_actions
    ]


def timeline_context(request, obj) -> dict:
    flow = workflow_of(type(obj))
    return {
        "object": obj,
        "state_label": flow.state_label(type(obj), flow.state(obj)),
        "field_label": type(obj)._meta.get_field(flow.field).verbose_name,
        "moves": move_links(request.user, obj),
        "timeline": timeline(obj),
    }


class TransitionView(DetailActionView):
    """One move's small form (its required fields and a comment), and the move itself."""

    template = "chainboard/generic/transition.html"

    def setup_move(self, move_name: str):
        flow = workflow_of(self.model)
        try:
            move = flow.get(move_name)
        except LookupError as exc:
            raise Http404 from exc
        obj = super().get_object("view")
        if not scope.can(self.request.user, move.action, obj):
            raise PermissionDenied
        return flow, move, obj

    def page(self, obj, move, form, *, refusal: str = "", conflict=None, status=200):
        ctx = self.context(object=obj, move=move, form=form, refusal=refusal, conflict=conflict)
        return render(self.request, self.template, ctx, status=status)

    def get(self, request, pk, move):
        flow, move, obj = self.setup_move(move)
        form = move.form_class(self.model)()
        if flow.state(obj) not in move.source:
            return self.page(obj, move, None, refusal=flow.refusal(obj), status=409)
        return self.page(obj, move, form)

    def post(self, request, pk, move):
        flow, move, obj = self.setup_move(move)
        form_class = move.form_class(self.model)
        version = submitted_version(request)
        if version is None:
            form = form_class(request.POST)
            form.add_error(None, stale_form_message())
            return self.page(obj, move, form, status=400)
        data = {
            k: v for k, v in request.POST.items() if k not in {COMMENT, "csrfmiddlewaretoken", "_version"}
        }
        try:
            obj = actions.transition(
                request.user,
                obj,
                move.name,
                comment=request.POST.get(COMMENT, ""),
                data=data,
                version=version,
            )
        except actions.MoveRefused as exc:
            return self.page(obj, move, None, refusal=exc.message, status=409)
        except actions.InvalidData as exc:
            return self.page(obj, move, exc.form or form_class(request.POST), status=400)
        except actions.Conflict as exc:
            return self.page(exc.instance, move, form_class(request.POST), conflict=exc, status=409)
        messages.success(
            request,
            _("%(name)s: %(move)s done.") % {"name": obj, "move": move.label},
        )
        return HttpResponseRedirect(obj.get_absolute_url())
