"""Analysis floor: the figures of a `Selection` — every filter the user can set, combined into one figure mask.

The filters come from four modules that each answer one kind of question: organisms and years (`model`), chemical
and disease facets (`terms`), the full-text search (`search`) and a region of the corpus map (`corpusmap`). This
module sits above all four so that each of them imports only `model`, and the import graph has no circle.
"""

from __future__ import annotations

import numpy as np

from dashboard.analysis.corpusmap import region_figures
from dashboard.analysis.model import TERM_KINDS, Corpus, Selection, figures_for_genes, filter_figures
from dashboard.analysis.search import search_mask
from dashboard.analysis.terms import terms_mask


def filter_selection(corpus: Corpus, selection: Selection) -> np.ndarray:
    """The figure mask of a selection's organism, year, chemical and disease filters, its full-text search and
    its region of the corpus map."""
    mask = filter_figures(corpus, selection.organisms, selection.years, selection.unstated)
    for kind in TERM_KINDS:
        if keys := getattr(selection, kind):
            mask &= terms_mask(corpus, kind, list(keys))
    if selection.text:
        mask &= search_mask(corpus, selection.text)  # a query that cannot be run is a QueryError, never "no figure"
    if selection.region:
        mask &= region_figures(corpus, selection.region)
    return mask


def selection_figures(corpus: Corpus, selection: Selection) -> np.ndarray:
    """Figure rows of a selection: the filtered figures holding the chosen genes (all filtered ones if none)."""
    mask = filter_selection(corpus, selection)
    if selection.genes:
        return figures_for_genes(corpus, selection.genes, selection.match, mask, selection.exact)
    return np.flatnonzero(mask)


def selection_mask(corpus: Corpus, selection: Selection) -> np.ndarray:
    """A boolean mask over figures: those of `selection_figures`."""
    mask = np.zeros(corpus.n_figures, dtype=bool)
    mask[selection_figures(corpus, selection)] = True
    return mask
