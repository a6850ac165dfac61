"""One write path. Web views, the API, importers and commands all call these actions.

Each action checks permission and scope, validates with the entity's form, saves in a transaction,
re-checks scope on the saved row (so a user cannot move a record out of their own reach) and writes
the audit row. Updates carry the version the user started from: a newer version in the database
means someone else saved first, and the save is refused with what they changed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from chainboard import audit, deletion, scope, search
from chainboard.models.audit import AuditAction


class ActionError(Exception):
    pass


class InvalidData(ActionError):
    """The data did not validate; ``errors`` maps field names to messages (``__all__`` for the form)."""

    def __init__(self, errors: dict[str, list[str]], form: forms.BaseForm | None = None):
        super().__init__(errors)
        self.errors = errors
        self.form = form


class DeleteRefused(InvalidData):
    """A deletion refused because other records depend on the record, or the cascade would take rows the
    user may not delete (:mod:`chainboard.deletion`); ``dependents`` names them, kind by kind."""

    def __init__(self, message: str, dependents: list):
        super().__init__({"__all__": [message]})
        self.message = message
        self.dependents = dependents


class Conflict(ActionError):
    """Someone else saved the record after the user opened it."""

    def __init__(self, instance: models.Model, entries: list, current_version: int):
        super().__init__(_("This record was changed by someone else while you were editing it."))
        self.instance = instance
        self.entries = entries
        self.current_version = current_version

    def changes(self) -> list[tuple[str, str, Any, Any]]:
        """(who, field label, old, new) for each change made after the user's version."""
        rows = []
        model = type(self.instance)
        for entry in self.entries:
            for name, old, new in entry.changes():
                rows.append((entry.user_name, field_label(model, name), old, new))
        return rows


def model_field(model: type[models.Model] | None, name: str):
    """The field called ``name`` or whose column attribute is ``name`` (audit rows store ``region_id``)."""
    if model is None:
        return None
    for f in model._meta.get_fields():
        if getattr(f, "attname", None) == name or f.name == name:
            return f
    return None


def field_label(model: type[models.Model], name: str) -> str:
    field = model_field(model, name)
    return str(getattr(field, "verbose_name", name)) if field is not None else name


def form_errors(form: forms.BaseForm) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


def _require(user, action: str, model: type[models.Model]) -> None:
    if not scope.has_permission(user, action, model):
        raise PermissionDenied(_("You may not do this."))


def _guard(user, *instances: models.Model) -> None:
    """A model may refuse a write by this user whatever the role allows (``write_refusal``): nobody grants
    a role to themselves, for instance (docs/roles.md)."""
    for instance in instances:
        refusal = getattr(instance, "write_refusal", None)
        reason = refusal(user) if refusal is not None else None
        if reason:
            raise PermissionDenied(reason)


def _after_save(user, action: str, instance: models.Model) -> None:
    """What every write does after its save, inside its transaction: re-check scope, update the search index."""
    # After the save, inside the transaction: a change that moves the row out of the user's scope
    # (another county, another chain) is refused and rolled back.
    if not scope.can(user, action, instance):
        raise PermissionDenied(_("The result would be outside your scope."))
    # The search index changes with the row, or not at all (on SQLite its triggers have done it).
    search.reindex(instance)


def _build_form(form_class, user, data, files, instance=None):
    kwargs: dict[str, Any] = {"data": data, "files": files, "instance": instance}
    if getattr(form_class, "takes_user", False):
        kwargs["user"] = user
    return form_class(**kwargs)


def create(user, form_class: type[forms.ModelForm], data, files=None, *, parent=None, **extra):
    """Validate ``data`` with ``form_class`` and create the record. ``extra`` sets fields the form hides."""
    model = form_class._meta.model
    _require(user, "add", model)
    form = _build_form(form_class, user, data, files)
    if not form.is_valid():
        raise InvalidData(form_errors(form), form)
    with transaction.atomic():
        instance = form.save(commit=False)
        for key, value in extra.items():
            setattr(instance, key, value)
        _guard(user, instance)
        _full_clean(instance, form)
        instance.save()
        form.save_m2m()
        _after_save(user, "add", instance)
        audit.record(AuditAction.CREATE, instance, before=None, after=audit.snapshot(instance), parent=parent)
    return instance


