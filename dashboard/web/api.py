"""Web floor: the JSON API (`/api/v1/...`) on the dashboard's own Flask server.

Every answer is JSON: 400 with a message for a bad request, 404 for an unknown gene or figure, never a 500 page.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule

from dashboard.analysis.corpusmap import corpus_map
from dashboard.analysis.enrich import DEFAULT_MIN_SIZE, enrich
from dashboard.analysis.genelist import MAX_LIST, MAX_LIST_TEXT, GeneList, read_gene_list
from dashboard.analysis.model import (
    Corpus,
    Selection,
    figures_for_genes,
    filter_figures,
    genes_of_figure,
    main_species,
    resolve_genes,
    search_genes,
)
from dashboard.analysis.organisms import search_organisms
from dashboard.analysis.orthologs import list_species_choices, with_orthologs
from dashboard.analysis.patterns import MAX_PATHS, build_cooccurrence, build_timeline, find_paths
from dashboard.analysis.search import QueryError, search_figures
from dashboard.analysis.terms import KINDS, resolve_terms, search_terms, terms_mask, terms_of_figure
from dashboard.corpus import columns as C
from dashboard.corpus.bundle import software_version
from dashboard.corpus.corpusmap import GRID
from dashboard.corpus.numbers import to_int_in
from dashboard.corpus.orthologs import read_meta
from dashboard.web.exports import to_cytoscape_json, to_enrichment_records
from dashboard.web.openapi import DEFAULT_RESULTS, MAX_RESULTS, SEARCH_LIMIT, SEARCH_OFFSET, openapi_document
from dashboard.web.state import ViewState, parse_query, parse_years

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
OTHER_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"]
FIGURES_LIMIT = 10_000
TYPE_AHEAD_LIMIT = 200
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


class BadRequest(ValueError):
    """A request the API cannot answer as asked; the message says why."""


def _error(status: int, message: str):
    response = jsonify(error=message, status=status)
    response.status_code = status
    return response


def _http_error(exc: HTTPException):
    """An HTTP error in the API's JSON shape, with the headers it carries (a 405's Allow). A path no route has is
    said as such (the routes' own 404s, for a gene or figure not found, are answered by the routes)."""
    message = exc.description or exc.name
    if isinstance(exc, NotFound):
        message = f"no endpoint {request.method} {request.path[:100]}; the routes are listed in docs/api.md"
    response = _error(exc.code or 500, message)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _figure_summaries(corpus: Corpus, rows: np.ndarray) -> list[dict]:
    """figid, title, year and organisms of many figures (one column read each, not one row at a time)."""
    titles = corpus.figures[C.TITLE].iloc[rows].to_numpy(dtype=object, na_value=None)
    years = corpus.years[rows].tolist()  # Python floats: 10,000 rows without a numpy scalar each
    return [
        {
            "figid": str(figid),
            "title": title,
            "year": None if year != year else int(year),  # NaN is the one value not equal to itself
            "organisms": list(corpus.figure_organisms[row]),
        }
        for row, figid, title, year in zip(rows.tolist(), corpus.figids[rows].tolist(), titles, years, strict=True)
    ]


def _text(value: object) -> str | None:
    return None if value is None or value is pd.NA else str(value)


def _filters(corpus: Corpus, organisms: str | None, years: str | None, unstated: object = None) -> ViewState:
    """Organism and year filters (and `include_unstated`) in the page URL's syntax, as the view state they make;
    a bad value is a BadRequest. A range beyond the corpus' years is allowed (it finds nothing)."""
    if unstated is not None and not isinstance(unstated, str | bool):
        raise BadRequest("'include_unstated' must be 1 or 0")
    flag = ("1" if unstated else "0") if isinstance(unstated, bool) else unstated
    pairs = (("organisms", organisms), ("years", years), ("include_unstated", flag))
    state, notices = parse_query(corpus, urlencode({k: v for k, v in pairs if v}))
    problems = [notice.reason for notice in notices if notice.dropped]  # a range reversed or beyond the corpus is used
    if problems:
        raise BadRequest(" ".join(problems))
    return state


def _view_state(corpus: Corpus, args) -> ViewState:
    """The view state of a page URL's parameters, read as the page reads a link; a value the link would drop (an
    unknown gene or figure, a malformed year range or budget, a parameter given twice) is a BadRequest saying why."""
    repeated = [key for key in dict.fromkeys(args) if len(args.getlist(key)) > 1]
    if repeated:
        raise BadRequest(f"'{repeated[0][:40]}' is given more than once: give its values once, comma-separated")
    state, notices = parse_query(corpus, urlencode(list(args.items(multi=True))))
    problems = [notice.reason for notice in notices if notice.dropped]  # a reversed range or one beyond is used
    if problems:
        raise BadRequest(" ".join(problems))
    return state


def _string_list(body: dict, key: str, required: bool = False) -> list[str] | None:
    value = body.get(key)
    if value is None:
        if required:
            raise BadRequest(f"'{key}' is required: a list of gene symbols or NCBI ids")
        return None
    if isinstance(value, str):  # pasted text: read as the page reads it (a table's gene column, or a free list)
        if len(value) > MAX_LIST_TEXT:
            raise BadRequest(f"'{key}' is {len(value):,} characters long; at most {MAX_LIST_TEXT:,} are accepted")
        value = read_gene_list(value).tokens
    if not isinstance(value, list) or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        raise BadRequest(f"'{key}' must be a list of gene symbols or NCBI ids")
    if len(value) > MAX_LIST:
        raise BadRequest(f"'{key}' has {len(value):,} entries; at most {MAX_LIST:,} are accepted")
    return [str(v) for v in value]


def _positive_int(value: object, name: str, default: int, maximum: int) -> int:
    if value is None or value == "":
        return default
    number = to_int_in(value, 1, maximum) if isinstance(value, int | str) else None
    if number is None:
        raise BadRequest(f"'{name}' must be a whole number from 1 to {maximum:,}")
    return number


def _whole_number(value: object, name: str, default: int, low: int, maximum: int) -> int:
    if value is None or value == "":
        return default
    number = to_int_in(value, low, maximum) if isinstance(value, int | str) else None
    if number is None:
        raise BadRequest(f"'{name}' must be a whole number from {low} to {maximum:,}")
    return number


def _years_or_none(years: np.ndarray) -> list[int | None]:
    """Float years (NaN: unknown) as whole numbers and None, without a Python test per figure."""
    out = np.nan_to_num(years, nan=0).astype(np.int64).tolist()
    for missing in np.flatnonzero(np.isnan(years)).tolist():
        out[missing] = None
    return out


def _type_ahead_query(args, example: str, what: str = "a name or id") -> tuple[str, int]:
    """The `q` and `limit` of a type-ahead request; BadRequest for an empty or overlong query."""
    query = args.get("q", "")
    if not query.strip():
        raise BadRequest(f"give {what}: {PREFIX}/{example}")
    if len(query) > 200:
        raise BadRequest("the query is longer than 200 characters")
    return query, _positive_int(args.get("limit"), "limit", 20, TYPE_AHEAD_LIMIT)


def _search_mask(corpus: Corpus, args) -> np.ndarray:
    """The figure mask of a search request's filters: organisms, years, include_unstated (the page URL's syntax),
    genes (symbols or NCBI ids, comma-separated, with match and exact), chemicals and diseases (ids or names,
    comma-separated: figures mentioning any). An unknown gene, chemical or disease is a BadRequest."""
    state = _filters(corpus, args.get("organisms"), args.get("years"), args.get("include_unstated"))
    mask = filter_figures(corpus, state.organisms, state.years, state.unstated)
    genes = [part.strip() for part in args.get("genes", "").split(",") if part.strip()]
    if len(genes) > MAX_LIST:
        raise BadRequest(f"{len(genes):,} genes asked for; at most {MAX_LIST:,} are accepted")
    if genes:
        rows, unrecognised = resolve_genes(corpus, genes)
        if unrecognised:
            raise BadRequest(f"no gene {', '.join(repr(u[:40]) for u in unrecognised[:5])} in this corpus")
        match = args.get("match", "any")
        if match not in ("any", "all"):
            raise BadRequest("'match' must be 'any' or 'all'")
        exact = args.get("exact", "0")
        if exact not in ("0", "1"):
            raise BadRequest("'exact' must be 0 or 1")
        chosen = np.zeros(corpus.n_figures, dtype=bool)
        chosen[figures_for_genes(corpus, tuple(rows), match, None, exact == "1")] = True
        mask &= chosen
    for kind in KINDS:
        tokens = [part.strip() for part in args.get(kind, "").split(",") if part.strip()]
        if len(tokens) > 1_000:
            raise BadRequest(f"at most 1,000 {kind} are accepted")
        if tokens:
            keys, unknown = resolve_terms(corpus, kind, tokens)
            if unknown:
                raise BadRequest(f"no {kind[:-1]} {', '.join(repr(u[:40]) for u in unknown[:5])} in this corpus")
            mask &= terms_mask(corpus, kind, keys)
    return mask


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


def build_api(corpus: Corpus) -> Blueprint:
    """The API's routes, bound to one corpus."""
    api = Blueprint("api", __name__, url_prefix=PREFIX)

    @api.errorhandler(BadRequest)
    @api.errorhandler(QueryError)  # a search that cannot be run (too broad to answer in time): the client's to change
    def bad_request(exc: BadRequest | QueryError):
        return _error(400, str(exc))

    api.register_error_handler(HTTPException, _http_error)

    @api.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.error("API error on %s", request.path, exc_info=exc)
        metrics = current_app.extensions.get("pfocr_metrics")
        if metrics is not None:
            metrics.count_error("api")
        return _error(500, f"internal error ({type(exc).__name__}); the request was logged")

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

    @api.get("/genes")
    def genes():
        query = request.args.get("q", "")
        if not query.strip():
            raise BadRequest("give a prefix: /api/v1/genes?q=TP5")
        if len(query) > 100:
            raise BadRequest("the prefix is longer than 100 characters")
        limit = _positive_int(request.args.get("limit"), "limit", 20, 200)
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
            return _error(404, f"no gene '{token[:80]}' in this corpus")
        state = _filters(
            corpus, request.args.get("organisms"), request.args.get("years"), request.args.get("include_unstated")
        )
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
        summaries = _figure_summaries(corpus, shown)
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

    @api.get("/figures/<path:figid>")
    def figure(figid: str):
        row = corpus.figure_row(figid)
        if row is None:
            return _error(404, f"no figure '{figid[:120]}' in this corpus")
        record = corpus.figures.iloc[row]
        genes = genes_of_figure(corpus, row)
        chemicals = terms_of_figure(corpus, "chemicals", row)
        diseases = terms_of_figure(corpus, "diseases", row)
        return jsonify(
            {
                **_figure_summaries(corpus, np.array([row]))[0],
                **{
                    key: _text(record[key])
                    for key in (
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
                },
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

    @api.post("/enrich")
    def enrich_genes():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequest('send a JSON object, e.g. {"genes": ["TP53", "MDM2"]}')
        unknown = sorted(set(body) - ENRICH_FIELDS)
        if unknown:
            raise BadRequest(f"unknown field(s): {', '.join(k[:40] for k in unknown[:10])}")
        query = _string_list(body, "genes", required=True)
        if not query:
            raise BadRequest("'genes' is empty: give at least one gene symbol or NCBI id")
        background = _string_list(body, "background")
        organisms = body.get("organisms")
        organisms = [] if organisms is None else organisms
        if not isinstance(organisms, list) or not all(isinstance(o, str) for o in organisms):
            raise BadRequest("'organisms' must be a list of organism names")
        years = body.get("years")
        if years is not None and not isinstance(years, str):
            raise BadRequest("'years' must be a string like \"2010-2020\"")
        if isinstance(years, str) and years.strip() and parse_years(years) is None:
            raise BadRequest(f"'years' {years[:40]!r} is not a range like 2010-2020")
        state = _filters(corpus, ",".join(organisms), years, body.get("include_unstated"))
        species = body.get("species")
        if species is not None and (not isinstance(species, str) or species not in corpus.species_gene_counts):
            raise BadRequest(
                f"'species' {str(species)[:60]!r} is not a species of this corpus' genes "
                f"(e.g. {', '.join(list(corpus.species_gene_counts)[:3])})"
            )
        min_size = _positive_int(body.get("min_size"), "min_size", DEFAULT_MIN_SIZE, 100_000)
        limit = _positive_int(body.get("limit"), "limit", DEFAULT_RESULTS, MAX_RESULTS)
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

    @api.get("/search")
    def search():
        query = request.args.get("q", "")
        if not query.strip():
            raise BadRequest(f"give a query: {PREFIX}/search?q=autophagy")
        limit = _positive_int(request.args.get("limit"), "limit", 20, SEARCH_LIMIT)
        offset = _whole_number(request.args.get("offset"), "offset", 0, 0, SEARCH_OFFSET)
        mask = _search_mask(corpus, request.args)
        result = search_figures(corpus, query, limit=limit, mask=mask, offset=offset)
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

    def terms(kind: str):
        query, limit = _type_ahead_query(request.args, f"{kind}?q=" + ("glucose" if kind == "chemicals" else "cancer"))
        return jsonify(
            {
                kind: [
                    {"name": t.name, "id": t.id, "figures": t.figures, "ids": list(t.ids)}
                    for t in search_terms(corpus, kind, query, limit)
                ]
            }
        )

    api.add_url_rule("/chemicals", "chemicals", lambda: terms("chemicals"), methods=["GET"])
    api.add_url_rule("/diseases", "diseases", lambda: terms("diseases"), methods=["GET"])

    @api.get("/organisms")
    def organisms():
        query, limit = _type_ahead_query(request.args, "organisms?q=human", "a scientific or common name")
        return jsonify(
            organisms=[
                {"name": m.name, "figures": m.figures, "common_name": m.common_name}
                for m in search_organisms(corpus, query, limit)
            ]
        )

    def pattern_scope() -> tuple[ViewState, np.ndarray, tuple[int, ...]]:
        """The filters of a pattern request, their figure mask, and the gene rows of `genes=`."""
        state = _filters(
            corpus, request.args.get("organisms"), request.args.get("years"), request.args.get("include_unstated")
        )
        tokens = [t.strip() for t in request.args.get("genes", "").split(",") if t.strip()]
        if len(tokens) > MAX_LIST:
            raise BadRequest(f"{len(tokens):,} genes asked for; at most {MAX_LIST:,} are accepted")
        rows, unrecognised = resolve_genes(corpus, tokens)
        if unrecognised:
            raise BadRequest(f"unrecognised gene(s): {', '.join(t[:40] for t in unrecognised[:10])}")
        return state, filter_figures(corpus, state.organisms, state.years, state.unstated), tuple(rows)

    def one_gene(name: str) -> int:
        token = request.args.get(name, "").strip()
        rows, _ = resolve_genes(corpus, [token]) if token else ([], [])
        if len(rows) != 1:
            raise BadRequest(f"'{name}' must name one gene (a symbol in its exact case, or an NCBI id)")
        return rows[0]

    @api.get("/timeline")
    def timeline():
        _, mask, genes = pattern_scope()
        if not genes:
            raise BadRequest(f"give genes: {PREFIX}/timeline?genes=TNFSF11")
        rows = figures_for_genes(corpus, genes, "any", mask)
        found = build_timeline(corpus, rows, mask, genes)
        return jsonify(
            years={str(year): count for year, count in found.years.items()},
            first_year={str(gene): year for gene, year in found.first_year.items()},
        )

    @api.get("/cooccurrence")
    def cooccurrence():
        _, mask, genes = pattern_scope()
        top = _positive_int(request.args.get("top"), "top", 40, 300)
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
        _, mask, _ = pattern_scope()
        start, end = one_gene("from"), one_gene("to")
        most = _positive_int(request.args.get("max_paths"), "max_paths", MAX_PATHS, 20)
        found = find_paths(corpus, start, end, mask, max_paths=most)
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

    @api.get("/map")
    def corpus_map_points():
        """Every placed figure's point (columns, in figure order), within the filters and genes given."""
        points = corpus_map(corpus)
        if points is None:
            return _error(
                404, "no map for this data: build a bundle (pfocr-dashboard build) or serve it through the cache"
            )
        _, mask, genes = pattern_scope()
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

    @api.get("/openapi.json")
    def openapi():
        return jsonify(openapi_document(PREFIX, software_version()))

    @api.get("/network")
    def network():
        """The network the page draws for these parameters (its URL's), as Cytoscape.js JSON."""
        return jsonify(to_cytoscape_json(corpus, _view_state(corpus, request.args)))

    # Every other path or method under the prefix (Dash's page route would answer any GET with the page): the route
    # map of the API's own rules says whether the path is unknown (404) or takes other methods (405, with Allow).
    @api.route("/", defaults={"rest": ""}, methods=OTHER_METHODS)
    @api.route("/<path:rest>", methods=OTHER_METHODS)
    def unknown_route(**_path: str):
        own = Map([Rule(r.rule, methods=r.methods, endpoint=r.endpoint) for r in _api_rules(current_app)])
        own.bind("").match(request.path, request.method)  # raises NotFound or MethodNotAllowed
        return _error(404, f"no endpoint {request.method} {request.path[:100]}")

    return api


def _api_rules(app: Flask) -> list:
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and r.endpoint != "api.unknown_route"]


def register_api(server: Flask, corpus: Corpus) -> None:
    """Mount the API on the app's Flask server; routing errors under the API's prefix are answered in JSON too."""
    server.register_blueprint(build_api(corpus))

    @server.errorhandler(HTTPException)
    def json_for_api_paths(exc: HTTPException):
        return _http_error(exc) if request.path.startswith(PREFIX) else exc
