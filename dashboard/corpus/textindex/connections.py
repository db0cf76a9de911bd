"""Corpus floor: the SQLite connections of an open text index — one per thread, and per process after a fork
(SQLite connections may not cross either) — and the time budget that interrupts a query running too long.

The file is opened with SQLite's `immutable=1`: no lock, no journal, nothing written, on a read-only disk too.
Beside it, each thread keeps a private in-memory database with FTS5 tables of the same tokenizer, to split words
into tokens and to cut snippets.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from dashboard.corpus.textindex.query import QueryError
from dashboard.corpus.textindex.schema import COLUMNS, TOKENIZER

TIME_BUDGET = 2.0  # seconds one query may take inside SQLite before it is refused as too broad
PROGRESS_STEPS = 1_000  # SQLite virtual machine steps between two looks at the clock, inside a budget


class _Local(threading.local):
    """Per thread: the process that opened the connections (a forked child opens its own), and the deadline of the
    running query (infinite outside a query's budget: nothing is interrupted then)."""

    pid = -1
    db: sqlite3.Connection | None = None
    scratch: sqlite3.Connection | None = None
    deadline = math.inf


class Connections:
    """The connections to one index file: each thread's own, opened on first use in that thread (and again in a
    forked child)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = _Local()

    def db(self) -> sqlite3.Connection:
        """This thread's connection (no progress handler: `budget` sets one for the span of a query)."""
        local = self._local
        if local.pid != os.getpid() or local.db is None:
            local.pid = os.getpid()
            local.db = sqlite3.connect(f"{self.path.as_uri()}?immutable=1", uri=True)
            local.scratch = None
            local.deadline = math.inf
        return local.db

    def scratch(self) -> sqlite3.Connection:
        """A private in-memory database with FTS5 tables of the same tokenizer: to split words into tokens and to
        cut snippets from the texts of a few hits."""
        self.db()
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
    def budget(self, seconds: float) -> Iterator[sqlite3.Connection]:
        """This thread's connection, interrupted once the query has run `seconds`: an interruption is a QueryError
        (too broad). Nested, the outer deadline holds (one query, one budget). On leaving, the deadline and the
        progress handler are gone: nothing run later is interrupted by this query's clock."""
        db = self.db()
        local = self._local
        outer = local.deadline
        local.deadline = min(outer, time.monotonic() + seconds)
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
