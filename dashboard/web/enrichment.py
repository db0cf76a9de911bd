"""Web floor: the enrichment — a gene list pasted, uploaded or opened from a link, tested against the figures'
gene sets under the current filters, run again when the filters change, its notes in a biologist's terms."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace

from dash import Dash, Input, Output, State, ctx, no_update

from dashboard.analysis.enrich import DEFAULT_MIN_SIZE, Enrichment, enrich
from dashboard.analysis.genelist import (
    MAX_LIST,
    MAX_LIST_TEXT,
    GeneList,
    describe_gene_list,
    read_gene_list,
    shown_entries,
)
from dashboard.analysis.model import Corpus
from dashboard.analysis.orthologs import describe_mapping, list_species_choices
from dashboard.corpus.numbers import to_int_in
from dashboard.web import ids
from dashboard.web.exports import to_enrichment_records
from dashboard.web.gates import pass_selection
from dashboard.web.state import ViewState
from dashboard.web.thumbnails import figure_thumbnails
from dashboard.web.values import strings

ENRICH_ROWS = 500  # results sent to the browser; the TSV export has them all


def decode_upload(contents: str | None) -> str | None:
    """A dcc.Upload data URL → its text; None if it is not UTF-8 text of a sensible size."""
    if not isinstance(contents, str) or "," not in contents:
        return None
    try:
        data = base64.b64decode(contents.split(",", 1)[1], validate=False)
    except (ValueError, binascii.Error):
        return None
    if len(data) > MAX_LIST_TEXT or b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def to_enrichment_query(
    genes: object,
    background: object,
    min_size: object,
    species: object,
    orthologs: object = None,
    target: object = None,
) -> dict | str:
    """The enrichment form's values → a query dict, or a message saying what is wrong with them."""
    if not isinstance(genes, str) or not genes.strip():
        return "Paste or upload a gene list, then run."
    for name, text in (("gene list", genes), ("background", background)):
        if isinstance(text, str) and len(text) > MAX_LIST_TEXT:
            return f"The {name} is {len(text):,} characters long; at most {MAX_LIST_TEXT:,} are accepted."
    size = to_int_in(min_size, 1, 100_000)
    if size is None:
        return "The smallest gene set tested must be a whole number from 1 to 100,000."
    mapped = orthologs is True or strings(orthologs) == ["orthologs"]
    return {
        "genes": genes,
        "background": background if isinstance(background, str) else "",
        "min_size": size,
        "species": species if isinstance(species, str) and species else None,
        "orthologs": mapped,
        "target": target if mapped and isinstance(target, str) and target else None,
    }


def stored_enrichment_query(value: object) -> dict | None:
    """The last enrichment query as the browser kept it, checked again as the form's values are (a store can hold
    anything a client sends); None when it is not a usable query."""
    if not isinstance(value, dict):
        return None
    found = to_enrichment_query(
        value.get("genes"),
        value.get("background"),
        value.get("min_size"),
        value.get("species"),
        value.get("orthologs"),
        value.get("target"),
    )
    return found if isinstance(found, dict) else None


def enrich_query(corpus: Corpus, state: ViewState, query: dict, limit: int | None) -> Enrichment | str:
    """Run a query dict under the view's filters; a list that is too long gives a message instead. With
    orthologs, the list is read in its species (inferred when not chosen) and mapped to the target's genes."""
    genes = read_gene_list(str(query.get("genes") or ""))
    background = read_gene_list(str(query.get("background") or ""))
    for name, found in (("gene list", genes), ("background", background)):
        if len(found.tokens) > MAX_LIST:
            return f"The {name} has {len(found.tokens):,} entries; at most {MAX_LIST:,} are accepted."
    species = query.get("species")
    orthologs = query.get("orthologs") is True
    target = query.get("target")
    if orthologs:
        tested = target if isinstance(target, str) and target in corpus.species_gene_counts else None
        listed = species if isinstance(species, str) and species in list_species_choices(corpus) else None
    else:
        tested = species if isinstance(species, str) and species in corpus.species_gene_counts else None
        listed = None
    return enrich(
        corpus,
        genes.tokens,
        species=tested,
        organisms=state.organisms,
        years=state.years,
        unstated=state.unstated,
        background=background.tokens or None,
        min_size=int(query.get("min_size") or DEFAULT_MIN_SIZE),
        exact=state.exact,
        limit=limit,
        orthologs=orthologs,
        list_species=listed,
    )


def describe_list(corpus: Corpus, genes: GeneList, limit: int = 30) -> list[str]:
    """The gene list's notes for the user (`describe_gene_list`), with its entries that were not used said in the
    biologist's terms: not found among the list's species' genes of this corpus — and, where the entry is a gene
    of another species here, which species."""

    notes = describe_gene_list(corpus, replace(genes, unrecognised=(), other_species=()))
    if genes.species is None:
        return notes
    if genes.other_species:
        items = [f"{token} (a gene of {', '.join(species[:3])})" for token, species in genes.other_species]
        notes.append(
            f"Not found among the {genes.species} genes of this corpus, not used ({len(items):,}): "
            f"{shown_entries(items, limit)}."
        )
    if genes.unrecognised:
        notes.append(
            f"Not found among the {genes.species} genes of this corpus, nor those of any other species in it "
            f"({len(genes.unrecognised):,}): {shown_entries(list(genes.unrecognised), limit)} — no figure here was "
            "read to hold a gene by that symbol, alias or NCBI id."
        )
    return notes


