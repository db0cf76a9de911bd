"""`POST /api/v1/enrich`: the figures over-represented in a gene list, with how the list was read."""

from __future__ import annotations

from flask import Blueprint, jsonify

from dashboard.analysis.enrich import enrich
from dashboard.analysis.genelist import GeneList
from dashboard.analysis.model import Corpus
from dashboard.analysis.orthologs import list_species_choices
from dashboard.web.api.requests import BadRequest, filters, gene_entries
from dashboard.web.api.rules import values
from dashboard.web.exports import to_enrichment_records
from dashboard.web.state import parse_years


def _gene_list_report(corpus: Corpus, genes: GeneList) -> dict:
    """How a gene list was read, for an API answer: species, ambiguous entries, entries of other species."""
    return {
        "species": genes.species,
        "species_inferred": genes.inferred,
        "ambiguous": [
            {
                "entry": token,
                "candidates": [{"ncbi_id": int(corpus.gene_ids[r]), "symbol": corpus.gene_label(r)} for r in rows],
            }
            for token, rows in genes.ambiguous
        ],
        "other_species": [{"entry": token, "organisms": list(species)} for token, species in genes.other_species],
    }


def blueprint(corpus: Corpus) -> Blueprint:
    """The enrichment route, bound to one corpus."""
    api = Blueprint("enrich", __name__)

    @api.post("/enrich")
    def enrich_genes():
        body = values()
        query = gene_entries(body["genes"], "genes")
        if not query:
            raise BadRequest("'genes' is empty: give at least one gene symbol or NCBI id")
        background = gene_entries(body["background"], "background") if body["background"] is not None else None
        years = body["years"]
        if years is not None and years.strip() and parse_years(years) is None:
            raise BadRequest(f"'years' {years[:40]!r} is not a range like 2010-2020")
        state = filters(corpus, ",".join(body["organisms"]), years, body["include_unstated"])
        species = body["species"]
        if species is not None and species not in corpus.species_gene_counts:
            raise BadRequest(
                f"'species' {species[:60]!r} is not a species of this corpus' genes "
                f"(e.g. {', '.join(list(corpus.species_gene_counts)[:3])})"
            )
        list_species = body["list_species"]
        if list_species is not None:
            known = list_species_choices(corpus)
            if not body["orthologs"]:
                raise BadRequest("'list_species' is read only with \"orthologs\": true")
            if list_species not in known:
                raise BadRequest(
                    f"'list_species' {list_species[:60]!r} is not a species the ortholog table or the corpus "
                    f"knows (e.g. {', '.join(known[:4])})"
                )
        result = enrich(
            corpus,
            query,
            species=species,
            organisms=state.organisms,
            years=state.years,
            unstated=state.unstated,
            background=background,
            min_size=body["min_size"],
            exact=body["exact"],
            limit=body["limit"],
            orthologs=body["orthologs"],
            list_species=list_species,
        )
        return jsonify(
            **_gene_list_report(corpus, result.genes),
            **(result.orthologs.to_json() if result.orthologs is not None else {}),
            background_size=result.background_size,
            query_size=result.query_size,
            unrecognised=result.unrecognised,
            outside_background=result.outside_background,
            tested=result.tested,
            results=to_enrichment_records(result, body["limit"]) if result.query_size else [],
        )

    return api
