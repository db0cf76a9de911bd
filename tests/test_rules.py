"""The API's request rules are its OpenAPI document's (web/api/rules.py): every limit, choice and required
parameter the document states is the one the API enforces, said in the words the schema gives, and a document
changed is validation changed."""

from __future__ import annotations

import copy
from urllib.parse import urlencode

import pytest
from conftest import SEEDS
from flask import Flask, request

from dashboard.config import Settings
from dashboard.web.api.requests import PREFIX, BadRequest
from dashboard.web.api.rules import Rules, describe
from dashboard.web.app import create_app
from dashboard.web.openapi import openapi_document


@pytest.fixture(scope="module")
def client(seed_corpus):
    return create_app(Settings(data=(str(SEEDS),), use_cache=False), corpus=seed_corpus).server.test_client()


@pytest.fixture(scope="module")
def document(client) -> dict:
    return client.get(f"{PREFIX}/openapi.json").get_json()


def gets(document: dict):
    """Each GET operation's URL path (path parameters filled in) and its query parameters."""
    for path, item in document["paths"].items():
        if "get" in item:
            parameters = [p for p in item["get"].get("parameters", []) if p["in"] == "query"]
            yield PREFIX + path.replace("{token}", "TP53"), parameters


def url(path: str, parameters: list[dict], **given: object) -> str:
    query = {p["name"]: p["example"] for p in parameters if p["required"]} | given
    return f"{path}?{urlencode(query)}"


def branch(schema: dict, kind: str) -> dict | None:
    """The schema itself or its anyOf branch of a JSON type (an optional parameter also admits "")."""
    return next((s for s in [schema, *schema.get("anyOf", [])] if s.get("type") == kind), None)


def test_every_whole_number_is_refused_outside_the_documents_range(client, document):
    checked = []
    for path, parameters in gets(document):
        for parameter in parameters:
            number = branch(parameter["schema"], "integer")
            if number is None:
                continue
            name, low, high = parameter["name"], number["minimum"], number["maximum"]
            said = f"'{name}' must be a whole number from {low:,} to {high:,}"
            for inside in (low, high):
                assert client.get(url(path, parameters, **{name: inside})).status_code == 200, (path, name, inside)
            for outside in (low - 1, high + 1, "1.5", "²"):
                response = client.get(url(path, parameters, **{name: outside}))
                error = response.get_json()["error"]
                assert response.status_code == 400 and error == f"{said}, not '{outside}'", (path, name, outside)
            checked.append((path, name))
    assert len(checked) >= 8


def test_every_choice_is_the_documents(client, document):
    checked = []
    for path, parameters in gets(document):
        for parameter in parameters:
            choice = branch(parameter["schema"], "string")
            if choice is None or "enum" not in choice:
                continue
            name = parameter["name"]
            for value in choice["enum"]:
                assert client.get(url(path, parameters, **{name: value})).status_code == 200, (path, name, value)
            response = client.get(url(path, parameters, **{name: "perhaps"}))
            assert response.status_code == 400
            assert response.get_json()["error"] == f"'{name}' must be {describe(choice)}, not 'perhaps'"
            assert all(str(value) in response.get_json()["error"] for value in choice["enum"])
            checked.append((path, name))
    assert len(checked) >= 6


def test_a_missing_parameter_is_asked_for_with_a_link_that_answers(client, document):
    checked = 0
    for path, parameters in gets(document):
        for parameter in (p for p in parameters if p["required"]):
            for missing in ("", "%20"):
                query = {p["name"]: p["example"] for p in parameters if p["required"] and p is not parameter}
                response = client.get(f"{path}?{urlencode(query)}&{parameter['name']}={missing}")
                error = response.get_json()["error"]
                assert response.status_code == 400 and error.startswith(f"give {parameter['description']}: ")
                assert client.get(error.split(": ", 1)[1]).status_code == 200, error
            checked += 1
    assert checked >= 8


def test_an_optional_parameter_given_empty_is_its_default(client):
    plain = client.get(f"{PREFIX}/search?q=receptors").get_json()
    assert client.get(f"{PREFIX}/search?q=receptors&limit=&offset=&match=&exact=").get_json() == plain
    assert len(plain["figures"]) == min(plain["total"], 20)


def test_a_parameter_given_twice_is_refused(client):
    response = client.get(f"{PREFIX}/search?q=receptors&limit=5&limit=6")
    assert response.status_code == 400 and "'limit' is given more than once" in response.get_json()["error"]


