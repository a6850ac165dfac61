"""The investment desk to-do (chainboard/desk.py): the follow-ups overdue for the user, as the person
responsible for them (their user account's person), linked to the follow-up list that shows them.
Counted through ``restrict``: a follow-up the user may no longer see does not count."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainboard import desk, scope

from .models import FollowUp


def _overdue_todos(user) -> list[desk.Todo]:
    if not scope.has_permission(user, "view", FollowUp):
        return []
    person = getattr(user, "person", None) if getattr(user, "pk", None) else None
    if person is None:
        return []
    count = (
        FollowUp.objects.restrict(user, "view")
        .filter(responsible_person=person, done_on__isnull=True, due_on__lt=timezone.localdate())
        .count()
    )
    if not count:
        return []
    query = urlencode({"responsible_person": person.pk, "overdue": "true"})
    return [
        desk.Todo(_("Overdue follow-ups"), count, f"{reverse('investment:followup_list')}?{query}", "danger")
    ]


desk.register_todo(_overdue_todos)
