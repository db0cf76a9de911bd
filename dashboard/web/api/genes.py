"""`GET /api/v1/genes` (type-ahead) and `GET /api/v1/genes/<genes>/figures` (the figures of genes, or of their
orthologs)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from dashboard.analysis.model import Corpus, figures_for_genes, filter_figures, resolve_genes, search_genes
from dashboard.analysis.orthologs import with_orthologs
from dashboard.corpus import columns as C
from dashboard.web.api.requests import BadRequest, comma_list, error, figure_summaries, request_filters
from dashboard.web.api.rules import values

FIGURES_LIMIT = 10_000


def blueprint(corpus: Corpus) -> Blueprint:
    """The gene routes, bound to one corpus."""
    api = Blueprint("genes", __name__)

    @api.get("/genes")
    def genes():
        asked = values()
        hits = search_genes(corpus, asked["q"], asked["limit"])
        return jsonify(
            genes=[
                {
                    "symbol": h[C.SYMBOL],
                    "organism": h[C.ORGANISM],
                    "ncbi_id": int(h[C.GENE_ID]),
                    "figures": int(h[C.N_FIGURES]),
                    "matched_word": h["via"] or None,
                }
                for h in hits.to_dict("records")
            ]
        )

    @api.get("/genes/<path:token>/figures")
    def gene_figures(token: str):
        parts = comma_list(token)
        asked = values()
        orthologs, match, exact = asked["orthologs"] == "1", asked["match"], asked["exact"] == "1"
        if orthologs and match == "all":
            raise BadRequest("'match=all' cannot be used with orthologs=1: a figure holds one species' gene")
        if orthologs:
            via, unrecognised = with_orthologs(corpus, parts)
            rows = list(via)
        else:
            rows, unrecognised = resolve_genes(corpus, parts)
            via = dict.fromkeys(rows, "named")
        if not rows:
            return error(404, f"no gene '{token[:80]}' in this corpus")
        state = request_filters(corpus)
        mask = filter_figures(corpus, state.organisms, state.years, state.unstated)
        figures = figures_for_genes(corpus, tuple(rows), match, mask, exact)
        shown = figures[:FIGURES_LIMIT]
        summaries = figure_summaries(corpus, shown)
        if orthologs:  # each figure says through which of the genes it came
            block = corpus.matrix(exact)[shown][:, rows].tocsr()
            for position, summary in enumerate(summaries):
                columns = block.indices[block.indptr[position] : block.indptr[position + 1]]
                summary["through"] = [
                    {"symbol": corpus.gene_label(rows[c]), "ncbi_id": int(corpus.gene_ids[rows[c]])}
                    for c in sorted(columns)
                ]
        return jsonify(
            unrecognised=unrecognised,
            genes=[
                {
                    "symbol": corpus.gene_label(r),
                    "organism": corpus.gene_organisms[r],
                    "ncbi_id": int(corpus.gene_ids[r]),
                    "figures": int(corpus.genes[C.N_FIGURES].iloc[r]),
                    "via": via[r],
                }
                for r in rows
            ],
            total=len(figures),
            figures=summaries,
        )

    return api
