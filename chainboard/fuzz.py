"""Fuzz the JSON API from its own OpenAPI document with Schemathesis, in process (no network, no server).

Every operation of ``/api/v1/openapi.json`` gets ``cases`` requests generated from the schema
(positive: data the schema allows) and as many that break it (negative: wrong types, ``null`` in id
lists, out-of-range numbers, extra nesting), sent through Django's WSGI handler as one user with a bearer
token. A response is a failure when it is a server error (5xx) or, for schema-conforming requests, when
a documented response does not match its schema. Generation is derandomised: the same code and data
give the same cases and the same counts.

Used by ``chainboard/tests/test_api_fuzz.py`` (a few cases per operation, on the test database) and by
``chainboard fuzz-api`` (a long run, every write rolled back at the end).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable

import hypothesis
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

SCHEMA_PATH = "/api/v1/openapi.json"
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
# A request the schema allows must get a documented answer in its documented shape; any request at all
# must not get a server error.
CHECKS = {
    schemathesis.GenerationMode.POSITIVE: [
        not_a_server_error,
        response_schema_conformance,
        content_type_conformance,
    ],
    schemathesis.GenerationMode.NEGATIVE: [not_a_server_error],
}
FAILURES_KEPT = 3  # per operation and mode: enough to see what is wrong without a wall of repeats


@dataclasses.dataclass
class OperationResult:
    label: str  # "GET /api/v1/enterprises"
    mode: str  # "positive" or "negative"
    cases: int = 0
    server_errors: int = 0
    failures: list[str] = dataclasses.field(default_factory=list)
    failure_count: int = 0


def load_schema(app) -> schemathesis.BaseSchema:
    """The API's OpenAPI document, read from the application itself."""
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, app)


def run(
    app,
    token: str,
    *,
    cases: int,
    modes: Iterable[schemathesis.GenerationMode] = MODES,
    only: Callable[[str], bool] | None = None,
    progress: Callable[[OperationResult], None] | None = None,
) -> list[OperationResult]:
    """Send ``cases`` generated requests per operation and mode to ``app``; one result for each."""
    headers = {"Authorization": f"Bearer {token}"}
    results = []
    with _connection_kept():
        schema = load_schema(app)
        for found in schema.get_all_operations():
            operation = found.ok()
            if only is not None and not only(operation.label):
                continue
            for mode in modes:
                result = _run_operation(operation, mode, headers, cases)
                results.append(result)
                if progress is not None:
                    progress(result)
    return results


@contextlib.contextmanager
def _connection_kept():
    """Django closes the database connection when a request starts or ends inside a transaction (its
    autocommit is off); the run's requests all happen inside the caller's one, so, as Django's test client
    does, the connection is kept open for the run."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _run_operation(operation, mode, headers: dict, cases: int) -> OperationResult:
    result = OperationResult(label=operation.label, mode=mode.value)
    checks = CHECKS[mode]

    @hypothesis.settings(
        max_examples=cases,
        derandomize=True,  # the same cases on every run: a test that passes keeps passing
        database=None,  # no .hypothesis folder: nothing is replayed from earlier runs
        deadline=None,  # no timed assertion
        phases=[Phase.generate],  # failures are collected, not raised: nothing to shrink
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def send(case):
        # Each request in a savepoint: the caller holds one transaction around the whole run (the test's,
        # or fuzz-api's that is rolled back), and on PostgreSQL one failed statement would otherwise
        # abort it for every request after (in production each request has a transaction of its own).
        savepoint = transaction.savepoint()
        response = case.call(headers=headers)
        if response.status_code >= 500:
            transaction.savepoint_rollback(savepoint)
        else:
            transaction.savepoint_commit(savepoint)
        result.cases += 1
        if response.status_code >= 500:
            result.server_errors += 1
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (Failure, FailureGroup) as exc:
            result.failure_count += 1
            if len(result.failures) < FAILURES_KEPT:
                result.failures.append(_describe(case, response, exc))

    send()
    return result


def _describe(case, response, exc: Exception) -> str:
    body = response.content[:500].decode("utf-8", "replace") if response.content else ""
    return (
        f"{case.operation.label} -> {response.status_code}\n"
        f"  path {case.path_parameters or {}} query {case.query or {}} body {case.body!r}\n"
        f"  {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}\n"
        f"  response: {body}"
    )
