"""Web floor: the download buttons — which are available (a button with nothing to export is disabled and says
why), the file each one gives, and a figure's gene table from its record. The formats are `exports`'."""

from __future__ import annotations

from dataclasses import replace

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard.analysis.model import Corpus
from dashboard.web import ids
from dashboard.web.enrichment import enrich_query, stored_enrichment_query
from dashboard.web.exports import (
    export_blockers,
    export_name,
    figure_genes_name,
    network_export_name,
    to_cyjs,
    to_enrichment_tsv,
    to_figure_genes_tsv,
    to_figures_csv,
    to_gmt,
    to_graphml,
)
from dashboard.web.state import ViewState


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


def register(app: Dash, corpus: Corpus) -> None:
    """Bind the export buttons, their availability and a record's gene table download."""

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
