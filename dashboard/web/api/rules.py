"""Web floor: the API's request rules, read from its OpenAPI document (`web/openapi.py`), the one place they are
written.

Before a route runs, its operation's query parameters and JSON body are checked against the document's schemas
(Draft 2020-12, the dialect of OpenAPI 3.1, compiled once by jsonschema-rs, fast enough to check two lists of
40,000 genes in milliseconds). A value the document does not admit is a `BadRequest`
that names the parameter and says what it must be, worded from the schema itself; an admitted value reaches the
route typed (a whole number as an int), and one not given, or given empty, as the document's default
(`values()`). What a schema cannot know stays with the routes: that a gene, organism, chemical or species is in
this corpus, that a year range reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import urlencode

from flask import g
from jsonschema_rs import Draft202012Validator

from dashboard.corpus.numbers import to_int
from dashboard.web.api.requests import BadRequest


class Rules:
    """The document's operations, each with the compiled checks of its query parameters and body."""

    def __init__(self, document: dict):
        self.prefix = document["servers"][0]["url"]
        self.operations = {
            (path, method.upper()): _Operation(operation)
            for path, item in document["paths"].items()
            for method, operation in item.items()
        }

    def check(self, rule: str, method: str, args, read_body: Callable[[], object]) -> None:
        """Check a request to the Flask `rule` (`/api/v1/genes/<path:token>/figures`) against its operation and
        keep its values for the route (`values()`); a request the document does not describe is left alone."""
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.removeprefix(self.prefix))
        operation = self.operations.get((path, "GET" if method == "HEAD" else method))
        if operation is None:
            return
        found = operation.query(f"{self.prefix}{path}", args)
        if operation.body is not None:
            try:
                body = read_body()
            except RecursionError:
                raise BadRequest("the JSON body is nested too deeply") from None
            found |= _body(operation.body, operation.body_validators, body)
        g.api_values = found


class _Operation:
    """One route and method of the document: its query parameters and body, with their compiled validators."""

    def __init__(self, operation: dict):
        self.parameters = [p for p in operation.get("parameters", ()) if p["in"] == "query"]
        self.names = [p["name"] for p in self.parameters]
        self.validators = {p["name"]: Draft202012Validator(p["schema"]) for p in self.parameters}
        self.example = urlencode({p["name"]: p["example"] for p in self.parameters if p["required"]}, safe=",")
        self.body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if self.body is not None:
            schema = self.body["schema"]
            self.body_validators = {name: Draft202012Validator(field) for name, field in schema["properties"].items()}
            self.body_validators[None] = Draft202012Validator(schema)

    def query(self, url: str, args) -> dict:
        """The query's parameters, typed, with defaults; a BadRequest for one the document does not admit."""
        unknown = [name for name in args if name not in self.names]
        if unknown:
            takes = f"takes {', '.join(self.names)}" if self.names else "takes no parameter"
            raise BadRequest(f"unknown parameter '{unknown[0][:40]}': {url} {takes}")
        found = {}
        for parameter in self.parameters:
            name, schema = parameter["name"], parameter["schema"]
            given = args.getlist(name)
            if len(given) > 1:
                raise BadRequest(f"'{name[:40]}' is given more than once: give its values once, comma-separated")
            text = given[0] if given else None
            if parameter["required"] and (text is None or not text.strip()):
                raise BadRequest(f"give {parameter['description']}: {url}?{self.example}")
            if text is None or text == "":
                found[name] = schema.get("default")
                continue
            number = to_int(text) if _admits(schema, "integer") else None
            value = text if number is None else number
            if not self.validators[name].is_valid(value):
                raise BadRequest(f"'{name}' must be {describe(schema)}, not '{text[:40]}'")
            found[name] = value
        return found


def values() -> dict:
    """This request's parameters (or body fields) as its route's document admits them, defaults filled in."""
    return g.api_values


def _body(media: dict, validators: dict, body: object) -> dict:
    """A JSON body's fields, checked against the schema; absent or null ones are the document's defaults."""
    if not isinstance(body, dict):
        raise BadRequest(f"send a JSON object, e.g. {json.dumps(media['example'])}")
    schema = media["schema"]
    properties = schema["properties"]
    unknown = sorted(set(body) - set(properties))
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(k[:40] for k in unknown[:10])}")
    try:
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # JSON's "\\ud800" decodes to a lone surrogate, which no text can hold
        raise BadRequest("the body holds a string that is not Unicode text (a lone surrogate)") from None
    if not validators[None].is_valid(body):
        raise BadRequest(_body_problem(schema, validators, body))
    found = {}
    for name, field in properties.items():
        value = body.get(name)
        if value is None:
            value = field.get("default")
        number = to_int(value) if _admits(field, "integer") else None
        found[name] = value if number is None else number
    return found


def _body_problem(schema: dict, validators: dict, body: dict) -> str:
    """Why a body the schema refuses is refused, in words: the first field, in the document's order, that is
    missing or refused on its own."""
    for name, field in schema["properties"].items():
        if name not in body:
            if name in schema.get("required", ()):
                return f"'{name}' is required: {describe(field)}"
            continue
        value = body[name]
        if validators[name].is_valid(value):
            continue
        kind = _json_type(value)
        branches = [field, *field.get("oneOf", ()), *field.get("anyOf", ())]
        for branch in (b for b in branches if kind in ("array", "string") and b.get("type") == kind):
            if len(value) < branch.get("minItems", 0):
                return f"'{name}' is empty: give {describe(field)}"
            if len(value) > branch.get("maxItems", len(value)):
                return f"'{name}' has {len(value):,} entries; at most {branch['maxItems']:,} are accepted"
            if len(value) > branch.get("maxLength", len(value)) > 0:  # 0: an empty value, said as not given
                return f"'{name}' is {len(value):,} characters long; at most {branch['maxLength']:,} are accepted"
        return f"'{name}' must be {describe(field)}"
    return "the body does not follow the API's document (/api/v1/openapi.json)"


def _json_type(value: object) -> str:
    """A Python value's JSON type, as a schema names it."""
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}
    return kinds.get(type(value), "null")


def describe(schema: dict) -> str:
    """What a value of the schema is, in words: its `description`, or what its type, range or choices say."""
    if "description" in schema:
        return schema["description"]
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        said = [
            describe(branch) for branch in branches if branch.get("maxLength") != 0 and branch.get("type") != "null"
        ]
        return " or ".join(dict.fromkeys(said))
    if "enum" in schema:
        choices = [str(choice) for choice in schema["enum"]]
        return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"
    kinds = schema.get("type")
    kind = next((k for k in kinds if k != "null"), None) if isinstance(kinds, list) else kinds
    if kind == "integer":
        if "minimum" in schema and "maximum" in schema:
            return f"a whole number from {schema['minimum']:,} to {schema['maximum']:,}"
        return "a whole number"
    if kind == "boolean":
        return "true or false"
    if kind == "string" and "maxLength" in schema:
        return f"text of at most {schema['maxLength']:,} characters"
    return {"string": "text", "array": "a list", "object": "an object"}.get(kind, "as the API's document says")


def _admits(schema: dict, kind: str) -> bool:
    """Whether the schema (or one of its branches) admits values of a JSON type."""
    kinds = schema.get("type")
    if kind == kinds or (isinstance(kinds, list) and kind in kinds):
        return True
    return any(_admits(branch, kind) for branch in schema.get("anyOf", []) + schema.get("oneOf", []))
