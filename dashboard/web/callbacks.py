"""Web floor: callbacks, bound to one app by `register_callbacks`. Each unpacks inputs, calls pure functions of
the analysis floor (or `state`), and shapes outputs; the `update_*`/`show_*` functions are what the tests call."""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import replace

import numpy as np
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, no_update

from dashboard.analysis.enrich import DEFAULT_MIN_SIZE, enrich
from dashboard.analysis.graph import clamp_budget, select_subgraph
from dashboard.analysis.model import (
    Corpus,
    figure_table,
    filter_figures,
    order_figures,
    organism_figure_counts,
    search_genes,
    selection_figures,
)
from dashboard.corpus import columns as C
from dashboard.web import ids
from dashboard.web.exports import (
    export_name,
    to_enrichment_records,
    to_enrichment_tsv,
    to_figures_csv,
    to_gmt,
    to_graphml,
)
from dashboard.web.figures import build_message_figure, build_network_figure
from dashboard.web.layout import organism_options
from dashboard.web.panels import build_figure_detail, build_gene_detail, build_welcome
from dashboard.web.state import MAX_GENES, ViewState, apply_node_click, parse_query, to_query, to_selection

log = logging.getLogger(__name__)

SEARCH_LIMIT = 20


# --- pure callback logic -----------------------------------------------------------------------------------------
def gene_options(corpus: Corpus, search: str | None, selected: list | None) -> list[dict]:
    """Type-ahead options: the selected genes first (so they stay shown), then matches of the typed text."""
    options: list[dict] = []
    seen: set[str] = set()
    for value in selected or []:
        row = corpus.gene_row(int(value)) if str(value).isdigit() and len(str(value)) <= 15 else None
        if row is not None and str(value) not in seen:
            options.append({"label": _gene_label(corpus, row), "value": str(value)})
            seen.add(str(value))
    if search:
        for hit in search_genes(corpus, search[:100], SEARCH_LIMIT).to_dict("records"):
            value = str(hit[C.GENE_ID])
            if value not in seen:
                via = f" · “{hit['via']}”" if hit["via"] else ""
                label = f"{hit[C.SYMBOL]} · {hit[C.ORGANISM]} · {hit[C.N_FIGURES]} fig.{via}"
                options.append({"label": label, "value": value})
                seen.add(value)
    return options


def _gene_label(corpus: Corpus, row: int) -> str:
    return f"{corpus.gene_label(row)} · {corpus.gene_organisms[row]} · {corpus.genes[C.N_FIGURES].iloc[row]} fig."


def state_from_controls(
    corpus: Corpus,
    previous: ViewState,
    genes: list | None,
    match: str | None,
    organisms: list | None,
    years: list | None,
    exact: list | None,
    budget: object,
) -> ViewState:
    """The view state after the user changed a control; a new gene moves the detail panel to it. Values of the
    wrong type (a browser never sends them, a script might) count as not set."""
    gene_ids = tuple(
        int(g) for g in _strings(genes) if g.isdigit() and len(g) <= 15 and corpus.gene_row(int(g)) is not None
    )
    span = corpus.year_span
    year_range = None
    if isinstance(years, list) and len(years) == 2 and span is not None and all(_is_int(y) for y in years):
        low, high = sorted(int(y) for y in years)
        year_range = None if (low, high) == span else (low, high)
    figure = previous.figure
    if gene_ids != previous.genes and set(gene_ids) - set(previous.genes):
        figure = None
    return ViewState(
        genes=gene_ids[:MAX_GENES],
        match=match if match in ("any", "all") else "any",
        organisms=tuple(dict.fromkeys(o for o in _strings(organisms) if o in corpus.organism_figures)),
        years=year_range,
        figure=figure,
        exact=_strings(exact) == ["exact"],
        budget=clamp_budget(budget) if _is_int(budget) else previous.budget,
    )


def _strings(value: object) -> list[str]:
    """A list of strings (numbers written as strings) from a control's value; anything else → []."""
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool))]


