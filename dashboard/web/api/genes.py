"""`GET /api/v1/genes` (type-ahead) and `GET /api/v1/genes/<genes>/figures` (the figures of genes, or of their
orthologs)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from dashboard.analysis.genelist import MAX_LIST
from dashboard.analysis.model import Corpus, figures_for_genes, filter_figures, resolve_genes, search_genes
from dashboard.analysis.orthologs import with_orthologs
from dashboard.corpus import columns as C
from dashboard.web.api.requests import BadRequest, error, figure_summaries, positive_int, request_filters
from dashboard.web.openapi import TYPE_AHEAD_LIMIT

FIGURES_LIMIT = 10_000


def blueprint(corpus: Corpus) -> Blueprint:
    """The gene routes, bound to one corpus."""
    api = Blueprint("genes", __name__)

    @api.get("/genes")
    def genes():
        query = request.args.get("q", "")
        if not query.strip():
            raise BadRequest("give a prefix: /api/v1/genes?q=TP5")
        if len(query) > 100:
            raise BadRequest("the prefix is longer than 100 characters")
        limit = positive_int(request.args.get("limit"), "limit", 20, TYPE_AHEAD_LIMIT)
        hits = search_genes(corpus, query, limit)
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
        parts = [part.strip() for part in token.split(",") if part.strip()]
        if len(parts) > MAX_LIST:
            raise BadRequest(f"{len(parts):,} genes asked for; at most {MAX_LIST:,} are accepted")
        orthologs = request.args.get("orthologs", "0")
        if orthologs not in ("0", "1"):
            raise BadRequest("'orthologs' must be 0 or 1")
        if orthologs == "1":
            via, unrecognised = with_orthologs(corpus, parts)
            rows = list(via)
        else:
            rows, unrecognised = resolve_genes(corpus, parts)
            via = dict.fromkeys(rows, "named")
        if not rows:
            return error(404, f"no gene '{token[:80]}' in this corpus")
        state = request_filters(corpus)
        match = request.args.get("match", "any")
        if match not in ("any", "all"):
            raise BadRequest("'match' must be 'any' or 'all'")
        exact = request.args.get("exact", "0")
        if exact not in ("0", "1"):
            raise BadRequest("'exact' must be 0 or 1")
        if orthologs == "1" and match == "all":
            raise BadRequest("'match=all' cannot be used with orthologs=1: a figure holds one species' gene")
        mask = filter_figures(corpus, state.organisms, state.years, state.unstated)
        figures = figures_for_genes(corpus, tuple(rows), match, mask, exact == "1")
        shown = figures[:FIGURES_LIMIT]
        summaries = figure_summaries(corpus, shown)
        if orthologs == "1":  # each figure says through which of the genes it came
            block = corpus.matrix(exact == "1")[shown][:, rows].tocsr()
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
