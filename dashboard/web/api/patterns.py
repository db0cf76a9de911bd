"""The pattern routes: `GET /api/v1/timeline`, `/cooccurrence` and `/path`, within the filters and genes given."""

from __future__ import annotations

import numpy as np
from flask import Blueprint, jsonify

from dashboard.analysis.model import Corpus, Selection, figures_for_genes, main_species
from dashboard.analysis.patterns import build_cooccurrence, build_timeline, find_paths
from dashboard.web.api.requests import BadRequest, one_gene, pattern_scope
from dashboard.web.api.rules import values


def blueprint(corpus: Corpus) -> Blueprint:
    """The pattern routes, bound to one corpus."""
    api = Blueprint("patterns", __name__)

    @api.get("/timeline")
    def timeline():
        _, mask, genes = pattern_scope(corpus)
        if not genes:
            raise BadRequest("'genes' names no gene: give symbols or NCBI ids, comma-separated")
        rows = figures_for_genes(corpus, genes, "any", mask)
        found = build_timeline(corpus, rows, mask, genes)
        return jsonify(
            years={str(year): count for year, count in found.years.items()},
            first_year={str(gene): year for gene, year in found.first_year.items()},
        )

    @api.get("/cooccurrence")
    def cooccurrence():
        _, mask, genes = pattern_scope(corpus)
        top = values()["top"]
        rows = figures_for_genes(corpus, genes, "any", mask) if genes else np.flatnonzero(mask)
        selection = Selection(genes=genes)
        species = main_species(corpus, selection, rows)
        found = build_cooccurrence(corpus, rows, top=top, species=species)
        graph = found.graph
        return jsonify(
            species=species,
            figures=len(rows),
            nodes=[
                {"ncbi_id": data["ncbi_id"], "symbol": data["symbol"], "community": data["community"]}
                for _, data in graph.nodes(data=True)
            ],
            edges=[
                {
                    "source": graph.nodes[u]["ncbi_id"],
                    "target": graph.nodes[v]["ncbi_id"],
                    "shared_figures": data["shared"],
                    "jaccard": data["jaccard"],
                    "p_value": data["p_value"],
                }
                for u, v, data in graph.edges(data=True)
            ],
        )

    @api.get("/path")
    def path():
        _, mask, _ = pattern_scope(corpus)
        start, end = one_gene(corpus, "from"), one_gene(corpus, "to")
        found = find_paths(corpus, start, end, mask, max_paths=values()["max_paths"])
        paths = [
            [
                {"gene": int(corpus.gene_ids[row])} if kind == "gene" else {"figure": str(corpus.figids[row])}
                for kind, row in steps
            ]
            for steps in found.paths
        ]
        answer = {"length": found.length, "paths": paths}
        if found.length is None:
            answer["message"] = "no chain of figures connects the two genes under these filters"
        return jsonify(answer)

    return api
