"""Web floor: callbacks, bound to one app by `register_callbacks`. Each unpacks inputs, calls pure functions of
the analysis floor (or `state`), and shapes outputs; the `update_*`/`show_*` functions are what the tests call."""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import replace

import numpy as np
from dash import ALL, MATCH, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.analysis.enrich import DEFAULT_MIN_SIZE, Enrichment, enrich
from dashboard.analysis.genelist import (
    MAX_LIST,
    MAX_LIST_TEXT,
    GeneList,
    describe_gene_list,
    read_gene_list,
    shown_entries,
)
from dashboard.analysis.graph import FIGURE_SHARE, TERM, clamp_budget, select_subgraph
from dashboard.analysis.model import (
    TERM_KINDS,
    UNSTATED,
    Corpus,
    figure_table,
    figures_for_genes,
    filter_figures,
    order_figures,
    organism_figure_counts,
    resolve_genes,
    search_genes,
)
from dashboard.analysis.orthologs import describe_mapping, list_species_choices
from dashboard.analysis.search import QueryError, search_figures, search_mask
from dashboard.analysis.selection import selection_figures, selection_mask
from dashboard.analysis.terms import search_terms, term_figure_counts, term_index
from dashboard.corpus import columns as C
from dashboard.corpus.numbers import to_int, to_int_in
from dashboard.web import ids
from dashboard.web.exports import (
    export_blockers,
    export_name,
    figure_genes_name,
    network_export_name,
    to_cyjs,
    to_enrichment_records,
    to_enrichment_tsv,
    to_figure_genes_tsv,
    to_figures_csv,
    to_gmt,
    to_graphml,
)
from dashboard.web.figures import ViewOptions, build_message_figure, build_network_figure
from dashboard.web.layout import ENRICH_COLUMNS, FIGURE_TABLE_COLUMNS, organism_options, with_thumbnails
from dashboard.web.panels import (
    build_figure_detail,
    build_figure_image,
    build_gene_detail,
    figure_thumbnail,
    safe_href,
)
from dashboard.web.state import (
    COLOUR_MODES,
    MAX_GENES,
    MAX_TERMS,
    Notice,
    ViewState,
    apply_node_click,
    include_genes,
    link_list,
    normalise_years,
    parse_query,
    read_stored,
    text_search_notice,
    text_search_problem,
    to_query,
    to_selection,
)

log = logging.getLogger(__name__)

SEARCH_LIMIT = 20
SEARCH_HITS_SHOWN = 8  # full-text hits listed under the search box; the table lists them all
CONTROL_PROPS = {  # each control of CONTROLS: the component and property that hold its value
    "text": (ids.TEXT_SEARCH, "value"),
    "genes": (ids.GENE_SEARCH, "value"),
    "match": (ids.MATCH_MODE, "value"),
    "organisms": (ids.ORGANISM_FILTER, "value"),
    "chemicals": (ids.CHEMICAL_FILTER, "value"),
    "diseases": (ids.DISEASE_FILTER, "value"),
    "unstated": (ids.UNSTATED_SWITCH, "value"),
    "years": (ids.YEAR_FILTER, "value"),
    "year_from": (ids.YEAR_FROM, "value"),
    "year_to": (ids.YEAR_TO, "value"),
    "exact": (ids.EXACT_SWITCH, "value"),
    "budget": (ids.NODE_BUDGET, "value"),
    "colour": (ids.COLOUR_MODE, "value"),
    "label_all": (ids.LABEL_ALL, "value"),
    "show_terms": (ids.SHOW_TERMS, "value"),
    "other_species": (ids.OTHER_SPECIES, "value"),
}


# --- pure callback logic -----------------------------------------------------------------------------------------
def gene_options(corpus: Corpus, search: str | None, selected: list | None) -> list[dict]:
    """Type-ahead options: the selected genes first (so they stay shown), then matches of the typed text."""
    options: list[dict] = []
    seen: set[str] = set()
    for value in selected or []:
        number = to_int(str(value))
        row = corpus.gene_row(number) if number is not None else None
        if row is not None and str(value) not in seen:
            options.append({"label": _gene_label(corpus, row), "value": str(value)})
            seen.add(str(value))
    if search:
        for hit in search_genes(corpus, search[:100], SEARCH_LIMIT).to_dict("records"):
            value = str(hit[C.GENE_ID])
            if value not in seen:
                via = f" · “{hit['via']}”" if hit["via"] else ""
                if value == search.strip():  # found by its NCBI id: the label says so (and holds what was typed)
                    via = f" · NCBI Gene {value}"
                label = f"{hit[C.SYMBOL]} · {hit[C.ORGANISM]} · {hit[C.N_FIGURES]} fig.{via}"
                options.append({"label": label, "value": value})
                seen.add(value)
    return options


