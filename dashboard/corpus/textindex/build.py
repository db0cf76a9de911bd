"""Corpus floor: writing the full-text index of some tables — an SQLite FTS5 file beside the tables of a cache entry
or bundle, written once and then only read (see `index`).

One FTS5 document per figure (rowid = the figure's row in the figures table) with six columns (`texts`), ranked by
BM25 with the titles weighted above the captions. The per-figure BM25 scores of the most frequent terms are stored
with it (`scoring`). Everything made per figure is made a chunk of figures at a time, and the pages of the tables'
texts read for it are handed back as it goes (`MappedPages`), so that building the index of 110,000 figures does
not hold their texts twice.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import mmap
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dashboard.corpus import columns as C
from dashboard.corpus.loader import release_memory
from dashboard.corpus.textindex.schema import INDEX_FILE, INDEX_FORMAT, INSERT, SCHEMA
from dashboard.corpus.textindex.scoring import STORED_FROM, stored_scores
from dashboard.corpus.textindex.texts import FigidsDigest, TermTexts, figure_texts, id_keys

if TYPE_CHECKING:
    from dashboard.corpus.loader import CorpusTables

log = logging.getLogger(__name__)

INSERT_CHUNK = 5_000  # figures whose texts are made and inserted at once while an index is built
STORED_BATCH = 16  # frequent terms whose scores are computed and inserted at once while an index is built
CACHE_KIB = 32_768  # SQLite's page cache while an index is built (128 MiB: 45 MB more, no faster)


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
            db.executescript(SCHEMA)
            db.execute("insert into fts (fts, rank) values ('automerge', 0)")  # merged once, by 'optimize'
            db.execute("insert into fts (fts, rank) values ('crisismerge', 1000)")
            db.execute("begin")
            digest = FigidsDigest()
            for low in range(0, len(figures), chunk):
                part = figures.iloc[low : low + chunk]
                rows = range(low, low + len(part))
                names = terms.texts(low, low + len(part))
                texts = figure_texts(part, names)
                db.executemany(INSERT.format("fts"), zip(rows, *texts, strict=True))
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
                batch = list(stored_scores(db, frequent[low : low + STORED_BATCH], len(figures)))
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
