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
