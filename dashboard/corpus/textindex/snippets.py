"""Corpus floor: snippets of search hits — a short passage of each hit's texts with the query's matches marked, cut
by FTS5 itself from a small in-memory table of the hits, and handed out as plain-text pieces (nothing in them is
markup).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import NamedTuple

from dashboard.corpus.textindex.query import Query
from dashboard.corpus.textindex.schema import INSERT

SNIPPET_TOKENS = 24
MARK_START, MARK_END, ELLIPSIS = "\x01", "\x02", "…"
# A snippet of each column but the ids, the caption's first: markers \x01 and \x02 around every match.
SNIPPETS = (
    "select rowid, snippet(hits, 1, char(1), char(2), '…', 24), snippet(hits, 0, char(1), char(2), '…', 24),"
    " snippet(hits, 2, char(1), char(2), '…', 24), snippet(hits, 3, char(1), char(2), '…', 24),"
    " snippet(hits, 4, char(1), char(2), '…', 24) from hits where hits match ?"
)


class Piece(NamedTuple):
    """A piece of a snippet: plain text, and whether it is a match to highlight."""

    text: str
    match: bool


def cut_snippets(
    query: Query | None, rows: list[int], texts: list[list[str]], scratch: Callable[[], sqlite3.Connection]
) -> list[list[Piece]]:
    """For each row, a short passage of its texts (`texts`: the hits' indexed texts, by column) with the query's
    matches marked: from the caption when the caption matches, else from the first other text that does; the
    caption's start when none does. FTS5 cuts the passages in `scratch`'s table `hits` (opened only when there is
    a query to mark), filled for this call and emptied after it."""
    found: dict[int, list[Piece]] = {}
    if query is not None and not query.matches_nothing:
        db = scratch()
        db.execute("begin")
        try:
            db.executemany(INSERT.format("hits"), zip(rows, *texts, strict=True))
            for row, *passages in db.execute(SNIPPETS, (query.expression,)):
                marked = next((p for p in passages if p and MARK_START in p), None)
                if marked is not None:
                    found[row] = to_pieces(marked)
        finally:
            db.execute("rollback")
    captions, titles = texts[1], texts[0]
    return [
        found.get(row) or [Piece(leading_words(captions[i] or titles[i], SNIPPET_TOKENS), False)]
        for i, row in enumerate(rows)
    ]


def to_pieces(marked: str) -> list[Piece]:
    """A snippet with FTS5's markers → plain-text pieces, the matches flagged (nothing in them is markup)."""
    pieces: list[Piece] = []
    for i, part in enumerate(marked.split(MARK_START)):
        match_text, _, rest = part.partition(MARK_END) if i else ("", "", part)
        if match_text:
            pieces.append(Piece(match_text, True))
        if rest:
            pieces.append(Piece(rest, False))
    return pieces


def leading_words(text: str, count: int) -> str:
    """The first words of a text, with an ellipsis when it goes on."""
    words = text.split()
    return " ".join(words[:count]) + (f" {ELLIPSIS}" if len(words) > count else "")