def update(user, instance: models.Model, form_class, data, files=None, *, version: int | None, parent=None):
    """Validate and save changes to ``instance``, refusing when ``version`` is stale."""
    model = type(instance)
    _require(user, "change", model)
    if not scope.can(user, "change", instance):
        raise PermissionDenied(_("You may not change this record."))
    with transaction.atomic():
        locked = _lock(model, instance, version)
        before = audit.snapshot(locked)
        form = _build_form(form_class, user, data, files, instance=locked)
        if not form.is_valid():
            raise InvalidData(form_errors(form), form)
        instance = form.save(commit=False)
        if hasattr(model, "write_refusal"):  # the row as it was, and as it would be (no query otherwise)
            _guard(user, model._base_manager.get(pk=instance.pk), instance)
        _full_clean(instance, form)
        changed = [
            name for name in form.changed_data if name in {f.name for f in model._meta.concrete_fields}
        ]
        instance.version = locked.version + 1
        # Write only the changed fields: a concurrent writer's other fields are not overwritten.
        instance.save(
            update_fields=[*changed, "version", "updated_at"] if changed else ["version", "updated_at"]
        )
        form.save_m2m()
        _after_save(user, "change", instance)
        after = audit.snapshot(instance)
        if audit.diff(before, after):
            audit.record(AuditAction.UPDATE, instance, before=before, after=after, parent=parent)
    return instance


def save_fields(actor, instance: models.Model, *, version: int | None = None, parent=None, **values):
    """Set fields directly (no form) with the same checks: for commands and state transitions."""
    model = type(instance)
    _require(actor, "change", model)
    if not scope.can(actor, "change", instance):
        raise PermissionDenied(_("You may not change this record."))
    with transaction.atomic():
        locked = _lock(model, instance, version)
        before = audit.snapshot(locked)
        _guard(actor, locked)
        for key, value in values.items():
            setattr(locked, key, value)
        _guard(actor, locked)
        locked.full_clean()
        locked.version += 1
        locked.save(update_fields=[*values.keys(), "version", "updated_at"])
        _after_save(actor, "change", locked)
        audit.record(AuditAction.UPDATE, locked, before=before, after=audit.snapshot(locked), parent=parent)
    return locked


def create_direct(user, instance: models.Model, *, parent=None):
    """Create an already-built instance with the same checks (for set-up commands and importers)."""
    _require(user, "add", type(instance))
    with transaction.atomic():
        _guard(user, instance)
        instance.full_clean()
        instance.save()
        _after_save(user, "add", instance)
        audit.record(AuditAction.CREATE, instance, before=None, after=audit.snapshot(instance), parent=parent)
    return instance


def delete(user, instance: models.Model, *, version: int | None = None, parent=None):
    model = type(instance)
    _require(user, "delete", model)
    if not scope.can(user, "delete", instance):
        raise PermissionDenied(_("You may not delete this record."))
    with transaction.atomic():
        locked = model._base_manager.select_for_update().get(pk=instance.pk)
        if version is not None and hasattr(locked, "version") and locked.version != _version(version):
            raise _conflict(locked, _version(version))
        _guard(user, locked)
        collector, refusal = deletion.check(user, locked)
        if refusal is not None:
            raise DeleteRefused(refusal.message, refusal.dependents)
        # Every row the cascade removes is audited, naming the deleted record as its parent, so nothing
        # disappears without a trace (house rules); the same collector then deletes them.
        audit.record(AuditAction.DELETE, locked, before=audit.snapshot(locked), after=None, parent=parent)
        search.remove(locked)
        for row in deletion.cascaded_rows(collector, locked):
            audit.record(AuditAction.DELETE, row, before=audit.snapshot(row), after=None, parent=locked)
            search.remove(row)
        pk = locked.pk
        collector.delete()
        locked.pk = pk  # Collector.delete() clears it; callers still name the deleted record
    return locked


