"""The permission-and-scope matrix: every registered entity × every role × list, detail, add, edit, delete
and history, for records inside and outside the role's scope (style.md, Tests).

The expectations are written out by hand in each app's ``tests/matrix.py`` from rules.md (Scope) and the
apps' ``access.py``, not computed with the scope code under test; this module merges them. Outcomes:

- list: 200 with exactly the rows in scope, or 403 without the view permission;
- detail, history: 200 in scope, 404 outside it (or without any view permission: the record's existence
  is not revealed);
- add form: 200 with the add permission, else 403;
- edit (GET and POST), delete (POST): 404 outside scope, 403 in scope without the permission, else the
  form (200) or the save / deletion (302), or 409 naming what stands in the way of a deletion
  (``REFUSED``: records others hang on, or a cascade the role may not make); the delete page says so
  before anything is tried;
- bulk edit: the list's checkboxes only with the change permission; the page 403 without it, and 403 for
  a selection naming a record outside the scope (refused whole, nothing changed), else 200;
- anonymous visitors are sent to the log-in page;
- the API (/api/v1) lists and serves exactly the same rows, 403 without the permission, 401 without a
  token.

The data is built once per module (``cast``); each test runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from chainboard import actions
from chainboard.models import AuditEntry
from chainboard.scope import SystemActor
from chainboard.testing import build_world
from chainboard.views.generic import ViewSet

# Every test here runs against the test database, each in a savepoint rolled back afterwards. Without
# this mark pytest-django would not set the test database up for tests that only use ``cast``.
pytestmark = pytest.mark.django_db

# ---- the cast: the shared world plus a few rows so every entity has rows in and out of each scope -----

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CONFIGURED_DATABASE = settings.DATABASES["default"]["NAME"]  # as configured, before the test database


@dataclass
class Cast:
    world: object
    keys: dict[str, dict[str, tuple[type[models.Model], object]]]  # entity → key → (model, pk)

    def get(self, entity: str, key: str) -> models.Model:
        model, pk = self.keys[entity][key]
        return model._base_manager.get(pk=pk)

    def key_of(self, entity: str, obj: models.Model) -> str:
        for key, (_model, pk) in self.keys[entity].items():
            if pk == obj.pk:
                return key
        raise AssertionError(f"{entity} row {obj!r} has no key in the cast")

    def user(self, role: str):
        return self.world.users[role]


# ---- the apps' declarations ----------------------------------------------------------------------------
#
# Each app writes its entities' expectations in ``<app>/tests/matrix.py`` (docs/adding-an-entity.md):
# ``ENTITIES`` (key → model label), ``extend(world, actor)`` (the rows beyond the shared world, by entity and
# key; run in app order), ``EXPECTED``, ``PROBES``, ``REFUSED`` and ``NAMED`` (the tables below). This file
# merges them and runs the tests.


def _matrices() -> list:
    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.tests.matrix"
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{config.name}.tests", name):
                raise
    return found


MATRICES = _matrices()


def _merged(table: str) -> dict:
    out: dict = {}
    for module in MATRICES:
        for key, value in getattr(module, table).items():
            assert key not in out, f"{module.__name__}.{table} declares {key!r} a second time"
            out[key] = value
    return out


def _merged_refusals() -> dict:
    """REFUSED of every app: an app may add the kinds of its own that stop another app's deletion (a
    project stops its owner enterprise's), so the kinds are united per record and role."""
    out: dict = {}
    for module in MATRICES:
        for record, by_role in module.REFUSED.items():
            for role, kinds in by_role.items():
                out.setdefault(record, {}).setdefault(role, set()).update(kinds)
    return out


def _merged_by_role(table: str) -> dict:
    out: dict = {role: {} for role in ROLES}
    for module in MATRICES:
        for role, row in getattr(module, table).items():
            assert role in out, f"{module.__name__}.{table} names an unknown role {role!r}"
            for entity in row:
                assert entity in module.ENTITIES, f"{module.__name__}.{table}: {entity!r} is not its own"
            out[role].update(row)
    return out


def _extend(w) -> dict[str, dict[str, tuple[type[models.Model], object]]]:
    actor = SystemActor("test:matrix")
    rows: dict[str, dict[str, models.Model]] = {}
    for module in MATRICES:
        extended = module.extend(w, actor)
        assert set(extended) == set(module.ENTITIES), module.__name__
        rows.update(extended)
    return {entity: {k: (type(o), o.pk) for k, o in objs.items()} for entity, objs in rows.items()}