def term_options(
    corpus: Corpus, kind: str, search: str | None, selected: list | None, state: ViewState | None = None
) -> list[dict]:
    """A chemical or disease filter's options: the chosen terms first (so they stay shown), then those the typed
    name or id finds, each with its ids and number of figures — under the view's other filters when given (every
    filter but this one), as the organism options count."""
    if not selected and not search:  # nothing to show: the usual case of every selection change
        return []
    index = term_index(corpus, kind)
    others = replace(state.selection_part(), **{kind: ()}) if state is not None else ViewState()
    mask = selection_mask(corpus, to_selection(corpus, others)) if others != ViewState() else None
    counts = term_figure_counts(corpus, kind, mask)
    options: list[dict] = []
    seen: set[str] = set()
    for key in selected or []:
        term = index.position.get(str(key).lower())
        if term is not None and key not in seen:
            options.append({"label": _term_label(index.names[term], index.ids[term], counts[term]), "value": key})
            seen.add(key)
    if search:
        for match in search_terms(corpus, kind, search, SEARCH_LIMIT, mask):
            if match.id not in seen:
                label = _term_label(match.name, match.ids, match.figures)
                # Found by a printed word the label may not show: the typed text keeps it past the menu's own filter.
                options.append({"label": label, "value": match.id, "search": f"{label} {search}"})
                seen.add(match.id)
    return options


def _term_label(name: object, term_ids: tuple[str, ...], figures: int) -> str:
    shown_ids = f" · {', '.join(term_ids)}" if term_ids else ""
    return f"{name}{shown_ids} · {figures:,} fig."


def _gene_label(corpus: Corpus, row: int) -> str:
    return f"{corpus.gene_label(row)} · {corpus.gene_organisms[row]} · {corpus.genes[C.N_FIGURES].iloc[row]} fig."


CONTROLS = tuple(CONTROL_PROPS)  # the controls that set the view state


