"""Corpus floor: a cache of the parsed tables, keyed by the sources' paths, sizes, modification and status change
times and inodes, and by the version of the code that parsed them.

A second start with unchanged sources reads no YAML at all. The tables are stored as uncompressed Arrow IPC
(Feather v2) files and memory-mapped when read: a warm start costs milliseconds, and the workers that gunicorn forks
share the mapped pages instead of each holding a copy. The cache is an optimisation only: a cache that cannot be
written (read-only disk) or read (corrupt, older format) is logged and the sources are parsed instead. Several
processes may share one cache folder: entries appear and disappear by atomic renames, and an entry that any
process is using (its tables mapped, its text index opened by path in every new thread) is never pruned: its
users hold a shared lock on it, and pruning deletes only the entries it can lock exclusively.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import multiprocessing
import os
import re
import shutil
import socket
import sys
import tempfile
import time
import uuid
import weakref
from collections.abc import Callable, Sequence
from importlib import metadata, resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import feather

from dashboard.corpus.corpusmap import build_corpus_map
from dashboard.corpus.loader import CorpusError, CorpusTables, Sources, discover, parse_sources, parse_sources_into
from dashboard.corpus.owners import process_gone
from dashboard.corpus.progress import Progress
from dashboard.corpus.textindex.build import build_text_index
from dashboard.corpus.textindex.schema import INDEX_FILE

log = logging.getLogger(__name__)

TABLES = ("figures", "genes", "links", "words", "chemicals", "diseases", "problems")
KEEP_ENTRIES = 4
STAGING = ".staging-"  # + owner pid, host, random suffix: an entry being written
TRASH = ".trash-"  # an entry being deleted
STALE_AFTER = 3600  # seconds; a staging folder this old is a leftover whoever owns it (writing takes seconds)
HOLD_FILE = "meta.json"  # the file of an entry its users lock (shared) and `prune` locks (exclusive) before deleting


def derive_format_version() -> str:
    """The cache format: the software version and a digest of the corpus floor's code, which decides what is
    parsed and how the tables are laid out. Read through importlib.resources, so it holds in a wheel or a zip too.
    """
    try:
        version = metadata.version("pfocr-dashboard")
    except metadata.PackageNotFoundError:
        version = "unknown"
    digest = hashlib.sha256()
    sources = sorted(
        (item for item in resources.files(__package__).iterdir() if item.name.endswith(".py")),
        key=lambda item: item.name,
    )
    for item in sources:
        digest.update(item.name.encode() + b"\0" + item.read_bytes() + b"\0")
    if not sources:
        log.warning("no source of %s found; the cache format follows the version number only", __package__)
    return f"{version}+{digest.hexdigest()[:16]}"


# Entries written by other code are never read: a new version or any change to the corpus floor makes a new key.
FORMAT_VERSION = derive_format_version()


def default_cache_dir() -> Path:
    """`$PFOCR_CACHE_DIR`, else the user's cache directory (`$XDG_CACHE_HOME` or `~/.cache`)."""
    if configured := os.environ.get("PFOCR_CACHE_DIR"):
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pfocr-dashboard"


def cache_key(sources: Sources) -> str:
    """A digest of the format version and every source file's absolute path, size, modification time, inode and
    status change time, in the order the walk met them (an unchanged folder lists in the same order; a copy
    elsewhere has other paths anyway). The ctime catches a same-size rewrite that kept or restored its mtime;
    the inode a file replaced by another."""
    digest = hashlib.sha256(FORMAT_VERSION.encode())
    digest.update("\n".join(sources.seen).encode())
    digest.update(np.array(sources.identities, dtype=np.int64).tobytes())
    return digest.hexdigest()[:32]


