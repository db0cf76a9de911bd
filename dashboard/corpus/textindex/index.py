"""Corpus floor: an open full-text index — checked to belong to these figures, asked for its vocabulary, queries
compiled against it, scored, ids looked up, and snippets cut for a page of hits.

The index is contentless: the texts stay in the Arrow tables, and snippets are cut from them (`snippets`). How the
scores are made is in `scoring`, the connections and the time budget in `connections`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.corpus import columns as C
from dashboard.corpus.textindex.connections import TIME_BUDGET, Connections
from dashboard.corpus.textindex.query import MAX_EXPANSIONS, Alternative, Query, Word, compile_query
from dashboard.corpus.textindex.schema import INDEX_FORMAT
from dashboard.corpus.textindex.scoring import NATIVE_UP_TO, Matches, fts_scores, summed_scores
from dashboard.corpus.textindex.snippets import Piece, cut_snippets
from dashboard.corpus.textindex.texts import figids_digest, figure_texts, normalise_id


class UnusableIndex(Exception):
    """An index file that does not belong to these figures or to this version of the code."""


class TextIndex:
    """An open full-text index: read-only, one SQLite connection per thread (and per process after a fork)."""

    def __init__(self, path: str | os.PathLike, figures: pd.DataFrame, native_up_to: int = NATIVE_UP_TO):
        self.path = Path(path).resolve()
        self.figures = figures.reset_index(drop=True)
        self.native_up_to = native_up_to
        self.time_budget = TIME_BUDGET
        self.keeps: object | None = None  # what keeps the file's folder from being pruned (a cache entry's hold)
        self._connections = Connections(self.path)
        db = self._connections.db()
        meta = dict(db.execute("select key, value from meta").fetchall())
        if meta.get("format") != str(INDEX_FORMAT):
            raise UnusableIndex(f"{self.path}: text index format {meta.get('format')}, not {INDEX_FORMAT}")
        if meta.get("figures") != str(len(self.figures)) or meta.get("figids") != figids_digest(
            self.figures[C.FIGID].astype(str).tolist()
        ):
            raise UnusableIndex(f"{self.path}: the text index was built for other figures")
        self.n_figures = len(self.figures)

    def budget(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """This thread's connection, interrupted once the query has run `time_budget` seconds (a QueryError: too
        broad); nested, the outer budget holds, so that one query has one budget whatever steps it takes."""
        return self._connections.budget(self.time_budget)

    # words
    def tokens(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        """How FTS5's tokenizer splits each text (case-folded, diacritics removed), in order."""
        scratch = self._connections.scratch()
        scratch.execute("begin")
        try:
            scratch.executemany("insert into words (rowid, text) values (?, ?)", enumerate(texts))
            found: list[list[str]] = [[] for _ in texts]
            for doc, term in scratch.execute("select doc, term from tokens order by doc, offset"):
                found[doc].append(term)
        finally:
            scratch.execute("rollback")
        return [tuple(tokens) for tokens in found]

    def document_frequency(self, term: str) -> int:
        """How many figures hold a term (0 for none)."""
        with self.budget() as db:
            found = db.execute("select df from vocab where term = ?", (term,)).fetchone()
        return int(found[0]) if found else 0

    def expand(self, prefix: str, limit: int = MAX_EXPANSIONS) -> list[str] | None:
        """The terms starting with a prefix (in term order); None if there are more than `limit`."""
        with self.budget() as db:
            found = db.execute(
                "select term from vocab where term >= ? and term < ? limit ?",
                (prefix, prefix + "\U0010ffff", limit + 1),
            ).fetchall()
        return None if len(found) > limit else [term for (term,) in found]

    def frequent_expansions(self, prefix: str, limit: int = MAX_EXPANSIONS) -> list[str]:
        """The term itself, if indexed, and the `limit` terms with this prefix that most figures hold."""
        with self.budget() as db:
            found = db.execute(
                "select term from vocab where term >= ? and term < ? order by df desc, term limit ?",
                (prefix, prefix + "\U0010ffff", limit),
            ).fetchall()
            terms = [term for (term,) in found]
            return terms if prefix in terms or not self.document_frequency(prefix) else [prefix, *terms[:-1]]

    def prefix_frequency(self, prefix: str) -> int:
        """An upper bound of the figures holding a term with this prefix."""
        with self.budget() as db:
            found = db.execute(
                "select coalesce(sum(df), 0) from vocab where term >= ? and term < ?", (prefix, prefix + "\U0010ffff")
            ).fetchone()
        return int(found[0])

    def compile(self, words: Sequence[Word]) -> Query:
        """The query's words as FTS5 items (see `compile_query`): tokenised by this index's tokenizer, prefixes
        expanded into its terms. Raises QueryError when nothing searchable is left or it is too long."""
        return compile_query(self, words)

    def _upper_bound(self, alternative: Alternative) -> int:
        frequencies = [self.document_frequency(t) for t in alternative.tokens[:-1]]
        last = alternative.tokens[-1]
        frequencies.append(self.prefix_frequency(last) if alternative.prefix else self.document_frequency(last))
        return min(frequencies)

    def estimate(self, query: Query) -> int:
        """At most how many figures the query can match (from the terms' document frequencies)."""
        if query.matches_nothing:
            return 0
        bound = self.n_figures
        with self.budget():
            for item in query.items:
                bound = min(bound, sum(self._upper_bound(alt) for alt in item.alternatives))
        return bound

    # search
    def search(self, query: Query) -> Matches:
        """Every figure matching the query (rows ascending) with its BM25 score (lower is better).

        When the query's rarest word can match at most `native_up_to` figures, FTS5 scores the matches itself.
        Otherwise every word is frequent: the stored scores of its terms are added up per figure
        (`summed_scores`), which ranks as FTS5's BM25 does.
        """
        if query.matches_nothing:
            return Matches(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
        with self.budget() as db:
            if self.estimate(query) <= self.native_up_to:
                rows, scores = fts_scores(db, query.expression)
                return Matches(rows.astype(np.int64), scores)
            return summed_scores(db, query, self.n_figures)

    def lookup_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """For each text, the figure rows whose figid, PMCID or DOI it is (exactly, in any case)."""
        with self.budget() as db:
            return [
                [row for (row,) in db.execute("select row from ids where key = ? order by row", (normalise_id(text),))]
                for text in texts
            ]

    # snippets
    def _term_texts(self, rows: Sequence[int]) -> list[str]:
        found = {}
        with self.budget() as db:
            for row in rows:
                text = db.execute("select text from terms where row = ?", (int(row),)).fetchone()
                found[row] = text[0] if text else ""
        return [found[row] for row in rows]

    def snippets(self, query: Query | None, rows: Sequence[int]) -> list[list[Piece]]:
        """For each row, a short passage of its texts with the query's matches marked: from the caption when the
        caption matches, else from the first other text that does; the caption's start when none does."""
        rows = [int(r) for r in rows]
        if not rows:
            return []
        texts = figure_texts(self.figures.iloc[rows], self._term_texts(rows), clean=True)
        return cut_snippets(query, rows, texts, self._connections.scratch)
