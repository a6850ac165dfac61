"""Who is told what along the loop (docs/closed-loop.md, Notices): an in-app notice (chainboard/notices.py,
which also emits the webhook event ``notice.<kind>``) and a webhook event of the loop's own
(``problem.assigned``, ``task.answered``…; chainboard/webhooks.py) for each step worth telling:

- assigned or transferred → the unit's users and the handler's user;
- answered → the raiser and the enterprise's users (a problem), the office in scope (a task);
- reopened after 不满意, or sent back → the unit's users;
- an extension requested → the office in scope; decided → the unit's users;
- escalated → the office in scope (level 1), the chief in scope (level 2): problems/escalation.py.

The steps are read from the Transition rows the write path leaves (chainboard/actions.py), so every way
of making a move (the page, the API, a command) tells the same people.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.utils.translation import gettext as _

from chainboard import scope


def unit_users(record) -> list:
    """The users of the unit holding ``record``: unit grants naming it, and the handler's account."""
    unit_id = record.unit_id
    users = []
    if unit_id is not None:
        users = list(
            get_user_model()
            ._base_manager.filter(is_active=True, grants__role="unit", grants__organisation_id=unit_id)
            .distinct()
        )
    handler = record.handler
    if handler is not None and handler.user_id is not None and handler.user not in users:
        users.append(handler.user)
    return users


def role_users(record, roles: tuple[str, ...]) -> list:
    """Active users holding one of ``roles`` through a grant or a position whose scope covers ``record``."""
    from accounts.scope import users_holding

    model = type(record)
    permission = scope.permission_name(model, "view")
    covered: dict = {}
    found = []
    for user in users_holding(permission):
        for grant in scope.grants(user):
            if grant.role not in roles or not grant.allows(permission):
                continue
            if grant not in covered:
                condition = scope.grant_condition(model, grant)
                covered[grant] = (
                    condition is None or model._base_manager.filter(condition, pk=record.pk).exists()
                )
            if covered[grant]:
                found.append(user)
                break
    return found


def raiser_users(problem) -> list:
    users = list(
        get_user_model()._base_manager.filter(
            is_active=True, grants__role="enterprise", grants__enterprise_id=problem.enterprise_id
        )
    )
    if problem.raised_by_id and problem.raised_by not in users:
        users.append(problem.raised_by)
    return users


def tell(users, event: str, text: str, record) -> None:
    """The notice to ``users`` and the loop's own webhook event, with the record's essentials."""
    from chainboard import notices, webhooks

    notices.notify(users, event, text, obj=record)
    webhooks.emit(event, payload(record))


def payload(record) -> dict:
    return {
        "type": record._meta.model_name,
        "id": record.pk,
        "title": record.title,
        "state": record.state,
        "unit": getattr(record.unit, "name", None),
        "due_on": record.due_on,
        "due_provisional": record.due_provisional,
        "escalation_level": record.escalation_level,
        "url": record.get_absolute_url(),
    }


def _after_move(record, move: str) -> None:
    from .models import Problem

    kind = record._meta.model_name
    name = {"name": record.title}
    if move in ("assign", "transfer"):
        tell(unit_users(record), f"{kind}.assigned", _("Assigned to your unit: %(name)s") % name, record)
    elif move == "answer":
        users = raiser_users(record) if isinstance(record, Problem) else role_users(record, ("office",))
        tell(users, f"{kind}.answered", _("Answered: %(name)s") % name, record)
    elif move in ("rate", "send_back") and record.state == "in_progress":
        tell(unit_users(record), f"{kind}.reopened", _("Reopened: %(name)s") % name, record)
    elif move == "request_extension":
        tell(
            role_users(record, ("office",)),
            f"{kind}.extension_requested",
            _("Extension requested: %(name)s") % name,
            record,
        )
    elif move in ("approve_extension", "refuse_extension"):
        text = (
            _("Extension approved: %(name)s")
            if move == "approve_extension"
            else _("Extension refused: %(name)s")
        )
        tell(unit_users(record), f"{kind}.extension_decided", text % name, record)
    elif move == "rate" and record.state == "closed":
        tell(unit_users(record), f"{kind}.closed", _("Closed: %(name)s") % name, record)


def transition_saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    from .models import Problem, Task

    if raw or not created:
        return
    model = instance.content_type.model_class()
    if model not in (Problem, Task):
        return
    record = model._base_manager.select_related("handler").get(pk=instance.object_id)
    _after_move(record, instance.name)


def connect() -> None:
    from chainboard.models import Transition

    post_save.connect(transition_saved, sender=Transition, dispatch_uid="problems.notify.transition")