class EntryHold:
    """A shared lock on a cache entry, held while the tables read from it live: `prune` leaves the entry alone.
    A `flock` lock belongs to the open file, so the workers gunicorn forks from this process share it, and it ends
    when the last of them closes it (or exits)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        weakref.finalize(self, os.close, fd)


def hold_entry(entry: Path) -> EntryHold | None:
    """Mark an entry in use for as long as the returned hold lives (keep it with the tables). Waits while a prune
    is deleting the entry; FileNotFoundError if the entry is gone (pruned meanwhile). None, with a warning, on a
    file system without locks: the entry is used unprotected."""
    path = entry / HOLD_FILE
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        held, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        os.close(fd)
        raise
    except OSError as exc:
        os.close(fd)
        log.warning("cannot lock the cache entry %s (%s): another process may prune it while it is used", entry, exc)
        return None
    if (held.st_dev, held.st_ino) != (there.st_dev, there.st_ino):  # pruned, and made again, while we waited
        os.close(fd)
        raise FileNotFoundError(f"{entry} was replaced")
    return EntryHold(fd)


def read_cached(entry: Path) -> CorpusTables | None:
    """The tables stored in a cache entry, held in use while they live (`hold_entry`), or None if it is absent or
    unreadable."""
    meta_path = entry / "meta.json"
    if not meta_path.is_file():
        return None
    try:
        hold = hold_entry(entry)
    except FileNotFoundError:
        return None  # pruned since we looked
    except OSError as exc:
        log.warning("ignoring unreadable cache %s: %s", entry, exc)
        return None
    try:
        tables = read_tables(entry)
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        log.warning("ignoring unreadable cache %s: %s", entry, exc)
        return None
    tables.hold = hold
    return tables


def read_tables(folder: Path) -> CorpusTables:
    """The tables stored in a folder by `write_tables`, memory-mapped (nothing is copied or written)."""
    meta = json.loads((folder / "meta.json").read_text())
    return map_tables(folder, meta["skipped_rows"])


def map_tables(folder: Path, skipped_rows: int) -> CorpusTables:
    """The table files in a folder, memory-mapped."""
    tables = {name: feather.read_table(folder / f"{name}.arrow", memory_map=True).to_pandas() for name in TABLES}
    index = folder / INDEX_FILE
    return CorpusTables(**tables, skipped_rows=skipped_rows, text_index=str(index) if index.is_file() else None)


def write_table(folder: Path, name: str, table: pd.DataFrame) -> None:
    """Store one table in a folder as an uncompressed Arrow IPC file (raises OSError)."""
    # One record batch per file: columns read back as single-chunk arrays (a `take` from a chunked string column
    # costs 100× more).
    feather.write_feather(table, folder / f"{name}.arrow", compression="uncompressed", chunksize=max(1, len(table)))


def write_meta(folder: Path, skipped_rows: int) -> None:
    """Store what goes with the tables (raises OSError); written last, it marks the folder complete."""
    meta = {"skipped_rows": skipped_rows, "format": FORMAT_VERSION}
    (folder / "meta.json").write_text(json.dumps(meta))


def write_tables(folder: Path, tables: CorpusTables, with_map: bool = True) -> None:
    """Store the tables in an existing folder as uncompressed Arrow IPC files, their text index, their corpus map
    (unless `with_map` is False) and a meta.json (raises OSError)."""
    for name in TABLES:
        write_table(folder, name, getattr(tables, name))
    _write_indexes(folder, tables, with_map)


def ingest_into(
    folder: Path,
    sources: Sources,
    workers: int | None = None,
    progress: Progress | None = None,
    with_map: bool = True,
) -> None:
    """Parse the sources straight into a folder as `write_tables` lays it out, writing each table as soon as it
    is built and letting it go: a large ingest never holds all its tables at once. Raises CorpusError (nothing
    usable) or OSError."""
    skipped = parse_sources_into(sources, lambda name, table: write_table(folder, name, table), workers, progress)
    _write_indexes(folder, map_tables(folder, skipped), with_map)


def _write_indexes(folder: Path, tables: CorpusTables, with_map: bool) -> None:
    """After the tables: their text index, their corpus map (if asked), then meta.json, which marks the folder
    complete."""
    build_text_index(tables, folder)
    if with_map:
        build_corpus_map(folder)
    write_meta(folder, tables.skipped_rows)


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())


def make_staging(folder: Path) -> Path:
    """A new staging folder, named after its owner (pid and host) so that a leftover can be told from work."""
    return Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-{_host()}-", dir=folder))


def write_cached(entry: Path, tables: CorpusTables) -> None:
    """Store the tables atomically (write to a temporary folder, then rename); a failed write leaves nothing."""
    store_cached(entry, lambda staging: write_tables(staging, tables))


def store_cached(entry: Path, fill: Callable[[Path], None]) -> None:
    """Make a cache entry atomically: `fill` writes a staging folder, which is then renamed to the entry. A failed
    write (OSError) is logged and leaves nothing; any other error leaves nothing and is raised."""
    staging = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        staging = make_staging(entry.parent)
        fill(staging)
        staging.rename(entry)
    except OSError as exc:
        if staging is not None:
            _remove(staging)
        if not (entry / "meta.json").is_file():
            log.warning("could not write the cache at %s (%s); the next start parses the sources again", entry, exc)
            return
        log.debug("cache %s was written by another process meanwhile", entry)
    except BaseException:
        if staging is not None:
            _remove(staging)
        raise
    prune(entry.parent)


def _remove(path: Path) -> None:
    """Delete a folder (or a stray file or link) that others may be deleting too."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _discard(path: Path) -> None:
    """Delete an entry no process holds (`hold_entry`): locked exclusively, so that no process can start using it
    meanwhile, renamed out of the way (only one of several pruning processes succeeds), then deleted."""
    try:
        fd: int | None = os.open(path / HOLD_FILE, os.O_RDONLY)
    except OSError:
        fd = None  # no meta.json (never completed) or a dangling link: nobody can hold it
    try:
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.debug("keeping cache entry %s: a running process uses it", path)
                return
            except OSError as exc:
                log.warning("keeping cache entry %s: cannot tell whether it is in use (%s)", path, exc)
                return
        trash = path.with_name(f"{TRASH}{uuid.uuid4().hex}")
        try:
            path.rename(trash)
        except OSError:
            return  # gone already: another process pruned it
        _remove(trash)
    finally:
        if fd is not None:
            os.close(fd)


