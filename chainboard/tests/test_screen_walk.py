"""A walk over every registered entity's screens, in both languages, reading them as a clerk would.

For each ViewSet in the registry (so an entity added later is walked too): its list (filters and facet
counts), a record's detail and history pages, and the list's CSV and XLSX exports, in Chinese and in
English. The walk fails on words a program would use and a person would not:

- a raw attribute name (``period_type``, ``Is_sample``, ``Upstream__chain``) of the entity's fields,
  filters or facets;
- in the Chinese pages, a field's English verbose name standing as a label (``Chain``, ``Level``);
- a raw boolean (``True``/``False``) shown as text;
- Django's empty choice ``---------``.

It reads as the office user; an entity the office may not see (users, grants) is read by the first role
that may.
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from chainboard import scope
from chainboard.tests import test_scope_matrix as matrix
from chainboard.views.generic import registered_viewsets

cast = matrix.cast

pytestmark = pytest.mark.django_db

LANGUAGES = ("zh-hans", "en")
READERS = ("office", "admin", "auditor", "chief")  # the first that may view the entity reads it
VIEWSETS = sorted(registered_viewsets(), key=lambda v: v.url_prefix)


class _Text(HTMLParser):
    """The text a reader sees: text nodes and the options of drop-downs, not scripts or attributes."""

    def __init__(self):
        super().__init__()
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.nodes.append(data.strip())


def page_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.nodes


def export_text(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("text/csv"):
        return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row if cell]
    book = load_workbook(io.BytesIO(body), read_only=True)
    return [str(c) for row in book.active.iter_rows(values_only=True) for c in row if c not in (None, "")]


def raw_names(viewset) -> set[str]:
    """The program's names a reader must never see: those of fields, filters and facets that no language
    writes (``period_type``, ``upstream__chain``). A one-word name ("chain") is English too: in the
    Chinese pages :func:`english_labels` catches it."""
    model = viewset.model
    names = {f.name for f in model._meta.get_fields() if not f.auto_created}
    if viewset.filterset_class is not None:
        names |= set(viewset.filterset_class.base_filters)
    names |= {n for n, _path in viewset.facets}
    return {n for n in names if "_" in n}


def english_labels(viewset) -> set[str]:
    """Verbose names of the entity's fields (and its filters' fields) in English, where Chinese differs."""
    models = {viewset.model}
    for f in viewset.model._meta.get_fields():
        if f.is_relation and f.related_model is not None and not f.auto_created:
            models.add(f.related_model)
    labels = set()
    for model in models:
        for f in model._meta.get_fields():
            name = getattr(f, "verbose_name", None)
            if name is None:
                continue
            with translation.override("en"):
                english = str(name)
            with translation.override("zh-hans"):
                chinese = str(name)
            if english != chinese and re.fullmatch(r"[A-Za-z][A-Za-z -]+", english):
                labels.add(english.lower())
    return labels


def problems_in(where: str, nodes: list[str], raw: set[str], english: set[str], data=()) -> list[str]:
    """``data``: words that are the records' own (the cast's user names "enterprise", "county")."""
    found = []
    for node in nodes:
        if node in data:
            continue
        for name in raw:
            if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", node, re.IGNORECASE):
                found.append(f"{where}: raw name {name!r} in {node!r}")
        if node in ("True", "False"):
            found.append(f"{where}: raw boolean {node!r}")
        if "---------" in node:
            found.append(f"{where}: Django's empty choice {node!r}")
        if node.rstrip(":：").lower() in english:
            found.append(f"{where}: English label {node!r}")
    return found


def reader_for(cast, viewset):
    for role in READERS:
        user = cast.user(role)
        if scope.has_permission(user, "view", viewset.model):
            return user
    pytest.fail(f"no role reads {viewset.url_prefix}")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewset", VIEWSETS, ids=[v.url_prefix for v in VIEWSETS])
def test_every_screen_of_every_entity_speaks_to_a_clerk(client, cast, viewset, language):
    user = reader_for(cast, viewset)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    names = viewset.names()
    obj = viewset.model.objects.restrict(user, "view").order_by("pk").first()
    assert obj is not None, f"the cast has no {viewset.url_prefix} the reader sees"
    list_url = reverse(names["list"])
    pages = {
        "list": list_url,
        "detail": reverse(names["detail"], kwargs={"pk": obj.pk}),
        "history": reverse(names["history"], kwargs={"pk": obj.pk}),
    }
    raw = raw_names(viewset)
    english = english_labels(viewset) if language == "zh-hans" else set()
    data = set(get_user_model().objects.values_list("username", flat=True))
    problems = []
    for page, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (page, url)
        problems += problems_in(f"{page} {url}", page_text(response.content.decode()), raw, english, data)
    for fmt in ("csv", "xlsx"):
        response = client.get(list_url, {"export": fmt})
        assert response.status_code == 200, fmt
        problems += problems_in(f"export {fmt}", export_text(response), raw, english, data)
    assert problems == []


def test_the_walk_catches_a_raw_name_an_english_label_and_a_raw_boolean():
    """The checks themselves: each fails on what it is there to catch."""
    raw = {"period_type", "upstream__chain"}
    english = {"chain"}
    nodes = ["Period_type", "Upstream__chain", "Chain", "True", "---------", "产业链", "是"]
    found = problems_in("page", nodes, raw, english)
    assert len(found) == 5
    assert problems_in("page", ["统计期类型", "否", "示例数据"], raw, english) == []


def test_the_walk_covers_every_registered_entity():
    assert {v.url_prefix for v in VIEWSETS} >= {
        "chains",
        "enterprises",
        "indicators",
        "segment_links",
        "users",
        "grants",
    }
