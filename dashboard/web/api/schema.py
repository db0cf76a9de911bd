"""`GET /api/v1/openapi.json`: the API's OpenAPI document (written in dashboard/web/openapi.py)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from dashboard.analysis.model import Corpus
from dashboard.corpus.bundle import software_version
from dashboard.web.api.requests import PREFIX
from dashboard.web.openapi import openapi_document


def blueprint(corpus: Corpus) -> Blueprint:  # noqa: ARG001 - every resource is built alike; the document is fixed
    """The OpenAPI document's route."""
    api = Blueprint("schema", __name__)
    document = openapi_document(PREFIX, software_version())  # fixed for the process: built once, not per request

    @api.get("/openapi.json")
    def openapi():
        return jsonify(document)

    return api
