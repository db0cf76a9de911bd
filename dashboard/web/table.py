"""Web floor: the figure table (AG Grid's infinite row model): the rows of a page of the selection's figures,
sorted on the server, and the grid emptied of its rows when the selection changes."""

from __future__ import annotations

import numpy as np
from dash import ClientsideFunction, Dash, Input, Output, State

from dashboard.analysis.model import Corpus, figure_table, order_figures
from dashboard.analysis.selection import selection_figures
from dashboard.corpus import columns as C
from dashboard.corpus.numbers import to_int
from dashboard.web import ids
from dashboard.web.state import ViewState, to_selection
from dashboard.web.thumbnails import figure_thumbnails


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


def register(app: Dash, corpus: Corpus) -> None:
    """Bind the table's pages and its refresh."""

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
