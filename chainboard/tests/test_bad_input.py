"""Bad input gets a clear 400, 404 or 422 in the user's language and changes nothing; never a 500.

Each case here gave a server error before (docs/bad-input.md); the API as a whole is fuzzed by
test_api_fuzz.py.
"""

import json

import pytest
from django.test import RequestFactory

from chainboard.models import AuditEntry
from chainboard.tests.test_api import api, token_for
from chainboard.views import errors
from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
BEYOND_64_BITS = 2**63  # one more than the largest id SQLite and PostgreSQL hold


@pytest.fixture
def textile(world):
    """景柏服饰 made a GB/T 4754 class C1741 (缫丝加工, in C17 textiles, in section C manufacturing)."""
    jingbai = world.enterprises["jingbai"]
    Enterprise.objects.filter(pk=jingbai.pk).update(industry_class_id="C1741")
    return jingbai


# ---- the industry filter: a prefix of the GB/T 4754 code ----------------------------------------------------


@pytest.mark.parametrize(("prefix", "found"), [("C17", True), ("c1741", True), ("C", True), ("C18", False)])
def test_the_enterprise_list_filters_by_a_prefix_of_the_industry_code(client, world, textile, prefix, found):
    client.force_login(world.users["office"])
    response = client.get("/enterprises/", {"industry": prefix})
    assert response.status_code == 200
    names = {str(row["object"]) for row in response.context["rows"]}
    assert names == ({"景柏服饰"} if found else set())


@pytest.mark.parametrize(("prefix", "found"), [("C", True), ("C17", True), ("C18", False)])
def test_the_api_filters_enterprises_by_a_prefix_of_the_industry_code(client, world, textile, prefix, found):
    response = api(client, "get", f"enterprises?industry={prefix}", token_for("office"))
    assert response.status_code == 200
    assert [item["name"] for item in response.json()["items"]] == (["景柏服饰"] if found else [])


# ---- ids in web URLs ----------------------------------------------------------------------------------------


def test_an_id_that_is_no_number_or_beyond_64_bits_is_not_found(client, world):
    client.force_login(world.users["office"])
    for pk in ["abc", "1a", "-1", str(BEYOND_64_BITS), "99999999999999999999"]:
        for page in ["", "edit/", "history/", "delete/"]:
            response = client.get(f"/enterprises/{pk}/{page}")
            assert response.status_code == 404, (pk, page)
            assert "页面不存在" in response.content.decode()
    before = AuditEntry.objects.count()
    assert client.post("/enterprises/abc/edit/", {"name": "x"}).status_code == 404
    assert AuditEntry.objects.count() == before
    # A record keyed by a code is still found by it.
    assert client.get("/regions/140581/").status_code == 200


# ---- page numbers -------------------------------------------------------------------------------------------


def test_an_api_page_no_database_can_count_to_is_refused_naming_the_parameter(client, world):
    token = token_for("office")
    response = api(client, "get", "enterprises?page=9223372036854775807", token)
    assert response.status_code == 422
    assert response["Content-Type"].startswith(PROBLEM)
    [error] = response.json()["errors"]
    assert error["field"] == "page" and "不能大于" in error["message"]
    # The last page that can be counted to is empty, as is every page beyond the last.
    response = api(client, "get", "enterprises?page=18446744073709551", token)
    assert response.status_code == 200
    assert response.json()["items"] == [] and response.json()["count"] == 2
    # The web list shows its last page for a page beyond it.
    client.force_login(world.users["office"])
    response = client.get("/enterprises/", {"page": "9223372036854775807"})
    assert response.status_code == 200 and response.context["page"].number == 1


# ---- ids in JSON bodies -------------------------------------------------------------------------------------


