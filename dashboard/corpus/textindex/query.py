"""Corpus floor: search queries — what the user typed read into words (`parse_query`), and those words compiled
against an index's vocabulary into a safe FTS5 query (`compile_query`).

User input never reaches FTS5's query syntax: `parse_query` reads words, "quoted phrases" and trailing `*` prefixes
itself, FTS5's own tokenizer splits each of them, and every token goes back quoted. A query that holds nothing to
search is a `QueryError` with a message for the user.
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

MAX_QUERY_CHARS = 500
MAX_WORDS = 16
MAX_EXPANSIONS = 64  # terms a prefix stands for; a prefix of more is left to FTS5's own prefix query
MIN_PREFIX = 2  # characters before an explicit `*`
AUTO_PREFIX = 3  # a bare last word of at least this many characters is also a prefix ("autoph" finds autophagy)
QUOTES = {'"': '"', "\u201c": "\u201d", "\u201d": "\u201d", "\u201e": "\u201c", "\u00ab": "\u00bb"}


class QueryError(ValueError):
    """A search query that cannot be searched; the message says why, for the user."""


class Word(NamedTuple):
    """One unit of a query as typed: a bare word or a quoted phrase, maybe with a trailing `*`."""

    text: str
    quoted: bool
    prefix: bool


def parse_query(text: str) -> list[Word]:
    """The words and "quoted phrases" of a query (a trailing `*` marks a prefix; an unclosed quote runs to the
    end). Raises QueryError for an empty or overlong query. No FTS5 syntax is interpreted here or later."""
    if not isinstance(text, str):
        raise QueryError("the query must be text")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query has {len(text):,} characters; at most {MAX_QUERY_CHARS} are searched")
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in unicodedata.normalize("NFC", text))
    words: list[Word] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == " ":
            i += 1
        elif ch in QUOTES:
            end = text.find(QUOTES[ch], i + 1) if QUOTES[ch] != ch else text.find(ch, i + 1)
            end = n if end < 0 else end
            stars = end + 1
            while stars < n and text[stars] == "*":
                stars += 1
            words.append(Word(text[i + 1 : end], True, stars > end + 1))
            i = stars
        else:
            end = i
            while end < n and text[end] != " " and text[end] not in QUOTES:
                end += 1
            raw = text[i:end]
            stripped = raw.rstrip("*")
            words.append(Word(stripped, False, len(stripped) < len(raw)))
            i = end
    if not any(w.text.strip() for w in words):
        raise QueryError("type a word to search for")
    if not any(map(_token_character, "".join(w.text for w in words))):
        raise QueryError(f"'{' '.join(w.text for w in words)[:60]}' holds no word or number to search for")
    return words


def _token_character(ch: str) -> bool:
    """Whether FTS5's unicode61 tokenizer keeps this character in a word (categories L*, N* and Co; its tables
    stop at the Basic Multilingual Plane and keep every character beyond it)."""
    category = unicodedata.category(ch)
    return category[0] in "LN" or category == "Co" or ord(ch) > 0xFFFF


@dataclass(frozen=True)
class Alternative:
    """One way an item matches: a term, a phrase of several tokens, or a prefix (FTS5 expands it)."""

    tokens: tuple[str, ...]
    prefix: bool = False

    @property
    def expression(self) -> str:
        return quote(self.tokens) + (" *" if self.prefix else "")

    @property
    def is_term(self) -> bool:
        return len(self.tokens) == 1 and not self.prefix


@dataclass(frozen=True)
class Item:
    """A word of the query as FTS5 sees it: any of its alternatives (a prefix's terms) must match."""

    word: Word
    alternatives: tuple[Alternative, ...]

    @property
    def expression(self) -> str:
        return "(" + " OR ".join(alt.expression for alt in self.alternatives) + ")"


@dataclass(frozen=True)
class Query:
    """A parsed query: every item must match (AND). `expression` is the safe FTS5 query it stands for."""

    text: str
    items: tuple[Item, ...]

    @property
    def expression(self) -> str:
        return " AND ".join(item.expression for item in self.items)

    @property
    def matches_nothing(self) -> bool:
        return any(not item.alternatives for item in self.items)


def quote(tokens: Sequence[str]) -> str:
    """Tokens as one FTS5 string (a phrase when there are several): nothing in them is read as FTS5 syntax."""
    return '"' + " ".join(tokens).replace('"', '""') + '"'


class Vocabulary(Protocol):
    """What compiling a query asks of an index: its tokenizer, its terms by prefix, and one time budget."""

    def tokens(self, texts: Sequence[str]) -> list[tuple[str, ...]]: ...

    def expand(self, prefix: str, limit: int = MAX_EXPANSIONS) -> list[str] | None: ...

    def frequent_expansions(self, prefix: str, limit: int = MAX_EXPANSIONS) -> list[str]: ...

    def budget(self) -> contextlib.AbstractContextManager: ...


def compile_query(vocabulary: Vocabulary, words: Sequence[Word]) -> Query:
    """The query's words as FTS5 items: tokenised by FTS5's own tokenizer, prefixes expanded into the index's terms
    (so that each is scored as a term). Raises QueryError when nothing searchable is left (only punctuation) or it
    is too long."""
    split = vocabulary.tokens([w.text for w in words])
    kept = [(w, tokens) for w, tokens in zip(words, split, strict=True) if tokens]
    if not kept:
        shown = " ".join(w.text for w in words)[:60]
        raise QueryError(f"'{shown}' holds no word or number to search for")
    if len(kept) > MAX_WORDS:
        raise QueryError(f"the query has {len(kept)} words; at most {MAX_WORDS} are searched")
    items = []
    last = len(kept) - 1
    with vocabulary.budget():
        for position, (word, tokens) in enumerate(kept):
            auto = position == last and not word.quoted and not word.prefix and len(tokens[0]) >= AUTO_PREFIX
            if len(tokens) == 1 and (word.prefix or auto):
                if word.prefix and len(tokens[0]) < MIN_PREFIX:
                    raise QueryError(f"a prefix needs at least {MIN_PREFIX} letters or digits before the *")
                expanded = vocabulary.expand(tokens[0])
                if expanded is None and not word.prefix:
                    # Only a type-ahead guess: the word itself and its most frequent continuations.
                    expanded = vocabulary.frequent_expansions(tokens[0])
                if expanded is None:
                    alternatives: tuple[Alternative, ...] = (Alternative(tokens, prefix=True),)
                else:
                    alternatives = tuple(Alternative((term,)) for term in expanded)
            else:
                alternatives = (Alternative(tokens, prefix=word.prefix),)
            items.append(Item(word, alternatives))
    return Query(" ".join(w.text for w in words), tuple(items))
