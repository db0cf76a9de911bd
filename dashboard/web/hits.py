"""Web floor: the full-text search's best hits under the search box, within the other filters, and a hint where
the search is a gene's name (it searches titles and captions, not the genes read from the figures)."""

from __future__ import annotations

from dataclasses import replace

from dash import Dash, Input, Output, State, dcc, html

from dashboard.analysis.model import Corpus, resolve_genes
from dashboard.analysis.search import QueryError, search_figures, search_mask
from dashboard.analysis.selection import selection_mask
from dashboard.web import ids
from dashboard.web.gates import pass_selection
from dashboard.web.options import gene_label
from dashboard.web.panels import figure_thumbnail
from dashboard.web.state import MAX_GENES, ViewState, to_query, to_selection
from dashboard.web.thumbnails import thumbnails_on
from dashboard.web.words import plural

SEARCH_HITS_SHOWN = 8  # full-text hits listed under the search box; the table lists them all


def show_search_hits(
    corpus: Corpus, state: ViewState, limit: int = SEARCH_HITS_SHOWN, thumbnails: bool = False
) -> html.Div | None:
    """The best hits of the full-text search within the other filters: title (a link that opens the figure), year
    and a snippet whose matches are marked — all text, never markup — and the thumbnail when asked for."""
    if not state.text:
        return None
    others = selection_mask(corpus, replace(to_selection(corpus, state), text=""))
    try:
        result = search_figures(corpus, state.text, limit=limit, mask=others)
        anywhere = 0 if result.total else int(search_mask(corpus, state.text).sum())
    except QueryError as exc:
        return html.P(f"Search not run: {exc}.", className="muted")
    items = []
    for hit in result.hits:
        href = "/" + to_query(corpus, replace(state, figure=hit.figid))
        snippet = [html.Mark(piece.text) if piece.match else piece.text for piece in hit.snippet]
        items.append(
            html.Li(
                [
                    figure_thumbnail(corpus, corpus.figure_row(hit.figid), thumbnails),
                    dcc.Link(hit.title or hit.figid, href=href, className="search-hit-title"),
                    html.Span(f" {hit.year}" if hit.year else "", className="muted"),
                    html.Div(snippet, className="search-snippet"),
                ]
            )
        )
    verb = "matches" if result.total == 1 else "match"
    if result.total:
        # Figures or chemicals named by id have no relevance to rank by: in the order named, or newest first.
        order = {"named": "in the order named", "newest": "newest first"}.get(result.order, "best first")
        head = f"{plural(result.total, 'figure')} {verb} “{state.text}” within the other filters ({order}):"
    elif anywhere:
        head = (
            f"No figure within the other filters matches “{state.text}”; {plural(anywhere, 'figure')} of the whole"
            f" corpus {'does' if anywhere == 1 else 'do'}: clear a gene, organism, year, chemical, disease or map"
            " filter to see them."
        )
    else:
        head = f"No figure matches “{state.text}”. Try fewer or other words."
    return html.Div(
        [
            html.P(head, className="muted"),
            gene_hint(corpus, state),
            html.Ol(items, className="search-hit-list") if items else None,
        ]
    )


def gene_hint(corpus: Corpus, state: ViewState) -> html.P | None:
    """Where the search is a gene's symbol or a word printed for it (`TP53`, `RANKL`): the text search reads
    titles and captions, not the genes read from the figures, so say so and offer the gene's figures."""
    words = state.text.split()
    if len(words) != 1:
        return None
    rows, unknown = resolve_genes(corpus, words)
    if unknown or not rows:
        return None
    gene_ids = tuple(dict.fromkeys(int(corpus.gene_ids[r]) for r in rows))[:MAX_GENES]
    target = replace(state, text="", genes=gene_ids, figure=None)
    names = ", ".join(gene_label(corpus, r) for r in rows[:3])
    return html.P(
        [
            f"“{words[0]}” is a gene read from the figures ({names}): ",
            dcc.Link("show the figures that hold it", href="/" + to_query(corpus, target)),
            " — this box searches the figures' titles and captions.",
        ],
        className="gene-hint",
    )


def register(app: Dash, corpus: Corpus) -> None:
    """Bind the search hits, passed a selection by the browser only while there is a search."""
    pass_selection(app, "selectionForHits", ids.HITS_SELECTION, State(ids.HITS_SELECTION, "data"))

    @app.callback(
        Output(ids.SEARCH_HITS, "children"),
        Input(ids.HITS_SELECTION, "data"),
        Input(ids.THUMBNAILS, "value"),
        State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def search_hits(_passed, thumbnails, stored):
        return show_search_hits(corpus, ViewState.from_dict(stored), thumbnails=thumbnails_on(thumbnails))