def overlap_label(record: dict) -> str:
    """A result's overlapping genes, each with the list's entries it came from when they were mapped (`MAPK1
    (Mapk1)`)."""
    if "overlap_entries" not in record:
        return ", ".join(record["overlap_genes"])
    return ", ".join(
        gene if entries == gene else f"{gene} ({entries})"
        for gene, entries in zip(record["overlap_genes"], record["overlap_entries"], strict=True)
    )


def run_enrichment(corpus: Corpus, state: ViewState, query: dict | str):
    """Enrichment of a pasted list under the current filters: (grid rows, message, the query to remember)."""
    if isinstance(query, str):
        return [], query, None
    result = enrich_query(corpus, state, query, ENRICH_ROWS)
    if isinstance(result, str):
        return [], result, None
    notes = [note for text in (query["genes"],) if (note := read_gene_list(text).note)]
    notes += describe_mapping(result.orthologs) if result.orthologs else describe_list(corpus, result.genes)
    if result.background is not None and result.orthologs is None:
        notes += [f"Background: {n}" for n in describe_list(corpus, result.background)[1:]]
    notes.append(
        f"{result.query_size:,} gene(s) tested against {result.tested:,} figure gene set(s) of "
        f"{result.species or 'no species'}; background {result.background_size:,} genes."
    )
    if result.outside_background:
        notes.append(f"Not in the background: {', '.join(result.outside_background[:30])}.")
    if not result.query_size:
        return [], " ".join(notes), query
    records = to_enrichment_records(result, ENRICH_ROWS)
    thumbs = figure_thumbnails(corpus, [record["figid"] for record in records])
    rows = [
        {**record, "overlap_label": overlap_label(record), "thumb": thumb}
        for record, thumb in zip(records, thumbs, strict=True)
    ]
    return rows, " ".join(notes), query


def register(app: Dash, corpus: Corpus) -> None:
    """Bind the enrichment's run (by the button, a new selection or a link) and the list's upload."""
    pass_selection(app, "selectionForEnrichment", ids.ENRICH_SELECTION, State(ids.ENRICH_QUERY, "data"))

    @app.callback(
        Output(ids.ENRICH_TABLE, "rowData"),
        Output(ids.ENRICH_MESSAGE, "children"),
        Output(ids.ENRICH_QUERY, "data"),
        Output(ids.ENRICH_GENES, "value", allow_duplicate=True),
        Input(ids.ENRICH_RUN, "n_clicks"),
        Input(ids.ENRICH_SELECTION, "data"),
        Input(ids.ENRICH_LINKED, "data"),
        State(ids.SELECTION, "data"),
        State(ids.ENRICH_GENES, "value"),
        State(ids.ENRICH_BACKGROUND, "value"),
        State(ids.ENRICH_MIN_SIZE, "value"),
        State(ids.ENRICH_SPECIES, "value"),
        State(ids.ENRICH_ORTHOLOGS, "value"),
        State(ids.ENRICH_TARGET, "value"),
        State(ids.ENRICH_QUERY, "data"),
        prevent_initial_call=True,
    )
    def enrichment(_run, _passed, linked, stored, genes, background, min_size, species, orthologs, target, last):
        # A link's list first: the selection a link opens may fire in the same round.
        if f"{ids.ENRICH_LINKED}.data" in ctx.triggered_prop_ids:
            entries = strings(linked)
            if not entries:  # Back to a view without a list
                return [], None, None, ""
            genes = "\n".join(entries)
            query: dict | str = to_enrichment_query(genes, background, min_size, species, orthologs, target)
            return *run_enrichment(corpus, ViewState.from_dict(stored), query), genes
        if ctx.triggered_id == ids.ENRICH_SELECTION:
            last = stored_enrichment_query(last)
            if last is None:
                return no_update, no_update, no_update, no_update  # filters changed, but no list was run yet
            query = last  # the filters changed: run the last list again under them
        else:
            query = to_enrichment_query(genes, background, min_size, species, orthologs, target)
        return *run_enrichment(corpus, ViewState.from_dict(stored), query), no_update

    @app.callback(
        Output(ids.ENRICH_GENES, "value"),
        Output(ids.ENRICH_MESSAGE, "children", allow_duplicate=True),
        Input(ids.ENRICH_UPLOAD, "contents"),
        State(ids.ENRICH_UPLOAD, "filename"),
        prevent_initial_call=True,
    )
    def upload(contents, filename):
        text = decode_upload(contents)
        if text is None:
            return no_update, f"Could not read {str(filename)[:80]!r} as a text file of genes."
        return text, f"Read {str(filename)[:80]}: press the button to run."
