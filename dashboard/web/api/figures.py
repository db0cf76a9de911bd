"""`GET /api/v1/figures/<figid>`: one figure's record, its genes, chemicals and diseases."""

from __future__ import annotations

import numpy as np
import pandas as pd
from flask import Blueprint, jsonify

from dashboard.analysis.model import Corpus, genes_of_figure
from dashboard.analysis.terms import terms_of_figure
from dashboard.corpus import columns as C
from dashboard.web.api.requests import error, figure_summaries

RECORD_FIELDS = (
    C.PMCID,
    C.NUMBER,
    C.FIGTYPE,
    C.CAPTION,
    C.PAPER_TITLE,
    C.REFTEXT,
    C.JOURNAL,
    C.KEYWORDS,
    C.FIGURE_URL,
    C.IMAGE_URL,
    C.PAPER_URL,
    C.DOI_URL,
    C.NDEX_URL,
)


def _text(value: object) -> str | None:
    return None if value is None or value is pd.NA else str(value)


def blueprint(corpus: Corpus) -> Blueprint:
    """The figure route, bound to one corpus."""
    api = Blueprint("figures", __name__)

    @api.get("/figures/<path:figid>")
    def figure(figid: str):
        row = corpus.figure_row(figid)
        if row is None:
            return error(404, f"no figure '{figid[:120]}' in this corpus")
        record = corpus.figures.iloc[row]
        genes = genes_of_figure(corpus, row)
        chemicals = terms_of_figure(corpus, "chemicals", row)
        diseases = terms_of_figure(corpus, "diseases", row)
        return jsonify(
            {
                **figure_summaries(corpus, np.array([row]))[0],
                **{key: _text(record[key]) for key in RECORD_FIELDS},
                "genes": [
                    {
                        "symbol": g[C.SYMBOL],
                        "ncbi_id": int(g[C.GENE_ID]),
                        "organism": g[C.ORGANISM],
                        "words": g[C.WORDS],
                        "sources": g[C.SOURCES],
                        "exact": bool(g[C.EXACT]),
                    }
                    for g in genes.to_dict("records")
                ],
                "chemicals": chemicals.drop(columns=[C.FIGID]).fillna("").to_dict("records"),
                "diseases": diseases.drop(columns=[C.FIGID]).fillna("").to_dict("records"),
            }
        )

    return api
