"""Every route × every role, generated from the URLconf: no page or API operation escapes the matrix.

``test_scope_matrix`` holds the hand-written expectations (which rows each role sees, which actions it may
take) and tries the generic pages on them. This module walks the URLconf itself:

- every route must be one the matrix tries: a generic page of a registered entity whose action has its
  rule below, an API operation of a registered collection, or a page named in ``PAGES`` (so a new route
  fails here until someone says who may open it);
- every page without parameters is opened by every role and an anonymous visitor, with the status the
  tables give;
- the generic record routes the hand-written matrix leaves out (attachments, their download and removal,
  the journal) are tried on records inside and outside each role's scope.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from chainboard import actions
from chainboard.models import Attachment, JournalEntry
from chainboard.scope import SystemActor
from chainboard.tests import test_scope_matrix as matrix
from chainboard.tests.test_scope_matrix import ENTITIES, PROBES, ROLES, expected, registered_viewsets

cast = matrix.cast
login = matrix.login

pytestmark = pytest.mark.django_db

# The generic routes every ViewSet yields, and the test that tries each on every role and entity.
GENERIC = {
    "list": "test_scope_matrix: list",
    "add": "test_scope_matrix: add form",
    "bulk_edit": "test_scope_matrix: bulk edit",
    "import": "test_scope_matrix: import pages",
    "import_template": "test_scope_matrix: import pages",
    "import_job": "test_imports: a job is shown to its own user only",
    "detail": "test_scope_matrix: detail",
    "edit": "test_scope_matrix: edit form and save",
    "delete": "test_scope_matrix: delete",
    "history": "test_scope_matrix: history",
    "attachments": "here: upload",
    "attachment": "here: download and removal",
    "journal": "here: comment",
    "transition": "test_scope_matrix: named actions (a model with a workflow)",
}

# Pages of their own: who may open them. "public": anyone; "anonymous": visitors (a signed-in user is sent
# on); "user": anyone signed in; a role set: those
# roles (others 403); None: not a page to open by GET (a form's target, or a file), tried in the test named.
PAGES: dict[str, object] = {
    "home": "user",
    "favicon": "public",  # the icon browsers ask for on every page (test_screen_walk)
    "search": "user",
    "login": "anonymous",  # a signed-in user is sent on to the overview
    "login_verify": None,  # test_login_security: only a session owing a second factor reaches it
    "logout": None,  # POST only (test_login_security)
    "password_change": "user",
    "password_change_done": "user",
    "two_factor": "user",
    "set_language": None,  # POST only (Django's view; test_catalog)
    "audit:auditentry_list": {"auditor"},
    "audit:auditentry_export": {"auditor"},
    "audit:auditentry_detail": None,  # test_scope_matrix: only the auditor reads the trail
    "accounts:lockout_list": {"admin", "security_admin"},
    "accounts:lockout_unlock": None,  # POST only (test_login_security: the administrator lifts a lock)
    "schedule:scheduledjob_list": {"admin"},
    "schedule:scheduledjob_run": None,  # POST only (test_scheduler: run now is audited)
    "schedule:scheduledjob_enable": None,  # POST only (test_scheduler: switching off is audited)
    "workdays:year_list": {"admin"},
    "workdays:year_edit": None,  # a year in the path: test_workdays tries the administrator and others
    "notices:notice_list": "user",  # each user's own notices (test_notices)
    "notices:notice_read": None,  # POST only (test_notices: another user's notice answers 404)
    "notices:notice_read_all": None,  # POST only
    "webhooks:endpoint_list": {"admin"},
    "webhooks:endpoint_add": {"admin"},
    "webhooks:endpoint_edit": None,  # test_webhooks: the administrator only
    "webhooks:delivery_list": {"admin"},
    "webhooks:delivery_detail": None,  # test_webhooks
    "webhooks:delivery_retry": None,  # POST only (test_webhooks)
    "regions:region_lookup": "user",
    "industries:industryclass_lookup": "user",
    "enterprises:enterprise_lookup": "user",
    "api:openapi-json": "public",  # CHAINBOARD_API_SCHEMA_PUBLIC
    "api:openapi-view": "public",
    "api:api-root": None,  # ninja's root: not an operation
    # Instructions (批示) on a record: test_instructions gives, answers and looks up users for each role.
    "chains:chain_instructions": None,
    "chains:chain_instruction_answer": None,
    "chains:chain_instruction_users": None,
    "enterprises:enterprise_instructions": None,
    "enterprises:enterprise_instruction_answer": None,
    "enterprises:enterprise_instruction_users": None,
    "projects:project_instructions": None,
    "projects:project_instruction_answer": None,
    "projects:project_instruction_users": None,
    "api:list_instructions": None,
    "api:give_instruction": None,
    "api:answer_instruction": None,
    # Scheduling rounds (projects/tests/test_rounds.py tries each role and scope):
    "projects:schedulinground_open": {"office"},
    "projects:schedulinground_remind": None,  # POST only
    "projects:schedulinground_close": None,  # POST only
    "projects:progressreport_file": None,  # a report of the user's own: test_rounds
    "projects:my_progress": "user",
    "projects:project_file_progress": None,  # a named action: test_scope_matrix's NAMED_ROUTES
    # The closed loop's statistics: whoever may view problems, counted in their scope (test_stats).
    "problems:problem_statistics": {"chief", "office", "county", "enterprise"},
    "api:problem_statistics": None,  # a token's user: problems/tests/test_stats.py (scope, refusal)
    # The closed loop (problems/tests): the enterprise user's own form; the loop's named actions' pages
    # are tried by test_scope_matrix's NAMED_ROUTES, the instructions by test_instructions' rule.
    "problems:problem_raise": {"enterprise"},
    "problems:problem_instructions": None,
    "problems:problem_instruction_answer": None,
    "problems:problem_instruction_users": None,
    "problems:task_instructions": None,
    "problems:task_instruction_answer": None,
    "problems:task_instruction_users": None,
    **{
        f"problems:{model}_{action}": None
        for model, actions in (
            ("problem", ("assign", "handle", "rate", "approve_extension", "escalate")),
            ("task", ("assign", "handle", "approve_extension", "escalate")),
            ("meetingrecord", ("make_items",)),
        )
        for action in actions
    },
    # An investment lead's conversion, a named action: test_scope_matrix's NAMED_ROUTES (the page) and
    # investment/tests/test_conversion.py (the API's).
    "investment:lead_convert": None,
    "api:convert_lead": None,
    # The investment funnel (investment/tests/test_funnel.py: figures, links, scope; the API's errors).
    "investment:funnel": {"chief", "office", "county", "investment"},
    "api:get_funnel": None,  # test_funnel: the API gives the page's figures in the token user's scope
}
API_OPERATIONS = {
    "list_items",
    "get_item",
    "create_item",
    "update_item",
    "delete_item",
    "delete_unversioned_item",
    "list_transitions",  # a model with a workflow: test_scope_matrix (named actions), projects' test_stages
    "make_transition",
}  # test_scope_matrix and test_scope_exports_search: every collection × role, in and out of scope


def routes() -> list[tuple[str, str]]:
    """(name with namespace, pattern) of every route in the URLconf."""
    out = []

    def walk(patterns, prefix: str, namespace: str | None):
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = (
                    namespace
                    if p.namespace is None
                    else (f"{namespace}:{p.namespace}" if namespace else p.namespace)
                )
                walk(p.url_patterns, prefix + str(p.pattern), inner)
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name}" if namespace and p.name else p.name
                out.append((name, prefix + str(p.pattern)))

    walk(get_resolver().url_patterns, "", None)
    return out


def generic_names() -> dict[str, str]:
    """Route name → generic action, for every registered entity."""
    names = {}
    for viewset in registered_viewsets():
        model = viewset.model
        for action in GENERIC:
            names[f"{model._meta.app_label}:{model._meta.model_name}_{action}"] = action
    return names


def test_every_route_is_tried_by_the_matrix():
    generic = generic_names()
    untried = []
    for name, pattern in routes():
        if name is None or pattern.startswith(("static/", "media/")):
            untried.append(pattern)
        elif name in generic or name in PAGES:
            continue
        elif name.startswith("api:") and name.split(":", 1)[1] in API_OPERATIONS:
            collection = pattern.removeprefix("api/v1/").split("/", 1)[0]
            if collection not in {v.url_prefix for v in registered_viewsets()}:
                untried.append(name)
        else:
            untried.append(name)
    assert untried == [], "routes no matrix tries: say who may open them (PAGES) or give them a rule"


def page_expectation(role: str | None, name: str) -> int:
    rule = PAGES[name]
    if rule == "public":
        return 200
    if rule == "anonymous":
        return 302 if role else 200
    if role is None:
        return 302  # to the log-in page
    if rule == "user" or role in rule:
        return 200
    return 403


PARAMETER_FREE = [name for name, rule in PAGES.items() if rule is not None]


@pytest.mark.parametrize("name", PARAMETER_FREE)
@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_page_of_its_own_answers_each_role_as_declared(client, login, role, name):
    browser = login(role) if role else client
    response = browser.get(reverse(name))
    assert response.status_code == page_expectation(role, name), (role, name)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("home" if role else "login"))


# ---- the generic record routes the hand-written matrix does not open --------------------------------------

# Who may attach files and comment (accounts/roles.py, COLLAB), written out by hand.
ATTACH = {"office", "county", "investment", "enterprise"}
COMMENT = ATTACH | {"chief"}
WITH_PAGES = [e for e in ENTITIES if e not in {"region", "industryclass"}]  # reference data: view only


def record_refusal(role: str, entity: str, key: str, letter: str, collab: set[str] | None) -> int | None:
    visible, perms = expected(role, entity)
    if key not in visible:
        return 404
    if letter and letter not in perms:
        return 403
    if collab is not None and role not in collab:
        return 403
    return None


def named(entity: str, action: str, **kwargs) -> str:
    model = ENTITIES[entity]
    return reverse(f"{model._meta.app_label}:{model._meta.model_name}_{action}", kwargs=kwargs)


def attach(obj) -> Attachment:
    from django.contrib.contenttypes.models import ContentType

    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        kind="document",
        title="示例文件",
        file_name="note.txt",
        size=5,
    )
    attachment.file.save("note.txt", ContentFile(b"hello"), save=False)
    return actions.create_direct(SystemActor("test:routes"), attachment)


@pytest.mark.parametrize("entity", WITH_PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_attachments_are_uploaded_downloaded_and_removed_only_within_scope(login, cast, role, entity):
    client = login(role)
    for key in PROBES[entity]:
        obj = cast.get(entity, key)
        before = Attachment.objects.count()
        upload = ContentFile(b"plain text", name="说明.txt")
        response = client.post(
            named(entity, "attachments", pk=obj.pk), {"kind": "document", "title": "说明", "file": upload}
        )
        # Whoever may change the record attaches, and so does a role granted the named action ``attach``
        # on it (an enterprise on its problem); removing stays with those who may change it.
        attaches = "attach" in matrix.NAMED[role].get(entity, set())
        refused = record_refusal(role, entity, key, None if attaches else "c", ATTACH)
        assert response.status_code == (refused or 302), (key, "upload")
        assert Attachment.objects.count() == before + (0 if refused else 1), (key, "upload")

        existing = attach(obj)
        response = client.get(named(entity, "attachment", pk=obj.pk, attachment_id=existing.pk))
        assert response.status_code == (record_refusal(role, entity, key, "v", None) or 200), (
            key,
            "download",
        )
        response = client.post(named(entity, "attachment", pk=obj.pk, attachment_id=existing.pk))
        refused = record_refusal(role, entity, key, "c", ATTACH)
        assert response.status_code == (refused or 302), (key, "removal")
        assert Attachment.objects.filter(pk=existing.pk).exists() == bool(refused), (key, "removal")


@pytest.mark.parametrize("entity", WITH_PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_comments_are_added_only_within_scope(login, cast, role, entity):
    client = login(role)
    for key in PROBES[entity]:
        obj = cast.get(entity, key)
        before = JournalEntry.objects.count()
        response = client.post(named(entity, "journal", pk=obj.pk), {"text": "跟进情况"})
        refused = record_refusal(role, entity, key, "v", COMMENT)
        assert response.status_code == (refused or 302), key
        assert JournalEntry.objects.count() == before + (0 if refused else 1), key


def test_the_route_rules_name_only_routes_that_exist():
    names = {name for name, _pattern in routes()}
    assert set(PAGES) <= names
    assert set(GENERIC) == {
        re.sub(r"^\w+:\w+?_", "", n) for n in generic_names() if n.startswith("chains:chain_")
    }
