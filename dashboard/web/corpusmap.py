"""Web floor: the corpus map view — every figure a point of one WebGL scatter (figures that share genes lie close),
coloured by year or organism, the current selection drawn on top in black. Hovering a point names its figure;
clicking opens it. Its layout piece and `register(app, corpus)`.

The points travel once, as typed arrays (`{"dtype": "u2", "bdata": …}`: four bytes a figure, ~0.6 MB base64 at
110,000 figures) with no per-point text; titles are looked up on hover. A selection change sends only the
selection's points (a `Patch` of the last trace and the others' opacity), never the whole map again.
"""

from __future__ import annotations

import base64
from dataclasses import replace

import numpy as np
from dash import Dash, Input, Output, Patch, State, dcc, html, no_update

from dashboard.analysis.corpusmap import Group, corpus_map, map_groups, point_row, to_region
from dashboard.analysis.model import Corpus
from dashboard.analysis.selection import selection_figures
from dashboard.corpus import columns as C
from dashboard.corpus.corpusmap import CorpusMap
from dashboard.web import ids
from dashboard.web.gates import pass_selection
from dashboard.web.state import ViewState, to_query, to_selection

REGION_LINE = "#d62728"
# Plotly's selection event lists every point inside; only the outline is kept, so a lasso around 50,000 figures
# sends a few numbers to the server, not 50,000 points.
KEEP_OUTLINE = """
function (selected) {
    if (!selected) { return window.dash_clientside.no_update; }
    if (selected.range) { return {range: {x: selected.range.x, y: selected.range.y}}; }
    if (selected.lassoPoints) { return {lassoPoints: {x: selected.lassoPoints.x, y: selected.lassoPoints.y}}; }
    return window.dash_clientside.no_update;
}
"""
COLOUR_MODES = (("year", "year"), ("organism", "organism"))
DIMMED, FULL = 0.25, 0.85  # opacity of the map under a selection, and without one
SELECTED_COLOUR = "#111111"
CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,
    "scrollZoom": True,
    "modeBarButtonsToRemove": ["autoScale2d", "toImage"],
}


def build() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Span("Colour by", className="control-label"),
                    dcc.RadioItems(
                        id=ids.MAP_COLOUR,
                        options=[{"label": label, "value": value} for value, label in COLOUR_MODES],
                        value="year",
                        inline=True,
                    ),
                    html.Button("Clear the drawn region", id=ids.MAP_CLEAR, className="export", disabled=True),
                    dcc.Store(id=ids.MAP_DRAWN, data=None),
                ],
                className="network-controls",
            ),
            html.Div(id=ids.MAP_NOTE, className="muted", role="status"),
            dcc.Graph(id=ids.MAP_GRAPH, config=CONFIG, className="corpus-map", style={"height": "560px"}),
            html.Div(id=ids.MAP_HOVER, className="map-hover", **{"aria-live": "polite"}),
        ]
    )


def to_typed(values: np.ndarray, dtype: str) -> dict:
    """A numeric array as plotly.js reads it without parsing JSON numbers: base64 bytes with their dtype."""
    return {"dtype": dtype, "bdata": base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode()}


def _grid(values: np.ndarray) -> dict:
    return to_typed(values.astype(np.uint16), "u2")


def marker_size(points: int) -> float:
    """Smaller points for more figures: 7 px for a few hundred, 2.5 px for 100,000."""
    return float(np.clip(12 - 2 * np.log10(max(points, 1)), 2.5, 7))


def selected_rows(corpus: Corpus, points: CorpusMap, state: ViewState) -> np.ndarray | None:
    """The placed figures of the selection, or None when the selection is every figure (nothing to set apart)."""
    rows = selection_figures(corpus, to_selection(corpus, state))
    if len(rows) == corpus.n_figures:
        return None
    return rows[points.placed[rows]]


def selected_trace(points: CorpusMap, rows: np.ndarray | None, size: float) -> dict:
    shown = rows if rows is not None else np.zeros(0, dtype=np.int64)
    return {
        "type": "scattergl",
        "mode": "markers",
        "name": "the selection",
        "x": _grid(points.x[shown]),
        "y": _grid(points.y[shown]),
        "hoverinfo": "skip",
        "showlegend": rows is not None,
        "marker": {"size": size + 1, "color": SELECTED_COLOUR},
    }


