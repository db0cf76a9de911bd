"""Corpus floor: the full-text index of the figures — an SQLite FTS5 file built with the tables, opened read-only.

One FTS5 document per figure (rowid = the figure's row in the figures table) with six columns: title, caption,
paper title, keywords, chemical and disease names, and ids (figid, PMCID, DOI). The index is contentless (the
texts stay in the Arrow tables; snippets are cut from them by FTS5 itself in a small in-memory table of the hits),
and ranked by FTS5's BM25 with the titles weighted above the captions.

The file is written beside the tables of a cache entry or bundle (`build_text_index`) and opened by every web
process with SQLite's `immutable=1`: no lock, no journal, nothing written, on a read-only disk too. Tables made in
memory (no folder) get an index built on first use in a temporary folder.

User input never reaches FTS5's query syntax: `parse_query` reads words, "quoted phrases" and trailing `*`
prefixes itself, FTS5's own tokenizer splits each of them, and every token goes back quoted. A query that holds
nothing to search is a `QueryError` with a message for the user.

Speed: FTS5 scores every matching row, ~1 µs each, and a word that most figures hold matches most of 110,000
figures. So the per-figure BM25 scores of the most frequent terms are computed once, at build time, and stored;
BM25 sums one score per query term, so a query whose every term is frequent adds stored arrays in numpy instead
of asking FTS5 to score 100,000 rows. A query with any rarer term matches few rows and goes to FTS5 directly.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import itertools
import logging
import math
import mmap
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import unicodedata
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.corpus import columns as C
from dashboard.corpus.loader import release_memory
from dashboard.corpus.owners import process_gone

if TYPE_CHECKING:
    from dashboard.corpus.loader import CorpusTables

log = logging.getLogger(__name__)

INDEX_FILE = "text-index.sqlite"
INDEX_FORMAT = 1  # bump when the file's layout or what is indexed changes
COLUMNS = ("title", "caption", "paper_title", "keywords", "terms", "ids")
TOKENIZER = "unicode61 remove_diacritics 2"
INSERT_CHUNK = 5_000  # figures whose texts are made and inserted at once while an index is built
STORED_BATCH = 16  # frequent terms whose scores are computed and inserted at once while an index is built
CACHE_KIB = 32_768  # SQLite's page cache while an index is built (128 MiB: 45 MB more, no faster)
STORED_FROM = 5_000  # figures: a term in more figures than this has its per-figure BM25 scores stored
NATIVE_UP_TO = 5_000  # figures: a query that can match at most this many is scored by FTS5 directly
MAX_QUERY_CHARS = 500
MAX_WORDS = 16
MAX_EXPANSIONS = 64  # terms a prefix stands for; a prefix of more is left to FTS5's own prefix query
MIN_PREFIX = 2  # characters before an explicit `*`
AUTO_PREFIX = 3  # a bare last word of at least this many characters is also a prefix ("autoph" finds autophagy)
SNIPPET_TOKENS = 24
TIME_BUDGET = 2.0  # seconds one query may take inside SQLite before it is refused as too broad
PROGRESS_STEPS = 1_000  # SQLite virtual machine steps between two looks at the clock, inside a budget
MARK_START, MARK_END, ELLIPSIS = "\x01", "\x02", "…"
DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi.org/", "doi:")
QUOTES = {'"': '"', "\u201c": "\u201d", "\u201d": "\u201d", "\u201e": "\u201c", "\u00ab": "\u00bb"}


class QueryError(ValueError):
    """A search query that cannot be searched; the message says why, for the user."""


class UnusableIndex(Exception):
    """An index file that does not belong to these figures or to this version of the code."""


# --- the texts ---------------------------------------------------------------------------------------------------
_DOI_LINK = r"^(?:[Hh][Tt][Tt][Pp][Ss]?://(?:dx\.)?doi\.org/|doi\.org/|[Dd][Oo][Ii]:)"
_ID_PUNCTUATION = ".,;:()[]<>'\""


def _strings(series: pd.Series) -> pd.Series:
    """A text column as strings, missing → ''."""
    return series.astype("string").fillna("")


def doi_of(url: str) -> str:
    """The DOI in a DOI link (`https://doi.org/10.1/x` → `10.1/x`), or the text itself."""
    for prefix in DOI_PREFIXES:
        if url[: len(prefix)].lower() == prefix:
            return url[len(prefix) :]
    return url


class TermTexts:
    """Each figure's chemical and disease names (printed word, MeSH term, ChEBI/DOID name), distinct, joined by
    '; ' ('' for a figure without any), for the figures of `figids` by their position in it: made at once for every
    figure as one Arrow string array, handed out as Python strings a slice at a time."""

    def __init__(self, tables: CorpusTables, figids: pd.Series) -> None:
        names = pa.concat_tables(
            pa.table({"figid": pa.array(table[C.FIGID], pa.string()), "text": pa.array(table[column], pa.string())})
            for table in (tables.chemicals, tables.diseases)
            for column in (C.WORD, C.MATCH, C.NAME)
        )
        names = names.filter(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(pc.fill_null(names["text"], ""))), 0))
        figure = pc.dictionary_encode(names["figid"]).combine_chunks()
        text = pc.dictionary_encode(names["text"]).combine_chunks()
        del names
        # Distinct (figure, text) pairs grouped by figure, as integer keys: ~10× faster than grouping the strings.
        keys = figure.indices.to_numpy().astype(np.int64) * max(1, len(text.dictionary)) + text.indices.to_numpy()
        keys = np.sort(keys)  # np.unique is 10× slower here (numpy 2.4)
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys
        figure_codes, text_codes = np.divmod(keys, max(1, len(text.dictionary)))
        del keys
        offsets = np.zeros(len(figure.dictionary) + 1, dtype=np.int32)
        np.cumsum(np.bincount(figure_codes, minlength=len(figure.dictionary)), out=offsets[1:])
        lists = pa.ListArray.from_arrays(pa.array(offsets), text.dictionary.take(pa.array(text_codes)))
        self.joined = pc.binary_join(lists, "; ")
        self.position = pc.index_in(pa.array(figids.astype(str), pa.string()), value_set=figure.dictionary)

    def texts(self, low: int = 0, high: int | None = None) -> list[str]:
        """The texts of the figures at positions `low` to `high` (excluded) of `figids`."""
        position = self.position[low:high]
        return pc.fill_null(pc.take(self.joined, position), "").to_pylist()


def term_texts(tables: CorpusTables, figids: pd.Series) -> list[str]:
    """Each figure's chemical and disease names (printed word, MeSH term, ChEBI/DOID name), distinct, joined by
    '; ', in the order of `figids` ('' for a figure without any)."""
    return TermTexts(tables, figids).texts()


def _ids_text(figures: pd.DataFrame) -> pd.Series:
    """The ids column: the PMCID, and the figid and DOI each squeezed into one token (`PMC1__a-b` → `PMC1ab`), so
    that an id is found whole and its parts (`10`, `g002`) do not become the corpus' most frequent words."""
    squeeze = r"[^\w]|_"
    figids = _strings(figures[C.FIGID]).str.replace(squeeze, "", regex=True)
    dois = _strings(figures[C.DOI_URL]).str.replace(_DOI_LINK, "", regex=True).str.replace(squeeze, "", regex=True)
    return (_strings(figures[C.PMCID]) + " " + figids + " " + dois).str.strip()


