"""Web floor: the record panel — the open figure's record, else the last chosen gene's — with a figure's image
fetched when asked for, and brought into view when a table row opens a record."""

from __future__ import annotations

from dash import MATCH, ClientsideFunction, Dash, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate

from dashboard.analysis.model import Corpus
from dashboard.analysis.selection import selection_mask
from dashboard.web import ids
from dashboard.web.panels import build_figure_detail, build_figure_image, build_gene_detail
from dashboard.web.state import ViewState, to_selection
from dashboard.web.thumbnails import thumbnails_on


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


def register(app: Dash, corpus: Corpus) -> None:
    """Bind the record panel, a figure's image and the scroll to a record opened from a table."""

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
        return show_detail(corpus, ViewState.from_dict(stored), thumbnails_on(thumbnails))

    # A table row opened a record: bring the detail panel (far above the tables) into view.
    app.clientside_callback(
        ClientsideFunction(namespace="pfocr", function_name="showRecord"),
        Output(ids.RECORD_SHOWN, "data"),
        Input(ids.FIGURE_TABLE, "cellClicked"),
        Input(ids.ENRICH_TABLE, "cellClicked"),
        State(ids.DETAIL, "id"),
        prevent_initial_call=True,
    )
