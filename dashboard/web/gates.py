"""Web floor: the browser-side gate of a view's selection — the browser passes a new selection to a callback only
when that callback has something to do with it (see `ids.GATED_SELECTIONS` and the `selectionFor*` functions of
`assets/clientside.js`)."""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State

from dashboard.web import ids


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