@pytest.fixture(scope="module")
def cast(django_db_setup, django_db_blocker):
    """The world, built once for this module inside a transaction that is rolled back at the end; each
    test runs in a savepoint of its own (pytest-django's ``db``), so writes never leak between tests."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        assert connection.settings_dict["NAME"] != CONFIGURED_DATABASE, "not the test database"
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build_world()
            yield Cast(world=world, keys=_extend(world))
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# ---- entities ------------------------------------------------------------------------------------------

ENTITIES: dict[str, type[models.Model]] = {
    name: apps.get_model(label) for name, label in _merged("ENTITIES").items()
}


def registered_viewsets() -> set[type[ViewSet]]:
    found = set()
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.views")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, ViewSet) and value is not ViewSet:
                found.add(value)
    return found


def test_the_matrix_covers_every_registered_entity():
    """An app with a ViewSet and no ``tests/matrix.py`` (or an entity missing from it) fails here."""
    registered = {viewset.model for viewset in registered_viewsets()}
    missing = sorted(m._meta.label for m in registered - set(ENTITIES.values()))
    assert not missing, f"entities without a matrix (<app>/tests/matrix.py): {missing}"
    assert registered == set(ENTITIES.values())


# ---- the expectation table -----------------------------------------------------------------------------

ROLES = [
    "chief",
    "office",
    "county",
    "investment",
    "enterprise",
    "auditor",
    "admin",
    "security_admin",
    "outsider",
]

# role → entity → (keys the role may see, actions it may take: v(iew) a(dd) c(hange) d(elete)).
# An entity missing from a role's row: no permission at all. The auditor reads the audit trail only
# (tested below); the outsider, logged in without a grant, nothing.
EXPECTED: dict[str, dict[str, tuple[set[str], str]]] = _merged_by_role("EXPECTED")

# Records each per-record action is tried on: for every role with access, a row inside its scope and,
# where the scope leaves rows out, a row outside it (the list test checks every row).
PROBES: dict[str, list[str]] = _merged("PROBES")

# Deletions refused although the role may delete the record (chainboard/deletion.py, docs/roles.md): the
# page answers 409 naming the kinds that stand in the way. (entity, key) → role ("*": any role) → kinds.
# "*" names the records that hang on it (whoever asks; they are all a refusal names); a role names the
# cascade it may not make, which counts only when nothing hangs on the record. Apps' kinds are united.
REFUSED: dict[tuple[str, str], dict[str, set[str]]] = _merged_refusals()

# Named actions (workflow moves, progress reports: chainboard/workflow.py) each role may take on the
# records of an entity it sees: role → entity → action names. The actions "vacd" stand for are not here.
NAMED: dict[str, dict[str, set[str]]] = _merged_by_role("NAMED")


def refused_by_dependents(role: str, entity: str, key: str) -> set[str] | None:
    """The kinds that stop ``role`` deleting the record, or None. Records that hang on it ("*") stop
    everyone and are all the refusal names; only without them does a cascade the role may not make
    (the kinds named for the role) stop it (chainboard/deletion.py, ``check``)."""
    by_role = REFUSED.get((entity, key), {})
    return by_role.get("*", by_role.get(role))


def test_the_expectation_table_names_every_role_and_entity():
    assert set(EXPECTED) == set(ROLES)
    for role, row in EXPECTED.items():
        assert set(row) <= set(ENTITIES), role
        for entity, (keys, perms) in row.items():
            assert "v" in perms and set(perms) <= set("vacd"), (role, entity)
            assert keys, (role, entity)
    assert set(PROBES) == set(ENTITIES)
    assert set(NAMED) == set(ROLES)
    for role, row in NAMED.items():
        for entity, names in row.items():
            assert entity in EXPECTED[role], f"{role} takes named actions on {entity} without seeing it"
            assert names and not names & set(ALL_ACTIONS), (role, entity)


def test_the_probes_try_rows_inside_and_outside_every_scope(cast):
    for role, row in EXPECTED.items():
        for entity, (visible, _perms) in row.items():
            probes = set(PROBES[entity])
            assert probes & visible, (role, entity)
            if visible != set(cast.keys[entity]):
                assert probes - visible, (role, entity)


def test_the_cast_has_exactly_the_rows_the_table_names(cast):
    for entity, model in ENTITIES.items():
        assert model._base_manager.count() == len(cast.keys[entity]), entity


ALL_ACTIONS = ("view", "add", "change", "delete")

CASES = [(role, entity) for role in ROLES for entity in ENTITIES]
IDS = [f"{role}-{entity}" for role, entity in CASES]


def expected(role: str, entity: str) -> tuple[set[str], str]:
    return EXPECTED[role].get(entity, (set(), ""))


def url(entity: str, action: str, pk=None) -> str:
    model = ENTITIES[entity]
    name = f"{model._meta.app_label}:{model._meta.model_name}_{action}"
    return reverse(name, kwargs={"pk": pk}) if pk is not None else reverse(name)


def viewset_for(entity: str) -> type[ViewSet]:
    (viewset,) = [v for v in registered_viewsets() if v.model is ENTITIES[entity]]
    return viewset


def post_data(entity: str, obj) -> dict:
    """The record's own values as its edit form would post them (built with every choice available, so
    that a refusal below is the permission's doing, not the data's)."""
    form_class = viewset_for(entity).form_class
    form = form_class(instance=obj, user=SystemActor())
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = "" if value is None else str(value)
    data["_version"] = str(obj.version)
    return data


@pytest.fixture
def login(client, cast):
    def as_role(role: str):
        client.force_login(cast.user(role))
        return client

    return as_role


# ---- list ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_a_list_shows_exactly_the_rows_in_the_users_scope(login, cast, role, entity):
    visible, perms = expected(role, entity)
    response = login(role).get(url(entity, "list"))
    if "v" not in perms:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    listed = {cast.key_of(entity, row["object"]) for row in response.context["rows"]}
    assert listed == visible
    assert response.context["page"].paginator.count == len(visible)


# ---- detail and history --------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_a_record_is_shown_in_scope_and_not_found_outside_it(login, cast, role, entity):
    visible, _perms = expected(role, entity)
    client = login(role)
    for key in PROBES[entity]:
        obj = cast.get(entity, key)
        response = client.get(url(entity, "detail", obj.pk))
        assert response.status_code == (200 if key in visible else 404), key
        if key in visible:
            assert response.context["object"].pk == obj.pk


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_a_records_history_is_shown_in_scope_and_not_found_outside_it(login, cast, role, entity):
    visible, _perms = expected(role, entity)
    client = login(role)
    for key in PROBES[entity]:
        obj = cast.get(entity, key)
        response = client.get(url(entity, "history", obj.pk))
        assert response.status_code == (200 if key in visible else 404), key


# ---- add -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_the_add_form_opens_only_with_the_add_permission(login, role, entity):
    _visible, perms = expected(role, entity)
    response = login(role).get(url(entity, "add"))
    # An entity without a generic form (scheduling rounds, progress reports) is added on its own pages.
    opens = "a" in perms and viewset_for(entity).form_class is not None
    assert response.status_code == (200 if opens else 403)
    if opens:
        assert response.context["form"] is not None


# ---- import --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_the_import_pages_open_only_with_the_add_permission(login, role, entity):
    """Importing adds records: the upload page and the templates follow the add permission, and a
    refused upload leaves no job behind (rows outside scope: chainboard/tests/test_imports.py)."""
    from chainboard.models import ImportJob

    _visible, perms = expected(role, entity)
    client = login(role)
    if viewset_for(entity).form_class is None:
        assert client.get(url(entity, "import")).status_code == 403
        return
    status = 200 if "a" in perms else 403
    assert client.get(url(entity, "import")).status_code == status
    model = ENTITIES[entity]
    template = reverse(f"{model._meta.app_label}:{model._meta.model_name}_import_template", args=["csv"])
    assert client.get(template).status_code == status
    if "a" not in perms:
        from django.core.files.uploadedfile import SimpleUploadedFile

        response = client.post(url(entity, "import"), {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")})
        assert response.status_code == 403
        assert not ImportJob.objects.exists()


# ---- edit ----------------------------------------------------------------------------------------------


def refusal(key: str, visible: set[str], perms: str, letter: str) -> int | None:
    """The status a refused request gets, or None when it is allowed."""
    if key not in visible:
        return 404
    if letter not in perms:
        return 403
    return None


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_the_edit_form_opens_only_in_scope_with_the_change_permission(login, cast, role, entity):
    visible, perms = expected(role, entity)
    client = login(role)
    for key in PROBES[entity]:
        obj = cast.get(entity, key)
        response = client.get(url(entity, "edit", obj.pk))
        opens = 200 if viewset_for(entity).form_class is not None else 403  # changed on its own pages
        assert response.status_code == (refusal(key, visible, perms, "c") or opens), key


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_an_edit_is_saved_only_in_scope_with_the_change_permission(login, cast, role, entity):
    visible, perms = expected(role, entity)
    client = login(role)
    model = ENTITIES[entity]
    has_form = viewset_for(entity).form_class is not None
    for key in PROBES[entity]:
        obj = cast.get(entity, key)
        data = post_data(entity, obj) if has_form else {}
        response = client.post(url(entity, "edit", obj.pk), data)
        refused = refusal(key, visible, perms, "c") or (None if has_form else 403)
        if refused:
            assert response.status_code == refused, key
            if has_form:
                assert model._base_manager.get(pk=obj.pk).version == obj.version, f"{key} changed"
        else:
            assert response.status_code == 302, (key, response.context and response.context["form"].errors)
            assert response["Location"] == obj.get_absolute_url()
            assert model._base_manager.get(pk=obj.pk).version == obj.version + 1


# ---- delete --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_a_record_is_deleted_only_in_scope_with_the_delete_permission(login, cast, role, entity):
    visible, perms = expected(role, entity)
    client = login(role)
    model = ENTITIES[entity]
    for key in PROBES[entity]:
        obj = cast.get(entity, key)
        audit_rows = AuditEntry.objects.count()
        response = client.post(url(entity, "delete", obj.pk), {"_version": getattr(obj, "version", "")})
        still_there = model._base_manager.filter(pk=obj.pk).exists()
        refused = refusal(key, visible, perms, "d")
        if refused:
            assert response.status_code == refused, key
            assert still_there, key
            assert AuditEntry.objects.count() == audit_rows
        elif (kinds := refused_by_dependents(role, entity, key)) is not None:
            assert response.status_code == 409, key
            assert still_there, key
            assert AuditEntry.objects.count() == audit_rows
            shown = response.context["refusal"]
            assert {d.model._meta.label_lower for d in shown.dependents} == kinds, key
            assert shown.message in response.content.decode(), key
        else:
            assert response.status_code == 302, key
            assert response["Location"] == url(entity, "list")
            assert not still_there, key
            assert AuditEntry.objects.filter(object_id=str(obj.pk), action="delete").exists()


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_the_delete_page_says_up_front_what_stops_a_deletion(login, cast, role, entity):
    visible, perms = expected(role, entity)
    client = login(role)
    for key in PROBES[entity]:
        if refusal(key, visible, perms, "d"):
            continue
        obj = cast.get(entity, key)
        response = client.get(url(entity, "delete", obj.pk))
        assert response.status_code == 200, key
        kinds = refused_by_dependents(role, entity, key)
        html = response.content.decode()
        if kinds is None:
            assert response.context["refusal"] is None, key
            assert 'type="submit" class="btn btn-danger' in html, key
        else:
            assert {d.model._meta.label_lower for d in response.context["refusal"].dependents} == kinds
            assert 'id="delete-refusal"' in html and 'type="submit" class="btn btn-danger' not in html, key


# ---- bulk edit -----------------------------------------------------------------------------------------


def bulk_refusal(key: str, visible: set[str], perms: str, has_form: bool) -> int | None:
    """Bulk edit: 403 without the change permission (or a form), and 403 for a selection naming a record
    outside the scope: refused as a whole, without saying which id or whether it exists."""
    if "c" not in perms or not has_form or key not in visible:
        return 403
    return None


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_the_list_offers_bulk_edit_only_with_the_change_permission(login, role, entity):
    _visible, perms = expected(role, entity)
    response = login(role).get(url(entity, "list"))
    if "v" not in perms:
        assert response.status_code == 403
        return
    offered = "c" in perms and viewset_for(entity).form_class is not None
    assert response.context["can_bulk_edit"] is offered
    assert ("data-bulk-row" in response.content.decode()) is (offered and bool(response.context["rows"]))


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_bulk_edit_opens_only_for_records_in_scope_with_the_change_permission(login, cast, role, entity):
    visible, perms = expected(role, entity)
    client = login(role)
    has_form = viewset_for(entity).form_class is not None
    for key in PROBES[entity]:
        obj = cast.get(entity, key)
        response = client.get(f"{url(entity, 'bulk_edit')}?pk={obj.pk}")
        assert response.status_code == (bulk_refusal(key, visible, perms, has_form) or 200), key
        if response.status_code == 200:
            assert [r.pk for r in response.context["records"]] == [obj.pk]


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_a_bulk_edit_outside_scope_or_without_permission_is_refused_and_changes_nothing(
    login, cast, role, entity
):
    visible, perms = expected(role, entity)
    client = login(role)
    model = ENTITIES[entity]
    has_form = viewset_for(entity).form_class is not None
    for key in PROBES[entity]:
        refused = bulk_refusal(key, visible, perms, has_form)
        if not refused:
            continue
        obj = cast.get(entity, key)
        audit_rows = AuditEntry.objects.count()
        version = getattr(obj, "version", None)
        records = json.dumps([[obj.pk, version or 1]])
        response = client.post(url(entity, "bulk_edit"), {"_records": records, "_fields": ["source"]})
        assert response.status_code == refused, key
        assert AuditEntry.objects.count() == audit_rows, key
        if version is not None:
            assert model._base_manager.get(pk=obj.pk).version == version, key


# ---- anonymous visitors --------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_anonymous_visitors_are_sent_to_log_in_for_every_action(client, cast, entity):
    obj = cast.get(entity, PROBES[entity][0])
    requests = [
        ("get", url(entity, "list")),
        ("get", url(entity, "add")),
        ("get", url(entity, "detail", obj.pk)),
        ("get", url(entity, "history", obj.pk)),
        ("get", url(entity, "edit", obj.pk)),
        ("post", url(entity, "edit", obj.pk)),
        ("post", url(entity, "delete", obj.pk)),
        ("get", f"{url(entity, 'bulk_edit')}?pk={obj.pk}"),
        ("post", url(entity, "bulk_edit")),
    ]
    login_url = reverse(settings.LOGIN_URL)
    for method, address in requests:
        response = getattr(client, method)(address)
        assert response.status_code == 302, (method, address)
        assert response["Location"].startswith(f"{login_url}?next="), (method, address)
    assert ENTITIES[entity]._base_manager.filter(pk=obj.pk).exists()


# ---- the API reads through the same scope ----------------------------------------------------------


@pytest.fixture(scope="module")
def tokens(cast, django_db_blocker):
    """A bearer token per role, made once (inside the module's transaction)."""
    from chainboard.models import ApiToken
    from chainboard.models.tokens import hash_token

    raws = {}
    with django_db_blocker.unblock():
        for role in ROLES:
            raw = ApiToken.generate()
            actions.create_direct(
                SystemActor("test:matrix"),
                ApiToken(user=cast.user(role), prefix=raw[:8], key_hash=hash_token(raw)),
            )
            raws[role] = raw
    return raws


def api_get(client, path: str, token: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get(f"/api/v1/{path}", **headers)


def api_pk(entity: str, item: dict):
    model = ENTITIES[entity]
    return item["id"] if "id" in item else item[model._meta.pk.name]


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_the_api_lists_exactly_the_rows_in_the_users_scope(client, cast, tokens, role, entity):
    visible, perms = expected(role, entity)
    response = api_get(client, f"{viewset_for(entity).url_prefix}?page_size=500", tokens[role])
    if "v" not in perms:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    body = response.json()
    by_pk = {pk: key for key, (_model, pk) in cast.keys[entity].items()}
    assert {by_pk[api_pk(entity, item)] for item in body["items"]} == visible
    assert body["count"] == len(visible)


@pytest.mark.parametrize(("role", "entity"), CASES, ids=IDS)
def test_the_api_serves_a_record_in_scope_and_not_found_outside_it(client, cast, tokens, role, entity):
    visible, _perms = expected(role, entity)
    for key in PROBES[entity]:
        obj = cast.get(entity, key)
        response = api_get(client, f"{viewset_for(entity).url_prefix}/{obj.pk}", tokens[role])
        assert response.status_code == (200 if key in visible else 404), key


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_the_api_refuses_requests_without_a_token(client, cast, entity):
    obj = cast.get(entity, PROBES[entity][0])
    assert api_get(client, viewset_for(entity).url_prefix, None).status_code == 401
    assert api_get(client, f"{viewset_for(entity).url_prefix}/{obj.pk}", None).status_code == 401


# ---- the audit trail -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_the_auditor_reads_the_audit_trail(login, role):
    client = login(role)
    entry = AuditEntry.objects.order_by("id").first()
    expected_status = 200 if role == "auditor" else 403
    assert client.get(reverse("audit:auditentry_list")).status_code == expected_status
    assert (
        client.get(reverse("audit:auditentry_detail", kwargs={"pk": entry.pk})).status_code == expected_status
    )
    assert client.get(reverse("audit:auditentry_export")).status_code == expected_status


def test_the_auditor_sees_the_whole_trail(login):
    response = login("auditor").get(reverse("audit:auditentry_list"))
    assert response.context["page"].paginator.count == AuditEntry.objects.count()


def test_anonymous_visitors_are_sent_to_log_in_before_the_audit_trail(client, cast):
    for name in ("audit:auditentry_list", "audit:auditentry_export"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))


@pytest.mark.parametrize("action", ["add", "edit", "delete"])
def test_the_product_offers_no_way_to_write_to_the_audit_trail(action):
    with pytest.raises(NoReverseMatch):
        reverse(f"audit:auditentry_{action}", kwargs={} if action == "add" else {"pk": 1})


# ---- the desk (the home page): its strip of counts, its recent changes ----------------------------------------------------------------------------

# role → list URL name → the count the desk's strip shows (chainboard/desk.py). Kinds without the view
# permission are absent.
WIDGETS = {
    "chief": {
        "chains:chain_list": 1,
        "chains:segment_list": 3,
        "enterprises:enterprise_list": 2,
        "organisations:organisation_list": 2,
        "projects:project_list": 2,
        "problems:problem_list": 2,
        "problems:task_list": 2,
    },
    "office": {
        "chains:chain_list": 1,
        "chains:segment_list": 3,
        "enterprises:enterprise_list": 2,
        "organisations:organisation_list": 2,
        "projects:project_list": 2,
        "problems:problem_list": 2,
        "problems:task_list": 2,
    },
    "county": {
        "chains:chain_list": 2,
        "chains:segment_list": 5,
        "enterprises:enterprise_list": 2,
        "organisations:organisation_list": 2,
        "projects:project_list": 2,
        "problems:problem_list": 2,
        "problems:task_list": 2,
    },
    "investment": {
        "chains:chain_list": 1,
        "chains:segment_list": 3,
        "enterprises:enterprise_list": 2,
        "organisations:organisation_list": 2,
        "projects:project_list": 2,
    },
    "enterprise": {
        "chains:chain_list": 1,
        "chains:segment_list": 3,
        "enterprises:enterprise_list": 1,
        "projects:project_list": 1,
        "problems:problem_list": 1,
    },
    "auditor": {"audit:auditentry_list": None},  # None: every audit row
    "admin": {"organisations:organisation_list": 2, "accounts:user_list": 9},
    "security_admin": {"accounts:user_list": 9},
    "outsider": {},
}


@pytest.mark.parametrize("role", ROLES)
def test_the_overview_counts_only_what_the_user_may_see(login, role):
    response = login(role).get(reverse("home"))
    assert response.status_code == 200
    shown = {w["url"]: w["value"] for w in response.context["widgets"]}
    wanted = {
        reverse(name): (AuditEntry.objects.count() if count is None else count)
        for name, count in WIDGETS[role].items()
    }
    assert shown == wanted


# Reference data a migration loads (an app's matrix lists it as ``LOADED_IN_BULK``): one audit row per
# operation with counts (docs/audit-trail.md), so no row of it is a recent change.
LOADED_IN_BULK = {entity for module in MATRICES for entity in getattr(module, "LOADED_IN_BULK", ())}


@pytest.mark.parametrize("role", ROLES)
def test_the_desks_recent_changes_name_exactly_the_records_the_user_may_see(cast, role):
    # Every row of the cast was written through the actions, so each one's creation is in the trail; the
    # desk's "recent changes in my scope" (chainboard/recent.py), asked for all of them, names exactly the
    # rows the role's lists show (keyed records: reference data is loaded in bulk, not row by row).
    from chainboard.converters import is_integer_pk
    from chainboard.recent import recent_changes

    entities = {model: entity for entity, model in ENTITIES.items()}
    shown = set()
    for change in recent_changes(cast.user(role), shown=10_000) or []:
        model = change["entry"].content_type.model_class()
        entity = entities[model]
        shown.add((entity, cast.key_of(entity, model._base_manager.get(pk=change["entry"].object_id))))
    wanted = {
        (entity, key)
        for entity, (keys, actions_) in EXPECTED[role].items()
        if "v" in actions_ and is_integer_pk(ENTITIES[entity]) and entity not in LOADED_IN_BULK
        for key in keys
    }
    assert shown == wanted


def test_the_overview_sends_anonymous_visitors_to_log_in(client, cast):
    response = client.get(reverse("home"))
    assert response.status_code == 302


# ---- the things the rules single out --------------------------------------------------------------------


def test_county_staff_never_see_enterprises_of_another_county(login, cast):
    response = login("county").get(url("enterprise", "list"))
    names = {row["object"].name for row in response.context["rows"]}
    assert names == {"潞安府潞绸", "高平其他企业"}
    html = response.content.decode()
    assert "景柏服饰" not in html and "泽州其他企业" not in html


def test_county_staff_find_enterprises_of_their_towns_too(login, cast):
    # 高平其他企业 is registered in 米山镇, a town of 高平市: the grant covers the region's subtree.
    obj = cast.get("enterprise", "gaoping_other")
    assert login("county").get(url("enterprise", "detail", obj.pk)).status_code == 200


def test_the_investment_team_sees_no_enterprises_figures_anywhere(login, cast):
    client = login("investment")
    assert client.get(url("indicator", "list")).status_code == 403
    for key in ("jingbai", "luanfu"):  # the silk chain's enterprises
        indicator = cast.get("indicator", key)
        assert client.get(url("indicator", "detail", indicator.pk)).status_code == 404
        enterprise = cast.get("enterprise", key)
        response = client.get(url("enterprise", "detail", enterprise.pk))
        assert response.status_code == 200  # the enterprise itself is visible …
        related = {rel["model_meta"].model_name for rel in response.context["related"]}
        assert "indicator" not in related  # … its figures are not
        assert "2023年" not in response.content.decode()


def test_the_enterprise_user_sees_only_its_own_enterprise_and_children(login, cast):
    client = login("enterprise")
    for entity in ("enterprise", "product", "contact", "indicator", "membership", "abovesizestatus"):
        response = client.get(url(entity, "list"))
        assert {cast.key_of(entity, row["object"]) for row in response.context["rows"]} == {"jingbai"}, entity


def test_the_administrator_sees_no_enterprise_or_chain(login):
    client = login("admin")
    for entity in ("enterprise", "chain", "indicator", "segment", "membership", "product"):
        assert client.get(url(entity, "list")).status_code == 403, entity


def test_the_outsider_sees_nothing(login, cast):
    client = login("outsider")
    for entity in ENTITIES:
        assert client.get(url(entity, "list")).status_code == 403, entity
    assert client.get(reverse("home")).context["widgets"] == []


# ---- form choices ----------------------------------------------------------------------------------------


def test_the_county_users_indicator_form_offers_only_their_countys_enterprises(login, cast):
    response = login("county").get(url("indicator", "add"))
    choices = set(response.context["form"].fields["enterprise"].queryset.values_list("name", flat=True))
    assert choices == {"潞安府潞绸", "高平其他企业"}
    html = response.content.decode()
    assert "景柏服饰" not in html


def test_an_indicator_for_an_enterprise_outside_the_county_is_refused_and_nothing_saved(login, cast):
    from enterprises.models import Indicator

    jingbai = cast.get("enterprise", "jingbai")
    county = login("county")  # before counting: the log-in is an audit entry of its own
    indicators, audit_rows = Indicator.objects.count(), AuditEntry.objects.count()
    response = county.post(
        url("indicator", "add"),
        {"enterprise": jingbai.pk, "period_type": "year", "year": "2024", "output_value": "1"},
    )
    assert response.status_code == 400
    assert response.context["form"].has_error("enterprise", "invalid_choice")
    assert Indicator.objects.count() == indicators
    assert AuditEntry.objects.count() == audit_rows


def test_the_enterprise_users_product_form_offers_only_its_own_enterprise(login, cast):
    response = login("enterprise").get(url("product", "add"))
    assert list(response.context["form"].fields["enterprise"].queryset.values_list("name", flat=True)) == [
        "景柏服饰"
    ]


def test_the_offices_membership_form_offers_only_its_own_chain(login, cast):
    response = login("office").get(url("membership", "add"))
    form = response.context["form"]
    assert set(form.fields["chain"].queryset.values_list("name", flat=True)) == {"丝麻纺织服装产业链"}
    assert set(form.fields["enterprise"].queryset.values_list("name", flat=True)) == {
        "景柏服饰",
        "潞安府潞绸",
    }


def test_moving_a_product_to_an_enterprise_outside_scope_is_refused(login, cast):
    product = cast.get("product", "jingbai")
    luanfu = cast.get("enterprise", "luanfu")
    response = login("enterprise").post(
        url("product", "edit", product.pk),
        {"enterprise": luanfu.pk, "name": product.name, "_version": product.version},
    )
    assert response.status_code == 400
    assert response.context["form"].has_error("enterprise", "invalid_choice")
    product.refresh_from_db()
    assert product.enterprise_id == cast.get("enterprise", "jingbai").pk


# ---- moving a record out of one's own scope -----------------------------------------------------------


def test_county_staff_cannot_move_an_enterprise_to_another_county(login, cast):
    luanfu = cast.get("enterprise", "luanfu")
    county = login("county")  # before counting: the log-in is an audit entry of its own
    audit_rows = AuditEntry.objects.count()
    response = county.post(
        url("enterprise", "edit", luanfu.pk),
        {"name": luanfu.name, "region": "140525", "_version": luanfu.version},
    )
    assert response.status_code == 403
    after = cast.get("enterprise", "luanfu")
    assert (after.region_id, after.version) == ("140581", luanfu.version)
    assert AuditEntry.objects.count() == audit_rows


def test_county_staff_may_move_an_enterprise_within_their_county(login, cast):
    luanfu = cast.get("enterprise", "luanfu")
    response = login("county").post(
        url("enterprise", "edit", luanfu.pk),
        {"name": luanfu.name, "region": "140581101", "_version": luanfu.version},
    )
    assert response.status_code == 302
    assert cast.get("enterprise", "luanfu").region_id == "140581101"


def test_the_office_cannot_take_an_enterprise_off_its_own_chain_by_editing_it(login, cast):
    jingbai = cast.get("enterprise", "jingbai")
    response = login("office").post(
        url("enterprise", "edit", jingbai.pk),
        {"name": jingbai.name, "region": jingbai.region_id, "chains": [], "_version": jingbai.version},
    )
    assert response.status_code == 403
    assert cast.get("enterprise", "jingbai").chains.filter(name="丝麻纺织服装产业链").exists()


def test_county_staff_cannot_create_an_enterprise_in_another_county(login, cast):
    from enterprises.models import Enterprise

    count = Enterprise.objects.count()
    response = login("county").post(url("enterprise", "add"), {"name": "越界企业", "region": "140525"})
    assert response.status_code == 403
    assert Enterprise.objects.count() == count


# ---- a form must not silently drop a value the editor may not see ----------------------------------------


def browser_data(response) -> dict:
    """What a browser posts back from the rendered form untouched: a select whose current value is not
    among the options it may show falls back to its first option."""
    form = response.context["form"]
    data = {"_version": str(response.context["object"].version)}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif isinstance(field.widget, forms.Select):
            options = [str(getattr(v, "value", v)) for v, _label in field.choices]
            data[name] = str(value) if str(value) in options else options[0]
        else:
            data[name] = "" if value is None else str(value)
    return data


def test_the_administrator_editing_the_chiefs_position_keeps_the_chief_on_it(login, cast):
    position = cast.get("position", "silk_chief")
    client = login("admin")
    response = client.get(url("position", "edit", position.pk))
    assert response.status_code == 200
    response = client.post(url("position", "edit", position.pk), {**browser_data(response), "title": "链长"})
    assert response.status_code == 302
    position.refresh_from_db()
    assert position.title == "链长"
    assert position.user_id == cast.user("chief").pk


# ---- named actions (docs/workflows.md) -----------------------------------------------------------------

# A named action's page on one record, per (entity, action), from every app's ``NAMED_ROUTES``; None for
# an action with no page of its own (a right to read, a move only the system makes), which the app's own
# tests cover (its matrix names them).
NAMED_ROUTES: dict[tuple[str, str], dict] = {
    key: value for module in MATRICES for key, value in getattr(module, "NAMED_ROUTES", {}).items()
}


def test_every_named_action_of_every_entity_is_tried_by_the_matrix():
    declared = {
        (entity, action)
        for entity, model in ENTITIES.items()
        for action in getattr(model, "named_actions", ())
    }
    assert declared == set(NAMED_ROUTES), "declare each named action's route in <app>/tests/matrix.py"


def named_expectation(role: str, entity: str, action: str, key: str) -> int:
    visible, _perms = expected(role, entity)
    if key not in visible:
        return 404
    ok = NAMED_ROUTES[(entity, action)].get("_ok", 200)
    return ok if action in NAMED[role].get(entity, set()) else 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("entity", "action"), [k for k, v in NAMED_ROUTES.items() if v is not None])
def test_a_named_action_opens_only_in_scope_with_its_permission(login, cast, role, entity, action):
    client = login(role)
    model = ENTITIES[entity]
    for key in PROBES[entity]:
        obj = cast.get(entity, key)
        kwargs = {"pk": obj.pk, **{k: v for k, v in NAMED_ROUTES[(entity, action)].items() if k != "_ok"}}
        response = client.get(
            reverse(f"{model._meta.app_label}:{model._meta.model_name}_{action}", kwargs=kwargs)
        )
        assert response.status_code == named_expectation(role, entity, action, key), key


@pytest.mark.parametrize("role", ROLES)
def test_a_move_through_the_api_is_made_only_in_scope_with_its_permission(client, cast, tokens, role):
    for key in PROBES["project"]:
        obj = cast.get("project", key)
        prefix = viewset_for("project").url_prefix
        response = client.post(
            f"/api/v1/{prefix}/{obj.pk}/transitions/sign",
            {"version": obj.version},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {tokens[role]}",
        )
        assert response.status_code == named_expectation(role, "project", "transition", key), key
        obj.refresh_from_db()
        assert (obj.stage == "signed") == (response.status_code == 200)
