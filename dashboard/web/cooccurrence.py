"""Web floor: the gene co-occurrence view — the genes in most of the selection's figures, an edge where two share
figures, coloured by Louvain community (named by its top genes). Clicking a gene chooses its community's genes,
so the network and table show the figures they come from. Its layout piece and `register(app, corpus)`."""

from __future__ import annotations

import html as text_html

from dash import Dash, Input, Output, State, dcc, html, no_update

from dashboard.analysis.graph import layout_graph
from dashboard.analysis.model import Corpus, main_species
from dashboard.analysis.patterns import Cooccurrence, build_cooccurrence, community_name
from dashboard.analysis.selection import selection_figures
from dashboard.corpus.numbers import to_int_in
from dashboard.web import ids
from dashboard.web.gates import pass_selection
from dashboard.web.state import ViewState, to_query, to_selection

# Community colours, none grey (the unclustered genes' colour); past them colours repeat with another shape.
PALETTE = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#1f78b4",
    "#b2df8a",
    "#fb9a99",
    "#6a3d9a",
    "#17becf",
)
SHAPES = ("circle", "diamond", "square", "triangle-up")
UNCLUSTERED = "unclustered (no community of two or more)"
UNCLUSTERED_COLOUR = "#9e9e9e"
DEFAULT_TOP, MAX_TOP = 40, 150
COMMUNITY_GENES_CHOSEN = 10  # a clicked community chooses at most this many of its genes


def build() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Genes shown", htmlFor=ids.COOCCURRENCE_TOP),
                    dcc.Input(
                        id=ids.COOCCURRENCE_TOP,
                        type="number",
                        min=5,
                        max=MAX_TOP,
                        step=5,
                        value=DEFAULT_TOP,
                        style={"width": "130px"},
                    ),
                    html.Span(id=ids.COOCCURRENCE_NOTE, className="muted", role="status"),
                ],
                className="network-controls",
            ),
            dcc.Graph(
                id=ids.COOCCURRENCE_GRAPH,
                config={"displaylogo": False, "showSendToCloud": False},
                style={"height": "480px"},
            ),
        ]
    )