def test_an_id_list_holding_no_id_is_refused_naming_the_item_and_nothing_is_saved(client, world):
    token = token_for("office")  # creating the token is audited: count after it
    before = (Enterprise.objects.count(), AuditEntry.objects.count())
    for ids, field in [
        ({"segments": [None]}, "segments.0"),
        ({"chains": [[1]]}, "chains.0"),
        ({"chains": [{}]}, "chains.0"),
        ({"chains": [1, "x"]}, "chains.1"),
        ({"segments": [BEYOND_64_BITS]}, "segments.0"),
        ({"chains": "1"}, "chains"),
    ]:
        response = api(client, "post", "enterprises", token, {"name": "新企业", "region": "140581", **ids})
        assert response.status_code == 422, ids
        assert response["Content-Type"].startswith(PROBLEM)
        assert field in {e["field"] for e in response.json()["errors"]}, ids
    for body in ([{}], [{"name": "新链"}], "新链", 1):  # a body that is no JSON object
        response = api(client, "post", "chains", token, body)
        assert response.status_code in {400, 422}, body
        assert response["Content-Type"].startswith(PROBLEM)
    enterprise = world.enterprises["luanfu"]
    response = api(
        client,
        "patch",
        f"enterprises/{enterprise.pk}?version={enterprise.version}",
        token,
        {"chains": [[world.chains["silk"].pk]]},
    )
    assert response.status_code == 422
    assert (Enterprise.objects.count(), AuditEntry.objects.count()) == before


def test_a_related_id_beyond_64_bits_is_refused_naming_the_field(client, world):
    token = token_for("office")
    before = AuditEntry.objects.count()
    response = api(client, "post", "segments", token, {"chain_id": BEYOND_64_BITS, "name": "新环节"})
    assert response.status_code == 422
    assert {"field": "chain_id", "message": "该值不能大于9223372036854775807。"} in response.json()["errors"]
    assert AuditEntry.objects.count() == before


# ---- NUL characters: refused on every database --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/enterprises/?q=%E6%BD%9E%00",
        "/enterprises/?industry=C%00",
        "/regions/lookup/?q=%00",
        "/regions/140581%00/",
        "/enterprises/?%00=1",
    ],
)
def test_a_nul_character_in_a_web_request_is_refused_with_400(client, world, url):
    client.force_login(world.users["office"])
    response = client.get(url)
    assert response.status_code == 400
    assert "空字符" in response.content.decode()


@pytest.mark.parametrize(
    "url", ["enterprises?q=%00", "enterprises?industry=C%00", "regions/1405%00", "industry_classes?q=a%00b"]
)
def test_a_nul_character_in_an_api_query_or_path_is_refused_with_problem_json(client, world, url):
    response = api(client, "get", url, token_for("office"))
    assert response.status_code == 400
    assert response["Content-Type"].startswith(PROBLEM)
    assert "空字符" in response.json()["errors"][0]["message"]


def test_a_nul_character_in_a_json_body_is_refused_naming_the_field_and_nothing_is_saved(client, world):
    token = token_for("office")
    before = (Enterprise.objects.count(), AuditEntry.objects.count())
    response = api(client, "post", "enterprises", token, {"name": "潞\x00绸", "region": "140581"})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "name" and "空字符" in error["message"]
    assert (Enterprise.objects.count(), AuditEntry.objects.count()) == before
    # The six characters \u0000 typed as text (an escaped backslash in JSON) are no NUL.
    body = json.dumps({"q": "\\u0000"})
    response = client.post(
        "/api/v1/enterprises",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code != 400


def test_a_nul_character_in_a_posted_form_is_refused_and_nothing_is_saved(client, world):
    client.force_login(world.users["office"])
    before = AuditEntry.objects.count()
    response = client.post("/chains/add/", {"name": "新链\x00", "level": "city", "region": "140500"})
    assert response.status_code == 400
    assert "“name”" in response.content.decode()
    assert AuditEntry.objects.count() == before


# ---- error pages under /api/ are problem+json ---------------------------------------------------------------


def test_a_url_under_api_that_matches_nothing_answers_problem_json(client, world):
    response = client.get("/api/v1/no_such_collection")
    assert response.status_code == 404
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.json() == {"type": "about:blank", "title": "未找到。", "status": 404}


@pytest.mark.parametrize(
    ("handler", "status"),
    [("bad_request", 400), ("forbidden", 403), ("not_found", 404), ("server_error", 500)],
)
def test_the_error_handlers_answer_problem_json_under_api_and_a_page_elsewhere(world, handler, status):
    handler = getattr(errors, handler)
    factory = RequestFactory()
    api_response = handler(factory.get("/api/v1/enterprises"), *([None] if status != 500 else []))
    assert api_response.status_code == status
    assert api_response["Content-Type"].startswith(PROBLEM)
    assert json.loads(api_response.content)["status"] == status
    request = factory.get("/enterprises/")
    request.user = world.users["office"]
    web_response = handler(request, *([None] if status != 500 else []))
    assert web_response.status_code == status
    assert web_response["Content-Type"].startswith("text/html")
