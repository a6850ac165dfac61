"""Instructions (批示) on a record's detail page: the panel at its top, giving one, answering one, and the
look-up of users who may be instructed (docs/instructions.md).

Routed by ``ViewSet.urls()`` for a ViewSet with ``instructions = True``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from chainboard import actions, instructions, scope
from chainboard.forms import InstructionAnswerForm, InstructionForm
from chainboard.models import Instruction, InstructionStatus
from chainboard.views.generic import EntityView

PANEL = "chainboard/instructions/_panel.html"


def instruction_context(request, obj, answer_forms: dict | None = None) -> dict:
    """The panel's context: open instructions (all, up to the limit) above the latest answered ones, the
    give form for a chief, an answer form on each the reader must answer. Three queries at most, however
    many instructions the record has."""
    rows = instructions.for_record(obj)
    open_rows = list(
        rows.filter(status=InstructionStatus.OPEN).order_by("-created_at", "-pk")[: instructions.LIMIT]
    )
    answered = list(
        rows.filter(status=InstructionStatus.ANSWERED).order_by("-answered_at", "-pk")[: instructions.LIMIT]
    )
    answer_forms = answer_forms or {}
    for instruction in open_rows:
        mine = instruction.instructed_user_id == request.user.pk
        form = answer_forms.get(instruction.pk) or InstructionAnswerForm(prefix=f"i{instruction.pk}")
        instruction.answer_form = form if mine else None
    can_give = scope.has_permission(request.user, "add", Instruction)
    return {
        "instructions_panel": True,
        "instructions_open": open_rows,
        "instructions_answered": answered,
        "instruction_form": InstructionForm(record=obj) if can_give else None,
    }


class InstructionsView(EntityView):
    """POST: a chief gives an instruction on the record."""

    def post(self, request, pk):
        obj = self.get_object()
        try:
            actions.give_instruction(request.user, obj, request.POST)
        except actions.InvalidData as exc:
            _tell(request, exc)
        else:
            messages.success(request, _("Instruction given."))
        return HttpResponseRedirect(obj.get_absolute_url() + "#instructions")


class InstructionAnswerView(EntityView):
    """POST: the instructed user answers. Through htmx the panel is sent back in place."""

    def post(self, request, pk, instruction_id):
        obj = self.get_object()
        instruction = get_object_or_404(instructions.for_record(obj), pk=instruction_id)
        prefix = f"i{instruction.pk}"
        data = {"answer": request.POST.get(f"{prefix}-answer", request.POST.get("answer", ""))}
        failed = None
        try:
            actions.answer_instruction(request.user, instruction, data)
        except actions.InvalidData as exc:
            failed = exc
        if request.headers.get("HX-Request"):
            forms = {}
            if failed is not None:
                form = InstructionAnswerForm({f"{prefix}-answer": data["answer"]}, prefix=prefix)
                if form.is_valid():  # refused for another reason (answered meanwhile): said above the form
                    for errors in failed.errors.values():
                        for error in errors:
                            form.add_error(None, error)
                forms[instruction.pk] = form
            ctx = self.context(object=obj, **instruction_context(request, obj, forms))
            return render(request, PANEL, ctx)
        if failed is not None:
            _tell(request, failed)
        else:
            messages.success(request, _("Answer sent."))
        return HttpResponseRedirect(obj.get_absolute_url() + "#instructions")


class InstructionUsersView(EntityView):
    """GET ?q=: the users who may view the record, for the give form's look-up (a chief's only)."""

    def get(self, request, pk):
        obj = self.get_object()
        if not scope.has_permission(request.user, "add", Instruction):
            raise PermissionDenied
        found = instructions.viewers(obj, request.GET.get("q", ""))
        return JsonResponse({"results": [{"id": str(u.pk), "text": _user_text(u)} for u in found]})


def _tell(request, refused: actions.InvalidData) -> None:
    """A refused instruction or answer, field by field, as messages on the reloaded page."""
    for field, errors in refused.errors.items():
        for error in errors:
            messages.error(request, f"{actions.field_label(Instruction, field)}: {error}")


def _user_text(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name and name != user.get_username() else user.get_username()