def _owner_alive(name: str) -> bool:
    """Whether the process that made a staging folder may still be writing it (unknown owners count as alive)."""
    pid, _, rest = name.removeprefix(STAGING).partition("-")
    return rest.rpartition("-")[0] != _host() or not process_gone(pid)


def remove_leftovers(folder: Path) -> None:
    """Delete what killed processes left: staging folders whose owner is gone or that are older than an hour,
    and half-deleted entries."""
    now = time.time()
    for path in [*folder.glob(f"{STAGING}*"), *folder.glob(f"{TRASH}*")]:
        try:
            age = now - path.lstat().st_mtime
        except OSError:
            continue
        if path.name.startswith(TRASH) or age > STALE_AFTER or not _owner_alive(path.name):
            log.info("removing %s, left by an interrupted cache write", path)
            _remove(path)


def prune(folder: Path) -> None:
    """Keep only the most recently used cache entries, and any older one a process is using; remove leftovers.
    Safe with other processes pruning the same folder at once."""
    entries = []
    for path in folder.glob("corpus-*"):
        try:
            entries.append((path.lstat().st_mtime_ns, path))
        except OSError:
            continue  # pruned by another process since the listing
    entries.sort(reverse=True)
    for _, old in entries[KEEP_ENTRIES:]:
        _discard(old)
    remove_leftovers(folder)


def load_corpus(
    paths: Sequence[str | os.PathLike],
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
) -> CorpusTables:
    """Tables for the given paths: from the cache when the sources are unchanged, else parsed into a new cache
    entry — tables, text index and corpus map, published whole — and read from it (`progress`, if given, is kept
    up to date on the way). A cache that cannot be written costs a parse in this process, and no map."""
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
        with contextlib.suppress(OSError):  # mark it recently used, so pruning keeps it (a read-only cache stays)
            os.utime(entry)
        return tables
    if _writable(entry.parent):
        _ingest(sources, entry, workers, progress)
        tables = read_cached(entry)
        if tables is not None:
            return tables
    else:
        log.warning("could not write the cache at %s; every start parses the sources again", entry.parent)
    return parse_sources(sources, workers, progress)  # not cached


INGEST_APART_FROM = 20_000  # records; a smaller corpus is parsed in this process itself


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _ingest(sources: Sources, entry: Path, workers: int | None, progress: Progress | None = None) -> None:
    """Make the sources' cache entry, whole (see `_fill_entry`), published at once by a rename."""
    store_cached(entry, lambda staging: _fill_entry(sources, staging, workers, progress))


def _fill_entry(sources: Sources, staging: Path, workers: int | None, progress: Progress | None) -> None:
    """Fill a staging folder with a whole cache entry: tables and text index — parsed in a child process for a
    large corpus, so that this process never holds what an ingest goes through —, then the corpus map (its t-SNE in
    a spawned process of its own when large). Raises CorpusError when no record is valid, OSError when the entry
    cannot be made."""
    if len(sources.records) >= INGEST_APART_FROM:
        shared = progress or Progress()  # the child's error comes back through it
        child = multiprocessing.get_context("fork").Process(
            target=_ingest_child, args=(staging, sources, workers, shared), name="ingest"
        )
        child.start()
        child.join()
        if child.exitcode == EXIT_NOTHING_VALID:
            raise CorpusError(shared.snapshot().message)
        if not (staging / "meta.json").is_file():
            raise OSError(f"the ingest in a child process failed (exit code {child.exitcode})")
        log.info("ingested %d record files in a child process", len(sources.records))
    else:
        ingest_into(staging, sources, workers, progress, with_map=False)
    if progress is not None:
        progress.begin("mapping")
    try:
        build_corpus_map(staging)
    except Exception:  # an entry without its map still serves: the map tab says there is none
        log.exception("could not build the corpus map of %s; the entry is kept without it", staging)


EXIT_NOTHING_VALID = 3  # the ingest child's exit status when no record is valid (its reason is in the progress)


def _ingest_child(staging: Path, sources: Sources, workers: int | None, progress: Progress) -> None:
    try:
        ingest_into(staging, sources, workers, progress, with_map=False)
    except CorpusError as exc:
        progress.fail(str(exc))
        sys.exit(EXIT_NOTHING_VALID)
