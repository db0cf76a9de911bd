"""`GET /api/v1/search`: full-text search of the figures, within the filters, genes, chemicals and diseases given."""

from __future__ import annotations

import numpy as np
from flask import Blueprint, jsonify

from dashboard.analysis.model import Corpus, figures_for_genes, filter_figures, resolve_genes
from dashboard.analysis.search import search_figures
from dashboard.analysis.terms import KINDS, resolve_terms, terms_mask
from dashboard.web.api.requests import BadRequest, comma_list, filters
from dashboard.web.api.rules import values
from dashboard.web.openapi import TERMS_ASKED


def _search_mask(corpus: Corpus, args: dict) -> np.ndarray:
    """The figure mask of a search request's filters: organisms, years, include_unstated (the page URL's syntax),
    genes (symbols or NCBI ids, comma-separated, with match and exact), chemicals and diseases (ids or names,
    comma-separated: figures mentioning any). An unknown gene, chemical or disease is a BadRequest."""
    state = filters(corpus, args["organisms"], args["years"], args["include_unstated"])
    mask = filter_figures(corpus, state.organisms, state.years, state.unstated)
    genes = comma_list(args["genes"])
    if genes:
        rows, unrecognised = resolve_genes(corpus, genes)
        if unrecognised:
            raise BadRequest(f"no gene {', '.join(repr(u[:40]) for u in unrecognised[:5])} in this corpus")
        chosen = np.zeros(corpus.n_figures, dtype=bool)
        chosen[figures_for_genes(corpus, tuple(rows), args["match"], None, args["exact"] == "1")] = True
        mask &= chosen
    for kind in KINDS:
        tokens = comma_list(args[kind], kind, TERMS_ASKED)
        if tokens:
            keys, unknown = resolve_terms(corpus, kind, tokens)
            if unknown:
                raise BadRequest(f"no {kind[:-1]} {', '.join(repr(u[:40]) for u in unknown[:5])} in this corpus")
            mask &= terms_mask(corpus, kind, keys)
    return mask


def blueprint(corpus: Corpus) -> Blueprint:
    """The search route, bound to one corpus."""
    api = Blueprint("search", __name__)

    @api.get("/search")
    def search():
        asked = values()
        mask = _search_mask(corpus, asked)
        result = search_figures(corpus, asked["q"], limit=asked["limit"], mask=mask, offset=asked["offset"])
        return jsonify(
            total=result.total,
            figures=[
                {
                    "figid": hit.figid,
                    "title": hit.title,
                    "year": hit.year,
                    "snippet": [{"text": piece.text, "match": piece.match} for piece in hit.snippet],
                    "score": hit.score,
                }
                for hit in result.hits
            ],
        )

    return api