def test_every_body_field_of_the_wrong_kind_is_named_with_what_it_must_be(client, document):
    media = document["paths"]["/enrich"]["post"]["requestBody"]["content"]["application/json"]
    assert client.post(f"{PREFIX}/enrich", json=media["example"]).status_code == 200
    for name, field in media["schema"]["properties"].items():
        response = client.post(f"{PREFIX}/enrich", json={**media["example"], name: {"an": "object"}})
        assert response.status_code == 400 and response.get_json()["error"] == f"'{name}' must be {describe(field)}"


def test_a_body_field_of_the_wrong_size_says_its_size(client):
    long = client.post(f"{PREFIX}/enrich", json={"genes": ["TP53"] * 40_001}).get_json()["error"]
    assert long == "'genes' has 40,001 entries; at most 40,000 are accepted"
    assert client.post(f"{PREFIX}/enrich", json={"genes": []}).get_json()["error"].startswith("'genes' is empty")


def test_whole_numbers_of_a_body_reach_the_route_as_numbers(client):
    as_float = client.post(f"{PREFIX}/enrich", json={"genes": ["TP53", "MDM2"], "limit": 2.0}).get_json()
    assert len(as_float["results"]) == 2


def test_a_changed_document_is_changed_validation():
    """The rules are read from the document and nowhere else: tighten a limit in it and the API follows."""
    document = copy.deepcopy(openapi_document(PREFIX, "test"))
    (limit,) = [p for p in document["paths"]["/genes"]["get"]["parameters"] if p["name"] == "limit"]
    limit["schema"]["anyOf"][0]["maximum"] = 3
    rules = Rules(document)
    too_many = pytest.raises(BadRequest, match="'limit' must be a whole number from 1 to 3, not '4'")
    with Flask(__name__).test_request_context(f"{PREFIX}/genes?q=TP&limit=4"), too_many:
        rules.check(f"{PREFIX}/genes", "GET", request.args, lambda: None)
    with Flask(__name__).test_request_context(f"{PREFIX}/genes?q=TP&limit=3"):
        rules.check(f"{PREFIX}/genes", "GET", request.args, lambda: None)


def flags(document: dict):
    """Each GET parameter read as a page link's yes/no (a pattern of words in any case)."""
    for path, parameters in gets(document):
        for parameter in parameters:
            words = branch(parameter["schema"], "string")
            if words is not None and "pattern" in words and words.get("description", "").startswith("1 or 0"):
                yield path, parameters, parameter["name"]


@pytest.mark.parametrize("value", ["1", "TRUE", " yes ", "On", "0", "False", "NO", " off"])
def test_a_yes_or_no_is_read_as_a_page_link_reads_it(client, document, value):
    found = list(flags(document))
    assert len(found) >= 4
    for path, parameters, name in found:
        assert client.get(url(path, parameters, **{name: value})).status_code == 200, (path, name, value)
    body = {"genes": ["TNFSF11"], "include_unstated": value, "organisms": ["Homo sapiens"]}
    assert client.post(f"{PREFIX}/enrich", json=body).status_code == 200


def test_a_parameter_the_document_does_not_list_is_refused(client):
    response = client.get(f"{PREFIX}/genes?q=TP&bogus=1")
    assert response.status_code == 400
    assert response.get_json()["error"] == f"unknown parameter 'bogus': {PREFIX}/genes takes q, limit"
    assert "takes no parameter" in client.get(f"{PREFIX}/stats?verbose=1").get_json()["error"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('{"genes": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ('{"genes": ["TP53"], "include_unstated": "1\\ud800"}', "not Unicode text"),
        ('{"genes": ["TP53"], "organisms": ["\\ud800"]}', "not Unicode text"),
        ('{"genes": ["TP53"], "include_unstated": "TRUTH"}', 'must be true or false (or the text "1" or "0")'),
        ('{"genes": ["TP53"], "include_unstated": 1}', 'must be true or false (or the text "1" or "0")'),
    ],
)
def test_a_hostile_body_is_a_400_that_says_why(client, body, says):
    response = client.post(f"{PREFIX}/enrich", data=body, content_type="application/json")
    assert response.status_code == 400 and says in response.get_json()["error"]


def test_a_body_reads_null_as_the_default_and_whole_floats_as_numbers(client):
    plain = client.post(f"{PREFIX}/enrich", json={"genes": ["TNFSF11", "TNFRSF11A"]}).get_json()
    nulls = {"genes": [8600.0, "TNFRSF11A"], "exact": None, "orthologs": None, "limit": None, "min_size": None}
    answer = client.post(f"{PREFIX}/enrich", json=nulls).get_json()
    assert answer["unrecognised"] == [] and answer["results"] == plain["results"]


def test_the_network_takes_every_parameter_of_a_page_link(document):
    from dashboard.web.state import KNOWN_PARAMS

    listed = [p["name"] for p in document["paths"]["/network"]["get"]["parameters"]]
    assert listed == list(KNOWN_PARAMS)
