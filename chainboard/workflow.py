"""Workflows: the states a record moves through and the moves (transitions) between them.

A model declares ``workflow = Workflow(field="stage", transitions=[Transition(...), ...])`` and lists the
moves' named actions in ``named_actions`` (``("transition",)``), so that roles can be granted them
(``projects.transition_project``, docs/roles.md). A move is made by ``actions.transition`` only: the
state field is read-only everywhere else (edit form, API update, bulk edit, import update).

A :class:`Transition` says from which states (``source``) to which (``target``, or a function of the
record: 恢复 returns to the stage a project was suspended from), which named action allows it, which
model fields it sets from its data (``fields``) and which of those, or ``"comment"``, must be given
(``requires``), with ``initial`` values for its form, a ``clean`` for checks beyond the fields' own and an
``apply`` for what else it changes on the record. See docs/workflows.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db import models
from django.dispatch import Signal
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

COMMENT = "comment"

# Sent by ``actions.transition`` after a move is saved, inside its transaction (a receiver's writes
# commit or roll back with the move): sender the model, and ``instance``, ``move`` (the Transition),
# ``from_state``, ``to_state``, ``user``. Another app follows a record's moves with it (a converted
# investment lead follows its project's 开工 and 投产: investment/signals.py).
transitioned = Signal()


@dataclass(frozen=True)
class Transition:
    name: str
    source: tuple[str, ...]
    target: str | Callable[[models.Model], str]
    label: Any
    action: str = "transition"
    fields: tuple[str, ...] = ()  # model fields the move sets from its data
    requires: tuple[str, ...] = ()  # of ``fields``, or "comment": must be given
    initial: dict[str, Callable[[], Any]] = field(default_factory=dict)
    # (record, cleaned data) → {field: message} for checks beyond the fields' own
    clean: Callable[[models.Model, dict], dict[str, str]] | None = None
    # (record, cleaned data) → None: what else the move changes on the record
    apply: Callable[[models.Model, dict], None] | None = None
    icon: str = "arrow-right"
    style: str = "primary"  # the button's colour (a Tabler class suffix)

    def target_for(self, instance: models.Model) -> str:
        return self.target(instance) if callable(self.target) else self.target

    def form_class(self, model: type[models.Model]) -> type[forms.Form]:
        """The move's small form: its fields, then the comment (required when the move says so)."""
        from chainboard.forms import StyledFormMixin

        attrs: dict[str, Any] = {}
        for name in self.fields:
            form_field = model._meta.get_field(name).formfield()
            form_field.required = name in self.requires
            if isinstance(form_field, forms.DateField):
                form_field.widget = forms.DateInput(attrs={"type": "date"})
            attrs[name] = form_field
        attrs[COMMENT] = forms.CharField(
            label=gettext_lazy("comment"),
            required=COMMENT in self.requires,
            max_length=5000,
            widget=forms.Textarea(attrs={"rows": 3}),
        )
        move = self

        def __init__(self, *args, **kwargs):
            forms.Form.__init__(self, *args, **kwargs)
            for name, initial in move.initial.items():
                self.fields[name].initial = initial()
            self.style_fields()

        def clean(self):
            cleaned = forms.Form.clean(self)
            if move.clean is not None and not self.errors:
                for name, message in (move.clean(self.instance, cleaned) or {}).items():
                    self.add_error(name if name in self.fields else None, message)
            return cleaned

        attrs.update(__init__=__init__, clean=clean, instance=None)
        return type(f"{self.name.title()}Form", (StyledFormMixin, forms.Form), attrs)


@dataclass(frozen=True)
class Workflow:
    field: str
    transitions: list[Transition]

    def get(self, name: str) -> Transition:
        for move in self.transitions:
            if move.name == name:
                return move
        raise LookupError(name)

    def state(self, instance: models.Model) -> str:
        return getattr(instance, self.field)

    def state_label(self, model: type[models.Model], state: str) -> str:
        choices = dict(model._meta.get_field(self.field).flatchoices)
        return str(choices.get(state, state))

    def allowed(self, instance: models.Model) -> list[Transition]:
        """The moves the record's present state allows (whoever asks)."""
        state = self.state(instance)
        return [move for move in self.transitions if state in move.source]

    def refusal(self, instance: models.Model) -> str:
        """Why a move is refused: the present state and the moves it allows, named."""
        model = type(instance)
        moves = self.allowed(instance)
        state = self.state_label(model, self.state(instance))
        if not moves:
            return _("The %(model)s is at the %(field)s %(state)s: no move is possible from there.") % {
                "model": model._meta.verbose_name,
                "field": model._meta.get_field(self.field).verbose_name,
                "state": state,
            }
        return _("The %(model)s is at the %(field)s %(state)s; possible moves: %(moves)s.") % {
            "model": model._meta.verbose_name,
            "field": model._meta.get_field(self.field).verbose_name,
            "state": state,
            "moves": "、".join(str(m.label) for m in moves),
        }


def workflow_of(model: type[models.Model]) -> Workflow | None:
    return getattr(model, "workflow", None)


def lock_state_field(form: forms.ModelForm) -> None:
    """The state field of a saved record's form: shown read-only, and any other value refused (it moves
    by its transitions only). A new record may be given its state (a ledger of projects already under
    way). Called by ScopedModelForm for every model with a workflow."""
    flow = workflow_of(form._meta.model)
    if flow is None or form.instance.pk is None or flow.field not in form.fields:
        return
    form_field = form.fields[flow.field]
    form_field.required = False
    form_field.widget.attrs["disabled"] = True  # not submitted: an empty value keeps the state
    form_field.help_text = gettext_lazy("Changed by the moves on the record's page, not here.")


def check_state_unchanged(form: forms.ModelForm, cleaned: dict) -> None:
    flow = workflow_of(form._meta.model)
    if flow is None or form.instance.pk is None or flow.field not in form.fields:
        return
    current = getattr(form.instance, flow.field)  # the instance takes the form's values after clean
    value = cleaned.get(flow.field)
    if value in (None, ""):
        cleaned[flow.field] = current
    elif value != current:
        form.add_error(
            flow.field,
            _("The %(field)s changes only by its moves on the record's page (%(moves)s).")
            % {
                "field": form._meta.model._meta.get_field(flow.field).verbose_name,
                "moves": "、".join(str(m.label) for m in flow.transitions),
            },
        )
