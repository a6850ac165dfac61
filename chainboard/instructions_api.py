"""The API of instructions (批示) on a record (docs/instructions.md): list them, give one, answer one.

``chainboard.api.register`` adds these routes under ``/api/v1/<url_prefix>/{pk}/instructions`` for a
ViewSet with ``instructions = True``. They read the record through ``restrict`` (a record out of sight is
404) and write through the same actions as the detail page."""

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from chainboard import actions, instructions
from chainboard.converters import MAX_ID


class InstructionOut(Schema):
    id: int
    text: str
    author: int = Field(description="the user who gave it")
    author_name: str
    instructed_user: int
    instructed_user_name: str
    due_date: dt.date | None
    status: str = Field(description="open or answered")
    answer: str
    answered_at: dt.datetime | None
    answered_by: int | None
    created_at: dt.datetime
    version: int


class InstructionList(Schema):
    items: list[InstructionOut]
    count: int


class InstructionIn(Schema):
    model_config = {"extra": "forbid"}

    text: str = Field(description="the instruction", max_length=5000)
    instructed_user: int = Field(ge=1, le=MAX_ID, description="a user who may view the record")
    due_date: dt.date | None = None


class AnswerIn(Schema):
    model_config = {"extra": "forbid"}

    answer: str = Field(max_length=5000)


class InstructionPaging(Schema):
    page: int = Field(1, ge=1, le=MAX_ID // 500)
    page_size: int = Field(50, ge=1, le=500)


def out(instruction) -> dict:
    return {
        "id": instruction.pk,
        "text": instruction.text,
        "author": instruction.author_id,
        "author_name": str(instruction.author),
        "instructed_user": instruction.instructed_user_id,
        "instructed_user_name": str(instruction.instructed_user),
        "due_date": instruction.due_date,
        "status": instruction.status,
        "answer": instruction.answer,
        "answered_at": instruction.answered_at,
        "answered_by": instruction.answered_by_id,
        "created_at": instruction.created_at,
        "version": instruction.version,
    }


def add_routes(router: Router, viewset, pk_type: type) -> None:
    model = viewset.model
    prefix = viewset.url_prefix
    name = model._meta.model_name

    def record(request, pk):
        return get_object_or_404(model.objects.restrict(request.user, "view"), pk=pk)

    @router.get(
        "/{pk}/instructions",
        response=InstructionList,
        operation_id=f"list_{prefix}_instructions",
        summary=f"List the instructions on a {name}, open ones first",
    )
    def list_instructions(request, pk: pk_type, paging: Query[InstructionPaging]):
        rows = instructions.for_record(record(request, pk)).order_by("status", "-created_at", "-pk")
        start = (paging.page - 1) * paging.page_size
        return {"items": [out(i) for i in rows[start : start + paging.page_size]], "count": rows.count()}

    @router.post(
        "/{pk}/instructions",
        response={201: InstructionOut},
        operation_id=f"give_{prefix}_instruction",
        summary=f"Give an instruction on a {name} (chiefs)",
    )
    def give_instruction(request, pk: pk_type, payload: InstructionIn):
        data = {k: v for k, v in payload.dict().items() if v is not None}
        if "due_date" in data:
            data["due_date"] = data["due_date"].isoformat()
        given = actions.give_instruction(request.user, record(request, pk), data)
        return Status(201, out(instructions.for_record(given.target).get(pk=given.pk)))

    @router.post(
        "/{pk}/instructions/{instruction_id}/answer",
        response=InstructionOut,
        operation_id=f"answer_{prefix}_instruction",
        summary=f"Answer an instruction on a {name} (the instructed user, once)",
    )
    def answer_instruction(request, pk: pk_type, instruction_id: Path[int], payload: AnswerIn):
        obj = record(request, pk)
        rows = instructions.for_record(obj)
        instruction = get_object_or_404(rows, pk=instruction_id)
        actions.answer_instruction(request.user, instruction, payload.dict())
        return out(rows.get(pk=instruction.pk))
