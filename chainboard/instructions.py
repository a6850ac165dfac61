"""Leaders' instructions (批示) on records: who may be instructed, and each user's open ones for the desk.

An instruction is attached to any record whose ViewSet says ``instructions = True``; it is visible to
exactly those who may view that record (docs/instructions.md). Writes go through
:func:`chainboard.actions.give_instruction` and :func:`chainboard.actions.answer_instruction`.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from chainboard import scope
from chainboard.models import Instruction, InstructionStatus

LIMIT = 50  # instructions a desk card or a detail page lists; the rest are counted
LOOKUP_EXAMINED = 200  # candidate users the look-up checks, at most, for one answer (docs/instructions.md)
USER_SEARCH_FIELDS = ("username", "full_name", "first_name", "last_name")


def for_record(record: models.Model) -> models.QuerySet:
    """The instructions on ``record``; whoever may view the record may read them."""
    ct = ContentType.objects.get_for_model(record)
    return Instruction.objects.filter(content_type=ct, object_id=str(record.pk)).select_related(
        "author", "instructed_user", "answered_by"
    )


class _Sight:
    """Whether users may view one record, computed once per distinct grant: many users hold the same."""

    def __init__(self, record: models.Model):
        self.record = record
        self.model = type(record)
        self.permission = scope.permission_name(self.model, "view")
        self.covered: dict[scope.GrantSpec, bool] = {}

    def sees(self, user) -> bool:
        for grant in scope.grants(user):
            if not grant.allows(self.permission):
                continue
            if grant not in self.covered:
                condition = scope.grant_condition(self.model, grant)
                rows = self.model._base_manager.filter(pk=self.record.pk)
                self.covered[grant] = condition is None or rows.filter(condition).exists()
            if self.covered[grant]:
                return True
        return False


def can_be_instructed(user, record: models.Model) -> bool:
    """Only an active user who may view the record can be instructed on it (and answer)."""
    return bool(user is not None and user.is_active and _Sight(record).sees(user))


def viewers(record: models.Model, q: str = "", limit: int = 20) -> list:
    """Active users who may view ``record`` and whose name or user name contains ``q``: the instructed
    user's look-up. Checks at most ``LOOKUP_EXAMINED`` candidates (typing a name narrows them)."""
    user_model = get_user_model()
    fields = [f for f in USER_SEARCH_FIELDS if any(x.name == f for x in user_model._meta.get_fields())]
    candidates = user_model._default_manager.filter(is_active=True)
    q = q.strip()
    if q:
        condition = Q()
        for f in fields:
            condition |= Q(**{f"{f}__icontains": q})
        candidates = candidates.filter(condition)
    sight = _Sight(record)
    found = []
    for user in candidates.order_by("username")[:LOOKUP_EXAMINED]:
        if sight.sees(user):
            found.append(user)
            if len(found) >= limit:
                break
    return found


def _with_records(instructions: list[Instruction], reader) -> list[Instruction]:
    """Give each instruction its ``record`` and ``url``, reading the records ``reader`` may view with one
    query per kind of record (not one per instruction); those out of the reader's sight are left out."""
    ids_by_type: dict[int, set[str]] = defaultdict(set)
    for instruction in instructions:
        ids_by_type[instruction.content_type_id].add(instruction.object_id)
    records: dict[tuple[int, str], models.Model] = {}
    for ct_id, ids in ids_by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        for obj in scope.restrict(model._default_manager.all(), reader, "view").filter(pk__in=ids):
            records[(ct_id, str(obj.pk))] = obj
    out = []
    for instruction in instructions:
        record = records.get((instruction.content_type_id, instruction.object_id))
        if record is None:
            continue
        instruction.record = record
        instruction.url = record.get_absolute_url() + "#instructions"
        out.append(instruction)
    return out


def _open(user, limit: int, **condition) -> list[Instruction]:
    if not getattr(user, "is_authenticated", False):
        return []
    rows = list(
        Instruction.objects.filter(status=InstructionStatus.OPEN, **condition)
        .select_related("author", "instructed_user")
        .order_by("-created_at", "-pk")[:limit]
    )
    return _with_records(rows, user)


def open_for(user, limit: int = LIMIT) -> list[Instruction]:
    """The user's unanswered instructions, newest first, each with its ``record`` and ``url``."""
    return _open(user, limit, instructed_user=user)


def given_by(user, limit: int = LIMIT) -> list[Instruction]:
    """The instructions ``user`` gave that are still open, newest first, each with its record and URL."""
    return _open(user, limit, author=user)


def open_and_given(user, limit: int = LIMIT) -> tuple[list[Instruction], list[Instruction]]:
    """``(open_for(user, limit), given_by(user, limit))`` in one query: the newest ``limit`` of each list,
    picked by key within the user's rows of each index ((instructed_user, status), (author, status)), and
    their records read once for both (the desk's to-do and card)."""
    if not getattr(user, "is_authenticated", False):
        return [], []
    open_ = Instruction.objects.filter(status=InstructionStatus.OPEN)

    def newest(**condition):
        return open_.filter(**condition).order_by("-created_at", "-pk").values("pk")[:limit]

    rows = list(
        open_.filter(
            Q(instructed_user=user, pk__in=newest(instructed_user=user))
            | Q(author=user, pk__in=newest(author=user))
        )
        .select_related("author", "instructed_user")
        .order_by("-created_at", "-pk")
    )
    rows = _with_records(rows, user)
    return (
        [i for i in rows if i.instructed_user_id == user.pk],
        [i for i in rows if i.author_id == user.pk],
    )
