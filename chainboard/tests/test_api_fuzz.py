"""The API fuzzed from its own OpenAPI document (Schemathesis, in process): no request, whether the schema
allows it or not, gets a server error, and every documented answer has its documented shape.

A bounded, derandomised run: a few cases per operation and mode, the same ones on every run, on the test
database (rolled back after the test). ``chainboard fuzz-api --cases 1000`` is the long run
(docs/bad-input.md).
"""

import pytest
from django.core.wsgi import get_wsgi_application

from chainboard import fuzz
from chainboard.tests.test_api import token_for

CASES = 4  # per operation and mode: about 600 requests, well under a minute on SQLite


@pytest.mark.django_db
def test_every_api_operation_answers_generated_requests_without_a_server_error(client, world):
    operations = {
        f"{method.upper()} {path}"
        for path, item in client.get(fuzz.SCHEMA_PATH).json()["paths"].items()
        for method in item
    }
    app = get_wsgi_application()  # after the test settings (no WhiteNoise) are in place

    results = fuzz.run(app, token_for("office"), cases=CASES)

    assert {r.label for r in results} == operations
    assert all(r.cases == CASES for r in results), [(r.label, r.mode, r.cases) for r in results]
    failures = [failure for r in results for failure in r.failures]
    assert not failures, "\n\n".join(failures)
