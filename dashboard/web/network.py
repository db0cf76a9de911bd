"""Web floor: the network view — the figure of a view state and the line that says what it shows (or why the
selection holds nothing), the open figure's ring, and the network saved as an image."""

from __future__ import annotations

from dataclasses import replace

from dash import ClientsideFunction, Dash, Input, Output, State

from dashboard.analysis.graph import FIGURE_SHARE, select_subgraph
from dashboard.analysis.model import Corpus, figures_for_genes
from dashboard.analysis.selection import selection_figures
from dashboard.web import ids
from dashboard.web.exports import network_export_name
from dashboard.web.figures import ViewOptions, build_message_figure, build_network_figure
from dashboard.web.state import ViewState, to_selection
from dashboard.web.words import plural


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


def register(app: Dash, corpus: Corpus) -> None:
    """Bind the network, its ring around the open figure and its image downloads."""

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
