"""Web floor: type-ahead — the gene search's options and the chemical and disease filters', the chosen ones kept
shown, each labelled with what a biologist tells them apart by."""

from __future__ import annotations

from dataclasses import replace

from dash import Dash, Input, Output, State, no_update

from dashboard.analysis.model import Corpus, search_genes
from dashboard.analysis.selection import selection_mask
from dashboard.analysis.terms import search_terms, term_figure_counts, term_index
from dashboard.corpus import columns as C
from dashboard.corpus.numbers import to_int
from dashboard.web import ids
from dashboard.web.state import ViewState, to_selection
from dashboard.web.values import strings

SEARCH_LIMIT = 20


def gene_options(corpus: Corpus, search: str | None, selected: list | None) -> list[dict]:
    """Type-ahead options: the selected genes first (so they stay shown), then matches of the typed text."""
    options: list[dict] = []
    seen: set[str] = set()
    for value in selected or []:
        number = to_int(str(value))
        row = corpus.gene_row(number) if number is not None else None
        if row is not None and str(value) not in seen:
            options.append({"label": gene_label(corpus, row), "value": str(value)})
            seen.add(str(value))
    if search:
        for hit in search_genes(corpus, search[:100], SEARCH_LIMIT).to_dict("records"):
            value = str(hit[C.GENE_ID])
            if value not in seen:
                via = f" · “{hit['via']}”" if hit["via"] else ""
                if value == search.strip():  # found by its NCBI id: the label says so (and holds what was typed)
                    via = f" · NCBI Gene {value}"
                label = f"{hit[C.SYMBOL]} · {hit[C.ORGANISM]} · {hit[C.N_FIGURES]} fig.{via}"
                options.append({"label": label, "value": value})
                seen.add(value)
    return options


def term_options(
    corpus: Corpus, kind: str, search: str | None, selected: list | None, state: ViewState | None = None
) -> list[dict]:
    """A chemical or disease filter's options: the chosen terms first (so they stay shown), then those the typed
    name or id finds, each with its ids and number of figures — under the view's other filters when given (every
    filter but this one), as the organism options count."""
    if not selected and not search:  # nothing to show: the usual case of every selection change
        return []
    index = term_index(corpus, kind)
    others = replace(state.selection_part(), **{kind: ()}) if state is not None else ViewState()
    mask = selection_mask(corpus, to_selection(corpus, others)) if others != ViewState() else None
    counts = term_figure_counts(corpus, kind, mask)
    options: list[dict] = []
    seen: set[str] = set()
    for key in selected or []:
        term = index.position.get(str(key).lower())
        if term is not None and key not in seen:
            options.append({"label": _term_label(index.names[term], index.ids[term], counts[term]), "value": key})
            seen.add(key)
    if search:
        for match in search_terms(corpus, kind, search, SEARCH_LIMIT, mask):
            if match.id not in seen:
                label = _term_label(match.name, match.ids, match.figures)
                # Found by a printed word the label may not show: the typed text keeps it past the menu's own filter.
                options.append({"label": label, "value": match.id, "search": f"{label} {search}"})
                seen.add(match.id)
    return options


def _term_label(name: object, term_ids: tuple[str, ...], figures: int) -> str:
    shown_ids = f" · {', '.join(term_ids)}" if term_ids else ""
    return f"{name}{shown_ids} · {figures:,} fig."


def gene_label(corpus: Corpus, row: int) -> str:
    """A gene as the type-ahead and the search's gene hint name it: symbol, organism, number of figures."""
    return f"{corpus.gene_label(row)} · {corpus.gene_organisms[row]} · {corpus.genes[C.N_FIGURES].iloc[row]} fig."


def register_term_options(app: Dash, corpus: Corpus, kind: str, component: str) -> None:
    """A chemical or disease filter's type-ahead."""

    @app.callback(
        Output(component, "options", allow_duplicate=True),
        Input(component, "search_value"),
        State(component, "value"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def search_term_options(search, selected, stored):
        if not isinstance(search, str) or not search.strip():
            return no_update
        return term_options(corpus, kind, search, strings(selected), ViewState.from_dict(stored))


def register(app: Dash, corpus: Corpus) -> None:
    """Bind the type-ahead of the gene search and of the chemical and disease filters."""

    @app.callback(
        Output(ids.GENE_SEARCH, "options", allow_duplicate=True),
        Input(ids.GENE_SEARCH, "search_value"),
        State(ids.GENE_SEARCH, "value"),
        prevent_initial_call=True,
    )
    def search_gene_options(search, selected):
        if not isinstance(search, str) or not search:
            return no_update
        return gene_options(corpus, search, strings(selected))

    for kind, component in (("chemicals", ids.CHEMICAL_FILTER), ("diseases", ids.DISEASE_FILTER)):
        register_term_options(app, corpus, kind, component)
