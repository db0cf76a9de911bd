"""Web floor: the paths view — "how is TNFSF11 connected to AKT1?": the shortest chains gene → figure → gene … under
the current filters, each figure a link that opens it. Its layout piece and `register(app, corpus)`."""

from __future__ import annotations

from dataclasses import replace

from dash import Dash, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.analysis.model import Corpus
from dashboard.analysis.patterns import MAX_PATHS, find_paths
from dashboard.analysis.selection import filter_selection
from dashboard.corpus import columns as C
from dashboard.corpus.numbers import to_int
from dashboard.web import ids
from dashboard.web.layout import build_gene_picker
from dashboard.web.options import gene_options
from dashboard.web.state import ViewState, to_query, to_selection


def build() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Label("From", htmlFor=ids.PATH_FROM),
                    build_gene_picker(ids.PATH_FROM, "a gene (TNFSF11, RANKL…)"),
                    html.Label("to", htmlFor=ids.PATH_TO),
                    build_gene_picker(ids.PATH_TO, "another gene (AKT1…)"),
                    html.Button("Find paths", id=ids.PATH_RUN, className="primary"),
                ],
                className="path-form",
            ),
            html.Div(id=ids.PATH_RESULT, role="status"),
        ]
    )


def _gene_link(corpus: Corpus, state: ViewState, row: int) -> dcc.Link:
    gene_id = int(corpus.gene_ids[row])
    target = replace(state.selection_part(), genes=(gene_id,), path=state.path)
    return dcc.Link(corpus.gene_label(row), href="/" + to_query(corpus, target), className="chip")


def _figure_link(corpus: Corpus, state: ViewState, row: int) -> dcc.Link:
    figid = str(corpus.figids[row])
    title = corpus.figures[C.TITLE].iloc[row]
    title = figid if title is None or str(title) in ("", "<NA>") else str(title)
    target = replace(state.selection_part(), figure=figid, path=state.path)
    return dcc.Link(title, href="/" + to_query(corpus, target), className="path-figure", title=figid)


def show_paths(corpus: Corpus, state: ViewState, start: object, end: object) -> html.Div:
    """The chains between two genes (NCBI ids from the dropdowns) under the view's filters, or why there are none."""
    first, last = to_int(start), to_int(end)
    rows = [corpus.gene_row(g) if g is not None else None for g in (first, last)]
    if rows[0] is None or rows[1] is None:
        return html.P("Choose two genes of this corpus.", className="muted")
    selection = to_selection(corpus, state)
    found = find_paths(corpus, rows[0], rows[1], filter_selection(corpus, selection), selection.exact, MAX_PATHS)
    names = f"{corpus.gene_label(rows[0])} and {corpus.gene_label(rows[1])}"
    if found.length is None:
        return html.P(f"No chain of figures connects {names} under the current filters.", className="muted")
    chains = []
    for path in found.paths:
        steps = []
        for kind, row in path:
            if steps:
                steps.append(html.Span("→", className="path-arrow"))
            steps.append(_gene_link(corpus, state, row) if kind == "gene" else _figure_link(corpus, state, row))
        chains.append(html.Li(steps, className="path"))
    head = (
        f"{names} are in one figure together."
        if found.length == 1
        else f"{names} are connected through {found.length} figures (the shortest chains; at most {MAX_PATHS} shown)."
    )
    return html.Div([html.P(head), html.Ol(chains, className="paths")])


def register(app: Dash, corpus: Corpus) -> None:
    for dropdown in (ids.PATH_FROM, ids.PATH_TO):

        @app.callback(
            Output(dropdown, "options"),
            Input(dropdown, "search_value"),
            State(dropdown, "value"),
            prevent_initial_call=True,
        )
        def search(typed, chosen):
            if not isinstance(typed, str) or not typed:
                return no_update
            return gene_options(corpus, typed, [chosen] if isinstance(chosen, str) else [])

    # A link opened with a path (`path=A,B`) opens the Paths tab to show it.
    app.clientside_callback(
        "function (_pathname, search) { return /[?&]path=/.test(search || '') ? 'paths'"
        " : window.dash_clientside.no_update; }",
        Output(ids.PATTERN_TABS, "value", allow_duplicate=True),
        Input(ids.URL, "pathname"),
        State(ids.URL, "search"),
        prevent_initial_call="initial_duplicate",
    )

    # The button puts the two genes in the link (`path=A,B`): the view below shows the link's path, so that a
    # shared link, Back and Forward show the same chains.
    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Output(ids.PATH_RESULT, "children", allow_duplicate=True),
        Input(ids.PATH_RUN, "n_clicks"),
        State(ids.PATH_FROM, "value"),
        State(ids.PATH_TO, "value"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def ask(_clicks, start, end, stored):
        ends = [to_int(g) for g in (start, end)]
        if any(g is None or corpus.gene_row(g) is None for g in ends):
            return no_update, html.P("Choose two genes of this corpus.", className="muted")
        return to_query(corpus, replace(ViewState.from_dict(stored), path=(ends[0], ends[1]))), no_update

    @app.callback(
        Output(ids.PATH_RESULT, "children"),
        Output(ids.PATH_FROM, "value"),
        Output(ids.PATH_FROM, "options", allow_duplicate=True),
        Output(ids.PATH_TO, "value"),
        Output(ids.PATH_TO, "options", allow_duplicate=True),
        Input(ids.STATE, "data"),
        Input(ids.PATTERN_TABS, "value"),
        prevent_initial_call=True,
    )
    def show(stored, tab):
        state = ViewState.from_dict(stored)
        if tab != "paths" or state.path is None:
            raise PreventUpdate
        start, end = (str(g) for g in state.path)
        return (
            show_paths(corpus, state, start, end),
            start,
            gene_options(corpus, None, [start]),
            end,
            gene_options(corpus, None, [end]),
        )
