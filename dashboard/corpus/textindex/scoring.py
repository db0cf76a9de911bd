"""Corpus floor: BM25 scores of a query's figures, two ways that rank alike.

FTS5 scores every matching row, ~1 µs each, and a word that most figures hold matches most of 110,000 figures. So
the per-figure BM25 scores of the most frequent terms are computed once, at build time, and stored
(`stored_scores`); BM25 sums one score per query term, so a query whose every term is frequent adds stored arrays
in numpy (`summed_scores`) instead of asking FTS5 to score 100,000 rows. A query with any rarer term matches few
rows and goes to FTS5 directly (`fts_scores`).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.corpus.textindex.query import Alternative, Query, quote
from dashboard.corpus.textindex.schema import SCORES

STORED_FROM = 5_000  # figures: a term in more figures than this has its per-figure BM25 scores stored
NATIVE_UP_TO = 5_000  # figures: a query that can match at most this many is scored by FTS5 directly


class Matches(NamedTuple):
    """Figure rows matching a query, ascending, with their BM25 scores (lower is better, as FTS5 gives them)."""

    rows: np.ndarray
    scores: np.ndarray


def stored_scores(db: sqlite3.Connection, terms: list[str], n_figures: int) -> Iterator[tuple[str, bytes, bytes]]:
    """Each frequent term's figures (a bitmap over rows) and BM25 scores (float32), as FTS5 scores them. (Two
    threads are slower here than one: SQLite's allocator takes a global lock.)"""
    for term in terms:
        rows, scores = fts_scores(db, quote([term]))
        bitmap = np.zeros(n_figures, dtype=bool)
        bitmap[rows] = True
        yield term, np.packbits(bitmap).tobytes(), scores.astype(np.float32).tobytes()


def fts_rows(db: sqlite3.Connection, expression: str) -> np.ndarray:
    """Rows matching an FTS5 expression, ascending (read as one string and parsed by Arrow: 100,000 rows in a few
    milliseconds, where reading them one by one costs more than matching them)."""
    (joined,) = db.execute("select group_concat(rowid) from fts where fts match ?", (expression,)).fetchone()
    if not joined:
        return np.zeros(0, dtype=np.int64)
    return pc.cast(pc.list_flatten(pc.split_pattern(pa.array([joined]), ",")), pa.int64()).to_numpy()


def fts_scores(db: sqlite3.Connection, expression: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows matching an FTS5 expression (ascending) and their BM25 scores (lower is better, as FTS5 gives them)."""
    # Read straight into an array: a list of 100,000 tuples first costs as much as FTS5's scoring.
    pairs = np.fromiter(itertools.chain.from_iterable(db.execute(SCORES, (expression,))), dtype=np.float64)
    pairs = pairs.reshape(-1, 2)
    return pairs[:, 0].astype(np.int32), pairs[:, 1]


def summed_scores(db: sqlite3.Connection, query: Query, n_figures: int) -> Matches:
    """Every figure matching the query (rows ascending) with its BM25 score: for each item, the stored scores of
    its terms added up per figure (the sum FTS5's BM25 makes), the rarer terms of a prefix scored by FTS5 in one
    query. A phrase of frequent words is matched exactly by FTS5 but scored as the sum of its words' scores: FTS5
    would score each of 100,000 rows at ~1 µs, and a phrase that common weighs next to nothing in BM25 anyway (its
    inverse document frequency is near or at its floor)."""
    total = np.zeros(n_figures, dtype=np.float64)
    found = np.ones(n_figures, dtype=bool)
    for item in query.items:
        hit = np.zeros(n_figures, dtype=bool)
        scored = [(alt, from_stored(db, alt, n_figures)) for alt in item.alternatives]
        parts = [found_scores for _, found_scores in scored if found_scores is not None]
        rest = [alt.expression for alt, found_scores in scored if found_scores is None]
        if rest:  # the rarer terms of a prefix, in one query: BM25 of an OR is the sum of its parts
            parts.append(fts_scores(db, " OR ".join(rest)))
        for rows, scores in parts:
            hit[rows] = True
            total[rows] += scores
        found &= hit
    rows = np.flatnonzero(found)
    return Matches(rows, total[rows])


def read_stored(db: sqlite3.Connection, term: str, n_figures: int) -> tuple[np.ndarray, np.ndarray] | None:
    """A frequent term's figure rows and BM25 scores, as stored at build time; None for another term."""
    stored = db.execute("select rows, scores from stored where term = ?", (term,)).fetchone()
    if stored is None:
        return None
    rows = np.flatnonzero(np.unpackbits(np.frombuffer(stored[0], dtype=np.uint8), count=n_figures))
    return rows, np.frombuffer(stored[1], dtype=np.float32).astype(np.float64)


def from_stored(
    db: sqlite3.Connection, alternative: Alternative, n_figures: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """An alternative's figures and scores from the stored scores of its words (a phrase: its figures from
    FTS5, scored as its words); None when a word of it has none stored, or for a prefix."""
    if alternative.prefix:
        return None
    words = [read_stored(db, token, n_figures) for token in dict.fromkeys(alternative.tokens)]
    if any(word is None for word in words):
        return None
    if alternative.is_term:
        return words[0]
    rows = fts_rows(db, alternative.expression)
    total = np.zeros(n_figures, dtype=np.float64)
    for word_rows, word_scores in words:
        total[word_rows] += word_scores
    return rows, total[rows]
