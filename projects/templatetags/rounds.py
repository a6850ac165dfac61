from django import template

from chainboard import scope

register = template.Library()


@register.filter
def may_open_rounds(user) -> bool:
    """May the user open a scheduling round (the office)? For the round list's button."""
    from projects.models import SchedulingRound

    return scope.has_permission(user, "add", SchedulingRound)
