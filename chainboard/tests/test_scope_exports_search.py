"""Scope beyond the pages of the matrix: exports, search and every API route (style.md, Tests).

The cast, the roles and the hand-written expectations are those of ``test_scope_matrix`` (imported, not
repeated): for each role and entity, the rows it may see and what it may do with them. Here:

- exports: ``?export=csv`` and ``?export=xlsx`` on every list hold exactly the rows the role may see,
  never one outside its scope, and are refused (403) without the view permission;
- search: the global search box and the lists' ``q`` (web and API, Chinese and pinyin) never find a
  record outside the role's scope, and the counts beside them (result totals, facet counts) count only
  rows in scope;
- the API's routes: list, detail, create, update, delete for every registered entity; outside the scope a
  record is not found (404) and is neither changed nor deleted; a record created outside the scope is
  refused and nothing is written.

The data is built once per module (``cast``); each test runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from types import SimpleNamespace

import pytest
from django.db.models import Count
from django.http import QueryDict
from django.urls import reverse
from openpyxl import load_workbook

from chainboard import exports, search
from chainboard.exports import cell_value, neutralise
from chainboard.models import AuditEntry
from chainboard.scope import SystemActor
from chainboard.tests import test_scope_matrix as matrix
from chainboard.tests.test_scope_matrix import (
    CASES,
    ENTITIES,
    IDS,
    PROBES,
    ROLES,
    api_get,
    api_pk,
    expected,
    refusal,
    refused_by_dependents,
    url,
    viewset_for,
)

# The matrix's fixtures, shared by name: the cast (built once for this module too), a client logged in as a
# role, and an API token per role.
cast = matrix.cast
login = matrix.login
tokens = matrix.tokens

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def indexed(cast, django_db_blocker):
    """The cast with its search keys built (pinyin included), inside the module's transaction."""
    with django_db_blocker.unblock():
        for model in search.searchable_models():
            search.rebuild(model)
    return cast


def keys_of(cast, entity: str, objects) -> list[str]:
    return [cast.key_of(entity, obj) for obj in objects]


def all_keys(cast, entity: str) -> set[str]:
    return set(cast.keys[entity])


# ---- exports ---------------------------------------------------------------------------------------------


def rendered(entity: str, keys, cast, fmt: str = "csv", reader=None) -> Counter:
    """The rows an export of these records holds, rendered by the list's own table (as text), as
    ``reader`` reads it (None: every column; a reader: without the confidential fields they may not read)."""
    cell = neutralise if fmt == "csv" else cell_value
    model = ENTITIES[entity]
    table = viewset_for(entity).table
    table = table.visible(model, reader) if reader is not None else table
    pks = [cast.keys[entity][key][1] for key in keys]
    objects = table.prepare(model._base_manager.filter(pk__in=pks))
    flag = table.has_sample_flag(model)
    return Counter(tuple(as_text(cell(v)) for v in table.export_row(model, obj, flag)) for obj in objects)


def as_text(value) -> str:
    return "" if value is None else str(value)


def cell_text(cell) -> str:
    """An XLSX cell as the CSV writes it: a date cell (a date or a time, by its format) in ISO form."""
    if cell.is_date and cell.value is not None:
        if cell.number_format == exports.DATE_FORMAT:
            return cell.value.date().isoformat()
        return cell.value.strftime("%Y-%m-%d %H:%M:%S")
    return as_text(cell.value)


def exported_rows(response, fmt: str) -> tuple[list[str], Counter]:
    if fmt == "csv":
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = [[cell_text(cell) for cell in row] for row in sheet.iter_rows()]
    header, body = rows[0], rows[1:]
    width = len(header)
    return header, Counter(tuple((row + [""] * width)[:width]) for row in body)


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_every_record_exports_as_a_row_of_its_own(cast, entity):
    # Without this, "no row outside the scope" below could not be told from "a row that looks alike".
    keys = all_keys(cast, entity)
    rows = rendered(entity, keys, cast)
    assert len(rows) == len(keys) and set(rows.values()) == {1}, entity


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_an_export_holds_exactly_the_rows_in_the_users_scope(login, cast, role, entity, fmt):
    visible, perms = expected(role, entity)
    client = login(role)
    response = client.get(url(entity, "list"), {"export": fmt})
    if "v" not in perms:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    header, rows = exported_rows(response, fmt)
    reader = cast.world.users[role]
    model = ENTITIES[entity]
    assert header == viewset_for(entity).table.visible(model, reader).export_labels(model)
    outside = rendered(entity, all_keys(cast, entity) - visible, cast, fmt, reader)
    assert not (set(rows) & set(outside)), f"{role} exported {entity} rows outside the scope"
    assert rows == rendered(entity, visible, cast, fmt, reader)  # every row in scope, once


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_filtered_export_of_county_staff_leaves_out_the_other_county_whatever_the_query(login, cast, fmt):
    client = login("county")
    for params in ({"q": "景柏"}, {"q": "jb"}, {"q": "泽州"}, {"region": "140525"}):
        response = client.get(url("enterprise", "list"), {**params, "export": fmt})
        assert response.status_code == 200, params
        _header, rows = exported_rows(response, fmt)
        assert rows == Counter(), params
    response = client.get(url("enterprise", "list"), {"q": "企业", "export": fmt})
    _header, rows = exported_rows(response, fmt)
    assert [row[0] for row in rows] == ["高平其他企业"]  # not 泽州其他企业