def _lock(model: type[models.Model], instance: models.Model, version) -> models.Model:
    """The row locked (two concurrent writes serialise; the version then tells who was first), refused as a
    Conflict when ``version`` (None: unchecked) is not the row's."""
    locked = model._base_manager.select_for_update().get(pk=instance.pk)
    if version is not None and locked.version != _version(version):
        raise _conflict(locked, _version(version))
    return locked


def _version(value) -> int:
    """The version a client sent, as a number; anything else is bad input, refused (never a 500)."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise InvalidData({"version": [_("Enter a whole number.")]})
    return int(text)


def _full_clean(instance: models.Model, form: forms.BaseForm) -> None:
    # The form validated the fields it shows; the model validates the rest (constraints included).
    try:
        instance.full_clean(exclude=[f for f in form.fields if f in form.cleaned_data], validate_unique=True)
    except ValidationError as exc:
        raise InvalidData(exc.message_dict, form) from exc


def _conflict(locked: models.Model, version: int) -> Conflict:
    from django.contrib.contenttypes.models import ContentType

    from chainboard.models import AuditEntry

    entries = [
        e
        for e in AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(locked), object_id=str(locked.pk)
        ).order_by("time", "id")
        if (e.after or {}).get("version", 0) > version
    ]
    return Conflict(locked, entries, locked.version)


def set_related(user, instance: models.Model, name: str, values, *, parent=None):
    """Replace a many-to-many field's values, audited like any update."""
    _require(user, "change", type(instance))
    if not scope.can(user, "change", instance):
        raise PermissionDenied(_("You may not change this record."))
    with transaction.atomic():
        before = audit.snapshot(instance)
        getattr(instance, name).set(values)
        type(instance)._base_manager.filter(pk=instance.pk).update(version=models.F("version") + 1)
        instance.refresh_from_db(fields=["version"])
        after = audit.snapshot(instance)
        if audit.diff(before, after):
            audit.record(AuditAction.UPDATE, instance, before=before, after=after, parent=parent)
    return instance


def give_instruction(user, record: models.Model, data):
    """A leader's instruction (批示) on ``record`` (docs/instructions.md). Needs ``add_instruction`` and sight
    of the record; the instructed user must be able to view it too, or the form names why not."""
    from django.contrib.contenttypes.models import ContentType

    from chainboard.forms import InstructionForm
    from chainboard.models import Instruction

    _require(user, "add", Instruction)
    if not scope.can(user, "view", record):
        raise PermissionDenied(_("You may not see this record."))
    form = InstructionForm(data=data, record=record)
    if not form.is_valid():
        raise InvalidData(form_errors(form), form)
    with transaction.atomic():
        instance = form.save(commit=False)
        instance.content_type = ContentType.objects.get_for_model(record)
        instance.object_id = str(record.pk)
        instance.author = user
        _full_clean(instance, form)
        instance.save()
        _after_save(user, "add", instance)
        audit.record(AuditAction.CREATE, instance, before=None, after=audit.snapshot(instance), parent=record)
    return instance