def to_figure(result: Cooccurrence) -> dict:
    """Genes as circles sized by figures, edges by shared figures, one trace (and legend entry) per community."""
    graph = result.graph
    positions = layout_graph(graph) if graph.number_of_nodes() else {}
    edge_x: list[float | None] = []
    edge_y: list[float | None] = []
    for u, v in graph.edges:
        edge_x += [positions[u][0], positions[v][0], None]
        edge_y += [positions[u][1], positions[v][1], None]
    traces = [
        {
            "type": "scatter",
            "x": edge_x,
            "y": edge_y,
            "mode": "lines",
            "line": {"width": 0.5, "color": "rgba(120,120,120,0.35)"},
            "hoverinfo": "skip",
            "showlegend": False,
            "name": "shared figures",
        }
    ]
    clustered = [number for number, members in enumerate(result.communities) if len(members) > 1]
    alone = [
        n
        for n in graph
        if graph.nodes[n]["community"] is None or len(result.communities[graph.nodes[n]["community"]]) < 2
    ]
    groups = [(result.communities[number], rank) for rank, number in enumerate(clustered)]
    names = [text_html.escape(community_name(result, number), quote=False) for number in clustered]
    if alone:
        groups.append((sorted(alone, key=lambda n: (-graph.nodes[n]["figures"], graph.nodes[n]["ncbi_id"])), None))
        names.append(UNCLUSTERED)
    for (members, rank), name in zip(groups, names, strict=True):
        if rank is None:
            colour, shape = UNCLUSTERED_COLOUR, "circle"
        else:
            colour, shape = PALETTE[rank % len(PALETTE)], SHAPES[rank // len(PALETTE) % len(SHAPES)]
        traces.append(
            {
                "type": "scatter",
                "x": [positions[n][0] for n in members],
                "y": [positions[n][1] for n in members],
                "mode": "markers+text",
                "text": [text_html.escape(graph.nodes[n]["symbol"], quote=False) for n in members],
                "textposition": "top center",
                "textfont": {"size": 10},
                "customdata": [f"gene:{graph.nodes[n]['ncbi_id']}" for n in members],
                "hovertext": [
                    f"{text_html.escape(graph.nodes[n]['symbol'], quote=False)} · {graph.nodes[n]['figures']} figure(s)"
                    for n in members
                ],
                "hovertemplate": "%{hovertext}<extra></extra>",
                "name": name,
                "marker": {
                    "size": [8 + 2 * graph.nodes[n]["figures"] ** 0.5 for n in members],
                    "color": colour,
                    "symbol": shape,
                    "line": {"width": 0.5, "color": "white"},
                },
            }
        )
    return {
        "data": traces,
        "layout": {
            "margin": {"l": 6, "r": 6, "t": 6, "b": 6},
            "xaxis": {"visible": False},
            "yaxis": {"visible": False, "scaleanchor": "x"},
            "hovermode": "closest",
            "clickmode": "event",
            # Below the plot, in rows: at the top right (plotly's place) its title sat under the modebar.
            "legend": {
                "title": {"text": "communities (top genes)", "side": "top left"},
                "orientation": "h",
                "x": 0,
                "xanchor": "left",
                "y": 0,
                "yanchor": "top",
                "font": {"size": 11},
            },
            "plot_bgcolor": "white",
        },
    }


def update_cooccurrence(corpus: Corpus, state: ViewState, top: object) -> tuple[dict, str]:
    selection = to_selection(corpus, state)
    rows = selection_figures(corpus, selection)
    count = to_int_in(top, 5, MAX_TOP) or DEFAULT_TOP
    species = main_species(corpus, selection, rows)
    result = build_cooccurrence(corpus, rows, top=count, exact=selection.exact, species=species)
    clustered = sum(1 for members in result.communities if len(members) > 1)
    unclustered = result.graph.number_of_nodes() - sum(len(m) for m in result.communities if len(m) > 1)
    wraps = f" Past {len(PALETTE)} communities colours repeat, with another shape." if clustered > len(PALETTE) else ""
    kind = "community" if clustered == 1 else "communities"
    lone = f", {unclustered:,} gene(s) unclustered (grey)" if unclustered else ""
    note = (
        f"The {result.graph.number_of_nodes():,} {species or ''} genes in most of this selection's {len(rows):,}"
        f" figures; an edge where two share at least two; {clustered:,} {kind} (Louvain) of two or more genes"
        f"{lone}.{wraps} Click a gene to choose its community (at most its {COMMUNITY_GENES_CHOSEN} genes in most"
        " figures)."
    )
    return to_figure(result), note


def community_query(corpus: Corpus, state: ViewState, clicked: str, top: object) -> str | None:
    """The link that chooses the clicked gene's community (its top genes, figures holding any of them)."""
    selection = to_selection(corpus, state)
    rows = selection_figures(corpus, selection)
    species = main_species(corpus, selection, rows)
    count = to_int_in(top, 5, MAX_TOP) or DEFAULT_TOP
    result = build_cooccurrence(corpus, rows, top=count, exact=selection.exact, species=species)
    gene_id = clicked.removeprefix("gene:")
    for members in result.communities:
        if any(str(result.graph.nodes[r]["ncbi_id"]) == gene_id for r in members):
            genes = tuple(int(corpus.gene_ids[r]) for r in members[:COMMUNITY_GENES_CHOSEN])
            return to_query(corpus, ViewState(genes=genes, organisms=state.organisms, years=state.years))
    return None


def register(app: Dash, corpus: Corpus) -> None:
    pass_selection(app, "selectionForCooccurrence", ids.COOCCURRENCE_SELECTION, Input(ids.PATTERN_TABS, "value"))

    @app.callback(
        Output(ids.COOCCURRENCE_GRAPH, "figure"),
        Output(ids.COOCCURRENCE_NOTE, "children"),
        Input(ids.COOCCURRENCE_SELECTION, "data"),
        Input(ids.COOCCURRENCE_TOP, "value"),
        State(ids.PATTERN_TABS, "value"),
        State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def cooccurrence(_passed, top, tab, stored):
        if tab != "cooccurrence":
            return {"data": [], "layout": {}}, ""
        return update_cooccurrence(corpus, ViewState.from_dict(stored), top)

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.COOCCURRENCE_GRAPH, "clickData"),
        State(ids.SELECTION, "data"),
        State(ids.COOCCURRENCE_TOP, "value"),
        prevent_initial_call=True,
    )
    def choose_community(click, stored, top):
        points = click.get("points") if isinstance(click, dict) else None
        point = points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else {}
        node = point.get("customdata")
        if not isinstance(node, str):
            return no_update
        query = community_query(corpus, ViewState.from_dict(stored), node, top)
        return query if query is not None else no_update
