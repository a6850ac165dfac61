from django import template

from chainboard import formatting

register = template.Library()


@register.filter
def yuan(value):
    return formatting.yuan(value)


@register.filter
def units(value, unit="户"):
    return formatting.count(value, unit)


@register.filter
def dash(value):
    return "—" if value in (None, "") else value


@register.filter
def in_measure(value, measure):
    """``{{ row.computed|in_measure:row.measure }}``: 4.3亿元, 6户 (chainboard/formatting.py)."""
    return str(formatting.shown(value, measure) or formatting.UNKNOWN)


@register.simple_tag
def unread_notices(user) -> int:
    """The header's unread count (chainboard/notices.py): one COUNT per page, for a signed-in user."""
    from chainboard.notices import unread_count

    return unread_count(user)
