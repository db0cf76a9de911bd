"""`POST /api/v1/enrich`: the figures over-represented in a gene list, with how the list was read."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from dashboard.analysis.enrich import DEFAULT_MIN_SIZE, enrich
from dashboard.analysis.genelist import GeneList
from dashboard.analysis.model import Corpus
from dashboard.analysis.orthologs import list_species_choices
from dashboard.web.api.requests import BadRequest, filters, positive_int, string_list
from dashboard.web.exports import to_enrichment_records
from dashboard.web.openapi import DEFAULT_RESULTS, MAX_RESULTS
from dashboard.web.state import parse_years

ENRICH_FIELDS = frozenset(
    {
        "genes",
        "species",
        "organisms",
        "include_unstated",
        "years",
        "background",
        "min_size",
        "exact",
        "limit",
        "orthologs",
        "list_species",
    }
)


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
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequest('send a JSON object, e.g. {"genes": ["TP53", "MDM2"]}')
        unknown = sorted(set(body) - ENRICH_FIELDS)
        if unknown:
            raise BadRequest(f"unknown field(s): {', '.join(k[:40] for k in unknown[:10])}")
        query = string_list(body, "genes", required=True)
        if not query:
            raise BadRequest("'genes' is empty: give at least one gene symbol or NCBI id")
        background = string_list(body, "background")
        organisms = body.get("organisms")
        organisms = [] if organisms is None else organisms
        if not isinstance(organisms, list) or not all(isinstance(o, str) for o in organisms):
            raise BadRequest("'organisms' must be a list of organism names")
        years = body.get("years")
        if years is not None and not isinstance(years, str):
            raise BadRequest("'years' must be a string like \"2010-2020\"")
        if isinstance(years, str) and years.strip() and parse_years(years) is None:
            raise BadRequest(f"'years' {years[:40]!r} is not a range like 2010-2020")
        state = filters(corpus, ",".join(organisms), years, body.get("include_unstated"))
        species = body.get("species")
        if species is not None and (not isinstance(species, str) or species not in corpus.species_gene_counts):
            raise BadRequest(
                f"'species' {str(species)[:60]!r} is not a species of this corpus' genes "
                f"(e.g. {', '.join(list(corpus.species_gene_counts)[:3])})"
            )
        min_size = positive_int(body.get("min_size"), "min_size", DEFAULT_MIN_SIZE, 100_000)
        limit = positive_int(body.get("limit"), "limit", DEFAULT_RESULTS, MAX_RESULTS)
        exact = body.get("exact", False)
        if not isinstance(exact, bool):
            raise BadRequest("'exact' must be true or false")
        orthologs = body.get("orthologs", False)
        if not isinstance(orthologs, bool):
            raise BadRequest("'orthologs' must be true or false")
        list_species = body.get("list_species")
        if list_species is not None:
            known = list_species_choices(corpus)
            if not orthologs:
                raise BadRequest("'list_species' is read only with \"orthologs\": true")
            if not isinstance(list_species, str) or list_species not in known:
                raise BadRequest(
                    f"'list_species' {str(list_species)[:60]!r} is not a species the ortholog table or the corpus "
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
            min_size=min_size,
            exact=exact,
            limit=limit,
            orthologs=orthologs,
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
            results=to_enrichment_records(result, limit) if result.query_size else [],
        )

    return api
