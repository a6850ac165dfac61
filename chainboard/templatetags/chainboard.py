from django import template
from django.template.base import render_value_in_context
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

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


@register.simple_tag(takes_context=True)
def table_cells(context, row):
    """A list row's cells (``chainboard/generic/_table.html``): "—" for nothing, a check or a dash for
    yes and no, the value as ``{{ cell }}`` shows it otherwise, and the sample badge after the first.

    Written here rather than as a template loop: a template evaluates half a dozen conditions per cell,
    and 25 rows of eight cells were a tenth of a list page's time (bench/README.md, "Issue 14:
    projects")."""
    sample = bool(getattr(row["object"], "is_sample", False))
    cells = []
    for index, cell in enumerate(row["cells"]):
        if cell is None or cell == "":
            html = '<span class="cell-empty">—</span>'
        elif cell is True or cell is False:
            html = format_html(
                '<i class="ti {}" aria-hidden="true"></i><span class="visually-hidden">{}</span>',
                "ti-check text-green" if cell else "ti-minus text-secondary",
                _("Yes") if cell else _("No"),
            )
        else:
            html = render_value_in_context(cell, context)
        if index == 0:
            if sample:
                html += format_html(' <span class="badge badge-sample ms-1">{}</span>', _("Sample data"))
            cells.append(f'<td class="cell-first">{html}</td>')
        else:
            cells.append(f"<td>{html}</td>")
    return mark_safe("".join(cells))  # noqa: S308 - each value escaped as {{ cell }} escapes it


@register.simple_tag
def unread_notices(user) -> int:
    """The header's unread count (chainboard/notices.py): one COUNT per page, for a signed-in user."""
    from chainboard.notices import unread_count

    return unread_count(user)
