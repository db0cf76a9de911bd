"""Corpus floor: the cache is keyed by everything that can change a source file, versioned by the code that
parsed it, and shared safely by processes that write, read and prune it at once."""

from __future__ import annotations

import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import SEEDS, SITE, write
from pyarrow import feather

import dashboard
from dashboard.analysis.model import Corpus
from dashboard.analysis.search import search_figures
from dashboard.corpus import cache
from dashboard.corpus import columns as C
from dashboard.corpus.cache import KEEP_ENTRIES, cache_key, load_corpus, prune, read_cached, write_cached
from dashboard.corpus.loader import CorpusError, Sources, discover, read_corpus
from dashboard.corpus.textindex.schema import INDEX_FILE

GOOD = "---\nfigid: PMC5__good\npmcid: PMC5\nyear: '2010'\norganisms: Homo sapiens\n---\n"


def test_a_same_size_rewrite_that_keeps_its_mtime_is_noticed(tmp_path):
    """An editor or sync tool that rewrites a file in place and restores its mtime changes only its ctime.
    Mutation: ctimes left out of `cache_key` → the stale year 2010 is served."""
    data, entries = tmp_path / "data", tmp_path / "cache"
    record = write(data, "a.md", GOOD)
    assert load_corpus([data], cache_dir=entries).figures[C.YEAR].tolist() == [2010]
    before = record.stat()
    time.sleep(0.05)  # past the file system's timestamp granularity
    with open(record, "r+b") as handle:
        handle.write(GOOD.replace("2010", "2012").encode())
    os.utime(record, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = record.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    assert after.st_ctime_ns != before.st_ctime_ns
    assert load_corpus([data], cache_dir=entries).figures[C.YEAR].tolist() == [2012]


IDENTITY = ("size", "mtime", "inode", "ctime")  # a file's four numbers in `Sources.identities`


def _sources(**changed: int) -> Sources:
    values = {"size": 100, "mtime": 1_000, "inode": 42, "ctime": 2_000} | changed
    return Sources(seen=["/data/a.md"], identities=[values[name] for name in IDENTITY])


@pytest.mark.parametrize("field", IDENTITY)
def test_each_part_of_a_files_identity_changes_the_key(field):
    """A file replaced by another of the same size, mtime and ctime (a restored backup, a copy made within one
    timestamp tick) differs in its inode only. Mutation: any one of the four left out of `cache_key` → caught."""
    assert cache_key(_sources(**{field: 7})) != cache_key(_sources())
    assert cache_key(_sources()) == cache_key(_sources())


def test_a_files_identity_is_what_the_walk_saw(tmp_path):
    record = tmp_path / "a.md"
    record.write_text("---\nfigid: a\n---\n")
    os.utime(record, ns=(1_000_000_000, 2_000_000_000))  # an mtime apart from the ctime
    info = record.stat()
    sources = discover([tmp_path])
    assert sources.seen == [str(record)]
    assert list(sources.identities) == [info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns]


def _copy_package(folder: Path) -> Path:
    """The dashboard package's sources, copied as they are installed (no caches)."""
    target = folder / "dashboard"
    shutil.copytree(Path(dashboard.__file__).parent, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _format_version_from(path: Path, cwd: Path) -> tuple[str, str]:
    """FORMAT_VERSION and the module file as a fresh interpreter importing dashboard from `path` sees them."""
    code = "from dashboard.corpus import cache; print(cache.__file__); print(cache.FORMAT_VERSION)"
    env = {**os.environ, "PYTHONPATH": str(path)}
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    where, version = done.stdout.split()
    return where, version


def test_the_format_version_follows_the_software_version_and_the_corpus_code(tmp_path):
    """Mutation: a hand-kept `FORMAT_VERSION = "7"` → the edited copy keeps the version (caught); the sources
    found through `Path(__file__).parent` instead of importlib.resources → the zip's version differs (caught)."""
    assert cache.FORMAT_VERSION.startswith(metadata.version("pfocr-dashboard") + "+")
    same, edited, zipped = tmp_path / "same", tmp_path / "edited", tmp_path / "zipped"
    _copy_package(same)
    records = _copy_package(edited) / "corpus" / "records.py"
    records.write_text(records.read_text() + "\n# a change to the parsing code\n")
    where, version = _format_version_from(same, tmp_path)
    assert where.startswith(str(same)) and version == cache.FORMAT_VERSION  # from the code, not its location
    where, version = _format_version_from(edited, tmp_path)
    assert where.startswith(str(edited)) and version != cache.FORMAT_VERSION
    archive = zipped / "dashboard.zip"  # no file system folder at all, as in a zipped application
    zipped.mkdir()
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted((same / "dashboard").rglob("*.py")):
            bundle.write(path, path.relative_to(same).as_posix())
    where, version = _format_version_from(archive, tmp_path)
    assert where.startswith(str(archive)) and version == cache.FORMAT_VERSION


def _fill(folder: Path, count: int) -> None:
    for i in range(count):
        (folder / f"corpus-{i:05d}").mkdir()


def _prune_at(folder: Path, start: float) -> None:
    while time.time() < start:  # both processes begin at the same moment
        pass
    prune(folder)


def test_processes_pruning_at_once_never_raise(tmp_path):
    """Each process lists the entries, then deletes the old ones while the other is still looking at them.
    Mutation: the former `sorted(glob, key=stat().st_mtime)` and `rmtree` → FileNotFoundError in one of them."""
    context = get_context("fork")
    for _ in range(8):
        _fill(tmp_path, 400)
        start = time.time() + 0.15
        workers = [context.Process(target=_prune_at, args=(tmp_path, start)) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert [worker.exitcode for worker in workers] == [0, 0]
        left = sorted(p.name for p in tmp_path.iterdir())
        assert len(left) == KEEP_ENTRIES and all(name.startswith("corpus-") for name in left)
        for name in left:
            (tmp_path / name).rmdir()


def test_an_entry_that_is_a_dangling_link_does_not_stop_pruning(tmp_path):
    (tmp_path / "corpus-dangling").symlink_to(tmp_path / "nowhere")
    os.utime(tmp_path / "corpus-dangling", (0, 0), follow_symlinks=False)  # the oldest: pruned
    _fill(tmp_path, KEEP_ENTRIES)
    prune(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"corpus-{i:05d}" for i in range(KEEP_ENTRIES)]


def _leave_staging(folder: Path) -> None:
    """A writer killed after it made its staging folder: it exits without cleaning up."""
    staging = cache.make_staging(folder)
    (staging / "figures.arrow").write_bytes(b"half written")
    os._exit(0)


def test_staging_left_by_a_killed_writer_is_removed(tmp_path):
    """Mutation: `remove_leftovers` not checking the owner's pid → the dead writer's folder stays (caught);
    not checking the age → the day-old folder stays (caught)."""
    child = get_context("fork").Process(target=_leave_staging, args=(tmp_path,))
    child.start()
    child.join()
    (dead,) = tmp_path.glob(".staging-*")
    assert dead.name.startswith(f".staging-{child.pid}-")
    working = cache.make_staging(tmp_path)  # ours, alive and fresh: another write in progress
    stale = cache.make_staging(tmp_path)  # ours but a day old: its pid may be reused by now
    os.utime(stale, (time.time() - 86_400,) * 2)
    (tmp_path / ".trash-0123").mkdir()  # a deletion that was interrupted
    load_corpus([SITE], cache_dir=tmp_path)
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("corpus-"))
    assert left == [working.name]


def _write_with_a_small_disk(entry: Path, tables) -> list[str]:
    """write_cached where no file may grow past 4 KiB (as on a full disk); what is left in the folder."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing us
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    write_cached(entry, tables)
    return sorted(p.name for p in entry.parent.iterdir())


def test_a_write_that_fails_midway_leaves_nothing(tmp_path):
    """Mutation: the staging folder not removed when writing fails → it stays until an hour has passed (caught)."""
    tables = read_corpus([SITE])
    with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
        left = pool.submit(_write_with_a_small_disk, tmp_path / "corpus-x", tables).result()
    assert left == []


def _ingest_with_a_small_disk(entry: Path) -> list[str]:
    """The streamed ingest of a large cold start where no file may grow past 4 KiB; what is left in the folder."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    cache._ingest(discover([SEEDS]), entry, workers=1)
    return sorted(p.name for p in entry.parent.iterdir())


def test_a_streamed_ingest_that_fails_midway_leaves_nothing(tmp_path):
    """The tables are written one by one as they are built, so a failure can come after some are on disk.
    Mutation: `_ingest` parsing straight into the entry instead of a staging folder → a half entry is left, which
    the next start would try to read (caught)."""
    with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
        left = pool.submit(_ingest_with_a_small_disk, tmp_path / "corpus-x").result()
    assert left == []


def test_an_ingest_apart_that_finds_nothing_valid_leaves_nothing(tmp_path, monkeypatch):
    """The child process fails with CorpusError after making its staging folder. Mutation: the staging folder
    removed only on OSError → it stays behind (caught)."""
    monkeypatch.setattr(cache, "INGEST_APART_FROM", 1)
    write(tmp_path / "data", "bad.md", "---\nfigid: [oops\n---\n")
    with pytest.raises(CorpusError, match="no valid figure record"):
        load_corpus([tmp_path / "data"], cache_dir=tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_streamed_entry_holds_what_writing_the_parsed_tables_holds(tmp_path):
    """The ingest of a large cold start writes each table as it is built; the files must be those that writing the
    tables parsed in memory makes: same schema and pandas metadata, same rows, one record batch each. Mutation: a
    table's columns left in several chunks (several record batches), or the skipped rows not carried → caught."""
    streamed, written = tmp_path / "streamed", tmp_path / "written"
    streamed.mkdir()
    written.mkdir()
    cache.ingest_into(streamed, discover([SITE, SEEDS]))
    cache.write_tables(written, read_corpus([SITE, SEEDS]))
    for name in cache.TABLES:
        ours, theirs = (feather.read_table(folder / f"{name}.arrow") for folder in (streamed, written))
        assert ours.equals(theirs, check_metadata=True), name
        with pa.ipc.open_file(streamed / f"{name}.arrow") as reader:
            assert reader.num_record_batches == 1, name
    assert cache.read_tables(streamed).skipped_rows == cache.read_tables(written).skipped_rows == 2


def test_writing_an_entry_that_another_process_wrote_meanwhile_is_quiet(tmp_path, caplog):
    """Mutation: the former `if entry.exists(): …` check before the rename, with the rename racing it, or a rename
    failure not cleaned up → a warning and a staging folder left behind (caught)."""
    tables = read_corpus([SITE])
    entry = tmp_path / "corpus-same"
    write_cached(entry, tables)
    caplog.set_level(logging.DEBUG)
    write_cached(entry, tables)  # as if two processes had ingested the same sources at once
    assert not [r for r in caplog.records if r.name == cache.__name__ and r.levelno >= logging.WARNING]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus-same"]
    assert read_cached(entry) is not None


def test_pruning_removes_the_least_recently_used_entry(tmp_path):
    """Reading an entry marks it used. Mutation: no `os.utime` on a cache hit → the entry read last, written
    first, is the one pruned (caught)."""
    entries = tmp_path / "cache"
    folders = [tmp_path / f"data-{i}" for i in range(KEEP_ENTRIES + 1)]
    written = []
    for age, folder in enumerate(folders[:KEEP_ENTRIES], start=1):
        before = set(entries.glob("corpus-*"))
        write(folder, "a.md", GOOD)
        load_corpus([folder], cache_dir=entries)
        (entry,) = set(entries.glob("corpus-*")) - before
        os.utime(entry, (age * 1_000, age * 1_000))  # written in this order, seconds apart
        written.append(entry)
    first, second = written[:2]
    load_corpus([folders[0]], cache_dir=entries)  # served from the cache: now the most recently used
    write(folders[-1], "a.md", GOOD)
    load_corpus([folders[-1]], cache_dir=entries)
    assert first.exists() and not second.exists()
    assert len(list(entries.glob("corpus-*"))) == KEEP_ENTRIES


AUTOPHAGY = "---\nfigid: PMC7__autophagy\npmcid: PMC7\nfigtitle: Autophagy flux\nyear: '2011'\n---\n"
REPO = Path(__file__).resolve().parent.parent


def _make_newer_entries(entries: Path) -> None:
    """More than KEEP_ENTRIES entries newer than any other, each followed by a prune (as another deployment or a
    `check` run sharing the cache folder would make them)."""
    tables = read_corpus([SITE])
    for i in range(KEEP_ENTRIES + 1):
        write_cached(entries / f"corpus-newer-{i}", tables)
    prune(entries)


def _search_in_a_new_thread(corpus: Corpus, text: str) -> int:
    with ThreadPoolExecutor(max_workers=1) as pool:  # the text index is opened again by path in a new thread
        return pool.submit(lambda: search_figures(corpus, text).total).result()


def test_an_entry_in_use_here_is_never_pruned(tmp_path):
    """Tables read from an entry (mapped) and its text index (opened by path in every new thread) are in use
    while they live: the entry survives pruning however old it is, and a new thread still searches it.
    Mutation: `prune` by age alone (the former code) → the entry is deleted and the search fails with
    'unable to open database file' (caught)."""
    data, entries = tmp_path / "data", tmp_path / "cache"
    write(data, "a.md", AUTOPHAGY)
    corpus = Corpus(load_corpus([data], cache_dir=entries))
    assert _search_in_a_new_thread(corpus, "autophagy") == 1
    (used,) = entries.glob("corpus-*")
    os.utime(used, (1, 1))  # the least recently used of all
    _make_newer_entries(entries)
    assert used.exists() and len(list(entries.glob("corpus-*"))) == KEEP_ENTRIES + 1
    assert _search_in_a_new_thread(corpus, "autophagy") == 1


def test_tables_let_go_no_longer_keep_their_entry(tmp_path):
    """The entry is held by its tables, not by the process: once they are gone it is pruned like any other.
    Mutation: a hold for the life of the process → the cache grows without bound in a long process (caught)."""
    data, entries = tmp_path / "data", tmp_path / "cache"
    write(data, "a.md", AUTOPHAGY)
    tables = load_corpus([data], cache_dir=entries)
    (used,) = entries.glob("corpus-*")
    del tables
    os.utime(used, (1, 1))
    _make_newer_entries(entries)
    assert not used.exists() and len(list(entries.glob("corpus-*"))) == KEEP_ENTRIES


SERVER = """
import sys, threading
from dashboard.analysis.model import Corpus
from dashboard.analysis.search import search_figures
from dashboard.corpus.cache import load_corpus

corpus = Corpus(load_corpus([sys.argv[1]], cache_dir=sys.argv[2]))
print(corpus.text_index.path, flush=True)
sys.stdin.readline()
found = []
thread = threading.Thread(target=lambda: found.append(search_figures(corpus, "autophagy").total))
thread.start()
thread.join()
print(found[0] if found else "no answer", flush=True)
"""


def test_an_entry_in_use_by_another_process_is_never_pruned(tmp_path):
    """A server in another process (this checkout's code) reads an entry; a second deployment prunes the shared
    cache folder: the entry stays while the server lives, its new threads still search it, and it is pruned once
    the server is gone. Mutation: `prune` by age alone → the server's search fails (caught)."""
    data, entries = tmp_path / "data", tmp_path / "cache"
    write(data, "a.md", AUTOPHAGY)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(data), str(entries)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        index = server.stdout.readline().strip()
        assert index, server.stderr.read()[-2000:]
        (used,) = entries.glob("corpus-*")
        assert index == str((used / INDEX_FILE).resolve())
        os.utime(used, (1, 1))
        _make_newer_entries(entries)
        assert used.exists()
        out, err = server.communicate("search\n", timeout=120)
        assert out.strip() == "1", err[-2000:]
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    prune(entries)
    assert not used.exists()
