"""`GET /api/v1/map`: the corpus map's points of the figures within the filters and genes given."""

from __future__ import annotations

import numpy as np
from flask import Blueprint, jsonify

from dashboard.analysis.corpusmap import corpus_map
from dashboard.analysis.model import Corpus, figures_for_genes
from dashboard.corpus.corpusmap import GRID
from dashboard.web.api.requests import error, pattern_scope


def _years_or_none(years: np.ndarray) -> list[int | None]:
    """Float years (NaN: unknown) as whole numbers and None, without a Python test per figure."""
    out = np.nan_to_num(years, nan=0).astype(np.int64).tolist()
    for missing in np.flatnonzero(np.isnan(years)).tolist():
        out[missing] = None
    return out


def blueprint(corpus: Corpus) -> Blueprint:
    """The map route, bound to one corpus."""
    api = Blueprint("maps", __name__)

    @api.get("/map")
    def corpus_map_points():
        """Every placed figure's point (columns, in figure order), within the filters and genes given."""
        points = corpus_map(corpus)
        if points is None:
            return error(
                404, "no map for this data: build a bundle (pfocr-dashboard build) or serve it through the cache"
            )
        _, mask, genes = pattern_scope(corpus)
        rows = figures_for_genes(corpus, genes, "any", mask) if genes else np.flatnonzero(mask)
        rows = rows[points.placed[rows]]
        years = corpus.years[rows]
        return jsonify(
            figures=len(rows),
            grid=GRID,
            method=points.method,
            figid=corpus.figids[rows].tolist(),
            x=points.x[rows].astype(np.int64).tolist(),
            y=points.y[rows].astype(np.int64).tolist(),
            year=_years_or_none(years),
        )

    return api
