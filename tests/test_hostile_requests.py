"""Hostile requests: URL values, callback inputs and API bodies from a property-based generator never produce a
500 or a traceback; each gets a clear answer."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from conftest import SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from dashboard.config import Settings
from dashboard.web import ids
from dashboard.web.app import create_app
from dashboard.web.state import KNOWN_PARAMS, parse_query

SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

text = st.text(max_size=60) | st.sampled_from(
    [
        "TP53",
        "tp53",
        "7157",
        "2020-2010",
        "0-99999",
        "Homo sapiens",
        "<script>alert(1)</script>",
        "%00",
        "\x00",
        "a" * 5000,
        "-1",
        "1e309",
        "NaN",
        "null",
        "[]",
        "{}",
        "javascript:alert(1)",
        "²",
        "٣",
        "١٢",
        "Ⅻ",
        "½",
        "7157²",
        "1_000",
        "𝟕𝟏𝟓𝟕",
    ]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def client(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus).server.test_client()


@pytest.fixture(scope="module")
def dependencies(client):
    return client.get("/_dash-dependencies").get_json()


@SETTINGS
@given(params=st.dictionaries(st.sampled_from([*KNOWN_PARAMS, "x", ""]), text, max_size=6))
def test_any_url_query_gives_a_state_and_notices(seed_corpus, params):
    state, notices = parse_query(seed_corpus, urlencode(params))
    assert isinstance(notices, list) and all(isinstance(n, str) for n in notices)
    assert all(seed_corpus.gene_row(g) is not None for g in state.genes)


def _payload(spec: dict, values: dict, changed: str) -> dict:
    output = spec["output"]
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    outputs = [dict(zip(("id", "property"), part.split(".", 1), strict=True)) for part in parts]

    def item(entry):
        if entry["id"].startswith("{"):
            return []
        key = f"{entry['id']}.{entry['property']}"
        return {"id": entry["id"], "property": entry["property"], "value": values.get(key)}

    return {
        "output": output,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [item(e) for e in spec["inputs"]],
        "state": [item(e) for e in spec.get("state", [])],
        "changedPropIds": [changed],
    }


def _callback_inputs(dependencies) -> list[tuple[int, str]]:
    return [
        (index, f"{entry['id']}.{entry['property']}")
        for index, spec in enumerate(dependencies)
        if "clientside_function" not in spec or not spec["clientside_function"]
        for entry in spec["inputs"]
        if not entry["id"].startswith("{")
    ]


def errors(client, kind: str) -> float:
    """The count of unexpected errors of one kind, as /metrics shows it."""
    for family in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True)):
        for sample in family.samples:
            if sample.name == "pfocr_errors_total" and sample.labels.get("kind") == kind:
                return sample.value
    raise AssertionError("no pfocr_errors_total in /metrics")


@SETTINGS
@given(data=st.data())
def test_callbacks_survive_any_input_values(client, dependencies, data):
    """Every server callback, fed random JSON in every input and state, answers 200 or 204 and never raises:
    the last-resort handler would answer 200 too, so the count of callback errors must not move. (Mutation: a
    callback that raises on any input fails here through the counter.)"""
    index, changed = data.draw(st.sampled_from(_callback_inputs(dependencies)))
    spec = dependencies[index]
    keys = [f"{e['id']}.{e['property']}" for e in [*spec["inputs"], *spec.get("state", [])]]
    values = {key: data.draw(json_values) for key in keys}
    before = errors(client, "callback")
    response = client.post("/_dash-update-component", json=_payload(spec, values, changed))
    assert response.status_code in (200, 204), (changed, values, response.get_data(as_text=True)[:300])
    assert b"Traceback" not in response.get_data()
    assert errors(client, "callback") == before, (changed, values)


@SETTINGS
@given(body=json_values)
def test_malformed_callback_requests_are_not_500(client, body):
    """A body Dash's renderer never sends is refused as the client's error, and counts as no error of ours."""
    before = errors(client, "request") + errors(client, "callback")
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    assert b"Traceback" not in response.get_data()
    assert errors(client, "request") + errors(client, "callback") == before


@SETTINGS
@given(token=text, query=st.dictionaries(st.sampled_from(["organisms", "years", "match", "q", "limit"]), text))
def test_api_get_requests_answer_in_json(client, token, query):
    for path in (
        f"/api/v1/genes?{urlencode(query)}",
        f"/api/v1/genes/{quote(token, safe='')}/figures?{urlencode(query)}",
        f"/api/v1/figures/{quote(token, safe='')}",
    ):
        response = client.get(path)
        assert response.status_code in (200, 400, 404), (path, response.status_code)
        body = response.get_json()
        assert isinstance(body, dict)
        if response.status_code != 200:
            assert isinstance(body["error"], str) and body["error"]


@SETTINGS
@given(
    body=json_values
    | st.fixed_dictionaries(
        {"genes": json_values},
        optional={
            "organisms": json_values,
            "years": json_values,
            "background": json_values,
            "min_size": json_values,
            "exact": json_values,
            "limit": json_values,
        },
    )
)
def test_api_enrich_bodies_answer_in_json(client, body):
    response = client.post("/api/v1/enrich", data=json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
    assert isinstance(response.get_json(), dict)


@pytest.mark.parametrize(
    "last",
    [
        {"background": 1},
        {"genes": "TP53", "min_size": "abc"},
        {"genes": ["TP53"]},
        {"genes": "TP53 AKT1", "min_size": 3},
    ],
)
def test_a_tampered_last_enrichment_is_checked_before_it_runs_again(client, dependencies, last):
    """The last enrichment query comes back from the browser's store when the filters change: a store holding a
    dict without genes, or with a min_size that is no number, answers without an error of ours (found by the test
    above: `KeyError: 'genes'`); a good one runs again."""
    spec = next(s for s in dependencies if s["output"].startswith(f"..{ids.ENRICH_TABLE}.rowData"))
    values = {f"{ids.SELECTION}.data": {}, f"{ids.ENRICH_SELECTION}.data": {}, f"{ids.ENRICH_QUERY}.data": last}
    before = errors(client, "callback")
    response = client.post("/_dash-update-component", json=_payload(spec, values, f"{ids.ENRICH_SELECTION}.data"))
    assert response.status_code in (200, 204) and errors(client, "callback") == before
    if last.get("genes") == "TP53 AKT1":
        assert response.status_code == 200 and "gene set" in response.get_data(as_text=True)
