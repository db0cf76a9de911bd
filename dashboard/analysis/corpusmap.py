"""Analysis floor: the corpus map of a `Corpus` — its stored points (see `dashboard.corpus.corpusmap`), how they
are grouped for colour, and the figures of the current selection among them.

The map is read from the cache entry or bundle (made with it) once per process. Tables made in memory have none: a
small corpus (at most `EMBED_UP_TO` figures, a few seconds) is embedded on first use; a larger one has no map, and
says so.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from dashboard.analysis.model import UNSTATED, Corpus
from dashboard.analysis.organisms import (
    NO_ORGANISM_COLOUR,
    ORGANISM_COLOURS,
    OTHER_ORGANISM_COLOUR,
    SEVERAL_ORGANISMS_COLOUR,
)
from dashboard.corpus.corpusmap import EMBED_UP_TO, GRID, CorpusMap, embed, load_corpus_map, to_grid

log = logging.getLogger(__name__)

MAIN_ORGANISMS = 7  # organisms coloured on their own (the first of ORGANISM_COLOURS); the others share one grey


def corpus_map(corpus: Corpus) -> CorpusMap | None:
    """The corpus' map: stored with its tables, computed now for a small corpus, else None."""
    return corpus.memo.get("map", None, lambda: _made_map(corpus))


def _made_map(corpus: Corpus) -> CorpusMap | None:
    found = load_corpus_map(corpus.tables)
    if found is None and 0 < corpus.n_figures <= EMBED_UP_TO:
        started = time.perf_counter()
        coordinates, method = embed(corpus.incidence, seed=0)
        grid = to_grid(coordinates)
        found = CorpusMap(x=grid[:, 0], y=grid[:, 1], method=method)
        log.info("embedded %d figures for the map in %.1f s", corpus.n_figures, time.perf_counter() - started)
    return found


@dataclass(frozen=True)
class Group:
    """Figures drawn as one trace: a name for the legend, their rows (placed figures only) and a colour (None:
    coloured by year)."""

    name: str
    rows: np.ndarray
    colour: str | None


NO_YEAR_COLOUR = "#c8c8c8"


def map_groups(corpus: Corpus, points: CorpusMap, colour: str) -> list[Group]:
    """The placed figures in traces: by year (one coloured trace, figures without a year apart) or by the organism
    they state (the `MAIN_ORGANISMS` most frequent each in a colour, figures stating several in one colour of their
    own — never reduced to their first —, other organisms grey, none stated pale)."""
    placed = points.placed
    if colour == "organism":
        several = np.array([len(names) > 1 for names in corpus.figure_organisms], dtype=bool)
        first = np.array([names[0] for names in corpus.figure_organisms], dtype=object)
        first[several] = ""
        names, counts = np.unique(first[placed & ~several], return_counts=True)
        ranked = [n for n in names[np.argsort(-counts, kind="stable")] if n != UNSTATED][:MAIN_ORGANISMS]
        groups = [
            Group(name, np.flatnonzero(placed & (first == name)), ORGANISM_COLOURS[i]) for i, name in enumerate(ranked)
        ]
        groups.append(Group("several organisms", np.flatnonzero(placed & several), SEVERAL_ORGANISMS_COLOUR))
        other = placed & ~several & ~np.isin(first, [*ranked, UNSTATED])
        groups.append(Group("other organisms", np.flatnonzero(other), OTHER_ORGANISM_COLOUR))
        groups.append(Group("no organism stated", np.flatnonzero(placed & (first == UNSTATED)), NO_ORGANISM_COLOUR))
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


# --- a region of the map as a selection ----------------------------------------------------------------------------
# A box or lasso drawn on the map is carried in links as `region=`: whole grid units, a box as x0,y0,x1,y1 or a
# polygon as x0,y0,x1,y1,x2,y2,… (a lasso simplified to at most MAX_VERTICES corners). Its figures are a mask of the
# selection, so a region of 50,000 figures costs a few dozen numbers in the URL, not 50,000 figids.
MAX_VERTICES = 40


class RegionError(ValueError):
    """A `region=` value that is not a box or polygon of the map; the message says why."""


def parse_region(text: str) -> tuple[int, ...]:
    """`x0,y0,x1,y1` (a box) or three or more `x,y` corners, in whole grid units; RegionError otherwise."""
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isascii() and p.isdigit() and len(p) <= 5 for p in parts):
        raise RegionError("a region is whole numbers separated by commas")
    values = tuple(int(p) for p in parts)
    if max(values) > GRID:
        raise RegionError(f"a region's numbers are at most {GRID}")
    if len(values) != 4 and (len(values) % 2 or not 6 <= len(values) <= 2 * MAX_VERTICES):
        raise RegionError(f"a region is a box (4 numbers) or 3 to {MAX_VERTICES} corners (x,y pairs)")
    if len(values) == 4:  # a box by its lower left and upper right corners, whichever two were given
        x0, y0, x1, y1 = values
        return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    return values


def to_region(event: object) -> tuple[int, ...] | None:
    """The region of a plotly selection event's box (`range`) or lasso (`lassoPoints`), in whole grid units, a
    lasso thinned to at most MAX_VERTICES corners; None if the event holds neither."""
    if not isinstance(event, dict):
        return None
    try:
        if isinstance(event.get("range"), dict):
            (x0, x1), (y0, y1) = event["range"]["x"], event["range"]["y"]
            xs, ys = np.array([min(x0, x1), max(x0, x1)]), np.array([min(y0, y1), max(y0, y1)])
            corners = np.array([[xs[0], ys[0]], [xs[1], ys[1]]], dtype=np.float64)
        elif isinstance(event.get("lassoPoints"), dict):
            corners = np.column_stack([event["lassoPoints"]["x"], event["lassoPoints"]["y"]]).astype(np.float64)
            if len(corners) < 3:
                return None
            if len(corners) > MAX_VERTICES:
                corners = corners[np.linspace(0, len(corners) - 1, MAX_VERTICES).round().astype(int)]
        else:
            return None
    except (KeyError, TypeError, ValueError):
        return None
    if not np.isfinite(corners).all():
        return None
    return tuple(int(v) for v in np.clip(np.rint(corners), 0, GRID).astype(int).ravel())


def region_mask(points: CorpusMap, region: tuple[int, ...]) -> np.ndarray:
    """Which figures' points lie in the region (a box, edges included, or a polygon by the even–odd rule)."""
    x, y = points.x, points.y
    placed = points.placed
    if len(region) == 4:
        x0, y0, x1, y1 = region
        return placed & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    corners = np.asarray(region, dtype=np.float64).reshape(-1, 2)
    inside = np.zeros(len(x), dtype=bool)
    for (ax, ay), (bx, by) in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        crosses = (ay > y) != (by > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = ax + (y - ay) * (bx - ax) / (by - ay)
        inside ^= crosses & (x < at)
    return placed & inside


def region_figures(corpus: Corpus, region: tuple[int, ...]) -> np.ndarray:
    """The figure mask of a region of the corpus' map (no figure when the corpus has no map)."""
    points = corpus_map(corpus)
    if points is None:
        return np.zeros(corpus.n_figures, dtype=bool)
    return region_mask(points, region)
