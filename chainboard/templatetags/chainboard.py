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