def figure_texts(figures: pd.DataFrame, terms: Sequence[str], clean: bool = False) -> list[list[str]]:
    """The six indexed texts of each figure (in `COLUMNS` order), one list of strings per column; with `clean`, the
    snippet markers (two control characters, separators to the tokenizer) blanked, so that a marker in a snippet
    can only come from FTS5."""
    columns = [_strings(figures[name]) for name in (C.TITLE, C.CAPTION, C.PAPER_TITLE, C.KEYWORDS)]
    columns.insert(4, _strings(pd.Series(list(terms), dtype="string")))
    columns.append(_ids_text(figures))
    if clean:
        columns = [column.str.replace(f"[{MARK_START}{MARK_END}]", " ", regex=True) for column in columns]
    return [column.to_numpy(dtype=object).tolist() for column in columns]


def id_keys(figures: pd.DataFrame, first_row: int = 0) -> pd.DataFrame:
    """Every figid, PMCID and DOI as an exact lookup finds it (`normalise_id`), with its figure row (the rows of
    `figures` numbered from `first_row`)."""
    rows = np.arange(first_row, first_row + len(figures))
    dois = _strings(figures[C.DOI_URL]).str.replace(_DOI_LINK, "", regex=True)
    keys = pd.concat(
        [
            pd.DataFrame({"key": values.to_numpy(), "row": rows})
            for values in (_strings(figures[C.FIGID]), _strings(figures[C.PMCID]), dois)
        ],
        ignore_index=True,
    )
    keys["key"] = keys["key"].astype("string").str.strip().str.strip(_ID_PUNCTUATION).str.casefold()
    return keys[keys["key"] != ""].drop_duplicates()