# Exports read their rows as values (exports._ValuesPlan), not as model instances; these lists' columns
# need instances (a measure each row picks: formatting.PerRow).
READ_FROM_INSTANCES = {"chainstatistic"}
VIEWABLE = [(role, entity) for role, entity in CASES if "v" in expected(role, entity)[1]]


def file_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def sheet_of(content: bytes) -> list[list[tuple]]:
    """Each cell of an XLSX file's sheet: its value, its type and its number format."""
    sheet = load_workbook(io.BytesIO(content)).active
    return [[(c.value, c.data_type, c.number_format) for c in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize(("role", "entity"), VIEWABLE, ids=[f"{r}-{e}" for r, e in VIEWABLE])
def test_an_export_read_as_values_is_the_file_read_from_model_instances(
    login, cast, role, entity, monkeypatch
):
    """Byte for byte (CSV) and cell for cell (XLSX): every column kind (choices, dates and times,
    decimals and measures, foreign keys' names, computed displays, to-many text, yes/no, the sample
    column), with the role's scope and its confidential columns left out, as the instances wrote it."""
    client = login(role)
    model = ENTITIES[entity]
    table = viewset_for(entity).table.visible(model, cast.world.users[role])
    planned = exports._plan(table, table.prepare(model.objects.all()), "csv") is not None
    assert planned == (model._meta.model_name not in READ_FROM_INSTANCES), entity
    as_values = {fmt: file_of(client.get(url(entity, "list"), {"export": fmt})) for fmt in ("csv", "xlsx")}
    monkeypatch.setattr(exports, "_plan", lambda *args: None)
    as_instances = {fmt: file_of(client.get(url(entity, "list"), {"export": fmt})) for fmt in ("csv", "xlsx")}
    assert as_values["csv"] == as_instances["csv"]
    assert sheet_of(as_values["xlsx"]) == sheet_of(as_instances["xlsx"])
    rows = list(csv.reader(io.StringIO(as_values["csv"].decode("utf-8-sig"))))
    assert len(rows) == 1 + len(expected(role, entity)[0])  # the header and every row in scope


# ---- search: the global search box and the lists' q ------------------------------------------------------

# Terms that find records inside and outside every scope: Chinese of one, two and more characters, and
# pinyin initials and full pinyin of enterprise names (景柏服饰: jb, jingbai; 高平其他企业: gpqt; 泽州其他企业:
# zzqt, in nobody's scope but the system's).
TERMS = [
    "景柏",
    "jb",
    "jingbai",
    "潞",
    "企业",
    "其他",
    "丝",
    "gpqt",
    "zzqt",
    "产品",
    "联系人",
    "链长",
    "高平",
    "项目",  # key projects, their plans and milestones, by the project's name
    "诉求",  # the closed loop: problems, tasks, meetings and progress notes (problems/tests/matrix.py)
    "任务",
    "会议",
    "已对接",
    "客商",  # investment leads, and their contacts, visits and follow-ups by the lead's name
    "小分队",  # investment teams and their members, by the team's name
    "推介会",
    "博览会",
    "招商会",
]

SEARCHABLE = [
    entity
    for entity in ENTITIES
    if viewset_for(entity).filterset_class is not None and viewset_for(entity).filterset_class.search_fields
]


# The global search box shows records found by their own names; those found through a parent's name
# (an enterprise's indicators) are in their lists' search only.
IN_SEARCH_BOX = [entity for entity in SEARCHABLE if viewset_for(entity).filterset_class.in_global_search]


def matches(cast, entity: str, term: str) -> set[str]:
    """Every record the term finds when no scope applies (the system's view), by key."""
    viewset = viewset_for(entity)
    everything = ENTITIES[entity]._base_manager.all()
    filterset = viewset.filterset_class(
        QueryDict(f"q={term}"), queryset=everything, request=SimpleNamespace(user=SystemActor("test:search"))
    )
    assert filterset.is_valid(), filterset.errors
    return set(keys_of(cast, entity, filterset.qs))


def found(client, term: str) -> dict[str, tuple[list, int]]:
    response = client.get(reverse("search"), {"q": term})
    assert response.status_code == 200
    return {str(g["label"]): (g["items"], g["count"]) for g in response.context["groups"]}


def test_the_terms_find_records_inside_and_outside_every_scope(indexed):
    # Without rows out of scope among the matches, the tests below could not fail.
    for role in ROLES:
        for entity in SEARCHABLE:
            visible, perms = expected(role, entity)
            if "v" not in perms or visible == all_keys(indexed, entity):
                continue
            hits = set().union(*(matches(indexed, entity, term) for term in TERMS))
            assert hits & visible and hits - visible, (role, entity)


@pytest.mark.parametrize("role", ROLES)
def test_the_search_box_finds_only_records_in_scope_and_counts_only_them(login, indexed, role):
    client = login(role)
    by_label = {str(ENTITIES[entity]._meta.verbose_name_plural): entity for entity in IN_SEARCH_BOX}
    for term in TERMS:
        groups = found(client, term)
        wanted = {}
        for entity in IN_SEARCH_BOX:
            visible, perms = expected(role, entity)
            hits = matches(indexed, entity, term) & visible if "v" in perms else set()
            if hits:
                wanted[entity] = hits
        assert {by_label[label] for label in groups} == set(wanted), (role, term)
        for label, (items, count) in groups.items():
            entity = by_label[label]
            shown = set(keys_of(indexed, entity, items))
            assert shown <= wanted[entity], (role, term, entity, shown - wanted[entity])
            assert count == len(wanted[entity]), (role, term, entity)
            if count <= len(items):
                assert shown == wanted[entity], (role, term, entity)


def test_county_staff_find_no_enterprise_of_another_county_by_name_or_pinyin(login, indexed):
    client = login("county")
    for term in ("景柏", "景柏服饰", "jb", "jingbai", "JB", "zzqt", "泽州其他"):
        assert found(client, term) == {}, term
    groups = found(client, "企业")
    names = {label: sorted(str(o) for o in items) for label, (items, _count) in groups.items()}
    # 高平其他企业's project and problem are found by its name (their search takes in the enterprise).
    assert sorted(names.values()) == [
        ["诉求gaoping_other"],
        ["项目other_gaoping"],
        ["高平其他企业"],
        ["高平其他企业产品"],
        ["高平其他企业联系人"],
    ]
    # … while the silk chain's office finds 景柏服饰 by its initials, and its product and contact (indexed,
    # pinyin included, since their tables grow with the enterprises: docs/search.md).
    office = found(login("office"), "jb")
    # (and its project and its problem through the enterprise's name)
    assert sorted([str(o) for o in items] for items, _count in office.values()) == [
        ["景柏服饰"],
        ["景柏服饰产品"],
        ["景柏服饰联系人"],
        ["诉求jingbai"],
        ["项目silk_zezhou"],
    ]


def test_the_link_to_all_matches_opens_a_list_with_the_same_count(login, indexed):
    client = login("county")
    response = client.get(reverse("search"), {"q": "企业"})
    for group in response.context["groups"]:
        listed = client.get(group["more_url"])
        assert listed.status_code == 200
        assert listed.context["page"].paginator.count == group["count"], group["label"]


SEARCH_CASES = [(role, entity) for role in ROLES for entity in SEARCHABLE if "v" in expected(role, entity)[1]]


@pytest.mark.parametrize(("role", "entity"), SEARCH_CASES, ids=[f"{r}-{e}" for r, e in SEARCH_CASES])
def test_a_lists_search_finds_only_rows_in_scope_on_the_page_and_in_the_api(
    login, indexed, tokens, role, entity
):
    visible, _perms = expected(role, entity)
    client = login(role)
    collection = viewset_for(entity).url_prefix
    for term in TERMS:
        wanted = matches(indexed, entity, term) & visible
        response = client.get(url(entity, "list"), {"q": term, "page_size": 100})
        assert response.status_code == 200
        listed = set(keys_of(indexed, entity, (row["object"] for row in response.context["rows"])))
        assert listed == wanted, (term, listed - wanted)
        assert response.context["page"].paginator.count == len(wanted), term
        body = api_get(client, f"{collection}?q={term}&page_size=500", tokens[role]).json()
        by_pk = {pk: key for key, (_model, pk) in indexed.keys[entity].items()}
        assert {by_pk[api_pk(entity, item)] for item in body["items"]} == wanted, term
        assert body["count"] == len(wanted), term


# ---- facet counts ----------------------------------------------------------------------------------------

FACET_CASES = [
    (role, entity)
    for role in ROLES
    for entity in ENTITIES
    if viewset_for(entity).facets and "v" in expected(role, entity)[1]
]


def facet_counts_shown(response) -> dict[str, dict[str, int]]:
    out = {}
    for facet in response.context["facets"]:
        values = {}
        for value in facet["values"]:
            values[QueryDict(value["query"])[facet["name"]]] = value["count"]
        out[facet["name"]] = values
    return out


def facet_counts_wanted(cast, entity: str, keys: set[str]) -> dict[str, dict[str, int]]:
    """Each facet's counts over exactly these rows, counted here without the scope code."""
    model = ENTITIES[entity]
    pks = [cast.keys[entity][key][1] for key in keys]
    out = {}
    for name, path in viewset_for(entity).facets:
        rows = (
            model._base_manager.filter(pk__in=pks)
            .order_by()
            .values(path)
            .annotate(n=Count("pk", distinct=True))
        )
        out[name] = {
            (str(r[path]).lower() if isinstance(r[path], bool) else str(r[path])): r["n"]
            for r in rows
            if r[path] is not None
        }
    return out


@pytest.mark.parametrize(("role", "entity"), FACET_CASES, ids=[f"{r}-{e}" for r, e in FACET_CASES])
def test_facet_counts_beside_a_list_count_only_rows_in_scope(login, indexed, role, entity):
    visible, _perms = expected(role, entity)
    client = login(role)
    response = client.get(url(entity, "list"))
    assert response.status_code == 200
    assert facet_counts_shown(response) == facet_counts_wanted(indexed, entity, visible)
    if entity in SEARCHABLE:
        for term in ("其他", "企业", "丝"):
            response = client.get(url(entity, "list"), {"q": term})
            wanted = facet_counts_wanted(indexed, entity, matches(indexed, entity, term) & visible)
            assert facet_counts_shown(response) == wanted, term


def test_county_staff_see_chain_facets_for_their_own_county_only(login, indexed):
    # 高平市 has 潞安府潞绸 on the silk chain and 高平其他企业 on the other: one each, not two each.
    response = login("county").get(url("enterprise", "list"))
    chains = {
        str(v["label"]): v["count"]
        for f in response.context["facets"]
        if f["name"] == "chain"
        for v in f["values"]
    }
    assert chains == {"丝麻纺织服装产业链": 1, "其他产业链": 1}
    response = login("office").get(url("enterprise", "list"))
    chains = {
        str(v["label"]): v["count"]
        for f in response.context["facets"]
        if f["name"] == "chain"
        for v in f["values"]
    }
    assert chains == {"丝麻纺织服装产业链": 2}  # the office sees no enterprise of the other chain


# ---- every API route: list and detail (the matrix), update, delete, create --------------------------------


def api_send(client, method: str, path: str, token: str, body=None):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"/api/v1/{path}", **kwargs)


def writable_fields(entity: str) -> list[str]:
    form_class = viewset_for(entity).form_class
    return list(form_class.base_fields) if form_class is not None else []


def change_for(entity: str) -> dict:
    """A change the user would notice: a text field of the record, rewritten."""
    for name in ("source", "full_name"):
        if name in writable_fields(entity):
            return {name: "经接口修改"}
    return {}  # a grant: the version moves all the same


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_an_api_update_changes_a_record_only_in_scope_with_the_change_permission(
    client, cast, tokens, role, entity
):
    visible, perms = expected(role, entity)
    model = ENTITIES[entity]
    collection = viewset_for(entity).url_prefix
    change = change_for(entity)
    for key in PROBES[entity]:
        obj = cast.get(entity, key)
        audit_rows = AuditEntry.objects.count()
        response = api_send(
            client,
            "patch",
            f"{collection}/{obj.pk}?version={getattr(obj, 'version', 1)}",
            tokens[role],
            change,
        )
        after = model._base_manager.get(pk=obj.pk)
        if viewset_for(entity).form_class is None:  # reference data: no update route at all
            allowed, status = False, 405
        else:
            status = refusal(key, visible, perms, "c")
            allowed = status is None
        if not allowed:
            assert response.status_code == status, (key, response.content)
            assert getattr(after, "version", None) == getattr(obj, "version", None), f"{key} changed"
            for name in change:
                assert getattr(after, name) == getattr(obj, name), f"{key}.{name} changed"
            assert AuditEntry.objects.count() == audit_rows, key
        else:
            assert response.status_code == 200, (key, response.content)
            assert after.version == obj.version + 1, key
            for name, value in change.items():
                assert getattr(after, name) == value and response.json()[name] == value, key


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_an_api_delete_removes_a_record_only_in_scope_with_the_delete_permission(
    client, cast, tokens, role, entity
):
    visible, perms = expected(role, entity)
    model = ENTITIES[entity]
    collection = viewset_for(entity).url_prefix
    for key in PROBES[entity]:
        obj = cast.get(entity, key)
        audit_rows = AuditEntry.objects.count()
        path = f"{collection}/{obj.pk}" + (f"?version={obj.version}" if hasattr(obj, "version") else "")
        response = api_send(client, "delete", path, tokens[role])
        still_there = model._base_manager.filter(pk=obj.pk).exists()
        refused = refusal(key, visible, perms, "d")
        kinds = None if refused else refused_by_dependents(role, entity, key)
        if refused or kinds is not None:
            # 409 with the dependents when something stands in the way (docs/roles.md, Deleting).
            assert response.status_code == (refused or 409), (key, response.content)
            assert response["Content-Type"].startswith("application/problem+json")
            assert still_there, key
            assert AuditEntry.objects.count() == audit_rows, key
            if kinds is not None:
                assert {d["kind"] for d in response.json()["dependents"]} == kinds, key
        else:
            assert response.status_code == 204, (key, response.content)
            assert not still_there, key
            assert AuditEntry.objects.filter(object_id=str(obj.pk), action="delete", source="api").exists()


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_the_api_never_names_a_record_outside_the_scope_in_its_answers(client, cast, tokens, role, entity):
    # A refusal must not tell an out-of-scope record from a missing one: same status, same body.
    visible, _perms = expected(role, entity)
    collection = viewset_for(entity).url_prefix
    model = ENTITIES[entity]
    missing = "0" if model._meta.pk.get_internal_type() not in {"CharField"} else "nonexistent"
    for key in set(PROBES[entity]) - visible:
        obj = cast.get(entity, key)
        for method in ("get", "patch", "delete"):
            body = {} if method == "patch" else None
            version = "?version=1" if method in {"patch", "delete"} else ""
            outside = api_send(client, method, f"{collection}/{obj.pk}{version}", tokens[role], body)
            absent = api_send(client, method, f"{collection}/{missing}{version}", tokens[role], body)
            if outside.status_code == 405:  # no such route for this entity
                continue
            assert outside.status_code == absent.status_code == 404, (key, method)
            assert outside.json() == absent.json(), (key, method)
            assert str(obj) not in outside.content.decode(), (key, method)


# Creating records outside the creator's scope, by role and entity, with the refusal the user gets: 403
# when the saved row would fall outside the scope, or 422 naming the field whose choices the scope limits.
# Beside each, a record of the same shape inside the scope, which is created: so a refusal is the scope's
# doing, not the payload's. (Administrators' entities have no scope to leave.)
def _creates(c) -> dict[tuple[str, str], tuple[list[tuple[dict, object]], dict | None]]:
    silk, other = c.get("chain", "silk").pk, c.get("chain", "other").pk
    e = {key: c.get("enterprise", key).pk for key in ("jingbai", "luanfu", "gaoping_other", "zezhou_other")}
    seg = {key: c.get("segment", key).pk for key in ("缫丝", "服装", "其他下游")}
    p = {key: c.get("project", key).pk for key in ("silk_zezhou", "silk_gaoping", "other_gaoping")}
    kind = c.get("problemkind", "融资").pk
    bureau = c.get("organisation", "工信局").pk
    pr = {key: c.get("problem", key).pk for key in ("jingbai", "luanfu", "zezhou_other")}

    def problem(outside: int, inside: int):
        fields = {"title": "新诉求", "kind_id": kind}
        return [({**fields, "enterprise_id": outside}, (422, "enterprise"))], {
            **fields,
            "enterprise_id": inside,
        }

    def of_project(outside: int, inside: int, **fields):
        return [({"project_id": outside, **fields}, (422, "project"))], {"project_id": inside, **fields}

    def child(outside: int, inside: int, **fields):
        return [({"enterprise_id": outside, **fields}, (422, "enterprise"))], {
            "enterprise_id": inside,
            **fields,
        }

    office = {
        "chain": ([({"name": "越界产业链", "level": "province"}, 403)], None),
        "segment": (
            [({"chain_id": other, "name": "越界环节"}, (422, "chain"))],
            {"chain_id": silk, "name": "新环节"},
        ),
        "segmentlink": (
            [({"upstream_id": seg["其他下游"], "downstream_id": "third"}, (422, "upstream"))],
            {"upstream_id": seg["缫丝"], "downstream_id": seg["服装"]},
        ),
        "chainattribute": (
            [({"chain_id": other, "kind": "fact", "name": "越界事实"}, (422, "chain"))],
            {"chain_id": silk, "kind": "fact", "name": "新事实"},
        ),
        "chainstatistic": (
            [
                (
                    {
                        "chain_id": other,
                        "metric": "revenue",
                        "period_type": "year",
                        "year": 2024,
                        "value": "1",
                    },
                    (422, "chain"),
                )
            ],
            {"chain_id": silk, "metric": "revenue", "period_type": "year", "year": 2024, "value": "1"},
        ),
        "enterprise": (
            [
                ({"name": "越界企业", "region_id": "140525", "chains": [other]}, (422, "chains")),
                ({"name": "无链企业", "region_id": "140525"}, 403),  # on no chain of the office's
            ],
            {"name": "新企业", "region_id": "140525", "chains": [silk]},
        ),
        "membership": (
            [({"enterprise_id": e["jingbai"], "chain_id": other, "role": "member"}, (422, "chain"))],
            None,
        ),
        "product": child(e["zezhou_other"], e["jingbai"], name="越界产品"),
        "contact": child(e["zezhou_other"], e["jingbai"], name="越界联系人"),
        "abovesizestatus": child(e["gaoping_other"], e["jingbai"], year=2024, is_above_size=True),
        "indicator": child(e["gaoping_other"], e["jingbai"], period_type="year", year=2024, output_value="1"),
        "project": (
            [({"name": "越界项目", "chain_id": other, "region_id": "140525"}, (422, "chain"))],
            {"name": "新项目", "chain_id": silk, "region_id": "140525"},
        ),
        "projectplan": of_project(p["other_gaoping"], p["silk_zezhou"], year=2027),
        "milestone": of_project(p["other_gaoping"], p["silk_zezhou"], name="越界节点"),
        "problem": problem(e["zezhou_other"], e["jingbai"]),
        "task": (
            [({"title": "越界任务", "owner_unit_id": bureau, "chain_id": other}, (422, "chain"))],
            {"title": "新任务", "owner_unit_id": bureau, "chain_id": silk},
        ),
        "meetingrecord": (
            [({"title": "越界会议", "held_on": "2026-06-02", "chain_id": other}, (422, "chain"))],
            {"title": "新会议", "held_on": "2026-06-02", "chain_id": silk},
        ),
        "progressnote": (
            [
                (
                    {"problem_id": pr["zezhou_other"], "note": "越界", "noted_on": "2026-06-02"},
                    (422, "problem"),
                )
            ],
            {"problem_id": pr["jingbai"], "note": "新进展", "noted_on": "2026-06-02"},
        ),
    }
    county = {
        "enterprise": (
            [({"name": "越界企业", "region_id": "140525"}, 403)],
            {"name": "高平新企业", "region_id": "140581"},
        ),
        "product": child(e["jingbai"], e["luanfu"], name="越界产品"),
        "contact": child(e["jingbai"], e["luanfu"], name="越界联系人"),
        "abovesizestatus": child(e["zezhou_other"], e["gaoping_other"], year=2024, is_above_size=True),
        "indicator": child(e["jingbai"], e["luanfu"], period_type="year", year=2024, output_value="1"),
        "project": (
            [({"name": "越界项目", "chain_id": silk, "region_id": "140525"}, 403)],
            {"name": "高平新项目", "chain_id": silk, "region_id": "140581"},
        ),
        "projectplan": of_project(p["silk_zezhou"], p["silk_gaoping"], year=2027),
        "milestone": of_project(p["silk_zezhou"], p["silk_gaoping"], name="越界节点"),
        "problem": problem(e["jingbai"], e["luanfu"]),
        "meetingrecord": (
            [({"title": "越界会议", "held_on": "2026-06-02", "region_id": "140525"}, 403)],
            {"title": "高平会议", "held_on": "2026-06-02", "region_id": "140581"},
        ),
    }
    enterprise = {
        "product": child(e["luanfu"], e["jingbai"], name="越界产品"),
        "contact": child(e["luanfu"], e["jingbai"], name="越界联系人"),
        "indicator": child(e["luanfu"], e["jingbai"], period_type="year", year=2024, output_value="1"),
        "problem": problem(e["luanfu"], e["jingbai"]),
    }
    # Investment attraction: the silk chain's office, chief and investment team add on their chain only.
    lead = {key: c.get("lead", key).pk for key in ("silk_gaoping", "other_gaoping")}
    team = {key: c.get("team", key).pk for key in ("silk_team", "other_team")}
    person = c.get("person", "工信局联络员").pk

    def of_lead(**fields):
        return [({"lead_id": lead["other_gaoping"], **fields}, (422, "lead"))], {
            "lead_id": lead["silk_gaoping"],
            **fields,
        }

    investment = {
        "lead": (
            [({"company_name": "越界客商", "chain_id": other}, (422, "chain"))],
            {"company_name": "新客商", "chain_id": silk},
        ),
        "leadcontact": of_lead(name="越界联系人"),
        "team": (
            [({"name": "越界小分队", "chain_id": other}, (422, "chain"))],
            {"name": "新小分队", "chain_id": silk},
        ),
        # the cast's person is on the silk team already: nothing new to add inside
        "teammember": ([({"team_id": team["other_team"], "person_id": person}, (422, "team"))], None),
        "event": (
            [
                ({"name": "越界推介会", "kind": "expo", "chain_id": other}, (422, "chain")),
                ({"name": "无链推介会", "kind": "expo"}, 403),  # an event of no chain: outside a chain grant
            ],
            {"name": "新推介会", "kind": "expo", "chain_id": silk},
        ),
        "visit": of_lead(visited_on="2026-01-02"),
        "followup": of_lead(description="越界跟进", due_on="2026-01-02"),
    }
    chain_keepers = {
        **investment,
        "target": ([({"chain_id": other, "year": 2030}, (422, "chain"))], {"chain_id": silk, "year": 2030}),
    }
    office.update(chain_keepers)
    return {
        (role, entity): case
        for role, cases in (
            ("office", office),
            ("chief", chain_keepers),
            ("investment", investment),
            ("county", county),
            ("enterprise", enterprise),
        )
        for entity, case in cases.items()
    }


# (role, entity) pairs in _creates: where the role may add records and its scope leaves some out.
CREATE_CASES = [
    *(
        ("office", entity)
        for entity in (
            "chain",
            "segment",
            "segmentlink",
            "chainattribute",
            "chainstatistic",
            "enterprise",
            "membership",
            "product",
            "contact",
            "abovesizestatus",
            "indicator",
            "project",
            "projectplan",
            "milestone",
            "problem",
            "task",
            "meetingrecord",
            "progressnote",
        )
    ),
    *(
        ("county", entity)
        for entity in (
            "enterprise",
            "product",
            "contact",
            "abovesizestatus",
            "indicator",
            "project",
            "projectplan",
            "milestone",
            "problem",
            "meetingrecord",
        )
    ),
    *(("enterprise", entity) for entity in ("product", "contact", "indicator", "problem")),
    *(
        (role, entity)
        for role in ("office", "chief", "investment")
        for entity in ("lead", "leadcontact", "team", "teammember", "event", "visit", "followup")
    ),
    ("office", "target"),
    ("chief", "target"),
]


def test_every_role_that_may_add_records_outside_its_scope_is_tried(cast):
    assert set(_creates(cast)) == set(CREATE_CASES)
    for role in ROLES:
        for entity in ENTITIES:
            visible, perms = expected(role, entity)
            if "a" in perms and viewset_for(entity).form_class is not None:
                scoped = visible != all_keys(cast, entity)
                assert ((role, entity) in CREATE_CASES) == scoped, (role, entity)


@pytest.mark.parametrize(("role", "entity"), CREATE_CASES, ids=[f"{r}-{e}" for r, e in CREATE_CASES])
def test_an_api_create_outside_the_scope_is_refused_and_writes_nothing(client, cast, tokens, role, entity):
    from chainboard import actions
    from chains.models import Segment

    outside, inside = _creates(cast)[(role, entity)]
    model = ENTITIES[entity]
    collection = viewset_for(entity).url_prefix
    # A segment of the other chain that no link reaches yet, for a link that would close no cycle.
    third = actions.create_direct(
        SystemActor("test"), Segment(chain=cast.get("chain", "other"), name="其他第三环节")
    )
    for payload, refusal_expected in outside:
        payload = {k: (third.pk if v == "third" else v) for k, v in payload.items()}
        rows, audit_rows = model._base_manager.count(), AuditEntry.objects.count()
        response = api_send(client, "post", collection, tokens[role], payload)
        status, field = refusal_expected if isinstance(refusal_expected, tuple) else (refusal_expected, None)
        assert response.status_code == status, (payload, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
        if field:
            assert field in {e["field"] for e in response.json()["errors"]}, response.json()
        assert model._base_manager.count() == rows, payload
        assert AuditEntry.objects.count() == audit_rows, payload
    if inside is not None:
        response = api_send(client, "post", collection, tokens[role], inside)
        assert response.status_code == 201, (inside, response.content)
        created = response.json()
        detail = api_get(client, f"{collection}/{api_pk(entity, created)}", tokens[role])
        assert detail.status_code == 200


# ---- related values outside the scope: an enterprise on a chain the reader may not see --------------------


@pytest.fixture
def on_two_chains(cast):
    """景柏服饰 on the other chain too: its membership there is outside the silk chain roles' scope."""
    from chainboard import actions
    from enterprises.models import Membership

    actions.create_direct(
        SystemActor("test"),
        Membership(enterprise=cast.get("enterprise", "jingbai"), chain=cast.get("chain", "other")),
    )
    return cast.get("enterprise", "jingbai")


def test_the_api_names_only_the_chains_in_the_readers_scope(client, cast, tokens, on_two_chains):
    silk, other = cast.get("chain", "silk").pk, cast.get("chain", "other").pk
    for role, chains in (("office", [silk]), ("investment", [silk]), ("enterprise", [silk, other])):
        detail = api_get(client, f"enterprises/{on_two_chains.pk}", tokens[role]).json()
        assert sorted(detail["chains"]) == sorted(chains), role
        listed = api_get(client, "enterprises?q=景柏", tokens[role]).json()["items"]
        assert [sorted(item["chains"]) for item in listed] == [sorted(chains)], role
        # The chain ids named are those of the memberships the reader may list (the enterprise's own user
        # sees all of its own; the silk chain's roles not the one on the other chain).
        memberships = api_get(client, "memberships?page_size=500", tokens[role]).json()["items"]
        assert sorted(m["chain"] for m in memberships if m["enterprise"] == on_two_chains.pk) == sorted(
            chains
        )


def test_an_api_update_keeps_the_chains_the_editor_cannot_see(client, cast, tokens, on_two_chains):
    silk, other = cast.get("chain", "silk").pk, cast.get("chain", "other").pk
    response = api_send(
        client,
        "patch",
        f"enterprises/{on_two_chains.pk}?version={on_two_chains.version}",
        tokens["office"],
        {"source": "经接口修改"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["chains"] == [silk]
    assert set(on_two_chains.chains.values_list("pk", flat=True)) == {silk, other}


@pytest.mark.parametrize("fmt", [None, "csv"])
def test_the_enterprise_list_names_only_the_chains_in_the_readers_scope(login, cast, on_two_chains, fmt):
    client = login("office")
    response = client.get(url("enterprise", "list"), {"export": fmt} if fmt else {})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig") if fmt else response.content.decode()
    assert "景柏服饰" in text
    assert "其他产业链" not in text  # the office may not open that chain, nor 景柏服饰's membership on it


def test_the_enterprise_page_names_only_the_chains_in_the_readers_scope(login, cast, on_two_chains):
    response = login("office").get(url("enterprise", "detail", on_two_chains.pk))
    assert response.status_code == 200
    assert "其他产业链" not in response.content.decode()


def test_facets_count_only_memberships_in_the_readers_scope(login, cast, on_two_chains):
    """The chain and role facets of the enterprise list count memberships the reader may see: the
    office (silk chain) sees no 其他产业链 value and counts 景柏服饰 once, as a silk member."""
    response = login("office").get(url("enterprise", "list"))
    facets = {f["name"]: {v["label"]: v["count"] for v in f["values"]} for f in response.context["facets"]}
    silk = cast.get("chain", "silk")
    assert set(facets["chain"]) == {str(silk)}
    in_scope = silk.memberships.count()
    assert facets["chain"][str(silk)] == in_scope
    assert sum(facets["role"].values()) == in_scope