def region_shapes(region: tuple[int, ...]) -> list[dict]:
    """The outline of the selection's region, drawn over the map."""
    if not region:
        return []
    line = {"color": REGION_LINE, "width": 1.5, "dash": "dot"}
    if len(region) == 4:
        x0, y0, x1, y1 = region
        return [{"type": "rect", "x0": x0, "y0": y0, "x1": x1, "y1": y1, "line": line, "layer": "above"}]
    corners = [f"{x},{y}" for x, y in zip(region[::2], region[1::2], strict=True)]
    return [{"type": "path", "path": "M" + "L".join(corners) + "Z", "line": line, "layer": "above"}]


def to_figure(
    corpus: Corpus, points: CorpusMap, groups: list[Group], rows: np.ndarray | None, region: tuple[int, ...] = ()
) -> dict:
    """One scattergl trace per group (typed arrays, no text), then the selection's trace, and the region's outline."""
    size = marker_size(int(points.placed.sum()))
    traces = []
    years = corpus.years
    for group in groups:
        marker: dict = {"size": size, "opacity": FULL if rows is None else DIMMED}
        if group.colour is None:
            shown = years[group.rows]
            marker.update(
                color=to_typed(shown, "u2"),
                colorscale="Viridis",
                cmin=float(shown.min()),
                cmax=float(shown.max()),
                colorbar={"title": {"text": "year"}, "thickness": 12, "len": 0.6},
            )
        else:
            marker["color"] = group.colour
        traces.append(
            {
                "type": "scattergl",
                "mode": "markers",
                "name": f"{group.name} ({len(group.rows):,})",
                "x": _grid(points.x[group.rows]),
                "y": _grid(points.y[group.rows]),
                "hoverinfo": "none",  # the title is looked up on hover: 110,000 titles would weigh 9 MB
                "showlegend": group.colour is not None,
                "marker": marker,
            }
        )
    traces.append(selected_trace(points, rows, size))
    return {
        "data": traces,
        "layout": {
            "margin": {"l": 6, "r": 6, "t": 6, "b": 6},
            "xaxis": {"visible": False},
            "yaxis": {"visible": False, "scaleanchor": "x"},
            "hovermode": "closest",
            "clickmode": "event",
            "dragmode": "zoom",
            "uirevision": "corpus-map",
            "legend": {
                "font": {"size": 11},
                "itemsizing": "constant",
                "orientation": "h",
                "y": -0.02,
                "yanchor": "top",
            },
            "plot_bgcolor": "white",
            "shapes": region_shapes(region),
        },
    }


def describe(corpus: Corpus, points: CorpusMap, rows: np.ndarray | None) -> str:
    placed = int(points.placed.sum())
    text = f"{placed:,} figures, each a point; figures that share genes lie close (t-SNE of their gene sets)."
    if corpus.n_figures > placed:
        text += f" {corpus.n_figures - placed:,} figures without genes have no point."
    if rows is not None:
        text += f" The selection's {len(rows):,} figures are black."
    text += " Draw a box or lasso (toolbar) to select the figures inside."
    return text + " Hover a point for its title, click to open it; zoom with the wheel."


def no_map_note(corpus: Corpus) -> str:
    return (
        f"No map for this data: {corpus.n_figures:,} figures read without a cache entry or bundle. Build one"
        " (pfocr-dashboard build PATH --out DIR) or serve through the cache to see every figure on one map."
    )


def hover_text(corpus: Corpus, row: int) -> str:
    """A figure's title, year and organisms: plain text (the page prints it as text, never as HTML)."""
    figure = corpus.figures.iloc[row]
    year = corpus.years[row]
    parts = [str(figure[C.TITLE] or figure[C.FIGID])]
    if not np.isnan(year):
        parts.append(str(int(year)))
    parts.append(", ".join(corpus.figure_organisms[row]))
    return " · ".join(parts)


def _event_row(groups: list[Group], event: object) -> int | None:
    points = event.get("points") if isinstance(event, dict) else None
    point = points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else {}
    return point_row(groups, point.get("curveNumber"), point.get("pointNumber"))


