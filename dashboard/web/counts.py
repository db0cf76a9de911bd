"""Web floor: the counts under the filters — each organism's figures in its option, the "state no organism"
switch with its count, and the selection's summary."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from dash import Dash, Input, Output

from dashboard.analysis.model import UNSTATED, Corpus, filter_figures, organism_figure_counts
from dashboard.analysis.selection import selection_figures
from dashboard.web import ids
from dashboard.web.layout import organism_options
from dashboard.web.state import ViewState, to_selection


def update_counts(corpus: Corpus, state: ViewState):
    """Organism options with figure counts under the other filters, the "state no organism" switch with its count,
    and the selection summary (which never hides figures silently: it says how many the organism filter leaves
    out because they state no organism)."""
    selection = to_selection(corpus, state)
    rows = selection_figures(corpus, replace(selection, organisms=(), unstated=False))
    mask = np.zeros(corpus.n_figures, dtype=bool)
    mask[rows] = True
    counts = organism_figure_counts(corpus, mask)
    counts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    unstated = counts.get(UNSTATED, 0)
    # The selection itself is those figures within the organism filter: no second pass over the genes.
    selected = int(filter_figures(corpus, state.organisms, None, state.unstated)[rows].sum())
    summary = f"{selected:,} of {corpus.n_figures:,} figures match."
    if state.region:  # drawn on the map, in another tab: say so where the count is
        summary += " Only figures inside the region drawn on the map are kept (Map of the corpus: clear it)."
    # Without an organism filter, or with "no organism stated" chosen as one, those figures are in already: the
    # tick would change nothing.
    unstated_chosen = UNSTATED in state.organisms
    if state.organisms and unstated and not state.unstated and not unstated_chosen:
        summary += f" {unstated:,} more state no organism: tick the box above to include them."
    label = f" also the {unstated:,} figure(s) that state no organism"
    if not state.organisms:
        label += " (once an organism is chosen)"
    elif unstated_chosen:
        label += " (chosen as an organism above)"
    switch = [{"label": label, "value": "unstated", "disabled": not state.organisms or unstated_chosen}]
    return organism_options(counts, state.organisms), switch, summary


def register(app: Dash, corpus: Corpus) -> None:
    """Bind the counts to the selection."""

    @app.callback(
        Output(ids.ORGANISM_FILTER, "options"),
        Output(ids.UNSTATED_SWITCH, "options"),
        Output(ids.SELECTION_SUMMARY, "children"),
        Input(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def counts(stored):
        return update_counts(corpus, ViewState.from_dict(stored))
