"""Web floor: the figures' thumbnails, shown in the tables, the search hits and the record panel when the switch
asks for them: their addresses, the switch read, and the tables' thumbnail columns."""

from __future__ import annotations

import numpy as np
from dash import Dash, Input, Output

from dashboard.analysis.model import Corpus
from dashboard.corpus import columns as C
from dashboard.web import ids
from dashboard.web.layout import ENRICH_COLUMNS, FIGURE_TABLE_COLUMNS, with_thumbnails
from dashboard.web.panels import safe_href
from dashboard.web.values import strings


def figure_thumbnails(corpus: Corpus, figids) -> list[str | None]:
    """The thumbnail address of each figure (its Europe PMC image; None where it has none we trust), for the
    tables' thumbnail column, which shows them only when asked for."""
    rows = corpus.figure_index.get_indexer(list(figids))
    urls = corpus.figures[C.IMAGE_URL].iloc[np.maximum(rows, 0)].tolist()  # one take, not a lookup a row
    return [safe_href(url) if row >= 0 else None for row, url in zip(rows.tolist(), urls, strict=True)]


def thumbnails_on(value: object) -> bool:
    """Whether the thumbnails switch is on."""
    return strings(value) == ["on"]


def register(app: Dash, corpus: Corpus) -> None:  # noqa: ARG001 - every part of the page is registered alike
    """Bind the tables' thumbnail columns to the switch (they need nothing of the corpus)."""

    @app.callback(
        Output(ids.FIGURE_TABLE, "columnDefs"),
        Output(ids.ENRICH_TABLE, "columnDefs"),
        Input(ids.THUMBNAILS, "value"),
        prevent_initial_call=True,
    )
    def thumbnail_columns(thumbnails):
        shown = thumbnails_on(thumbnails)
        return with_thumbnails(FIGURE_TABLE_COLUMNS, shown), with_thumbnails(ENRICH_COLUMNS, shown)