def open_query(corpus: Corpus, groups: list[Group], click: object, state: ViewState) -> str | None:
    """The link that opens the clicked point's figure within the current selection (None: no point clicked)."""
    row = _event_row(groups, click)
    if row is None:
        return None
    return to_query(corpus, replace(state.selection_part(), figure=str(corpus.figids[row])))


def register(app: Dash, corpus: Corpus) -> None:
    def groups_for(colour: str) -> list[Group]:
        points = corpus_map(corpus)
        if points is None:
            return []
        return corpus.memo.get("map groups", colour, lambda: map_groups(corpus, points, colour))

    def colour_of(value: object) -> str:
        return "organism" if value == "organism" else "year"

    @app.callback(
        Output(ids.MAP_GRAPH, "figure"),
        Output(ids.MAP_NOTE, "children"),
        Output(ids.MAP_CLEAR, "disabled"),
        Input(ids.PATTERN_TABS, "value"),
        Input(ids.MAP_COLOUR, "value"),
        State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def draw_map(tab, colour, stored):
        if tab != "map":
            return no_update, no_update, no_update
        points = corpus_map(corpus)
        if points is None:
            empty = {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}}}
            return empty, no_map_note(corpus), True
        state = ViewState.from_dict(stored)
        rows = selected_rows(corpus, points, state)
        figure = to_figure(corpus, points, groups_for(colour_of(colour)), rows, state.region)
        return figure, describe(corpus, points, rows), not state.region

    @app.callback(
        Output(ids.MAP_GRAPH, "figure", allow_duplicate=True),
        Output(ids.MAP_NOTE, "children", allow_duplicate=True),
        Output(ids.MAP_CLEAR, "disabled", allow_duplicate=True),
        Input(ids.MAP_SELECTION, "data"),
        State(ids.PATTERN_TABS, "value"),
        State(ids.MAP_COLOUR, "value"),
        State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def highlight_selection(_passed, tab, colour, stored):
        if tab != "map":  # the map is made (tables read without a cache: laid out) only when shown
            return no_update, no_update, no_update
        points = corpus_map(corpus)
        if points is None:
            return no_update, no_update, no_update
        state = ViewState.from_dict(stored)
        rows = selected_rows(corpus, points, state)
        groups = groups_for(colour_of(colour))
        patch = Patch()
        for number in range(len(groups)):
            patch["data"][number]["marker"]["opacity"] = FULL if rows is None else DIMMED
            patch["data"][number]["selectedpoints"] = None  # plotly's own dimming of a box drawn: ours replaces it
        patch["data"][len(groups)] = selected_trace(points, rows, marker_size(int(points.placed.sum())))
        patch["layout"]["shapes"] = region_shapes(state.region)
        patch["layout"]["selections"] = []
        return patch, describe(corpus, points, rows), not state.region

    pass_selection(app, "selectionForMap", ids.MAP_SELECTION, State(ids.PATTERN_TABS, "value"))
    app.clientside_callback(
        KEEP_OUTLINE, Output(ids.MAP_DRAWN, "data"), Input(ids.MAP_GRAPH, "selectedData"), prevent_initial_call=True
    )

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.MAP_DRAWN, "data"),
        State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def select_region(drawn, stored):
        region = to_region(drawn)
        if region is None:
            return no_update
        return to_query(corpus, replace(ViewState.from_dict(stored).selection_part(), region=region))

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.MAP_CLEAR, "n_clicks"),
        State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def clear_region(_, stored):
        return to_query(corpus, replace(ViewState.from_dict(stored).selection_part(), region=()))

    @app.callback(
        Output(ids.MAP_HOVER, "children"),
        Input(ids.MAP_GRAPH, "hoverData"),
        State(ids.MAP_COLOUR, "value"),
        prevent_initial_call=True,
    )
    def name_point(hover, colour):
        row = _event_row(groups_for(colour_of(colour)), hover)
        return hover_text(corpus, row) if row is not None else ""

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.MAP_GRAPH, "clickData"),
        State(ids.SELECTION, "data"),
        State(ids.MAP_COLOUR, "value"),
        prevent_initial_call=True,
    )
    def open_point(click, stored, colour):
        query = open_query(corpus, groups_for(colour_of(colour)), click, ViewState.from_dict(stored))
        return query if query is not None else no_update
