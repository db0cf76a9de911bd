"""Corpus floor: a cache of the parsed tables, keyed by the sources' paths, sizes and modification times.

A second start with unchanged sources reads no YAML at all. The tables are stored as uncompressed Arrow IPC
(Feather v2) files and memory-mapped when read: a warm start costs milliseconds, and the workers that gunicorn forks
share the mapped pages instead of each holding a copy. The cache is an optimisation only: a cache that cannot be
written (read-only disk) or read (corrupt, older format) is logged and the sources are parsed instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
from pyarrow import feather

from dashboard.corpus.loader import CorpusTables, Sources, discover, parse_sources
from dashboard.corpus.progress import Progress

log = logging.getLogger(__name__)

FORMAT_VERSION = "7"  # bump whenever parsing rules or table layouts change
TABLES = ("figures", "genes", "links", "words", "chemicals", "diseases", "problems")
KEEP_ENTRIES = 4


def default_cache_dir() -> Path:
    """`$PFOCR_CACHE_DIR`, else the user's cache directory (`$XDG_CACHE_HOME` or `~/.cache`)."""
    if configured := os.environ.get("PFOCR_CACHE_DIR"):
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pfocr-dashboard"


def cache_key(sources: Sources) -> str:
    """A digest of every source file's absolute path, size and modification time, in the order the walk met
    them (an unchanged folder lists in the same order; a copy elsewhere has other paths anyway)."""
    digest = hashlib.sha256(FORMAT_VERSION.encode())
    digest.update("\n".join(sources.seen).encode())
    digest.update(np.array(sources.sizes, dtype=np.int64).tobytes())
    digest.update(np.array(sources.mtimes, dtype=np.int64).tobytes())
    return digest.hexdigest()[:32]


def read_cached(entry: Path) -> CorpusTables | None:
    """The tables stored in a cache entry, or None if it is absent or unreadable."""
    meta_path = entry / "meta.json"
    if not meta_path.is_file():
        return None
    try:
        return read_tables(entry)
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        log.warning("ignoring unreadable cache %s: %s", entry, exc)
        return None


def read_tables(folder: Path) -> CorpusTables:
    """The tables stored in a folder by `write_tables`, memory-mapped (nothing is copied or written)."""
    meta = json.loads((folder / "meta.json").read_text())
    tables = {name: feather.read_table(folder / f"{name}.arrow", memory_map=True).to_pandas() for name in TABLES}
    return CorpusTables(**tables, skipped_rows=meta["skipped_rows"])


def write_tables(folder: Path, tables: CorpusTables) -> None:
    """Store the tables in an existing folder as uncompressed Arrow IPC files and a meta.json (raises OSError)."""
    for name in TABLES:
        table = getattr(tables, name)
        # One record batch per file: columns read back as single-chunk arrays (a `take` from a chunked
        # string column costs 100× more).
        feather.write_feather(table, folder / f"{name}.arrow", compression="uncompressed", chunksize=max(1, len(table)))
    meta = {"skipped_rows": tables.skipped_rows, "format": FORMAT_VERSION}
    (folder / "meta.json").write_text(json.dumps(meta))


def write_cached(entry: Path, tables: CorpusTables) -> None:
    """Store the tables atomically (write to a temporary folder, then rename)."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=entry.parent))
        write_tables(staging, tables)
        if entry.exists():
            shutil.rmtree(staging, ignore_errors=True)
            return
        staging.rename(entry)
    except OSError as exc:
        log.warning("could not write the cache at %s (%s); the next start parses the sources again", entry, exc)
        return
    _prune(entry.parent)


def _prune(folder: Path) -> None:
    """Keep only the most recent cache entries."""
    entries = sorted(folder.glob("corpus-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_ENTRIES:]:
        shutil.rmtree(old, ignore_errors=True)


def load_corpus(
    paths: Sequence[str | os.PathLike],
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
) -> CorpusTables:
    """Tables for the given paths: from the cache when the sources are unchanged, else parsed and cached
    (`progress`, if given, is kept up to date on the way)."""
    started = time.perf_counter()
    if progress is not None:
        progress.begin("finding files")
    sources = discover(paths)
    if not use_cache:
        return parse_sources(sources, workers, progress)
    entry = Path(cache_dir or default_cache_dir()) / f"corpus-{cache_key(sources)}"
    if progress is not None:
        progress.begin("reading")
    tables = read_cached(entry)
    if tables is not None:
        log.info("read %d figures from cache %s in %.2f s", len(tables.figures), entry, time.perf_counter() - started)
        return tables
    if len(sources.records) >= INGEST_APART_FROM and _writable(entry.parent):
        tables = _ingest_apart(sources, entry, workers, progress)
        if tables is not None:
            return tables
    tables = parse_sources(sources, workers, progress)
    if progress is not None:
        progress.begin("writing")
    write_cached(entry, tables)
    return tables


INGEST_APART_FROM = 20_000  # records; a smaller corpus is parsed in the serving process itself


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _ingest(sources: Sources, entry: Path, workers: int | None, progress: Progress | None = None) -> None:
    tables = parse_sources(sources, workers, progress)
    if progress is not None:
        progress.begin("writing")
    write_cached(entry, tables)


def _ingest_apart(
    sources: Sources, entry: Path, workers: int | None, progress: Progress | None = None
) -> CorpusTables | None:
    """Parse and write the cache in a child process, then map the cache: the serving process never holds the
    gigabytes a large ingest goes through (with gunicorn --preload they would stay in the master, and every
    worker forked from it). None if the child could not make the cache (the caller parses in-process)."""
    child = multiprocessing.get_context("fork").Process(target=_ingest, args=(sources, entry, workers, progress))
    child.start()
    child.join()
    # Judged by the cache it wrote, not by its exit code: in gunicorn's master (a --preload boot) the arbiter
    # reaps every child that exits, so the exit code may never reach us.
    tables = read_cached(entry)
    if tables is None:
        log.warning("ingest in a child process failed (exit code %s); parsing here instead", child.exitcode)
        return None
    log.info("ingested in a child process; serving %d figures from cache %s", len(tables.figures), entry)
    return tables
