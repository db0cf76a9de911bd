"""Analysis floor: the corpus map of a `Corpus` — its stored points (see `dashboard.corpus.corpusmap`), how they
are grouped for colour, and the figures of the current selection among them.

The map is read from the cache entry or bundle once per process. Tables made in memory have none: a small corpus
(at most `COMPUTE_UP_TO` figures, a few seconds) is embedded on first use; a larger one has no map, and says so.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass

import numpy as np

from dashboard.analysis.model import Corpus
from dashboard.corpus.corpusmap import CorpusMap, embed, load_corpus_map, to_grid

log = logging.getLogger(__name__)

COMPUTE_UP_TO = 3_000  # figures: tables without a stored map are embedded on first use up to this size
MAIN_ORGANISMS = 7  # organisms coloured on their own; the others share one grey
UNSTATED = "Unknown"  # the organism of a figure whose record states none

_maps: weakref.WeakKeyDictionary[Corpus, CorpusMap | None] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def corpus_map(corpus: Corpus) -> CorpusMap | None:
    """The corpus' map: stored with its tables, computed now for a small corpus, else None."""
    with _lock:
        if corpus in _maps:
            return _maps[corpus]
        found = load_corpus_map(corpus.tables)
        if found is None and 0 < corpus.n_figures <= COMPUTE_UP_TO:
            started = time.perf_counter()
            coordinates, method = embed(corpus.incidence, seed=0)
            grid = to_grid(coordinates)
            found = CorpusMap(x=grid[:, 0], y=grid[:, 1], method=method)
            log.info("embedded %d figures for the map in %.1f s", corpus.n_figures, time.perf_counter() - started)
        _maps[corpus] = found
        return found


@dataclass(frozen=True)
class Group:
    """Figures drawn as one trace: a name for the legend, their rows (placed figures only) and a colour (None:
    coloured by year)."""

    name: str
    rows: np.ndarray
    colour: str | None


ORGANISM_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")
OTHER_COLOUR, UNSTATED_COLOUR, NO_YEAR_COLOUR = "#b8b8b8", "#dedede", "#c8c8c8"


def map_groups(corpus: Corpus, points: CorpusMap, colour: str) -> list[Group]:
    """The placed figures in traces: by year (one coloured trace, figures without a year apart) or by their first
    stated organism (the `MAIN_ORGANISMS` most frequent each in a colour, other organisms grey, none stated pale)."""
    placed = points.placed
    if colour == "organism":
        first = np.array([names[0] for names in corpus.figure_organisms], dtype=object)
        names, counts = np.unique(first[placed], return_counts=True)
        ranked = [n for n in names[np.argsort(-counts, kind="stable")] if n != UNSTATED][:MAIN_ORGANISMS]
        groups = [
            Group(name, np.flatnonzero(placed & (first == name)), ORGANISM_COLOURS[i]) for i, name in enumerate(ranked)
        ]
        other = placed & ~np.isin(first, [*ranked, UNSTATED])
        groups.append(Group("other organisms", np.flatnonzero(other), OTHER_COLOUR))
        groups.append(Group("no organism stated", np.flatnonzero(placed & (first == UNSTATED)), UNSTATED_COLOUR))
        return [g for g in groups if len(g.rows)]
    has_year = ~np.isnan(corpus.years)
    groups = [
        Group("no year", np.flatnonzero(placed & ~has_year), NO_YEAR_COLOUR),
        Group("year", np.flatnonzero(placed & has_year), None),
    ]
    return [g for g in groups if len(g.rows)]


def point_row(groups: list[Group], trace: object, point: object) -> int | None:
    """The figure row of a point an event names by trace and point number (None if it names none)."""
    if not (isinstance(trace, int) and isinstance(point, int)) or isinstance(trace, bool) or isinstance(point, bool):
        return None
    if not 0 <= trace < len(groups) or not 0 <= point < len(groups[trace].rows):
        return None
    return int(groups[trace].rows[point])