def normalise_id(text: str) -> str:
    """An id as looked up: a DOI without its link or `doi:` prefix, case-folded, without surrounding punctuation."""
    return doi_of(text.strip().strip(_ID_PUNCTUATION)).strip().strip(_ID_PUNCTUATION).casefold()


def figids_digest(figids: Sequence[str]) -> str:
    """A digest of the figure ids in row order: an index belongs to exactly these rows."""
    return hashlib.sha256("\n".join(figids).encode()).hexdigest()


class FigidsDigest:
    """`figids_digest` of figure ids given a slice at a time."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.first = True

    def add(self, figids: Sequence[str]) -> None:
        if len(figids):
            self.digest.update((("" if self.first else "\n") + "\n".join(figids)).encode())
            self.first = False

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


# --- building ----------------------------------------------------------------------------------------------------
def _find_madvise() -> ctypes._CFuncPtr | None:
    try:
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    return madvise


_MADVISE = _find_madvise()


class MappedPages:
    """The file mappings holding the Arrow columns of some tables (the memory-mapped files of a cache entry or
    bundle), whose pages an index build reads once: `release` drops them from this process (they stay in the page
    cache, and are read again from it if touched again). Without it, building the index of 110,000 figures left
    the 250 MB of their texts resident in the building process.

    Only mappings that cannot hold data of their own are released: read-only, of a file, with no anonymous page
    (no copy-on-write page that dropping would lose) — as /proc/self/smaps tells; elsewhere, or for tables made in
    memory, `release` does nothing."""

    def __init__(self, frames: Iterable[pd.DataFrame]) -> None:
        addresses = [
            buffer.address
            for frame in frames
            for _, column in frame.items()
            if isinstance(column.array, pd.arrays.ArrowExtensionArray)
            for chunk in column.array.__arrow_array__().chunks
            for buffer in chunk.buffers()
            if buffer is not None and buffer.size
        ]
        mappings = _file_mappings() if addresses and _MADVISE is not None else []
        self.ranges = [(low, high) for low, high in mappings if any(low <= a < high for a in addresses)]

    def release(self) -> None:
        for low, high in self.ranges:
            _MADVISE(low, high - low, mmap.MADV_DONTNEED)


def _file_mappings() -> list[tuple[int, int]]:
    """This process's read-only file mappings without an anonymous page, as (start, end) addresses."""
    found: list[tuple[int, int]] = []
    try:
        with open("/proc/self/smaps", encoding="utf-8", errors="replace") as smaps:
            current = None
            for line in smaps:
                head = line.split(maxsplit=5)
                if "-" in head[0] and len(head) >= 5:  # a mapping: range, permissions, offset, device, inode, path
                    path = head[5].strip() if len(head) > 5 else ""
                    low, high = (int(x, 16) for x in head[0].split("-"))
                    readable_only = head[1].startswith("r") and "w" not in head[1]
                    current = (low, high) if readable_only and head[4] != "0" and path.startswith("/") else None
                elif current is not None and head[0] == "Anonymous:":
                    if head[1] == "0":
                        found.append(current)
                    current = None
    except (OSError, ValueError, IndexError):
        return []
    return found


_SCHEMA = f"""
create virtual table fts using fts5({", ".join(COLUMNS)}, content='', tokenize='{TOKENIZER}');
create table vocab (term text primary key, df integer not null) without rowid;
create table ids (key text not null, row integer not null, primary key (key, row)) without rowid;
create table terms (row integer primary key, text text not null);
create table stored (term text primary key, rows blob not null, scores blob not null) without rowid;
create table meta (key text primary key, value text not null) without rowid;
"""
# BM25 weights of the columns: title 10, caption 1, paper title 5, keywords 4, chemicals and diseases 3, ids 2.
_SCORES = "select rowid, bm25(fts, 10.0, 1.0, 5.0, 4.0, 3.0, 2.0) from fts where fts match ? order by rowid"
_INSERT = "insert into {} (rowid, title, caption, paper_title, keywords, terms, ids) values (?, ?, ?, ?, ?, ?, ?)"
# A snippet of each column but the ids, the caption's first: markers \x01 and \x02 around every match.
_SNIPPETS = (
    "select rowid, snippet(hits, 1, char(1), char(2), '…', 24), snippet(hits, 0, char(1), char(2), '…', 24),"
    " snippet(hits, 2, char(1), char(2), '…', 24), snippet(hits, 3, char(1), char(2), '…', 24),"
    " snippet(hits, 4, char(1), char(2), '…', 24) from hits where hits match ?"
)


