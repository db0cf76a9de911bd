"""Failures are visible: an unexpected error is logged at ERROR with its traceback, counted, and shown at
/metrics in Prometheus' text format; a malformed request is the client's 400, a server bug is a 500 in JSON."""

from __future__ import annotations

import logging

import pytest
from conftest import SEEDS
from dash import Input, Output
from prometheus_client.parser import text_string_to_metric_families

from dashboard.config import Settings
from dashboard.web import ids
from dashboard.web.app import create_app


def sample(client, name: str, **labels: str) -> float:
    """One value from the served /metrics text."""
    for family in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True)):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return found.value
    return 0.0


@pytest.fixture
def app(seed_corpus):
    app = create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus)
    # A callback and a route that fail, added by the test to the real app: the failures to be made visible.
    app.layout.children.append(__import__("dash").html.Div(id="broken-output"))

    @app.callback(Output("broken-output", "children"), Input(ids.ENRICH_RUN, "n_clicks"), prevent_initial_call=True)
    def broken(_clicks):
        raise RuntimeError("a bug in a callback")

    @app.server.get("/broken")
    def broken_route():
        raise RuntimeError("a bug in a route")

    return app


def test_a_failing_callback_is_logged_counted_and_told(app, caplog):
    client = app.server.test_client()
    before = sample(client, "pfocr_errors_total", kind="callback")
    body = {
        "output": "broken-output.children",
        "outputs": {"id": "broken-output", "property": "children"},
        "inputs": [{"id": ids.ENRICH_RUN, "property": "n_clicks", "value": 1}],
        "changedPropIds": [f"{ids.ENRICH_RUN}.n_clicks"],
    }
    with caplog.at_level(logging.ERROR):
        response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200  # the page stays usable and says the action failed
    assert "could not be completed" in response.get_data(as_text=True)
    assert sample(client, "pfocr_errors_total", kind="callback") == before + 1
    failure = next(r for r in caplog.records if r.levelno == logging.ERROR and "callback failed" in r.getMessage())
    assert failure.exc_info and "a bug in a callback" in str(failure.exc_info[1])
    assert sample(client, "pfocr_callback_seconds_count", callback="broken-output.children") >= 1


def test_a_server_bug_is_a_logged_counted_500_in_json(app, caplog):
    client = app.server.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/broken")
    assert response.status_code == 500 and response.get_json()["error"].startswith("internal error")
    assert b"Traceback" not in response.get_data() and b"a bug in a route" not in response.get_data()
    assert sample(client, "pfocr_errors_total", kind="request") == 1
    assert any(r.exc_info and r.levelno == logging.ERROR for r in caplog.records)
    assert sample(client, "pfocr_requests_total", route="other", status="500") == 1


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"output": "no-such.children"},
        {"output": "broken-output.children", "outputs": {"id": "broken-output", "property": "children"}, "inputs": 5},
        {"output": "broken-output.children", "outputs": 3, "inputs": []},
    ],
)
def test_a_malformed_callback_request_is_the_clients_400(app, body):
    client = app.server.test_client()
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 400 and "malformed callback request" in response.get_json()["error"]
    assert sample(client, "pfocr_errors_total", kind="request") == 0


def test_metrics_count_requests_by_route_and_status(app):
    client = app.server.test_client()
    client.get("/healthz")
    client.get("/api/v1/genes/NOPE/figures")
    assert sample(client, "pfocr_requests_total", route="healthz", status="200") == 1
    assert sample(client, "pfocr_requests_total", route="api", status="404") == 1
    text = client.get("/metrics").get_data(as_text=True)
    assert "# TYPE pfocr_errors_total counter" in text and 'pfocr_errors_total{kind="api"} 0.0' in text


def test_an_oversized_request_is_refused(app):
    client = app.server.test_client()
    response = client.post("/api/v1/enrich", data=b"x" * (9 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413 and response.is_json
