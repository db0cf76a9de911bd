"""`GET /api/v1/stats`: the corpus' counts, year span, load problems and the ortholog table's source."""

from __future__ import annotations

from flask import Blueprint, jsonify

from dashboard.analysis.model import Corpus
from dashboard.corpus.orthologs import read_meta


def blueprint(corpus: Corpus) -> Blueprint:
    """The stats route, bound to one corpus."""
    api = Blueprint("stats", __name__)

    @api.get("/stats")
    def stats():
        span = corpus.year_span
        return jsonify(
            figures=corpus.n_figures,
            genes=corpus.n_genes,
            links=int(corpus.incidence.nnz),
            papers=corpus.n_papers,
            organisms=corpus.organism_counts,
            years={"min": span[0], "max": span[1]} if span else {"min": None, "max": None},
            problems=len(corpus.tables.problems),
            orthologs={**read_meta()["source"], "species": list(read_meta()["species"].values())},
        )

    return api