def build_text_index(
    tables: CorpusTables, folder: str | os.PathLike, stored_from: int = STORED_FROM, chunk: int = INSERT_CHUNK
) -> Path:
    """Write the full-text index of the tables' figures into a folder (atomically: a temporary file renamed);
    returns its path. Terms in more than `stored_from` figures get their BM25 scores stored. Everything made per
    figure — the texts, the chemical and disease names, the ids — is made and inserted `chunk` figures at a time:
    all 110,000 at once held a gigabyte of Python strings."""
    started = time.perf_counter()
    target = Path(folder) / INDEX_FILE
    staging = target.with_name(f".{INDEX_FILE}.{os.getpid()}.{threading.get_ident()}.tmp")
    figures = tables.figures.reset_index(drop=True)
    mapped = MappedPages([figures, tables.chemicals, tables.diseases])
    terms = TermTexts(tables, figures[C.FIGID])
    mapped.release()
    release_memory()  # what grouping the names went through
    staging.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(staging, isolation_level=None)) as db:
            for pragma in ("journal_mode = off", "synchronous = off", f"cache_size = -{CACHE_KIB}"):
                db.execute(f"pragma {pragma}")
            db.executescript(_SCHEMA)
            db.execute("insert into fts (fts, rank) values ('automerge', 0)")  # merged once, by 'optimize'
            db.execute("insert into fts (fts, rank) values ('crisismerge', 1000)")
            db.execute("begin")
            digest = FigidsDigest()
            for low in range(0, len(figures), chunk):
                part = figures.iloc[low : low + chunk]
                rows = range(low, low + len(part))
                names = terms.texts(low, low + len(part))
                texts = figure_texts(part, names)
                db.executemany(_INSERT.format("fts"), zip(rows, *texts, strict=True))
                named = ((row, text) for row, text in zip(rows, names, strict=True) if text)
                db.executemany("insert into terms values (?, ?)", named)
                keys = id_keys(part, first_row=low)
                db.executemany(
                    "insert into ids values (?, ?)", zip(keys["key"].tolist(), keys["row"].tolist(), strict=True)
                )
                digest.add(part[C.FIGID].astype(str).tolist())
                del part, names, texts, keys
                mapped.release()
            del terms
            db.execute("insert into fts (fts) values ('optimize')")
            db.execute("create virtual table temp.words using fts5vocab(main, fts, row)")
            db.execute("insert into vocab select term, doc from temp.words")
            meta = {
                "format": str(INDEX_FORMAT),
                "figures": str(len(figures)),
                "figids": digest.hexdigest(),
                "stored_from": str(stored_from),
            }
            db.executemany("insert into meta values (?, ?)", meta.items())
            db.execute("commit")
            frequent = [t for (t,) in db.execute("select term from vocab where df > ? order by term", (stored_from,))]
            db.execute("begin")
            for low in range(0, len(frequent), STORED_BATCH):  # never every frequent term's scores at once
                batch = list(_stored_scores(db, frequent[low : low + STORED_BATCH], len(figures)))
                db.executemany("insert into stored values (?, ?, ?)", batch)
                del batch
            db.execute("commit")
        staging.chmod(0o644)
        os.replace(staging, target)
    except sqlite3.Error as exc:  # a full disk, a file size limit: an OSError to the cache and bundle writers
        staging.unlink(missing_ok=True)
        raise OSError(f"cannot write the text index {target}: {exc}") from exc
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    log.info(
        "built the text index of %d figures in %.1f s: %.1f MiB, %d frequent terms' scores stored",
        len(figures),
        time.perf_counter() - started,
        target.stat().st_size / 2**20,
        len(frequent),
    )
    return target


