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


# ---- list filters: the API's are the web list's ----------------------------------------------------------


def web_list_names(client, user, url_name: str, params: dict) -> set[str]:
    from django.urls import reverse

    client.force_login(user)
    response = client.get(reverse(url_name), {**params, "page_size": 100})
    assert response.status_code == 200
    return {str(row["object"]) for row in response.context["rows"]}


def api_list_items(client, token: str, collection: str, params: dict) -> set[str]:
    from urllib.parse import urlencode

    response = api(client, "get", f"{collection}?{urlencode({**params, 'page_size': 500})}", token)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == len(body["items"])
    return body["items"]


@pytest.mark.parametrize(
    ("role", "params", "expected"),
    [
        ("office", {}, {"景柏服饰", "潞安府潞绸"}),
        ("office", {"q": "潞安"}, {"潞安府潞绸"}),
        ("office", {"q": "jb"}, {"景柏服饰"}),  # pinyin initials
        ("office", {"region": "140581"}, {"潞安府潞绸"}),
        ("office", {"role": "member", "is_chain_leader": "false"}, {"景柏服饰", "潞安府潞绸"}),
        ("office", {"role": "leader"}, set()),
        ("county", {"region": "140581101"}, {"高平其他企业"}),  # a town: the region's subtree
        ("county", {"chain": "silk"}, {"潞安府潞绸"}),
        ("county", {"chain": "other", "q": "企业"}, {"高平其他企业"}),
        ("county", {"q": "景柏"}, set()),  # 景柏服饰 is in 泽州县, outside the county's scope
        ("county", {"is_sample": "true"}, set()),
        ("county", {"is_sample": "unknown", "chain": ""}, {"潞安府潞绸", "高平其他企业"}),  # "any", empty
    ],
)
def test_an_api_enterprise_filter_gives_the_rows_of_the_web_list(client, world, role, params, expected):
    from django.core.management import call_command

    call_command("rebuild_search")
    if "chain" in params and params["chain"]:
        params = {**params, "chain": world.chains[params["chain"]].pk}
    items = api_list_items(client, token_for(role), "enterprises", params)
    assert {item["name"] for item in items} == expected
    assert web_list_names(client, world.users[role], "enterprises:enterprise_list", params) == expected


def test_filters_of_the_other_lists_give_the_rows_of_the_web_list_too(client, world):
    from django.apps import apps

    token = token_for("office")
    silk = world.chains["silk"].pk
    cases = [
        ("indicators", "enterprises:indicator_list", {"year": 2023, "period_type": "year"}),
        ("indicators", "enterprises:indicator_list", {"year": 2022}),
        ("segments", "chains:segment_list", {"chain": silk, "is_weak": "false", "q": "织"}),
        ("memberships", "enterprises:membership_list", {"chain": silk, "role": "member"}),
        ("segment_links", "chains:segmentlink_list", {"upstream__chain": silk}),
    ]
    for collection, url_name, params in cases:
        items = api_list_items(client, token, collection, params)
        web = web_list_names(client, world.users["office"], url_name, params)
        app_label, list_name = url_name.split(":")
        model = apps.get_model(app_label, list_name.removesuffix("_list"))
        assert {str(model.objects.get(pk=item["id"])) for item in items} == web, (collection, params)
    assert len(api_list_items(client, token, "indicators", {"year": 2023})) == 2
    assert api_list_items(client, token, "indicators", {"year": 2022}) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("chain=abc", "chain"),  # not an id
        ("role=boss", "role"),  # not one of the choices
        ("is_sample=maybe", "is_sample"),  # not yes or no
        ("region=999999", "region"),  # no such region
        ("chain={other}", "chain"),  # a chain outside the office's scope, as in the web list's picker
    ],
)
def test_an_invalid_filter_value_is_a_problem_naming_the_field(client, world, query, field):
    query = query.format(other=world.chains["other"].pk)
    response = api(client, "get", f"enterprises?{query}", token_for("office"))
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_an_invalid_year_on_the_indicator_list_is_a_problem_naming_the_field(client, world):
    response = api(client, "get", "indicators?year=twenty", token_for("office"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["year"]


def _as_served(schema, value) -> dict:
    """What the API sends for one record: the Out schema's JSON, many-to-many ids in order."""
    data = schema.model_validate(value).model_dump(mode="json")
    return {k: sorted(v) if isinstance(v, list) else v for k, v in data.items()}


def test_every_entity_is_served_as_ninja_serves_its_model_instances(world):
    """The API reads plain values, not model instances; for every registered entity and every record of
    the test city, what it sends is what ninja's Out schema makes of the instance itself."""
    from chainboard.api import registered
    from chainboard.scope import SystemActor

    actor = SystemActor()
    checked = 0
    for model, (out, reader) in registered.items():
        queryset = model._default_manager.order_by("pk")
        served = [_as_served(out, row) for row in reader.rows(queryset, actor)]
        assert served == [_as_served(out, obj) for obj in queryset], model.__name__
        checked += len(served)
    assert len(registered) >= 10 and checked > 50


def test_a_file_is_served_as_its_url_as_ninja_serves_a_file_field(world, settings, tmp_path):
    from django.contrib.contenttypes.models import ContentType
    from django.core.files.base import ContentFile
    from ninja.orm import create_schema

    from chainboard.api import RowReader
    from chainboard.models.attachments import Attachment
    from chainboard.scope import SystemActor

    settings.MEDIA_ROOT = tmp_path
    enterprise = world.enterprises["jingbai"]
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(enterprise),
        object_id=str(enterprise.pk),
        file_name="营业执照.pdf",
        size=3,
    )
    attachment.file.save("营业执照.pdf", ContentFile(b"pdf"), save=True)
    fields = ["id", "file", "file_name", "content_type"]
    out = create_schema(Attachment, name="AttachmentProbe", fields=fields)
    (row,) = RowReader(Attachment, fields).rows(Attachment.objects.filter(pk=attachment.pk), SystemActor())
    assert _as_served(out, row) == _as_served(out, attachment)
    assert _as_served(out, row)["file"].startswith(settings.MEDIA_URL + "attachments/")
