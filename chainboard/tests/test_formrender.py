"""The form renderer writes Django's plain widget templates in Python: the same markup, to the byte, as
the templates give (chainboard/formrender.py)."""

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from chainboard.formrender import WidgetRenderer
from chainboard.forms import LookupSelect

CHOICES = [
    ("", "全部"),
    ("a", 'A & "B" <c>'),
    ("Group <1>", [("g1", "一"), ("g2", mark_safe("<b>二</b>"))]),
    (3, dt.date(2026, 12, 4)),
]

WIDGETS = [
    (forms.TextInput(attrs={"class": "form-control", "required": True, "disabled": False}), 'x "y" <z>'),
    (forms.TextInput(), None),
    (forms.TextInput(), ""),
    (forms.NumberInput(attrs={"step": 0.5}), 12),
    (forms.DateInput(attrs={"data-x": mark_safe("&amp;")}), dt.date(2026, 1, 2)),
    (forms.HiddenInput(), "h"),
    (forms.EmailInput(), "a@b.cn"),
    (forms.PasswordInput(render_value=True), "secret"),
    (forms.CheckboxInput(attrs={"class": "form-check-input"}), True),
    (forms.CheckboxInput(), False),
    (forms.Textarea(attrs={"rows": 3}), "line <one>\nline two"),
    (forms.Textarea(), ""),
    (forms.Select(choices=CHOICES, attrs={"class": "form-select"}), "g2"),
    (forms.Select(choices=CHOICES), None),
    (forms.SelectMultiple(choices=CHOICES), ["a", "3"]),
    (forms.NullBooleanSelect(), True),
    (LookupSelect(lookup_url="/regions/lookup/"), "g1"),
]


@pytest.mark.parametrize(
    ("widget", "value"), WIDGETS, ids=[f"{type(w).__name__}-{i}" for i, (w, _v) in enumerate(WIDGETS)]
)
def test_a_widget_renders_as_djangos_templates_render_it(widget, value):
    if isinstance(widget, LookupSelect):
        widget.choices = CHOICES
    ours = widget.render("field", value, attrs={"id": "id_field"}, renderer=WidgetRenderer())
    djangos = widget.render("field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates())
    assert ours == djangos
    assert "<" in ours


def test_a_form_uses_the_renderer_and_a_template_it_does_not_write_still_renders():
    class Form(forms.Form):
        name = forms.CharField()
        kind = forms.ChoiceField(choices=[("x", "X")])
        when = forms.SplitDateTimeField()
        picked = forms.MultipleChoiceField(choices=[("a", "A")], widget=forms.CheckboxSelectMultiple)

    form = Form(data={"name": "<n>", "kind": "x"})
    assert isinstance(form.renderer, WidgetRenderer)
    html = str(form)
    assert 'value="&lt;n&gt;"' in html and '<option value="x" selected>X</option>' in html
    assert 'type="checkbox"' in html and 'name="when_0"' in html
    assert str(form) == form.render(renderer=DjangoTemplates())