def _stored_scores(db: sqlite3.Connection, terms: list[str], n_figures: int) -> Iterator[tuple[str, bytes, bytes]]:
    """Each frequent term's figures (a bitmap over rows) and BM25 scores (float32), as FTS5 scores them. (Two
    threads are slower here than one: SQLite's allocator takes a global lock.)"""
    for term in terms:
        rows, scores = _fts_scores(db, _quote([term]))
        bitmap = np.zeros(n_figures, dtype=bool)
        bitmap[rows] = True
        yield term, np.packbits(bitmap).tobytes(), scores.astype(np.float32).tobytes()


def _fts_rows(db: sqlite3.Connection, expression: str) -> np.ndarray:
    """Rows matching an FTS5 expression, ascending (read as one string and parsed by Arrow: 100,000 rows in a few
    milliseconds, where reading them one by one costs more than matching them)."""
    (joined,) = db.execute("select group_concat(rowid) from fts where fts match ?", (expression,)).fetchone()
    if not joined:
        return np.zeros(0, dtype=np.int64)
    return pc.cast(pc.list_flatten(pc.split_pattern(pa.array([joined]), ",")), pa.int64()).to_numpy()


def _fts_scores(db: sqlite3.Connection, expression: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows matching an FTS5 expression (ascending) and their BM25 scores (lower is better, as FTS5 gives them)."""
    # Read straight into an array: a list of 100,000 tuples first costs as much as FTS5's scoring.
    pairs = np.fromiter(itertools.chain.from_iterable(db.execute(_SCORES, (expression,))), dtype=np.float64)
    pairs = pairs.reshape(-1, 2)
    return pairs[:, 0].astype(np.int32), pairs[:, 1]


# --- queries -----------------------------------------------------------------------------------------------------
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
        return _quote(self.tokens) + (" *" if self.prefix else "")

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


def _quote(tokens: Sequence[str]) -> str:
    return '"' + " ".join(tokens).replace('"', '""') + '"'


class Matches(NamedTuple):
    """Figure rows matching a query, ascending, with their BM25 scores (lower is better, as FTS5 gives them)."""

    rows: np.ndarray
    scores: np.ndarray


class Piece(NamedTuple):
    """A piece of a snippet: plain text, and whether it is a match to highlight."""

    text: str
    match: bool


# --- the open index ----------------------------------------------------------------------------------------------
class _Local(threading.local):
    """Per thread: the process that opened the connections (a forked child opens its own), and the deadline of the
    running query (infinite outside a query's budget: nothing is interrupted then)."""

    pid = -1
    db: sqlite3.Connection | None = None
    scratch: sqlite3.Connection | None = None
    deadline = math.inf


class TextIndex:
    """An open full-text index: read-only, one SQLite connection per thread (and per process after a fork)."""

    def __init__(self, path: str | os.PathLike, figures: pd.DataFrame, native_up_to: int = NATIVE_UP_TO):
        self.path = Path(path).resolve()
        self.figures = figures.reset_index(drop=True)
        self.native_up_to = native_up_to
        self.time_budget = TIME_BUDGET
        self.keeps: object | None = None  # what keeps the file's folder from being pruned (a cache entry's hold)
        self._local = _Local()
        db = self._db()
        meta = dict(db.execute("select key, value from meta").fetchall())
        if meta.get("format") != str(INDEX_FORMAT):
            raise UnusableIndex(f"{self.path}: text index format {meta.get('format')}, not {INDEX_FORMAT}")
        if meta.get("figures") != str(len(self.figures)) or meta.get("figids") != figids_digest(
            self.figures[C.FIGID].astype(str).tolist()
        ):
            raise UnusableIndex(f"{self.path}: the text index was built for other figures")
        self.n_figures = len(self.figures)

    # connections
    def _db(self) -> sqlite3.Connection:
        """This thread's connection (no progress handler: `budget` sets one for the span of a query)."""
        local = self._local
        if local.pid != os.getpid() or local.db is None:
            local.pid = os.getpid()
            local.db = sqlite3.connect(f"{self.path.as_uri()}?immutable=1", uri=True)
            local.scratch = None
            local.deadline = math.inf
        return local.db

    def _scratch(self) -> sqlite3.Connection:
        """A private in-memory database with FTS5 tables of the same tokenizer: to split words into tokens and to
        cut snippets from the texts of a few hits."""
        self._db()
        local = self._local
        if local.scratch is None:
            scratch = sqlite3.connect(":memory:", isolation_level=None)
            scratch.executescript(
                f"""
                create virtual table words using fts5(text, tokenize='{TOKENIZER}');
                create virtual table tokens using fts5vocab(words, instance);
                create virtual table hits using fts5({", ".join(COLUMNS)}, tokenize='{TOKENIZER}');
                """
            )
            local.scratch = scratch
        return local.scratch

    @contextlib.contextmanager
    def budget(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, interrupted once the query has run `time_budget` seconds: an interruption is a
        QueryError (too broad). Nested, the outer deadline holds (one query, one budget). On leaving, the deadline
        and the progress handler are gone: nothing run later is interrupted by this query's clock."""
        db = self._db()
        local = self._local
        outer = local.deadline
        local.deadline = min(outer, time.monotonic() + self.time_budget)
        if outer == math.inf:
            db.set_progress_handler(lambda: time.monotonic() > local.deadline, PROGRESS_STEPS)
        try:
            yield db
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT:
                raise QueryError(
                    "the query is too broad to answer in time; add a word or drop a short prefix"
                ) from None
            raise
        finally:
            local.deadline = outer
            if outer == math.inf:
                db.set_progress_handler(None, 0)

    # words
    def tokens(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        """How FTS5's tokenizer splits each text (case-folded, diacritics removed), in order."""
        scratch = self._scratch()
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
        """The query's words as FTS5 items: tokenised by FTS5's own tokenizer, prefixes expanded. Raises QueryError
        when nothing searchable is left (only punctuation) or it is too long."""
        split = self.tokens([w.text for w in words])
        kept = [(w, tokens) for w, tokens in zip(words, split, strict=True) if tokens]
        if not kept:
            shown = " ".join(w.text for w in words)[:60]
            raise QueryError(f"'{shown}' holds no word or number to search for")
        if len(kept) > MAX_WORDS:
            raise QueryError(f"the query has {len(kept)} words; at most {MAX_WORDS} are searched")
        items = []
        last = len(kept) - 1
        with self.budget():
            for position, (word, tokens) in enumerate(kept):
                auto = position == last and not word.quoted and not word.prefix and len(tokens[0]) >= AUTO_PREFIX
                if len(tokens) == 1 and (word.prefix or auto):
                    if word.prefix and len(tokens[0]) < MIN_PREFIX:
                        raise QueryError(f"a prefix needs at least {MIN_PREFIX} letters or digits before the *")
                    expanded = self.expand(tokens[0])
                    if expanded is None and not word.prefix:
                        # Only a type-ahead guess: the word itself and its most frequent continuations.
                        expanded = self.frequent_expansions(tokens[0])
                    if expanded is None:
                        alternatives: tuple[Alternative, ...] = (Alternative(tokens, prefix=True),)
                    else:
                        alternatives = tuple(Alternative((term,)) for term in expanded)
                else:
                    alternatives = (Alternative(tokens, prefix=word.prefix),)
                items.append(Item(word, alternatives))
        return Query(" ".join(w.text for w in words), tuple(items))

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
        Otherwise every word is frequent: the stored scores of its terms are added up per figure (the sum FTS5's
        BM25 makes). A phrase of frequent words is matched exactly by FTS5 but scored as the sum of its words'
        scores: FTS5 would score each of 100,000 rows at ~1 µs, and a phrase that common weighs next to nothing in
        BM25 anyway (its inverse document frequency is near or at its floor).
        """
        if query.matches_nothing:
            return Matches(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
        with self.budget() as db:
            if self.estimate(query) <= self.native_up_to:
                rows, scores = _fts_scores(db, query.expression)
                return Matches(rows.astype(np.int64), scores)
            total = np.zeros(self.n_figures, dtype=np.float64)
            found = np.ones(self.n_figures, dtype=bool)
            for item in query.items:
                hit = np.zeros(self.n_figures, dtype=bool)
                scored = [(alt, self._from_stored(db, alt)) for alt in item.alternatives]
                parts = [found_scores for _, found_scores in scored if found_scores is not None]
                rest = [alt.expression for alt, found_scores in scored if found_scores is None]
                if rest:  # the rarer terms of a prefix, in one query: BM25 of an OR is the sum of its parts
                    parts.append(_fts_scores(db, " OR ".join(rest)))
                for rows, scores in parts:
                    hit[rows] = True
                    total[rows] += scores
                found &= hit
            rows = np.flatnonzero(found)
            return Matches(rows, total[rows])

    def _stored(self, db: sqlite3.Connection, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A frequent term's figure rows and BM25 scores, as stored at build time; None for another term."""
        stored = db.execute("select rows, scores from stored where term = ?", (term,)).fetchone()
        if stored is None:
            return None
        rows = np.flatnonzero(np.unpackbits(np.frombuffer(stored[0], dtype=np.uint8), count=self.n_figures))
        return rows, np.frombuffer(stored[1], dtype=np.float32).astype(np.float64)

    def _from_stored(self, db: sqlite3.Connection, alternative: Alternative) -> tuple[np.ndarray, np.ndarray] | None:
        """An alternative's figures and scores from the stored scores of its words (a phrase: its figures from
        FTS5, scored as its words); None when a word of it has none stored, or for a prefix."""
        if alternative.prefix:
            return None
        words = [self._stored(db, token) for token in dict.fromkeys(alternative.tokens)]
        if any(word is None for word in words):
            return None
        if alternative.is_term:
            return words[0]
        rows = _fts_rows(db, alternative.expression)
        total = np.zeros(self.n_figures, dtype=np.float64)
        for word_rows, word_scores in words:
            total[word_rows] += word_scores
        return rows, total[rows]

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
        found: dict[int, list[Piece]] = {}
        if query is not None and not query.matches_nothing:
            scratch = self._scratch()
            scratch.execute("begin")
            try:
                scratch.executemany(_INSERT.format("hits"), zip(rows, *texts, strict=True))
                for row, *passages in scratch.execute(_SNIPPETS, (query.expression,)):
                    marked = next((p for p in passages if p and MARK_START in p), None)
                    if marked is not None:
                        found[row] = to_pieces(marked)
            finally:
                scratch.execute("rollback")
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


# --- opening -----------------------------------------------------------------------------------------------------
def open_text_index(path: str | os.PathLike, figures: pd.DataFrame) -> TextIndex:
    """Open an index file read-only for these figures; UnusableIndex if it is not one built for them, OSError or
    sqlite3.Error if it cannot be read."""
    return TextIndex(path, figures)


TEMPORARY = "pfocr-text-index-"  # + owner pid and a random suffix: the index of tables made in memory


def _remove_folder(folder: str, owner: int) -> None:
    if os.getpid() == owner:  # a forked worker must not delete the folder its siblings still read
        shutil.rmtree(folder, ignore_errors=True)


def remove_leftovers(parent: str | os.PathLike) -> None:
    """Delete the temporary indexes of processes that are gone (killed before they could clean up)."""
    for folder in Path(parent).glob(f"{TEMPORARY}*"):
        if process_gone(folder.name.removeprefix(TEMPORARY).partition("-")[0]):
            log.info("removing %s, left by a process that is gone", folder)
            shutil.rmtree(folder, ignore_errors=True)


_unusable = 0  # index files of a cache entry or bundle this process could not use (each replaced by a new one)
_unusable_lock = threading.Lock()


def unusable_index_count() -> int:
    """How many text index files of a cache entry or bundle this process could not open and built anew (what
    /metrics shows)."""
    return _unusable


def _count_unusable() -> None:
    global _unusable
    with _unusable_lock:
        _unusable += 1


def load_text_index(tables: CorpusTables) -> TextIndex:
    """The tables' index: the file built with their cache entry or bundle, else one built now in a temporary
    folder (removed when the index is dropped, or by a later process if this one is killed). A file that will not
    open is an error (logged, counted in `unusable_index_count`): the search still answers, from an index built
    for this process at a cost of its own."""
    path = getattr(tables, "text_index", None)
    if path is not None:
        try:
            index = open_text_index(path, tables.figures)
            index.keeps = getattr(tables, "hold", None)  # reopened by path in every new thread: its entry stays
            return index
        except (OSError, sqlite3.Error, UnusableIndex) as exc:
            _count_unusable()
            log.error("cannot use the text index %s (%s); building one for this process", path, exc, exc_info=exc)
    remove_leftovers(tempfile.gettempdir())
    folder = tempfile.mkdtemp(prefix=f"{TEMPORARY}{os.getpid()}-")
    try:
        index = TextIndex(build_text_index(tables, folder), tables.figures)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    weakref.finalize(index, _remove_folder, folder, os.getpid())
    return index
