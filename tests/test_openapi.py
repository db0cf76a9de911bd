"""The API describes itself: the OpenAPI 3.1 document at /api/v1/openapi.json, run by schemathesis against the real
app on the demo corpus — no server error, status codes, content types and bodies as documented, invalid input
rejected."""

from __future__ import annotations

import os

import pytest
import schemathesis
from conftest import SEEDS
from hypothesis import HealthCheck, settings
from schemathesis import checks

from dashboard.config import Settings
from dashboard.web.app import create_app


@pytest.fixture(scope="session")
def api_schema(seed_corpus):
    app = create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app.server)


schema = schemathesis.pytest.from_fixture("api_schema")


# The checks: no server error; status codes, content types and bodies as documented; invalid input rejected
# (and a method a route does not take is a 405 that says which it takes).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.unsupported_method,
]


# OPENAPI_EXAMPLES=150 for a longer search (it passes); derandomised, so that CI meets the same cases every time.
EXAMPLES = int(os.environ.get("OPENAPI_EXAMPLES", "25"))


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_document_says(case):
    case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})  # WSGI: nothing decompresses


def test_the_document_lists_every_route_of_the_api(seed_corpus):
    app = create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)
    document = app.server.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    routes = {
        rule.rule.removeprefix("/api/v1").replace("<path:", "{").replace(">", "}")
        for rule in app.server.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.unknown_route"
    }
    renamed = {"{token}/figures": "{token}/figures"}
    assert {p for p in document["paths"]} == {renamed.get(r, r) for r in routes}
