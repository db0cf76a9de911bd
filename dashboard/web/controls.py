"""Web floor: the URL ⇄ controls ⇄ view-state hub. Every event — a link opened, a control changed, a node,
row, chip or result clicked — yields the next view state (`next_state`), shown again in the URL, the stores and the
controls (`view_outputs`); `register` binds it as one callback, `sync_state`."""

from __future__ import annotations

from dataclasses import replace

from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard.analysis.genelist import read_gene_list
from dashboard.analysis.graph import TERM, clamp_budget
from dashboard.analysis.model import TERM_KINDS, Corpus
from dashboard.analysis.terms import term_index
from dashboard.corpus.numbers import to_int
from dashboard.web import ids
from dashboard.web.options import gene_options, term_options
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
)
from dashboard.web.values import is_int, strings
from dashboard.web.words import plural

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
CONTROLS = tuple(CONTROL_PROPS)  # the controls that set the view state


def state_from_controls(corpus: Corpus, previous: ViewState, controls: dict) -> ViewState:
    """The view state after the user changed a control (`controls` maps CONTROLS to values); a new gene moves the
    detail panel to it. Values of the wrong type (a browser never sends them, a script might) count as not set."""
    gene_ids = tuple(
        number
        for g in strings(controls.get("genes"))
        if (number := to_int(g)) is not None and corpus.gene_row(number) is not None
    )
    years = controls.get("years")
    year_range = None
    if isinstance(years, list) and len(years) == 2 and all(is_int(y) for y in years):
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
        kind: tuple(dict.fromkeys(k for k in strings(controls.get(kind)) if term_index(corpus, kind).has(k)))
        for kind in TERM_KINDS
    }
    return ViewState(
        genes=tuple(dict.fromkeys(gene_ids))[:MAX_GENES],
        match=match if match in ("any", "all") else "any",
        organisms=tuple(dict.fromkeys(o for o in strings(controls.get("organisms")) if o in corpus.organism_figures)),
        years=year_range,
        figure=figure,
        exact=strings(controls.get("exact")) == ["exact"],
        budget=clamp_budget(budget) if is_int(budget) else previous.budget,
        unstated=strings(controls.get("unstated")) == ["unstated"],
        expanded=previous.expanded,
        colour=colour if colour in COLOUR_MODES else "plain",
        label_all=strings(controls.get("label_all")) == ["all"],
        show_terms=strings(controls.get("show_terms")) == ["terms"],
        other_species=strings(controls.get("other_species")) == ["all"],
        text=text if isinstance(text, str) and not text_search_problem(text) else "",
        chemicals=terms["chemicals"][:MAX_TERMS],
        diseases=terms["diseases"][:MAX_TERMS],
    )


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
    grow = strings(values.get("grow")) == ["grow"]
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


def register(app: Dash, corpus: Corpus) -> None:
    """Bind the hub, the node budget's check and the rewriting of a link opened in another form."""

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

    # A link opened in another form than its canonical one is rewritten in place (history.replaceState).
    app.clientside_callback(
        ClientsideFunction(namespace="pfocr", function_name="replaceUrl"),
        Output(ids.URL_REPLACED, "data"),
        Input(ids.URL_CANONICAL, "data"),
        State(ids.URL, "id"),
        prevent_initial_call=True,
    )