def state_from_controls(corpus: Corpus, previous: ViewState, controls: dict) -> ViewState:
    """The view state after the user changed a control (`controls` maps CONTROLS to values); a new gene moves the
    detail panel to it. Values of the wrong type (a browser never sends them, a script might) count as not set."""
    gene_ids = tuple(
        number
        for g in _strings(controls.get("genes"))
        if (number := to_int(g)) is not None and corpus.gene_row(number) is not None
    )
    years = controls.get("years")
    year_range = None
    if isinstance(years, list) and len(years) == 2 and all(_is_int(y) for y in years):
        low, high = sorted(int(y) for y in years)
        year_range = normalise_years(corpus, (low, high))
    figure = previous.figure
    if gene_ids != previous.genes and set(gene_ids) - set(previous.genes):
        figure = None
    match = controls.get("match")
    budget = controls.get("budget")
    colour = controls.get("colour")
    text = controls.get("text")
    text = text.strip() if isinstance(text, str) else ""
    terms = {
        kind: tuple(dict.fromkeys(k for k in _strings(controls.get(kind)) if term_index(corpus, kind).has(k)))
        for kind in TERM_KINDS
    }
    return ViewState(
        genes=tuple(dict.fromkeys(gene_ids))[:MAX_GENES],
        match=match if match in ("any", "all") else "any",
        organisms=tuple(dict.fromkeys(o for o in _strings(controls.get("organisms")) if o in corpus.organism_figures)),
        years=year_range,
        figure=figure,
        exact=_strings(controls.get("exact")) == ["exact"],
        budget=clamp_budget(budget) if _is_int(budget) else previous.budget,
        unstated=_strings(controls.get("unstated")) == ["unstated"],
        expanded=previous.expanded,
        colour=colour if colour in COLOUR_MODES else "plain",
        label_all=_strings(controls.get("label_all")) == ["all"],
        show_terms=_strings(controls.get("show_terms")) == ["terms"],
        other_species=_strings(controls.get("other_species")) == ["all"],
        text=text if isinstance(text, str) and not text_search_problem(text) else "",
        chemicals=terms["chemicals"][:MAX_TERMS],
        diseases=terms["diseases"][:MAX_TERMS],
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


def to_controls(corpus: Corpus, state: ViewState) -> dict:
    """The control values that show a view state, by the names of CONTROLS."""
    span = corpus.year_span or (0, 0)
    return {
        "text": state.text,
        "genes": [str(g) for g in state.genes],
        "match": state.match,
        "organisms": list(state.organisms),
        "chemicals": list(state.chemicals),
        "diseases": list(state.diseases),
        "unstated": ["unstated"] if state.unstated else [],
        "years": list(state.years) if state.years else list(span),
        "year_from": str(state.years[0] if state.years else span[0]),
        "year_to": str(state.years[1] if state.years else span[1]),
        "exact": ["exact"] if state.exact else [],
        "budget": state.budget,
        "colour": state.colour,
        "label_all": ["all"] if state.label_all else [],
        "show_terms": ["terms"] if state.show_terms else [],
        "other_species": ["all"] if state.other_species else [],
    }


def next_state(
    corpus: Corpus, trigger: object, values: dict, previous: ViewState | None, clicked: bool = True
) -> tuple[ViewState, list[str]] | None:
    """The view state after an event, with notices for the user; None when the event changes nothing.

    `trigger` is the id of what fired (None on the first call), `values` the current values of the URL search
    (`search`), of every control (CONTROLS), of the clickable things (`click`, `cell`, `picked`) and of the
    "clicking a gene adds it" switch (`grow`); `clicked` is false when a pattern-matched chip or link was only
    drawn, not clicked.
    """
    grow = _strings(values.get("grow")) == ["grow"]
    if trigger == ids.URL or trigger is None or previous is None:
        return parse_query(corpus, values.get("search"))
    if trigger == ids.NETWORK:
        node = _first_point(values.get("click")).get("customdata")
        if isinstance(node, str) and node.startswith(f"{TERM}:"):  # a chemical or disease joins its filter
            return add_term(corpus, previous, node.removeprefix(f"{TERM}:")), []
        return apply_node_click(previous, node if isinstance(node, str) else None, grow), []
    if trigger == ids.FIGURE_TABLE:
        cell = values.get("cell")
        figid = cell.get("rowId") if isinstance(cell, dict) else None
        known = isinstance(figid, str) and corpus.figure_row(figid) is not None
        return (replace(previous, figure=figid) if known else previous), []
    if trigger == ids.ENRICH_TABLE:
        picked = apply_enrichment_pick(corpus, previous, values.get("picked"))
        replaced = previous.genes and picked.genes != previous.genes
        notice = (
            f"The chosen genes were replaced by the list's {plural(len(picked.genes), 'gene')} in this figure; Back"
            " returns to the ones chosen before."
        )
        return picked, [Notice(notice, dropped=False)] if replaced else []
    if isinstance(trigger, dict):
        if not clicked:
            return None
        if trigger.get("type") == ids.BACK_TO_GENES:
            return replace(previous, figure=None), []
        if trigger.get("type") == ids.TERM_FILTER:
            return add_term(corpus, previous, str(trigger.get("index"))), []
        if trigger.get("type") == ids.INCLUDE_GENES:
            return include_genes(corpus, previous, str(trigger.get("index")))
        key = str(trigger.get("index"))
        node = f"gene:{key}" if trigger.get("type") == ids.GENE_CHIP else f"figure:{key}"
        return apply_node_click(previous, node, grow), []
    if trigger == ids.ENRICH_RUN:  # the list run goes into the link (when it fits), so that Back and links keep it
        text = values.get("list_text")
        entries, notice = link_list(read_gene_list(text).tokens if isinstance(text, str) else [])
        return replace(previous, gene_list=entries), [notice] if notice else []
    controls = {name: values.get(name) for name in CONTROLS}
    notice = text_search_notice(controls.get("text")) if trigger == ids.TEXT_SEARCH else None
    if trigger in (ids.YEAR_FROM, ids.YEAR_TO):
        controls["years"], notice = typed_years(corpus, previous, controls.get("year_from"), controls.get("year_to"))
    return state_from_controls(corpus, previous, controls), [notice] if notice else []


def typed_years(
    corpus: Corpus, previous: ViewState, typed_from: object, typed_to: object
) -> tuple[list[int], str | None]:
    """The year range the two boxes say, with a notice for what could not be used: an empty box is the corpus'
    end, a year outside the corpus is moved to its end, boxes typed the wrong way round are swapped, and text that
    is no year keeps that end of the range the view had."""
    span = corpus.year_span or (0, 0)
    kept = previous.years or span
    years, problems = [], []
    for typed, end, name in ((typed_from, 0, "from"), (typed_to, 1, "to")):
        text = typed.strip() if isinstance(typed, str) else ""
        year = to_int(text) if text else span[end]
        if year is None:
            problems.append(f"'{text[:20]}' is not a year")
            year = kept[end]
        elif not span[0] <= year <= span[1]:
            inside = min(max(year, span[0]), span[1])
            problems.append(f"the figures are from {span[0]} to {span[1]}, so {name} {year} became {inside}")
            year = inside
        years.append(year)
    if years[0] > years[1]:
        years.reverse()
    notice = f"Years: {'; '.join(problems)}." if problems else None
    return years, notice


def view_outputs(
    corpus: Corpus, trigger: object, state: ViewState, previous: ViewState | None, notices: list[str], search: object
) -> dict:
    """Everything that shows a new view state: URL, stores, notice and controls, by output name.

    A link as opened (the URL fired) is never pushed back to the URL: when its canonical form differs it goes to
    `canonical`, which replaces the history entry in place, so Back leaves the link instead of returning to a form
    that would be rewritten again. Every other event pushes its query as a new history entry."""
    query = to_query(corpus, state)
    controls = to_controls(corpus, state)
    opened = trigger == ids.URL or trigger is None
    # Each view is redrawn only when what it depends on changed: the table and counts on the selection, the
    # network on the selection, its options and (with no gene chosen) the figure it centres on.
    selection = state.selection_part()
    network = state.network_part()
    return {
        "search": no_update if opened else query,
        "canonical": query if opened and isinstance(search, str) and query != search else no_update,
        "state": state.to_dict(),
        "selection": selection.to_dict() if previous is None or previous.selection_part() != selection else no_update,
        "network": network.to_dict() if previous is None or previous.network_part() != network else no_update,
        "notice": " ".join(notices) if notices else None,
        # A link (or Back) with another gene list than the view had: the enrichment runs on it (or is emptied).
        "linked_list": list(state.gene_list)
        if opened and (previous.gene_list if previous is not None else ()) != state.gene_list
        else no_update,
        "gene_options": gene_options(corpus, None, controls["genes"]),
        "gene_typed": "" if trigger == ids.GENE_SEARCH else no_update,  # a gene was chosen: clear what was typed
        "chemical_options": term_options(corpus, "chemicals", None, controls["chemicals"], state),
        "disease_options": term_options(corpus, "diseases", None, controls["diseases"], state),
        **controls,
    }


def add_term(corpus: Corpus, state: ViewState, item: str) -> ViewState:
    """A chemical or disease clicked in a figure's record (`chemicals|mesh:D005947`) joins its filter."""
    kind, _, key = item.partition("|")
    if kind not in TERM_KINDS or not term_index(corpus, kind).has(key):
        return state
    chosen = getattr(state, kind)
    return replace(state, **{kind: tuple(dict.fromkeys((*chosen, key)))[:MAX_TERMS]})


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


def explain_empty(corpus: Corpus, state: ViewState) -> str:
    """Why a selection holds no figures, naming the control that caused it."""
    selection = to_selection(corpus, state)
    if state.text and len(selection_figures(corpus, replace(selection, text=""))):
        return f"No figure matching the search “{state.text}” is in this selection: change the search or the filters."
    filters = {
        "organism": replace(selection, organisms=(), unstated=False) if state.organisms else None,
        "year": replace(selection, years=None) if state.years is not None else None,
        "chemical": replace(selection, chemicals=()) if state.chemicals else None,
        "disease": replace(selection, diseases=()) if state.diseases else None,
    }
    if not state.genes:
        active = [name for name, without in filters.items() if without is not None]
        return f"No figures match the {' and '.join(active) or 'current'} filters together. Widen them."
    exact_any = len(figures_for_genes(corpus, selection.genes, state.match, None, state.exact))
    if not exact_any:
        if state.exact and len(figures_for_genes(corpus, selection.genes, state.match, None, False)):
            return (
                "No figure holds these genes through their own symbols, only through aliases or families: "
                "turn off “exact symbol matches only”."
            )
        if state.match == "all":
            return "No figure holds all of these genes together: choose “any of them”."
        return "No figure holds these genes."
    causes = [
        "the year range" if name == "year" else f"the {name} filter"
        for name, without in filters.items()
        if without is not None and len(selection_figures(corpus, without))
    ]
    found = " or ".join(causes) if causes else "the filters together"
    return f"No figures hold these genes under {found}: widen it ({exact_any:,} figure(s) hold them in all)."


NETWORKS_KEPT = 16  # recent network figures per corpus: the default view is everyone's first and last


def update_network(corpus: Corpus, state: ViewState):
    """The network figure and the line that says what it shows. The last few are kept by view state: a view
    drawn before (the default view, back to a gene) is answered without selecting, laying out and labelling it
    again (250 ms at 110,000 figures). The figure is shared between requests and never changed after."""
    return corpus.memo.get("networks", state, lambda: draw_network(corpus, state), keep=NETWORKS_KEPT)


def draw_network(corpus: Corpus, state: ViewState):
    """The network figure of a view state and its status line, drawn."""
    subgraph = select_subgraph(
        corpus, to_selection(corpus, state), state.budget, state.expanded, state.figure, state.show_terms
    )
    if subgraph.shown == 0:
        message = (
            explain_empty(corpus, state)
            if not subgraph.geneless
            else (f"The {subgraph.geneless:,} figure(s) of this selection hold no genes: nothing to draw.")
        )
        return build_message_figure(message), message
    # Of the figures the summary counts: those without genes (through their own symbols, with `exact`) say so.
    status = f"Showing {subgraph.shown_figures:,} of {plural(subgraph.total_figures + subgraph.geneless, 'figure')}"
    if subgraph.geneless:
        verb = "holds" if subgraph.geneless == 1 else "hold"
        status += (
            f" ({subgraph.geneless:,} {verb} no genes{' by their own symbols' if state.exact else ''}: nothing to draw)"
        )
    status += f" and their {plural(subgraph.shown_genes, 'gene')} ({subgraph.gene_nodes:,} as nodes"
    status += f", the others in {plural(subgraph.bundles, 'bundle')})" if subgraph.bundles else ")"
    if state.show_terms:
        status += f", and {subgraph.term_nodes:,} of the chemicals and diseases they mention"
    status += "."
    if subgraph.other_species:
        status += (
            f" {plural(subgraph.other_species, 'gene')} of other species than those chosen not drawn (tick “genes of"
            " other species too” to draw them)."
        )
    left_out = subgraph.total_figures - subgraph.shown_figures
    if left_out:
        status += (
            f" {plural(left_out, 'figure')} left out: a node budget of {state.budget:,} draws at most "
            f"{plural(max(1, state.budget // FIGURE_SHARE), 'figure')} — {subgraph.how}. Raise the budget to see more."
        )
    options = ViewOptions(colour=state.colour, label_all=state.label_all, open_figure=state.figure)
    return build_network_figure(subgraph.graph, options), status


def show_search_hits(
    corpus: Corpus, state: ViewState, limit: int = SEARCH_HITS_SHOWN, thumbnails: bool = False
) -> html.Div | None:
    """The best hits of the full-text search within the other filters: title (a link that opens the figure), year
    and a snippet whose matches are marked — all text, never markup — and the thumbnail when asked for."""
    if not state.text:
        return None
    others = selection_mask(corpus, replace(to_selection(corpus, state), text=""))
    try:
        result = search_figures(corpus, state.text, limit=limit, mask=others)
        anywhere = 0 if result.total else int(search_mask(corpus, state.text).sum())
    except QueryError as exc:
        return html.P(f"Search not run: {exc}.", className="muted")
    items = []
    for hit in result.hits:
        href = "/" + to_query(corpus, replace(state, figure=hit.figid))
        snippet = [html.Mark(piece.text) if piece.match else piece.text for piece in hit.snippet]
        items.append(
            html.Li(
                [
                    figure_thumbnail(corpus, corpus.figure_row(hit.figid), thumbnails),
                    dcc.Link(hit.title or hit.figid, href=href, className="search-hit-title"),
                    html.Span(f" {hit.year}" if hit.year else "", className="muted"),
                    html.Div(snippet, className="search-snippet"),
                ]
            )
        )
    verb = "matches" if result.total == 1 else "match"
    if result.total:
        # Figures or chemicals named by id have no relevance to rank by: in the order named, or newest first.
        order = {"named": "in the order named", "newest": "newest first"}.get(result.order, "best first")
        head = f"{plural(result.total, 'figure')} {verb} “{state.text}” within the other filters ({order}):"
    elif anywhere:
        head = (
            f"No figure within the other filters matches “{state.text}”; {plural(anywhere, 'figure')} of the whole"
            f" corpus {'does' if anywhere == 1 else 'do'}: clear a gene, organism, year, chemical, disease or map"
            " filter to see them."
        )
    else:
        head = f"No figure matches “{state.text}”. Try fewer or other words."
    return html.Div(
        [
            html.P(head, className="muted"),
            gene_hint(corpus, state),
            html.Ol(items, className="search-hit-list") if items else None,
        ]
    )


def gene_hint(corpus: Corpus, state: ViewState) -> html.P | None:
    """Where the search is a gene's symbol or a word printed for it (`TP53`, `RANKL`): the text search reads
    titles and captions, not the genes read from the figures, so say so and offer the gene's figures."""
    words = state.text.split()
    if len(words) != 1:
        return None
    rows, unknown = resolve_genes(corpus, words)
    if unknown or not rows:
        return None
    gene_ids = tuple(dict.fromkeys(int(corpus.gene_ids[r]) for r in rows))[:MAX_GENES]
    target = replace(state, text="", genes=gene_ids, figure=None)
    names = ", ".join(_gene_label(corpus, r) for r in rows[:3])
    return html.P(
        [
            f"“{words[0]}” is a gene read from the figures ({names}): ",
            dcc.Link("show the figures that hold it", href="/" + to_query(corpus, target)),
            " — this box searches the figures' titles and captions.",
        ],
        className="gene-hint",
    )


def plural(count: int, noun: str) -> str:
    """'1 figure', '2 figures', '1,234 genes'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def update_table(corpus: Corpus, state: ViewState, start: object, end: object, sort_model: list | None):
    """Rows start..end of the selection's figures, sorted as asked; returns (rows, total, status). Only the
    rows of the page are built: sorting works on one key array."""
    selection = to_selection(corpus, state)
    rows = selection_figures(corpus, selection)
    sort = sort_model[0] if isinstance(sort_model, list) and sort_model and isinstance(sort_model[0], dict) else {}
    asked_first, asked_last = to_int(start), to_int(end)
    first = max(0, asked_first if asked_first is not None else 0)
    last = max(first, min(asked_last if asked_last is not None else first + 100, first + 500))
    ordered = order_figures(corpus, selection, rows, sort.get("colId"), sort.get("sort") == "desc", limit=last)
    page = figure_table(corpus, selection, ordered[first:last])
    page["thumb"] = figure_thumbnails(corpus, page[C.FIGID])
    page[C.YEAR] = [None if np.isnan(y) else int(y) for y in page[C.YEAR]]
    status = f"{len(rows):,} figure(s). Click a row to open its record."
    return page.to_dict("records"), len(rows), status


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
    mapped = orthologs is True or _strings(orthologs) == ["orthologs"]
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


def export_file(corpus: Corpus, state: ViewState, which: str, query: dict | None) -> dict | None:
    """The file a download button asks for, as `dcc.Download` data; None when there is nothing to export."""
    if which == ids.EXPORT_FIGURES:
        return {"content": to_figures_csv(corpus, state), "filename": export_name(corpus, state, "figures", "csv")}
    if which == ids.EXPORT_GMT:
        species, content = to_gmt(corpus, state)
        name = export_name(corpus, state, "gene-sets", "gmt", species=species)
        return {"content": content, "filename": name} if content else None
    if which == ids.EXPORT_GRAPHML:
        return {"content": to_graphml(corpus, state), "filename": network_export_name(corpus, state, "graphml")}
    if which == ids.EXPORT_CYJS:
        return {"content": to_cyjs(corpus, state), "filename": network_export_name(corpus, state, "cyjs")}
    if which == ids.EXPORT_ENRICHMENT and isinstance(query, dict) and query.get("genes"):
        result = enrich_query(corpus, state, query, None)
        if isinstance(result, str):
            return None
        listed = tuple(label.rsplit(":", 1)[0] for label in result.query_genes)
        # The enrichment tests the list under the filters; the chosen genes play no part, so the name leaves them out.
        named = replace(state, genes=())
        name = export_name(corpus, named, "enrichment", "tsv", species=result.species, listed=listed)
        return {"content": to_enrichment_tsv(result, query), "filename": name}
    return None


EXPORT_BUTTONS = {  # each export button: what it exports (a key of `export_blockers`) and its tooltip
    ids.EXPORT_FIGURES: ("figures", "The selection's figures with their fields, as CSV"),
    ids.EXPORT_GMT: ("gene-sets", "The selection's figure gene sets, in one species, as GMT (for GSEA)"),
    ids.EXPORT_GRAPHML: ("network", "The network as drawn, as GraphML"),
    ids.EXPORT_CYJS: ("network", "The network as drawn, as Cytoscape.js JSON (for Cytoscape and NDEx)"),
    ids.EXPORT_ENRICHMENT: ("enrichment", "All results of the last enrichment under the current filters, as TSV"),
}


def export_buttons(corpus: Corpus, state: ViewState, query: dict | None) -> dict:
    """Each export button's `disabled` and `title`, keyed `<button id>.<property>`: a button with nothing to
    export is disabled, and its title says why."""
    blockers = export_blockers(corpus, state, query)
    buttons = {}
    for button, (what, hint) in EXPORT_BUTTONS.items():
        buttons[f"{button}.disabled"] = what in blockers
        buttons[f"{button}.title"] = blockers.get(what, hint)
    return buttons


def export_download(corpus: Corpus, state: ViewState, which: str, query: dict | None) -> tuple[dict | None, str]:
    """A download button's click: the file (`dcc.Download` data) and a line naming it, or no file and a line
    saying why there is nothing to export — never a silent no-op or an empty file."""
    what = EXPORT_BUTTONS[which][0] if which in EXPORT_BUTTONS else None
    blocker = export_blockers(corpus, state, query).get(what) if what else None
    found = export_file(corpus, state, which, query) if blocker is None else None
    if found is None:
        return None, blocker or "There is nothing to export for this selection."
    return found, f"Exported {found['filename']}."


def figure_genes_file(corpus: Corpus, state: ViewState, figid: str) -> dict | None:
    """A figure's gene table as `dcc.Download` data (TSV, under the exact-symbol switch); None for an unknown
    figure."""
    content = to_figure_genes_tsv(corpus, figid, state.exact)
    return None if content is None else {"content": content, "filename": figure_genes_name(figid, state.exact)}


def figure_thumbnails(corpus: Corpus, figids) -> list[str | None]:
    """The thumbnail address of each figure (its Europe PMC image; None where it has none we trust), for the
    tables' thumbnail column, which shows them only when asked for."""
    rows = corpus.figure_index.get_indexer(list(figids))
    urls = corpus.figures[C.IMAGE_URL].iloc[np.maximum(rows, 0)].tolist()  # one take, not a lookup a row
    return [safe_href(url) if row >= 0 else None for row, url in zip(rows.tolist(), urls, strict=True)]


def show_detail(corpus: Corpus, state: ViewState, thumbnails: bool = False):
    """The detail panel: the open figure, else the last chosen gene, else nothing (the overview beside it shows).
    A figure the selection has come to leave out stays open, marked as outside it, with a button that closes it."""
    if state.figure:
        record = build_figure_detail(corpus, state, state.figure, thumbnails)
        row = corpus.figure_row(state.figure)
        if row is None or selection_mask(corpus, to_selection(corpus, state))[row]:
            return record
        outside = html.Div(
            [
                html.Strong("Not in the current selection. "),
                "The genes, search or filters chosen now leave this figure out; its record stays open until you"
                " close it. ",
                html.Button(
                    "Close this record",
                    id={"type": ids.BACK_TO_GENES, "index": "close"},
                    className="export",
                    n_clicks=0,
                ),
            ],
            className="record-outside",
            role="note",
        )
        return html.Div([outside, record])
    if state.focus_gene is not None:
        return build_gene_detail(corpus, state, state.focus_gene, thumbnails)
    return None


def update_counts(corpus: Corpus, state: ViewState):
    """Organism options with figure counts under the other filters, the "state no organism" switch with its count,
    and the selection summary (which never hides figures silently: it says how many the organism filter leaves
    out because they state no organism)."""
    selection = to_selection(corpus, state)
    rows = selection_figures(corpus, replace(selection, organisms=(), unstated=False))
    mask = np.zeros(corpus.n_figures, dtype=bool)
    mask[rows] = True
    counts = organism_figure_counts(corpus, mask)
    counts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    unstated = counts.get(UNSTATED, 0)
    # The selection itself is those figures within the organism filter: no second pass over the genes.
    selected = int(filter_figures(corpus, state.organisms, None, state.unstated)[rows].sum())
    summary = f"{selected:,} of {corpus.n_figures:,} figures match."
    if state.region:  # drawn on the map, in another tab: say so where the count is
        summary += " Only figures inside the region drawn on the map are kept (Map of the corpus: clear it)."
    # Without an organism filter, or with "no organism stated" chosen as one, those figures are in already: the
    # tick would change nothing.
    unstated_chosen = UNSTATED in state.organisms
    if state.organisms and unstated and not state.unstated and not unstated_chosen:
        summary += f" {unstated:,} more state no organism: tick the box above to include them."
    label = f" also the {unstated:,} figure(s) that state no organism"
    if not state.organisms:
        label += " (once an organism is chosen)"
    elif unstated_chosen:
        label += " (chosen as an organism above)"
    switch = [{"label": label, "value": "unstated", "disabled": not state.organisms or unstated_chosen}]
    return organism_options(counts, state.organisms), switch, summary


# --- binding ---------------------------------------------------------------------------------------------------


def pass_selection(app: Dash, function_name: str, store: str, *watched: Input | State) -> None:
    """The browser's copy of the selection in `store` for a callback that most selection changes leave with
    nothing to do: `function_name` (assets/clientside.js) makes it, from the selection and the `watched` values,
    only when that callback has something to do (see `ids.GATED_SELECTIONS`)."""
    app.clientside_callback(
        ClientsideFunction(namespace="pfocr", function_name=function_name),
        Output(store, "data"),
        Input(ids.SELECTION, "data"),
        *watched,
        prevent_initial_call=True,
    )


def register_term_options(app: Dash, corpus: Corpus, kind: str, component: str) -> None:
    """A chemical or disease filter's type-ahead."""

    @app.callback(
        Output(component, "options", allow_duplicate=True),
        Input(component, "search_value"),
        State(component, "value"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def search_term_options(search, selected, stored):
        if not isinstance(search, str) or not search.strip():
            return no_update
        return term_options(corpus, kind, search, _strings(selected), ViewState.from_dict(stored))


def register_callbacks(app: Dash, corpus: Corpus) -> None:
    """Bind every callback to this app (no global registration)."""

    @app.callback(
        output={
            "search": Output(ids.URL, "search"),
            "canonical": Output(ids.URL_CANONICAL, "data"),
            "state": Output(ids.STATE, "data"),
            "selection": Output(ids.SELECTION, "data"),
            "network": Output(ids.NETWORK_VIEW, "data"),
            "notice": Output(ids.NOTICE, "children"),
            "linked_list": Output(ids.ENRICH_LINKED, "data"),
            "gene_options": Output(ids.GENE_SEARCH, "options", allow_duplicate=True),
            "gene_typed": Output(ids.GENE_SEARCH, "search_value"),
            "chemical_options": Output(ids.CHEMICAL_FILTER, "options", allow_duplicate=True),
            "disease_options": Output(ids.DISEASE_FILTER, "options", allow_duplicate=True),
            **{name: Output(component, prop) for name, (component, prop) in CONTROL_PROPS.items()},
        },
        inputs={
            "search": Input(ids.URL, "search"),
            **{name: Input(component, prop) for name, (component, prop) in CONTROL_PROPS.items()},
            "click": Input(ids.NETWORK, "clickData"),
            "cell": Input(ids.FIGURE_TABLE, "cellClicked"),
            "picked": Input(ids.ENRICH_TABLE, "selectedRows"),
            "chips": Input({"type": ids.GENE_CHIP, "index": ALL}, "n_clicks"),
            "links": Input({"type": ids.FIGURE_LINK, "index": ALL}, "n_clicks"),
            "back": Input({"type": ids.BACK_TO_GENES, "index": ALL}, "n_clicks"),
            "terms": Input({"type": ids.TERM_FILTER, "index": ALL}, "n_clicks"),
            "include": Input({"type": ids.INCLUDE_GENES, "index": ALL}, "n_clicks"),
            "run": Input(ids.ENRICH_RUN, "n_clicks"),
        },
        state={
            "stored": State(ids.STATE, "data"),
            "grow": State(ids.CLICK_ADDS, "value"),
            "list_text": State(ids.ENRICH_GENES, "value"),
        },
        prevent_initial_call="initial_duplicate",
    )
    def sync_state(stored, grow, list_text, **values):
        """One place where the URL, the controls and clicks meet: each event yields the next view state."""
        values["grow"], values["list_text"] = grow, list_text
        trigger = ctx.triggered_id
        previous, unreadable = read_stored(stored) if stored is not None else (None, [])
        clicked = bool(ctx.triggered and ctx.triggered[0].get("value"))
        found = next_state(corpus, trigger, values, previous, clicked)
        if found is None:
            raise PreventUpdate  # a chip or link was drawn, not clicked
        state, notices = found
        notices = [*unreadable, *notices]
        if trigger == ids.URL and state == previous:
            raise PreventUpdate  # the URL caught up with the view (a link rewritten in place): nothing changed
        return view_outputs(corpus, trigger, state, previous, notices, values.get("search"))

    # A node budget the view cannot use is replaced by the one it keeps, and the note under the box says why.
    app.clientside_callback(
        ClientsideFunction(namespace="pfocr", function_name="checkBudget"),
        Output(ids.BUDGET_NOTE, "children"),
        Input(ids.NODE_BUDGET, "n_submit"),
        Input(ids.NODE_BUDGET, "n_blur"),
        State(ids.STATE, "data"),
        State(ids.NODE_BUDGET, "id"),
        State(ids.NODE_BUDGET, "min"),
        State(ids.NODE_BUDGET, "max"),
        prevent_initial_call=True,
    )

    # The drawn network as an image at publication size, made by plotly in the browser.
    app.clientside_callback(
        ClientsideFunction(namespace="pfocr", function_name="downloadNetworkImage"),
        Output(ids.IMAGE_SAVED, "data"),
        Input(ids.EXPORT_SVG, "n_clicks"),
        Input(ids.EXPORT_PNG, "n_clicks"),
        State(ids.NETWORK, "id"),
        State(ids.NETWORK_NAME, "data"),
        prevent_initial_call=True,
    )

    # A link opened in another form than its canonical one is rewritten in place (history.replaceState).
    app.clientside_callback(
        ClientsideFunction(namespace="pfocr", function_name="replaceUrl"),
        Output(ids.URL_REPLACED, "data"),
        Input(ids.URL_CANONICAL, "data"),
        State(ids.URL, "id"),
        prevent_initial_call=True,
    )

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

    for kind, component in (("chemicals", ids.CHEMICAL_FILTER), ("diseases", ids.DISEASE_FILTER)):
        register_term_options(app, corpus, kind, component)

    @app.callback(
        Output(ids.NETWORK, "figure"),
        Output(ids.NETWORK_STATUS, "children"),
        Output(ids.NETWORK_NAME, "data"),
        Output(ids.EXPORT_STATUS, "children", allow_duplicate=True),
        Input(ids.NETWORK_VIEW, "data"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def network(view, stored):
        # The open figure is ringed when drawn; the clientside `ringOpenFigure` moves the ring later on.
        figure = ViewState.from_dict(stored).figure if isinstance(stored, dict) else None
        state = ViewState.from_dict(view)
        drawn, status = update_network(corpus, replace(state, figure=figure))
        # A new network: the SVG and PNG are named after it, and the line naming the last export (of the view
        # before) goes.
        return drawn, status, network_export_name(corpus, state, "svg").removesuffix(".svg"), None

    app.clientside_callback(
        ClientsideFunction(namespace="pfocr", function_name="ringOpenFigure"),
        Output(ids.NETWORK, "figure", allow_duplicate=True),
        Input(ids.STATE, "data"),
        State(ids.NETWORK, "figure"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output({"type": ids.IMAGE_BOX, "index": MATCH}, "children"),
        Input({"type": ids.IMAGE_SHOW, "index": MATCH}, "n_clicks"),
        prevent_initial_call=True,
    )
    def show_image(clicks):
        figid = ctx.triggered_id.get("index") if isinstance(ctx.triggered_id, dict) else None
        if not clicks or not isinstance(figid, str):
            raise PreventUpdate
        return build_figure_image(corpus, figid) or html.P("No image for this figure.", className="muted")

    @app.callback(
        Output(ids.DETAIL, "children"),
        Input(ids.STATE, "data"),
        Input(ids.THUMBNAILS, "value"),
        prevent_initial_call=True,
    )
    def detail(stored, thumbnails):
        return show_detail(corpus, ViewState.from_dict(stored), _strings(thumbnails) == ["on"])

    pass_selection(app, "selectionForHits", ids.HITS_SELECTION, State(ids.HITS_SELECTION, "data"))

    @app.callback(
        Output(ids.SEARCH_HITS, "children"),
        Input(ids.HITS_SELECTION, "data"),
        Input(ids.THUMBNAILS, "value"),
        State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def search_hits(_passed, thumbnails, stored):
        return show_search_hits(corpus, ViewState.from_dict(stored), thumbnails=_strings(thumbnails) == ["on"])

    @app.callback(
        Output(ids.FIGURE_TABLE, "columnDefs"),
        Output(ids.ENRICH_TABLE, "columnDefs"),
        Input(ids.THUMBNAILS, "value"),
        prevent_initial_call=True,
    )
    def thumbnail_columns(thumbnails):
        shown = _strings(thumbnails) == ["on"]
        return with_thumbnails(FIGURE_TABLE_COLUMNS, shown), with_thumbnails(ENRICH_COLUMNS, shown)

    @app.callback(
        Output(ids.ORGANISM_FILTER, "options"),
        Output(ids.UNSTATED_SWITCH, "options"),
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
            entries = _strings(linked)
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

    @app.callback(
        Output(ids.DOWNLOAD, "data"),
        Output(ids.EXPORT_STATUS, "children"),
        Input(ids.EXPORT_FIGURES, "n_clicks"),
        Input(ids.EXPORT_GMT, "n_clicks"),
        Input(ids.EXPORT_GRAPHML, "n_clicks"),
        Input(ids.EXPORT_CYJS, "n_clicks"),
        Input(ids.EXPORT_ENRICHMENT, "n_clicks"),
        State(ids.STATE, "data"),
        State(ids.ENRICH_QUERY, "data"),
        prevent_initial_call=True,
    )
    def download(_figures, _gmt, _graphml, _cyjs, _enrichment, stored, query):
        state, query = ViewState.from_dict(stored), stored_enrichment_query(query)
        found, message = export_download(corpus, state, str(ctx.triggered_id), query)
        return (found if found is not None else no_update), message

    # An export with nothing to export is disabled, and its tooltip says why.
    @app.callback(
        output={
            "status": Output(ids.EXPORT_STATUS, "children", allow_duplicate=True),
            **{f"{button}.{prop}": Output(button, prop) for button in EXPORT_BUTTONS for prop in ("disabled", "title")},
        },
        inputs={"stored": Input(ids.SELECTION, "data"), "query": Input(ids.ENRICH_QUERY, "data")},
        prevent_initial_call=True,
    )
    def exports_available(stored, query):
        return {"status": None, **export_buttons(corpus, ViewState.from_dict(stored), stored_enrichment_query(query))}

    @app.callback(
        Output(ids.DOWNLOAD, "data", allow_duplicate=True),
        Input({"type": ids.FIGURE_GENES_TSV, "index": ALL}, "n_clicks"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def download_figure_genes(_clicks, stored):
        if not (ctx.triggered and ctx.triggered[0].get("value")) or not isinstance(ctx.triggered_id, dict):
            raise PreventUpdate  # the button was drawn, not clicked
        found = figure_genes_file(corpus, ViewState.from_dict(stored), str(ctx.triggered_id.get("index")))
        return found if found is not None else no_update

    # A table row opened a record: bring the detail panel (far above the tables) into view.
    app.clientside_callback(
        ClientsideFunction(namespace="pfocr", function_name="showRecord"),
        Output(ids.RECORD_SHOWN, "data"),
        Input(ids.FIGURE_TABLE, "cellClicked"),
        Input(ids.ENRICH_TABLE, "cellClicked"),
        State(ids.DETAIL, "id"),
        prevent_initial_call=True,
    )
