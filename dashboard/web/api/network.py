"""`GET /api/v1/network`: the network the page draws for its URL's parameters, as Cytoscape.js JSON."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from dashboard.analysis.model import Corpus
from dashboard.web.api.requests import view_state
from dashboard.web.exports import to_cytoscape_json


def blueprint(corpus: Corpus) -> Blueprint:
    """The network route, bound to one corpus."""
    api = Blueprint("network", __name__)

    @api.get("/network")
    def network():
        """The network the page draws for these parameters (its URL's), as Cytoscape.js JSON."""
        return jsonify(to_cytoscape_json(corpus, view_state(corpus, request.args)))

    return api
