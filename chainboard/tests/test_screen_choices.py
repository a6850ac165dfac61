"""Every choice list is scoped like the list itself (docs/scope.md): a walk over every registered entity's
list filters (their drop-downs, searchable pickers and facet counts) and add and edit forms, for every
role, that fails on any choice naming a record outside what the user may view.

Built from the ViewSet registry (``registered_viewsets``), so an entity still to come is walked too. What
the user may view is read from the entity's own list page for that user, not from the scope code.
An edit form keeps a record's current value as a choice even when the editor may not see it elsewhere
(saving another field must not unlink it, docs/scope.md): that one value is allowed.
"""

from __future__ import annotations

import re

import pytest
from django import forms
from django.urls import reverse

from chainboard.tests.test_scope_matrix import (  # noqa: F401 - fixtures
    ROLES,
    cast,
    login,
    registered_viewsets,
)
from chainboard.views.generic import ViewSet

pytestmark = pytest.mark.django_db

VIEWSETS = sorted(registered_viewsets(), key=lambda v: v.model._meta.label)
BY_MODEL = {v.model: v for v in VIEWSETS}
EDITS_PER_ENTITY = 3  # records whose edit form is opened, per role and entity

# Declared exceptions, each with its reason: form fields whose choices are deliberately wider than the
# user's view scope. (form class name, field) → why.
UNSCOPED = {
    # The administrator sees no business data but names the chain or enterprise a grant or position is on
    # (docs/roles.md): the scope re-check after the save still applies.
    ("GrantForm", "chain"): "the administrator names a grant's chain",
    ("GrantForm", "enterprise"): "the administrator names an enterprise user's enterprise",
    ("PositionForm", "chain"): "the administrator names a position's chain",
}


def options(html: str, name: str) -> set[str]:
    """The non-empty option values of the select called ``name``, as the browser gets them."""
    match = re.search(rf'<select[^>]*\bname="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    if not match:
        return set()
    values = re.findall(r'<option[^>]*value="([^"]*)"', match.group(1))
    return {v for v in values if v not in {"", "unknown", "true", "false"}}


def lookup_url(html: str, name: str) -> str | None:
    match = re.search(rf'<select[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    found = re.search(r'data-lookup="([^"]+)"', match.group(0)) if match else None
    return found.group(1) if found else None


class Visible:
    """What a role's client may view of each kind, read from that kind's own list (every page)."""

    def __init__(self, client):
        self.client = client
        self.seen: dict[type, set[str]] = {}

    def of(self, model) -> set[str] | None:
        """The pks (as text) the user may view, or None when no list page shows that kind."""
        viewset = BY_MODEL.get(model)
        if viewset is None:
            return None
        if model not in self.seen:
            pks: set[str] = set()
            response = self.client.get(reverse(viewset.names()["list"]), {"page_size": 100})
            if response.status_code == 200:
                paginator = response.context["page"].paginator
                for number in paginator.page_range:
                    for row in paginator.page(number).object_list:
                        pks.add(str(row.pk))
            self.seen[model] = pks
        return self.seen[model]


def named_on_rows(viewset, visible: Visible, path: str) -> set[str]:
    """The values of ``path`` on the rows the user's list shows: a kind the user may not view at all is
    offered as the list names it (the administrator's positions name their chains)."""
    pks = visible.of(viewset.model) or set()
    values = viewset.model._base_manager.filter(pk__in=pks).values_list(path, flat=True)
    return {str(v) for v in values if v is not None}


def check_form(form, html: str, visible: Visible, client, where: str, current=None, paths=None) -> list[str]:
    """Every relation field's offered choices, in the page and behind its picker, within view scope."""
    problems = []
    paths = paths or {}
    for name, field in form.fields.items():
        if not isinstance(field, forms.ModelChoiceField):
            continue
        if (type(form).__name__, name) in UNSCOPED:
            continue
        allowed = visible.of(field.queryset.model)
        if allowed is None:
            continue
        keep = {str(getattr(v, "pk", v)) for v in (current or {}).get(name, ())}
        if not allowed and name in paths:
            keep |= paths[name]()
        offered = options(html, form.add_prefix(name))
        url = lookup_url(html, form.add_prefix(name))
        if url:
            offered |= {r["id"] for r in client.get(url, {"q": ""}).json()["results"]}
        outside = offered - allowed - keep
        if outside:
            problems.append(f"{where}: {name} offers {sorted(outside)} outside the user's scope")
    return problems


def facet_path(viewset, name: str) -> str:
    return dict(viewset.facets)[name]


def current_values(form) -> dict[str, list]:
    out = {}
    for name in form.fields:
        value = form.initial.get(name)
        out[name] = value if isinstance(value, list | tuple) else [value]
    return out


def walk(client, viewset: type[ViewSet], visible: Visible) -> list[str]:
    problems: list[str] = []
    names = viewset.names()
    model = viewset.model
    response = client.get(reverse(names["list"]))
    if response.status_code == 200 and response.context.get("filterset") is not None:
        html = response.content.decode()
        filterset = response.context["filterset"]
        paths = {
            name: (lambda f=f: named_on_rows(viewset, visible, f.field_name))
            for name, f in filterset.filters.items()
        }
        problems += check_form(filterset.form, html, visible, client, names["list"], paths=paths)
        for facet in response.context["facets"]:
            filt = viewset.filterset_class.base_filters[facet["name"]]
            related = getattr(filt, "queryset", None) or filt.extra.get("queryset")
            if related is None:
                continue
            allowed = visible.of(related.model)
            if not allowed:
                allowed = named_on_rows(viewset, visible, facet_path(viewset, facet["name"]))
            values = {re.search(rf"{facet['name']}=([^&]*)", v["query"]).group(1) for v in facet["values"]}
            if allowed is not None and values - allowed:
                problems.append(f"{names['list']}: facet {facet['name']} counts {sorted(values - allowed)}")
    if viewset.form_class is None:
        return problems
    response = client.get(reverse(names["add"]))
    if response.status_code == 200:
        problems += check_form(
            response.context["form"], response.content.decode(), visible, client, names["add"]
        )
    for pk in sorted(visible.of(model) or ())[:EDITS_PER_ENTITY]:
        response = client.get(reverse(names["edit"], args=[pk]))
        if response.status_code != 200:
            continue
        form = response.context["form"]
        where = f"{names['edit']} {pk}"
        problems += check_form(form, response.content.decode(), visible, client, where, current_values(form))
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_choice_offered_to_a_role_is_within_what_it_may_view(login, cast, role):  # noqa: F811
    client = login(role)
    visible = Visible(client)
    problems = []
    for viewset in VIEWSETS:
        problems += walk(client, viewset, visible)
    assert problems == []


def test_the_walk_covers_every_registered_entity():
    assert len(VIEWSETS) == len({v.model for v in VIEWSETS}) >= 18
