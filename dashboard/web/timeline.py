"""Web floor: the timeline view — a selection's figures per year (count and share of the year's figures) and the
first year each chosen gene appears in a pathway figure. Its layout piece and `register(app, corpus)`."""

from __future__ import annotations

from dash import Dash, Input, Output, State, dcc, html

from dashboard.analysis.model import Corpus
from dashboard.analysis.patterns import build_timeline
from dashboard.analysis.selection import filter_selection, selection_figures
from dashboard.web import ids
from dashboard.web.figures import build_message_figure
from dashboard.web.gates import pass_selection
from dashboard.web.state import ViewState, to_selection

MIN_YEARS_SHOWN = 9
BAR_COLOUR = "#3b75af"
SHARE_COLOUR = "#e07b39"


def message_figure(text: str) -> dict:
    """The network's empty view, as tall as the chart."""
    figure = build_message_figure(text)
    figure["layout"]["height"] = 300
    return figure


def build() -> html.Div:
    return html.Div(
        [
            html.Div(id=ids.TIMELINE_NOTE, className="muted", role="status"),
            dcc.Graph(id=ids.TIMELINE_GRAPH, config={"displaylogo": False, "showSendToCloud": False}),
        ]
    )


def update_timeline(corpus: Corpus, state: ViewState) -> tuple[dict, str]:
    """The bar chart of figures per year with the share of all the corpus' figures of the year, and a note on first
    years; an empty selection gets a message instead of empty axes."""
    selection = to_selection(corpus, state)
    rows = selection_figures(corpus, selection)
    if not len(rows):
        return message_figure("No figures in this selection"), "No figures in this selection: nothing to count by year."
    timeline = build_timeline(corpus, rows, filter_selection(corpus, selection), selection.genes, selection.exact)
    if not timeline.years:
        note = f"None of this selection's {len(rows):,} figure(s) has a year."
        return message_figure("None of these figures has a year"), note
    # Every year of the range, those without a figure of the selection at 0 bars; the share of a year in which the
    # corpus has no figure at all is no value (0/0): a gap in the line, not 0 %.
    years = list(range(min(timeline.years), max(timeline.years) + 1))
    shares = [None if (share := timeline.share(y)) is None else round(100 * share, 2) for y in years]
    counts = [timeline.years.get(y, 0) for y in years]
    highest = max((s for s in shares if s is not None), default=1)
    # A few years drawn among at least MIN_YEARS_SHOWN (one year alone would be one bar as wide as the chart).
    pad = max(0, MIN_YEARS_SHOWN - len(years)) / 2
    x_range = [years[0] - 0.5 - pad, years[-1] + 0.5 + pad]
    figure = {
        "data": [
            {
                "type": "bar",
                "x": years,
                "y": counts,
                "name": "figures",
                "marker": {"color": BAR_COLOUR},
                "hovertemplate": "%{x}: %{y} figure(s)<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": years,
                "y": shares,
                "name": "share of all figures that year (%)",
                "yaxis": "y2",
                "connectgaps": False,
                "line": {"color": SHARE_COLOUR},
                "hovertemplate": "%{x}: %{y}% of all figures that year<extra></extra>",
            },
        ],
        "layout": {
            "height": 300,
            "margin": {"l": 50, "r": 70, "t": 10, "b": 40},
            "xaxis": {"title": {"text": "year"}, "dtick": 5 if len(years) > 12 else 1, "range": x_range},
            # Whole figures on the axis: plotly would tick 0.5 steps for a count of one or two.
            "yaxis": {
                "title": {"text": "figures"},
                "rangemode": "tozero",
                **({"dtick": 1} if max(counts) <= 5 else {}),
            },
            "yaxis2": {
                "title": {"text": "% of all figures that year"},
                "overlaying": "y",
                "side": "right",
                # Room above the highest point (a share of 100 % is drawn whole), ticks of its own (not at the
                # left axis' gridlines: 27.1 %, 54.3 % …) and no grid of its own.
                "range": [0, min(108, highest * 1.15) or 1],
                "tickmode": "auto",
                "nticks": 6,
                "showgrid": False,
                "ticksuffix": "%",
            },
            "legend": {"orientation": "h", "y": 1.12},
            "plot_bgcolor": "white",
        },
    }
    undated = len(rows) - sum(timeline.years.values())
    notes = [
        f"{len(rows):,} figure(s) of this selection by year" + (f" ({undated:,} without a year)." if undated else ".")
    ]
    first = [
        f"{corpus.gene_label(corpus.gene_row(gene))} first in {year}"
        for gene, year in timeline.first_year.items()
        if year is not None
    ]
    if first:
        notes.append("First appearance under these filters: " + "; ".join(first) + ".")
    return figure, " ".join(notes)


def register(app: Dash, corpus: Corpus) -> None:
    pass_selection(app, "selectionForTimeline", ids.TIMELINE_SELECTION, Input(ids.PATTERN_TABS, "value"))

    @app.callback(
        Output(ids.TIMELINE_GRAPH, "figure"),
        Output(ids.TIMELINE_NOTE, "children"),
        Input(ids.TIMELINE_SELECTION, "data"),
        State(ids.PATTERN_TABS, "value"),
        State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def timeline(_passed, tab, stored):
        if tab != "timeline":
            return {"data": [], "layout": {"height": 300}}, ""
        return update_timeline(corpus, ViewState.from_dict(stored))
