"""The API's contract: a snapshot of the OpenAPI document, and list query counts that do not grow."""

import json
import os
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chainboard.tests.test_api import api, token_for

pytestmark = pytest.mark.django_db
SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.json"


def test_the_openapi_document_matches_the_committed_snapshot(client):
    # A deliberate API change: CHAINBOARD_UPDATE_SNAPSHOTS=1 pytest chainboard/tests/test_openapi.py
    document = client.get("/api/v1/openapi.json").json()
    text = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if os.environ.get("CHAINBOARD_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SNAPSHOT.read_text(encoding="utf-8"), "the API changed: review and update the snapshot"


def test_every_collection_follows_the_plural_snake_case_convention(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    collections = {p.split("/")[3] for p in paths}
    assert {
        "enterprises",
        "segment_links",
        "chain_statistics",
        "above_size_statuses",
        "industry_classes",
    } <= collections
    assert all(c == c.lower() and "-" not in c for c in collections)


@pytest.mark.parametrize(
    "collection", ["enterprises", "memberships", "products", "contacts", "indicators", "segments", "chains"]
)
def test_an_api_list_makes_as_many_queries_for_one_row_as_for_a_full_page(client, world, collection):
    token = token_for("office")
    api(client, "get", collection, token)  # the token's first use records last_used; measure after it
    counts = []
    for size in (1, 500):
        with CaptureQueriesContext(connection) as queries:
            response = api(client, "get", f"{collection}?page_size={size}", token)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# ---- list filters in the OpenAPI document -------------------------------------------------------------


def list_parameters(document: dict, collection: str) -> dict[str, dict]:
    return {p["name"]: p for p in document["paths"][f"/api/v1/{collection}"]["get"]["parameters"]}


def test_the_enterprise_list_documents_its_search_and_filters(client):
    params = list_parameters(client.get("/api/v1/openapi.json").json(), "enterprises")
    assert set(params) == {
        "page",
        "page_size",
        "q",
        "chain",
        "role",
        "region",
        "industry",
        "is_chain_leader",
        "is_sample",
    }
    for name, param in params.items():
        assert param["in"] == "query" and param["required"] is False, name
    assert params["q"]["schema"]["type"] == "string"
    assert params["q"]["description"] == "Search"  # the label's msgid, not the active language's 搜索
    assert params["chain"]["schema"]["type"] == "integer"  # a chain's id
    assert params["chain"]["description"] == "chain"
    assert params["region"]["schema"]["type"] == "string"  # a region's code
    assert params["region"]["description"] == "region: The region and everything below it."
    assert params["role"]["schema"] == {
        "description": "role on the chain",
        "enum": ["member", "core", "leader"],
        "title": "role",
        "type": "string",
    }
    assert params["is_chain_leader"]["schema"]["type"] == "boolean"
    assert params["is_sample"]["schema"]["type"] == "boolean"


def test_numbers_and_choices_are_typed_in_other_lists_too(client):
    document = client.get("/api/v1/openapi.json").json()
    indicators = list_parameters(document, "indicators")
    assert indicators["year"]["schema"]["type"] == "integer"
    assert indicators["period_type"]["schema"]["enum"] == ["year", "month", "ytd"]
    assert indicators["q"]["schema"]["type"] == "string"  # by the enterprise's name, pinyin too
    regions = list_parameters(document, "regions")
    assert regions["level"]["schema"] == {
        "description": "Level",
        "enum": [1, 2, 3, 4],
        "title": "level",
        "type": "integer",
    }
    assert list_parameters(document, "segment_links")["upstream__chain"]["schema"]["type"] == "integer"


def test_every_list_documents_every_filter_of_its_filter_set(client):
    from chainboard.tests.test_scope_matrix import registered_viewsets

    document = client.get("/api/v1/openapi.json").json()
    for viewset in registered_viewsets():
        params = list_parameters(document, viewset.url_prefix)
        filterset = viewset.filterset_class
        wanted = set(filterset.base_filters) if filterset is not None else set()
        if filterset is None or not filterset.search_fields:
            wanted.discard("q")
        assert set(params) == {"page", "page_size"} | wanted, viewset.url_prefix
        for name in wanted:
            schema = params[name]["schema"]
            assert schema["type"] in {"string", "integer", "number", "boolean", "array"}, (viewset, name)
            assert params[name]["description"], (viewset, name)
            assert params[name]["description"].isascii(), (viewset, name)  # English msgids


# ---- a filter set a later entity might declare: every kind of filter gets its type ------------------------


def later_filterset():
    import django_filters

    from chainboard.filters import ScopedFilterSet
    from chains.models import Chain
    from enterprises.models import Enterprise, MembershipRole

    class LaterFilterSet(ScopedFilterSet):
        search_fields = ("name",)
        roles = django_filters.MultipleChoiceFilter(
            field_name="memberships__role", choices=MembershipRole.choices, label="roles"
        )
        chains = django_filters.ModelMultipleChoiceFilter(
            field_name="memberships__chain", queryset=Chain.objects.all(), label="chains"
        )
        created = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label="created")
        created_between = django_filters.DateFromToRangeFilter(
            field_name="created_at", label="created between"
        )
        dynamic = django_filters.ChoiceFilter(
            field_name="name", choices=lambda: [("a", "A")], label="dynamic choices"
        )
        longitude = django_filters.NumberFilter(label="longitude")
        year = django_filters.NumberFilter(field_name="created_at", lookup_expr="year", label="year")
        copy = django_filters.CharFilter(field_name="name", label="a name like a BaseModel method")

        class Meta:
            model = Enterprise
            fields = ["is_sample"]

    return Enterprise, LaterFilterSet


def test_a_later_filter_set_is_documented_by_declaring_it():
    from chainboard.api import filter_schema

    model, filterset = later_filterset()
    properties = filter_schema(model, filterset, "LaterFilters").model_json_schema()["properties"]
    assert properties["roles"]["type"] == "array"
    assert properties["roles"]["items"] == {"type": "string", "enum": ["member", "core", "leader"]}
    assert properties["chains"]["items"] == {"type": "integer"}
    created = properties["created"]
    assert (created["type"], created["format"], created["description"]) == ("string", "date", "created")
    assert properties["created_between_after"]["format"] == "date"
    assert properties["created_between_before"]["format"] == "date"
    assert "created_between" not in properties
    assert properties["dynamic"]["type"] == "string" and "enum" not in properties["dynamic"]
    assert properties["longitude"]["type"] == "number"
    assert properties["year"]["type"] == "integer"
    assert properties["copy"]["type"] == "string"
    assert properties["is_sample"]["type"] == "boolean"
    assert properties["q"]["type"] == "string"


def test_a_multiple_choice_filter_takes_repeated_parameters_and_reaches_the_filter_set_as_a_list():
    from ninja import NinjaAPI, Query
    from ninja.testing import TestClient

    from chainboard.api import filter_data, filter_schema

    model, filterset = later_filterset()
    Filters = filter_schema(model, filterset, "LaterFilters")
    probe = NinjaAPI(urls_namespace="probe-filters")

    @probe.get("/")
    def echo(request, filters: Query[Filters]):
        return {k: filter_data(filters).getlist(k) for k in filter_data(filters)}

    response = TestClient(probe).get(
        "/?roles=member&roles=leader&chains=3&is_sample=unknown&created=2024-05-01&q=&copy=x"
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "roles": ["member", "leader"],
        "chains": ["3"],
        "created": ["2024-05-01"],
        "copy": ["x"],
    }  # "unknown" (the yes/no select's "any") and an empty q filter nothing
    response = TestClient(probe).get("/?chains=three&created=tomorrow")
    assert response.status_code == 422
