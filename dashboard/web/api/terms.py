"""Type-ahead of the corpus' named things: `GET /api/v1/chemicals`, `/diseases` and `/organisms`."""

from __future__ import annotations

from flask import Blueprint, jsonify

from dashboard.analysis.model import Corpus
from dashboard.analysis.organisms import search_organisms
from dashboard.analysis.terms import search_terms
from dashboard.web.api.rules import values


def blueprint(corpus: Corpus) -> Blueprint:
    """The chemical, disease and organism type-ahead routes, bound to one corpus."""
    api = Blueprint("terms", __name__)

    def terms(kind: str):
        asked = values()
        return jsonify(
            {
                kind: [
                    {"name": t.name, "id": t.id, "figures": t.figures, "ids": list(t.ids)}
                    for t in search_terms(corpus, kind, asked["q"], asked["limit"])
                ]
            }
        )

    api.add_url_rule("/chemicals", "chemicals", lambda: terms("chemicals"), methods=["GET"])
    api.add_url_rule("/diseases", "diseases", lambda: terms("diseases"), methods=["GET"])

    @api.get("/organisms")
    def organisms():
        asked = values()
        return jsonify(
            organisms=[
                {"name": m.name, "figures": m.figures, "common_name": m.common_name}
                for m in search_organisms(corpus, asked["q"], asked["limit"])
            ]
        )

    return api
