"""Analysis floor: full-text search of the figures — a query against the corpus' text index, within a figure mask
(the organism, year, gene, chemical and disease filters), ranked by BM25, paged, each hit with a snippet.

A query whose every word is a figure's id (figid, PMCID or DOI, in any case, a DOI also as a link) finds those
figures by an exact lookup. A word that is a chemical's or disease's id (`mesh:D005947`, `D005947`, `CHEBI:4167`,
`DOID:1612`) keeps the figures mentioning that term, newest first; any other words are searched as text among them
(see `dashboard.corpus.textindex`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.analysis.model import Corpus, Selection, first_in_order, order_figures
from dashboard.analysis.terms import figures_with_id
from dashboard.corpus import columns as C
from dashboard.corpus.textindex.query import MAX_WORDS, QueryError, Word, parse_query
from dashboard.corpus.textindex.snippets import Piece

__all__ = ["Piece", "QueryError", "SearchHit", "SearchResult", "search_figures", "search_mask"]

DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class SearchHit:
    """One figure found: its row and id, title and year, relevance, and a snippet as plain-text pieces."""

    row: int
    figid: str
    title: str
    year: int | None
    score: float | None  # relevance, higher is better (FTS5's BM25 negated); None for a figure named by its id
    snippet: tuple[Piece, ...]


@dataclass(frozen=True)
class SearchResult:
    """The figures matching a query within the mask: how many, the requested page of hits (best first), and
    every matching row with its score (rows ascending; `ranked_rows()` orders them)."""

    query: str
    total: int
    hits: tuple[SearchHit, ...]
    by_id: bool  # the query named figures by id, or chemicals or diseases by id and nothing else
    rows: np.ndarray
    scores: np.ndarray  # BM25 as FTS5 gives it, lower is better (figures named by id: -n … -1 in the order named)
    order: str = "relevance"  # how the hits are ordered: "relevance", "named" (figure ids) or "newest" (term ids)

    def ranked_rows(self) -> np.ndarray:
        """Every matching row, best first (ties in row order)."""
        return self.rows[np.argsort(self.scores, kind="stable")]


def _id_rows(corpus: Corpus, query: str) -> list[int] | None:
    """The figures a query names by id, in the order named; None unless every word of it is an id."""
    words = [w for w in query.replace('"', " ").split() if w]
    if not words or len(words) > MAX_WORDS:
        return None
    found = corpus.text_index.lookup_ids(words)
    if not all(found):
        return None
    return list(dict.fromkeys(row for rows in found for row in rows))


def _term_id_rows(corpus: Corpus, words: list[Word]) -> tuple[np.ndarray | None, list[Word]]:
    """The figures mentioning every chemical or disease the query names by id (`mesh:D005947`, `CHEBI:4167`,
    `D005947`; None if it names none), and the query's other words, searched as text within them."""
    rows: np.ndarray | None = None
    rest: list[Word] = []
    for word in words:
        found = None if word.quoted or word.prefix else figures_with_id(corpus, word.text)
        if found is None:
            rest.append(word)
        else:
            rows = found if rows is None else np.intersect1d(rows, found, assume_unique=True)
    return rows, rest


MASKS_KEPT = 32  # recent queries' masks per corpus: one selection change asks for the same one in every view


def search_mask(corpus: Corpus, query: str) -> np.ndarray:
    """A read-only boolean mask over figures: those matching the query (ids or text). Raises QueryError for a query
    that cannot be searched. The network, table, counts and views of one selection all ask for the same mask, so
    the last few are kept rather than searched again."""

    def search() -> np.ndarray:
        mask = np.zeros(corpus.n_figures, dtype=bool)
        mask[search_figures(corpus, query, limit=0).rows] = True
        mask.flags.writeable = False
        return mask

    return corpus.memo.get("search masks", query, search, keep=MASKS_KEPT)


def search_figures(
    corpus: Corpus, query: str, limit: int = DEFAULT_LIMIT, mask: np.ndarray | None = None, offset: int = 0
) -> SearchResult:
    """Figures matching a query within the mask (None: all), best first: `total`, and the hits from `offset` to
    `offset + limit` with snippets. Raises QueryError (with a message for the user) for an empty, overlong or
    unsearchable query, or one too broad to answer within the index's time budget; never an FTS5 syntax error or
    an interrupted SQLite statement, whatever the text."""
    words = parse_query(query)
    index = corpus.text_index
    with index.budget():  # one query, one time budget: its id lookup, prefix expansion, scoring and snippets
        named = _id_rows(corpus, query)
        compiled = None
        ranking = "named" if named is not None else "relevance"
        term_rows, words = (None, words) if named is not None else _term_id_rows(corpus, words)
        if named is None and term_rows is not None and not words:
            named, ranking = order_figures(corpus, Selection(), term_rows).tolist(), "newest"
        if named is not None:
            # Ranked in the order named, ahead of any score: positions counted from -n.
            order = np.argsort(named, kind="stable")
            rows = np.array(named, dtype=np.int64)[order]
            scores = (order - len(named)).astype(np.float64)
        else:
            compiled = index.compile(words)
            rows, scores = index.search(compiled)
            if term_rows is not None:
                keep = np.isin(rows, term_rows, assume_unique=True)
                rows, scores = rows[keep], scores[keep]
        if mask is not None:
            keep = mask[rows]
            rows, scores = rows[keep], scores[keep]
        page = first_in_order((np.arange(len(scores)), scores), offset + limit)[offset:]  # ties by position
        page_rows = rows[page]
        snippets = index.snippets(compiled, page_rows)
    titles = corpus.figures[C.TITLE].iloc[page_rows].to_numpy(dtype=object, na_value="")
    hits = tuple(
        SearchHit(
            row=int(row),
            figid=str(corpus.figids[row]),
            title=str(title),
            year=None if np.isnan(corpus.years[row]) else int(corpus.years[row]),
            score=None if named is not None else float(-scores[position]),
            snippet=tuple(snippet),
        )
        for row, position, title, snippet in zip(page_rows.tolist(), page.tolist(), titles, snippets, strict=True)
    )
    return SearchResult(
        query=query, total=len(rows), hits=hits, by_id=named is not None, rows=rows, scores=scores, order=ranking
    )