def answer_instruction(user, instruction: models.Model, data, *, version: int | None = None):
    """The instructed user's answer to an instruction: only theirs, only once (docs/instructions.md)."""
    from django.utils import timezone

    from chainboard.forms import InstructionAnswerForm
    from chainboard.models import InstructionStatus

    model = type(instruction)
    with transaction.atomic():
        locked = model._base_manager.select_for_update().get(pk=instruction.pk)
        if locked.instructed_user_id != getattr(user, "pk", None):
            raise PermissionDenied(_("Only the instructed user may answer this instruction."))
        record = locked.target
        if record is None or not scope.can(user, "view", record):
            raise PermissionDenied(_("You may not see this record."))
        if locked.status != InstructionStatus.OPEN:
            raise InvalidData({"answer": [_("This instruction has already been answered.")]})
        if version is not None and locked.version != _version(version):
            raise _conflict(locked, _version(version))
        before = audit.snapshot(locked)
        form = InstructionAnswerForm(data=data, instance=locked)
        if not form.is_valid():
            raise InvalidData(form_errors(form), form)
        locked = form.save(commit=False)
        locked.status = InstructionStatus.ANSWERED
        locked.answered_at = timezone.now()
        locked.answered_by = user
        locked.version += 1
        locked.save(update_fields=["answer", "status", "answered_at", "answered_by", "version", "updated_at"])
        audit.record(AuditAction.UPDATE, locked, before=before, after=audit.snapshot(locked), parent=record)
    return locked


class MoveRefused(ActionError):
    """A workflow move the record's present state does not allow; ``allowed`` names the moves it does."""

    def __init__(self, message: str, allowed: list):
        super().__init__(message)
        self.message = message
        self.allowed = allowed


def transition(user, instance: models.Model, name: str, *, comment="", data=None, version=None):
    """Move ``instance`` through its workflow (chainboard/workflow.py) by the move called ``name``.

    Permission and scope for the move's named action, the row locked and its version checked (a stale
    one is a Conflict), the move refused (MoveRefused) when the present state does not allow it, its
    fields validated (InvalidData by field, nothing changed), then the record saved, its search keys
    updated, an audit row (AuditAction.TRANSITION) and a Transition row written, in one transaction.
    Unknown moves raise LookupError.
    """
    from django.contrib.contenttypes.models import ContentType

    from chainboard.models import Transition
    from chainboard.workflow import COMMENT, transitioned, workflow_of

    model = type(instance)
    flow = workflow_of(model)
    if flow is None:
        raise LookupError(name)
    move = flow.get(name)
    _require(user, move.action, model)
    if not scope.can(user, move.action, instance):
        raise PermissionDenied(_("You may not change this record."))
    with transaction.atomic():
        locked = _lock(model, instance, version)
        from_state = flow.state(locked)
        if from_state not in move.source:
            raise MoveRefused(flow.refusal(locked), flow.allowed(locked))
        _guard(user, locked)
        form = move.form_class(model)(data={**(data or {}), COMMENT: comment or ""})
        form.instance = locked
        if not form.is_valid():
            raise InvalidData(form_errors(form), form)
        cleaned = form.cleaned_data
        before = audit.snapshot(locked)
        for field_name in move.fields:
            setattr(locked, field_name, cleaned[field_name])
        to_state = move.target_for(locked)  # before ``apply``, which may clear what it reads
        if move.apply is not None:
            move.apply(locked, cleaned)
        setattr(locked, flow.field, to_state)
        _guard(user, locked)
        try:
            locked.full_clean()
        except ValidationError as exc:
            raise InvalidData(exc.message_dict, form) from exc
        locked.version += 1
        changed = list(audit.diff(before, audit.snapshot(locked)))
        locked.save(update_fields=[*changed, "version", "updated_at"])
        _after_save(user, move.action, locked)
        after = audit.snapshot(locked)
        comment = cleaned[COMMENT]
        # The state's from → to is the state field's change; the move and its comment ride along.
        audit.record(
            AuditAction.TRANSITION,
            locked,
            before=before,
            after={**after, "move": move.name, "comment": comment},
        )
        op = audit.current_operation()
        actor = user if isinstance(user, models.Model) and user.is_authenticated else None
        Transition.objects.create(
            content_type=ContentType.objects.get_for_model(model),
            object_id=str(locked.pk),
            name=move.name,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            actor_name=(op.user_name if actor is None else actor.get_username())[:150],
            comment=comment,
            data={k: audit._jsonable(cleaned[k]) for k in move.fields},
        )
        transitioned.send(
            sender=model, instance=locked, move=move, from_state=from_state, to_state=to_state, user=user
        )
    return locked
