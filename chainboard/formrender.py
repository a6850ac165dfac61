"""The form renderer (``FORM_RENDERER``): Django's template renderer, with its plainest widget templates
written out in Python.

Django renders each widget through the template engine: a ``<select>`` includes its option template once
per option, and each option includes the attributes template, so the filter form of a list (ten fields,
some with dozens of options) cost a quarter of the list page's time (bench/README.md, "Issue 14:
projects"). :class:`WidgetRenderer` answers Django's own ``input``, ``select``, ``select_option`` and
``textarea`` templates (and the input types that only include ``input.html``) with the markup those
templates give, to the byte (``chainboard/tests/test_formrender.py`` holds the two side by side), and
every other template, or one of these overridden by an app, through the template engine as before.
"""

from __future__ import annotations

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.html import escape
from django.utils.safestring import SafeData, mark_safe

WIDGETS = "django/forms/widgets/"
# Django's input types whose template is ``{% include "django/forms/widgets/input.html" %}`` and a newline.
INPUTS = (
    "text", "number", "email", "url", "password", "hidden", "search", "tel", "date", "datetime", "time",
    "color", "checkbox",
)  # fmt: skip
_DJANGO_TEMPLATES = Path(django.forms.__file__).parent / "templates"
_CONTEXT = Context(autoescape=True)


def _text(value) -> str:
    """``{{ value }}``: localised, then escaped unless safe."""
    return render_value_in_context(value, _CONTEXT)


def _format(value) -> str:
    """``{{ value|stringformat:'s' }}``: the value as text, escaped unless safe (the filter keeps
    safeness)."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value,)  # noqa: UP031 - as the filter does
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html``: ``False`` leaves the attribute out, ``True`` writes its name
    alone."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_format(value)}"')
    return "".join(out)


def _input(widget: dict) -> str:
    value = f' value="{_format(widget["value"])}"' if widget["value"] is not None else ""
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>\n'


def _input_type(widget: dict) -> str:
    """``text.html``, ``number.html``…: ``input.html`` included, and a newline."""
    return _input(widget) + "\n"


def _option(widget: dict) -> str:
    return f'<option value="{_format(widget["value"])}"{_attrs(widget["attrs"])}>{_text(widget["label"])}</option>\n'


def _textarea(widget: dict) -> str:
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>\n'


class WidgetRenderer(DjangoTemplates):
    """Django's default form renderer, rendering its own plain widget templates in Python."""

    def __init__(self):
        super().__init__()
        self._python: dict[str, object] = {}  # template name -> function, or None: the template engine

    def render(self, template_name, context, request=None):
        function = self._function(template_name)
        if function is None:
            return super().render(template_name, context, request)
        # Stripped, as the template renderer strips what a template gives.
        return mark_safe(function(context["widget"]).strip())  # noqa: S308 - every part escaped above

    def _function(self, name: str):
        if name not in self._python:
            function = {
                f"{WIDGETS}input.html": _input,
                f"{WIDGETS}select.html": self._select,
                f"{WIDGETS}select_option.html": _option,
                f"{WIDGETS}textarea.html": _textarea,
                **{f"{WIDGETS}{kind}.html": _input_type for kind in INPUTS},
            }.get(name)
            own = [name, f"{WIDGETS}attrs.html"] + (
                [f"{WIDGETS}input.html"] if function is _input_type else []
            )
            if function is not None and not all(self._is_djangos(n) for n in own):
                function = None  # an app overrides the template: render it
            self._python[name] = function
        return self._python[name]

    def _is_djangos(self, name: str) -> bool:
        origin = Path(self.get_template(name).origin.name)
        return origin.is_relative_to(_DJANGO_TEMPLATES)

    def _select(self, widget: dict) -> str:
        parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_text(group_name)}">')
            for option in group_choices:
                function = self._function(option["template_name"])
                if function is None:  # an included template is not stripped
                    html = self.get_template(option["template_name"]).render({"widget": option})
                else:
                    html = function(option)
                parts.append(f"\n  {html}")
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>\n")
        return "".join(parts)
