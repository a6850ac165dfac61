import io
import json

import pytest
from django.core.management import call_command

from chainboard.models import AuditEntry

pytestmark = pytest.mark.django_db


def token_for(username: str) -> str:
    out = io.StringIO()
    call_command("token", "create", username, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def api(client, method, path, token, body=None):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"/api/v1/{path}", **kwargs)


def test_token_create_prints_the_token_alone_on_its_last_line(world):
    token = token_for("county")
    assert token.startswith("cb_") and " " not in token


def test_requests_without_a_valid_token_are_refused_as_problem_json(client, world):
    response = client.get("/api/v1/enterprises", HTTP_AUTHORIZATION="Bearer nonsense")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")


def test_the_api_list_holds_only_records_in_the_users_scope(client, world):
    response = api(client, "get", "enterprises?page_size=500", token_for("county"))
    assert response.status_code == 200
    names = {item["name"] for item in response.json()["items"]}
    assert names == {"潞安府潞绸", "高平其他企业"}
    assert response.json()["count"] == 2


def test_the_api_refuses_page_sizes_over_500(client, world):
    response = api(client, "get", "enterprises?page_size=501", token_for("office"))
    assert response.status_code == 422


def test_confidential_indicators_are_not_served_to_the_investment_team(client, world):
    assert api(client, "get", "indicators", token_for("investment")).status_code == 403
    assert (
        api(client, "get", f"indicators/{world.indicators['jingbai'].pk}", token_for("office")).status_code
        == 200
    )


def test_out_of_scope_detail_is_not_found(client, world):
    response = api(client, "get", f"enterprises/{world.enterprises['jingbai'].pk}", token_for("county"))
    assert response.status_code == 404


def test_an_api_create_is_validated_like_the_form_and_lists_every_field_error(client, world):
    token = token_for("office")
    before = AuditEntry.objects.count()
    response = api(
        client, "post", "enterprises", token, {"name": "", "region": "999999", "uscc": "91350100M000100Y44"}
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"name", "region", "uscc"} <= fields
    assert AuditEntry.objects.count() == before


def test_an_api_update_is_audited_and_needs_the_current_version(client, world):
    token = token_for("county")
    enterprise = world.enterprises["luanfu"]
    response = api(
        client,
        "patch",
        f"enterprises/{enterprise.pk}?version={enterprise.version}",
        token,
        {"address": "高平市某路1号"},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["address"] == "高平市某路1号"
    entry = AuditEntry.objects.filter(object_id=str(enterprise.pk), source="api").latest("id")
    assert entry.user_name == "county" and entry.after["address"] == "高平市某路1号"
    stale = api(
        client, "patch", f"enterprises/{enterprise.pk}?version={enterprise.version}", token, {"address": "x"}
    )
    assert stale.status_code == 409
    assert stale.json()["changes"][0]["after"] == "高平市某路1号"


def test_openapi_is_readable_without_a_token(client, world):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/enterprises" in response.json()["paths"]


def test_a_tokens_last_use_is_recorded_but_not_rewritten_on_every_request(client, world):
    from chainboard.models import ApiToken

    token = token_for("office")
    api(client, "get", "chains", token)
    first = ApiToken.objects.get(user=world.users["office"]).last_used
    assert first is not None
    api(client, "get", "chains", token)
    assert ApiToken.objects.get(user=world.users["office"]).last_used == first