def _is_int(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer() and abs(value) < 1e9


def _first_point(click: object) -> dict:
    """The first point of a plotly clickData, or {}."""
    points = click.get("points") if isinstance(click, dict) else None
    return points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else {}


def to_controls(corpus: Corpus, state: ViewState) -> tuple:
    """The control values that show a view state (genes, match, organisms, years, exact, budget)."""
    span = corpus.year_span or (0, 0)
    years = list(state.years) if state.years else list(span)
    return (
        [str(g) for g in state.genes],
        state.match,
        list(state.organisms),
        years,
        ["exact"] if state.exact else [],
        state.budget,
    )


def apply_enrichment_pick(corpus: Corpus, state: ViewState, picked: list | None) -> ViewState:
    """A picked enrichment result: open the figure and centre the view on the overlapping genes."""
    if not isinstance(picked, list) or not picked or not isinstance(picked[0], dict):
        return state
    figid = str(picked[0].get("figid", ""))
    if corpus.figure_row(figid) is None:
        return state
    overlap = picked[0].get("overlap_ids")
    overlap = overlap if isinstance(overlap, list) else []
    genes = tuple(
        int(g) for g in overlap if isinstance(g, int) and not isinstance(g, bool) and corpus.gene_row(g) is not None
    )
    return replace(state, genes=genes[:MAX_GENES] or state.genes, figure=figid)


def update_network(corpus: Corpus, state: ViewState):
    """The network figure and the line that says what it shows."""
    subgraph = select_subgraph(corpus, to_selection(corpus, state), state.budget)
    if subgraph.shown == 0:
        message = "No figures match these filters." if not state.genes else "No figures hold these genes here."
        return build_message_figure(message + " Widen the organism or year filters."), message
    status = f"Showing {subgraph.shown:,} of {subgraph.total_nodes:,} nodes ({subgraph.total_figures:,} figures)."
    if subgraph.cut:
        status += f" Cut to the node budget: {subgraph.how}."
    return build_network_figure(subgraph.graph), status


def update_table(corpus: Corpus, state: ViewState, start: object, end: object, sort_model: list | None):
    """Rows start..end of the selection's figures, sorted as asked; returns (rows, total, status). Only the
    rows of the page are built: sorting works on one key array."""
    selection = to_selection(corpus, state)
    rows = selection_figures(corpus, selection)
    sort = sort_model[0] if isinstance(sort_model, list) and sort_model and isinstance(sort_model[0], dict) else {}
    ordered = order_figures(corpus, selection, rows, sort.get("colId"), sort.get("sort") == "desc")
    first = max(0, _as_int(start, 0))
    last = max(first, min(_as_int(end, first + 100), first + 500))
    page = figure_table(corpus, selection, ordered[first:last])
    page[C.YEAR] = [None if np.isnan(y) else int(y) for y in page[C.YEAR]]
    status = f"{len(rows):,} figure(s). Click a row to open its record."
    return page.to_dict("records"), len(rows), status


ENRICH_ROWS = 500  # results sent to the browser; the TSV export has them all
UPLOAD_LIMIT = 2_000_000


def decode_upload(contents: str | None) -> str | None:
    """A dcc.Upload data URL → its text; None if it is not UTF-8 text of a sensible size."""
    if not isinstance(contents, str) or "," not in contents:
        return None
    try:
        data = base64.b64decode(contents.split(",", 1)[1], validate=False)
    except (ValueError, binascii.Error):
        return None
    if len(data) > UPLOAD_LIMIT or b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def run_enrichment(corpus: Corpus, state: ViewState, genes: str | None, background: str | None, min_size: object):
    """Enrichment of a pasted list under the current filters: (grid rows, message, the query to remember)."""
    if not genes or not genes.strip():
        return [], "Paste or upload a gene list, then run.", None
    size = max(1, _as_int(min_size, DEFAULT_MIN_SIZE))
    result = enrich(
        corpus, genes[:200_000], state.organisms, state.years, background or None, size, state.exact, ENRICH_ROWS
    )
    notes = [
        f"{result.query_size:,} gene(s) tested against {result.tested:,} figure(s); "
        f"background {result.background_size:,} genes."
    ]
    if result.unrecognised:
        shown = ", ".join(result.unrecognised[:30]) + (" …" if len(result.unrecognised) > 30 else "")
        notes.append(f"Not recognised ({len(result.unrecognised)}): {shown}.")
    if result.outside_background:
        notes.append(f"Not in the background: {', '.join(result.outside_background[:30])}.")
    query = {"genes": genes[:200_000], "background": background or "", "min_size": size}
    if not result.query_size:
        return [], " ".join(notes), query
    rows = []
    for record in to_enrichment_records(result, ENRICH_ROWS):
        overlap_ids = [
            int(corpus.gene_ids[r]) for symbol in record["overlap_genes"] for r in corpus.rows_for_symbol(symbol)
        ]
        rows.append({**record, "overlap_label": ", ".join(record["overlap_genes"]), "overlap_ids": overlap_ids})
    return rows, " ".join(notes), query


def export_file(corpus: Corpus, state: ViewState, which: str, query: dict | None) -> dict | None:
    """The file a download button asks for, as `dcc.Download` data; None when there is nothing to export."""
    if which == ids.EXPORT_FIGURES:
        return {"content": to_figures_csv(corpus, state), "filename": export_name(corpus, state, "figures", "csv")}
    if which == ids.EXPORT_GMT:
        return {"content": to_gmt(corpus, state), "filename": export_name(corpus, state, "gene-sets", "gmt")}
    if which == ids.EXPORT_GRAPHML:
        return {"content": to_graphml(corpus, state), "filename": export_name(corpus, state, "network", "graphml")}
    if which == ids.EXPORT_ENRICHMENT and isinstance(query, dict) and query.get("genes"):
        result = enrich(
            corpus,
            str(query["genes"]),
            state.organisms,
            state.years,
            str(query.get("background") or "") or None,
            max(1, _as_int(query.get("min_size"), DEFAULT_MIN_SIZE)),
            state.exact,
        )
        return {"content": to_enrichment_tsv(result), "filename": export_name(corpus, state, "enrichment", "tsv")}
    return None


def _as_int(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return default


def show_detail(corpus: Corpus, state: ViewState):
    """The detail panel: the open figure, else the last chosen gene, else a short guide."""
    if state.figure:
        return build_figure_detail(corpus, state, state.figure)
    if state.focus_gene is not None:
        return build_gene_detail(corpus, state, state.focus_gene)
    return build_welcome()


def update_counts(corpus: Corpus, state: ViewState):
    """Organism options with figure counts under the other filters, and the selection summary."""
    selection = to_selection(corpus, state)
    rows = selection_figures(corpus, replace(selection, organisms=()))
    mask = np.zeros(corpus.n_figures, dtype=bool)
    mask[rows] = True
    counts = organism_figure_counts(corpus, mask)
    counts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    # The selection itself is those figures within the organism filter: no second pass over the genes.
    selected = int(filter_figures(corpus, state.organisms)[rows].sum())
    summary = f"{selected:,} of {corpus.n_figures:,} figures match."
    return organism_options(counts, state.organisms), summary


# --- binding ---------------------------------------------------------------------------------------------------
def register_callbacks(app: Dash, corpus: Corpus) -> None:
    """Bind every callback to this app (no global registration)."""

    @app.callback(
        Output(ids.URL, "search"),
        Output(ids.STATE, "data"),
        Output(ids.SELECTION, "data"),
        Output(ids.NOTICE, "children"),
        Output(ids.GENE_SEARCH, "value"),
        Output(ids.GENE_SEARCH, "options", allow_duplicate=True),
        Output(ids.MATCH_MODE, "value"),
        Output(ids.ORGANISM_FILTER, "value"),
        Output(ids.YEAR_FILTER, "value"),
        Output(ids.EXACT_SWITCH, "value"),
        Output(ids.NODE_BUDGET, "value"),
        Input(ids.URL, "search"),
        Input(ids.GENE_SEARCH, "value"),
        Input(ids.MATCH_MODE, "value"),
        Input(ids.ORGANISM_FILTER, "value"),
        Input(ids.YEAR_FILTER, "value"),
        Input(ids.EXACT_SWITCH, "value"),
        Input(ids.NODE_BUDGET, "value"),
        Input(ids.NETWORK, "clickData"),
        Input(ids.FIGURE_TABLE, "cellClicked"),
        Input(ids.ENRICH_TABLE, "selectedRows"),
        Input({"type": ids.GENE_CHIP, "index": ALL}, "n_clicks"),
        Input({"type": ids.FIGURE_LINK, "index": ALL}, "n_clicks"),
        State(ids.STATE, "data"),
        prevent_initial_call="initial_duplicate",
    )
    def sync_state(search, genes, match, organisms, years, exact, budget, click, cell, picked, _chips, _links, stored):
        """One place where the URL, the controls and clicks meet: each event yields the next view state."""
        trigger = ctx.triggered_id
        previous = ViewState.from_dict(stored)
        notices: list[str] = []
        if trigger == ids.URL or trigger is None or stored is None:
            state, notices = parse_query(corpus, search)
        elif trigger == ids.NETWORK:
            node = _first_point(click).get("customdata")
            state = apply_node_click(previous, node if isinstance(node, str) else None)
        elif trigger == ids.FIGURE_TABLE:
            figid = cell.get("rowId") if isinstance(cell, dict) else None
            known = isinstance(figid, str) and corpus.figure_row(figid) is not None
            state = replace(previous, figure=figid) if known else previous
        elif trigger == ids.ENRICH_TABLE:
            state = apply_enrichment_pick(corpus, previous, picked)
        elif isinstance(trigger, dict):
            if not ctx.triggered or not ctx.triggered[0].get("value"):
                return (no_update,) * 11  # a chip or link was drawn, not clicked
            key = str(trigger.get("index"))
            node = f"gene:{key}" if trigger.get("type") == ids.GENE_CHIP else f"figure:{key}"
            state = apply_node_click(previous, node)
        else:
            state = state_from_controls(corpus, previous, genes, match, organisms, years, exact, budget)
        query = to_query(corpus, state)
        notice = " ".join(notices) if notices else None
        controls = to_controls(corpus, state)
        new_options = gene_options(corpus, None, controls[0])
        new_search = no_update if trigger == ids.URL and query == search else query
        # Views that do not depend on the open figure are only redrawn when the selection itself changed.
        selection = replace(state, figure=None).to_dict()
        new_selection = (
            selection if stored is None or replace(previous, figure=None) != replace(state, figure=None) else no_update
        )
        return (new_search, state.to_dict(), new_selection, notice, controls[0], new_options, *controls[1:])

    @app.callback(
        Output(ids.GENE_SEARCH, "options", allow_duplicate=True),
        Input(ids.GENE_SEARCH, "search_value"),
        State(ids.GENE_SEARCH, "value"),
        prevent_initial_call=True,
    )
    def search_gene_options(search, selected):
        if not isinstance(search, str) or not search:
            return no_update
        return gene_options(corpus, search, _strings(selected))

    @app.callback(
        Output(ids.NETWORK, "figure"),
        Output(ids.NETWORK_STATUS, "children"),
        Input(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def network(stored):
        return update_network(corpus, ViewState.from_dict(stored))

    @app.callback(
        Output(ids.DETAIL, "children"),
        Input(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def detail(stored):
        return show_detail(corpus, ViewState.from_dict(stored))

    @app.callback(
        Output(ids.ORGANISM_FILTER, "options"),
        Output(ids.SELECTION_SUMMARY, "children"),
        Input(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def counts(stored):
        return update_counts(corpus, ViewState.from_dict(stored))

    @app.callback(
        Output(ids.FIGURE_TABLE, "getRowsResponse"),
        Output(ids.TABLE_STATUS, "children"),
        Input(ids.FIGURE_TABLE, "getRowsRequest"),
        State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def table(request, stored):
        request = request if isinstance(request, dict) else {}
        rows, total, status = update_table(
            corpus,
            ViewState.from_dict(stored),
            request.get("startRow"),
            request.get("endRow"),
            request.get("sortModel"),
        )
        return {"rowData": rows, "rowCount": total}, status

    # A new selection empties the grid's block cache, so it asks the server for its rows again.
    app.clientside_callback(
        ClientsideFunction(namespace="pfocr", function_name="refreshTable"),
        Output(ids.TABLE_REFRESH, "data"),
        Input(ids.SELECTION, "data"),
        State(ids.FIGURE_TABLE, "id"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.ENRICH_TABLE, "rowData"),
        Output(ids.ENRICH_MESSAGE, "children"),
        Output(ids.ENRICH_QUERY, "data"),
        Input(ids.ENRICH_RUN, "n_clicks"),
        Input(ids.SELECTION, "data"),
        State(ids.ENRICH_GENES, "value"),
        State(ids.ENRICH_BACKGROUND, "value"),
        State(ids.ENRICH_MIN_SIZE, "value"),
        State(ids.ENRICH_QUERY, "data"),
        prevent_initial_call=True,
    )
    def enrichment(_run, stored, genes, background, min_size, last):
        if ctx.triggered_id == ids.SELECTION and not last:
            return no_update, no_update, no_update  # filters changed, but no list was run yet
        return run_enrichment(corpus, ViewState.from_dict(stored), genes, background, min_size)

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

    @app.callback(
        Output(ids.DOWNLOAD, "data"),
        Input(ids.EXPORT_FIGURES, "n_clicks"),
        Input(ids.EXPORT_GMT, "n_clicks"),
        Input(ids.EXPORT_GRAPHML, "n_clicks"),
        Input(ids.EXPORT_ENRICHMENT, "n_clicks"),
        State(ids.STATE, "data"),
        State(ids.ENRICH_QUERY, "data"),
        prevent_initial_call=True,
    )
    def download(_figures, _gmt, _graphml, _enrichment, stored, query):
        found = export_file(corpus, ViewState.from_dict(stored), str(ctx.triggered_id), query)
        return found if found is not None else no_update
