"""Corpus floor: find PFOCR records and side files, parse them (in parallel, in bounded runs), and build the pandas
tables from columns streamed through temporary Arrow files, one table at a time."""

from __future__ import annotations

import ctypes
import logging
import mmap
import os
import stat
import tempfile
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator, MutableSequence, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import IO, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.corpus import columns as C
from dashboard.corpus.errors import CorpusError
from dashboard.corpus.fastparse import (
    Declined,
    GeneMentions,
    build_links,
    front_matter_genes,
    read_front_matter,
    read_gene_files,
)
from dashboard.corpus.progress import Progress
from dashboard.corpus.records import (
    EXACT_SOURCES,
    HUMAN,
    RECORD_SUFFIXES,
    SEP,
    SIDE_FILE_KINDS,
    RecordError,
    build_record,
    decode,
    parse_front_matter,
    read_tsv,
    split_front_matter,
    tsv_genes,
    tsv_terms,
)

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 32 * 1024 * 1024  # a record or side file larger than this is refused, not read
PARALLEL_FROM = 2_000  # records; below this a process pool costs more than it saves
CHUNK = 512  # records per run: what one worker task parses and returns
PROBLEMS_LOGGED = 20
WORD_JUNK = " \t()[]{},;:.*+-/\\'\""  # stripped from OCR words before they are indexed for search


def _int64s() -> array:
    return array("q")


@dataclass
class Sources:
    """The files a corpus is made of: record files, side files by (figure key, kind), the entries that could
    not be used (with the reason), and each file's identity as seen while looking for them."""

    records: list[str] = field(default_factory=list)
    side_files: dict[tuple[str, str], str] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, reason), found while looking
    # Every file seen, in the order seen, with its size, modification time, inode and status change time, four
    # numbers a file (what the cache is keyed on: a same-size rewrite keeps the mtime it is given, but not its
    # ctime). The numbers are a 64-bit array, not lists of ints: 36 MB less at 110,000 figures, in the parent and
    # every forked worker.
    seen: list[str] = field(default_factory=list)
    identities: MutableSequence[int] = field(default_factory=_int64s)

    def note(self, path: str, info: os.stat_result) -> None:
        self.seen.append(path)
        self.identities.extend((info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns))

    def refuse(self, path: str, reason: str) -> None:
        """Report an entry that is not read; its link status still keys the cache, so a fix is noticed."""
        self.problems.append((path, reason))
        try:
            self.note(path, os.lstat(path))
        except OSError:  # gone meanwhile: its path alone keys the cache
            self.seen.append(path)
            self.identities.extend((-1, -1, -1, -1))

    def all_paths(self) -> list[str]:
        return [*self.records, *self.side_files.values()]


@dataclass
class CorpusTables:
    """Everything read from the sources: the tables and the load report."""

    figures: pd.DataFrame
    genes: pd.DataFrame
    links: pd.DataFrame
    words: pd.DataFrame  # distinct (lower-cased OCR word, gene id): the type-ahead's index of printed words
    chemicals: pd.DataFrame
    diseases: pd.DataFrame
    problems: pd.DataFrame
    skipped_rows: int
    text_index: str | None = None  # the full-text index file written with a cache entry or bundle (textindex/)
    # What keeps the cache entry these tables were read from from being pruned while they (or copies) live: its
    # files are mapped, and its text index and corpus map are opened by path later (cache.hold_entry).
    hold: object | None = field(default=None, repr=False, compare=False)


def stem_of(name: str) -> str:
    """A file name without its last suffix."""
    base = os.path.basename(name)
    dot = base.rfind(".")
    return base[:dot] if dot > 0 else base


_SIDE_SUFFIXES = tuple((f"-{kind}.tsv", kind) for kind in SIDE_FILE_KINDS)


def side_file_key(name: str) -> tuple[str, str] | None:
    """`<figid>-genes.tsv` → (figid, 'genes'); None for any other file."""
    return _side_file_key(os.path.basename(name)) if name.endswith(".tsv") else None


def _side_file_key(base: str) -> tuple[str, str] | None:
    """`side_file_key` of a file name without its folder."""
    for suffix, kind in _SIDE_SUFFIXES:
        if base.endswith(suffix):
            return base[: -len(suffix)], kind
    return None


_FILE_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _not_regular(mode: int) -> str:
    return f"not a regular file ({_FILE_KINDS.get(stat.S_IFMT(mode), 'an unknown kind')}); not read"


def _cannot(action: str, exc: OSError) -> str:
    return f"cannot {action}: {exc.strerror or type(exc).__name__}"


def _broken_link(path: str, exc: OSError) -> str:
    """The reason for an entry that cannot be followed: a dangling or looping symbolic link, or no access."""
    if not os.path.islink(path):
        return _cannot("read the file", exc)
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    if isinstance(exc, FileNotFoundError):
        return f"broken symbolic link (to {target}, which does not exist)"
    return f"symbolic link to {target} cannot be followed ({exc.strerror})"


def _walk(sources: Sources, roots: list[str], walked: set[tuple[int, int]]) -> None:
    """Record and side files below folders, skipping hidden entries; one scandir pass and one stat per file.

    Symbolic links to folders are followed, after every real folder (so a file met both ways is listed under its
    real path), and no folder is entered twice: a link back up the tree, or a second route to a folder, is one
    problem entry. FIFOs, devices and sockets named like our files are reported, never opened.
    """
    folders, linked = list(reversed(roots)), []
    side_files, records, note = sources.side_files, sources.records, sources.note
    while folders or linked:
        is_link = not folders
        folder = linked.pop() if is_link else folders.pop()
        try:
            info = os.stat(folder)
        except OSError as exc:
            sources.refuse(folder, _broken_link(folder, exc))
            continue
        identity = (info.st_dev, info.st_ino)
        if identity in walked:
            if is_link:
                sources.refuse(
                    folder, f"symbolic link to a folder already read ({os.path.realpath(folder)}); not followed"
                )
            continue
        walked.add(identity)
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    name = entry.name
                    if name[0] == ".":
                        continue
                    try:
                        is_folder = entry.is_dir()
                    except OSError:  # a link that cannot be followed: reported below if named like our files
                        is_folder = False
                    if is_folder:
                        (linked if entry.is_symlink() else folders).append(entry.path)
                        continue
                    key = _side_file_key(name) if name.endswith(".tsv") else None
                    if key is None and not name.lower().endswith(RECORD_SUFFIXES):
                        continue
                    path = entry.path
                    try:
                        info = entry.stat()
                    except OSError as exc:
                        sources.refuse(path, _broken_link(path, exc))
                        continue
                    if not stat.S_ISREG(info.st_mode):
                        sources.refuse(path, _not_regular(info.st_mode))
                    elif key is not None:
                        # Two side files for one figure in different folders: the first in path order wins.
                        side_files[key] = min(path, side_files[key]) if key in side_files else path
                        note(path, info)
                    else:
                        records.append(path)
                        note(path, info)
        except OSError as exc:
            sources.refuse(folder, _cannot("list the folder", exc))


def discover(paths: Sequence[str | os.PathLike]) -> Sources:
    """The record and side files under the given paths (files, folders, or PFOCR site checkouts)."""
    sources = Sources()
    roots: list[str] = []
    for raw in paths:
        path = os.path.abspath(os.path.expanduser(os.fspath(raw)))
        try:
            info = os.stat(path)
        except FileNotFoundError:
            raise CorpusError(f"{path}: no such file or folder") from None
        except OSError as exc:
            raise CorpusError(f"{path}: {_broken_link(path, exc)}") from None
        if stat.S_ISREG(info.st_mode):
            key = side_file_key(path)
            if key is not None:
                sources.side_files[key] = path
            else:
                sources.records.append(path)  # a file named explicitly is a record, whatever its suffix
            sources.note(path, info)
        elif not stat.S_ISDIR(info.st_mode):
            sources.refuse(path, _not_regular(info.st_mode))
        elif os.path.isdir(figures := os.path.join(path, "_figures")):
            # A PFOCR site checkout holds pages, posts and assets besides the figures: read only its two data
            # folders.
            roots.extend(root for root in (figures, os.path.join(path, "_data")) if os.path.isdir(root))
        else:
            roots.append(path)
    _walk(sources, roots, set())
    # Path order, so that "first read" (duplicate figids) means the same on every machine.
    sources.records = sorted(dict.fromkeys(sources.records))
    return sources


def _read_text(path: str) -> str:
    """A regular file's text. Opened without blocking and checked before reading: a FIFO put in a file's place
    after the walk must not hang the load."""
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise RecordError(_not_regular(info.st_mode))
        if info.st_size > MAX_FILE_BYTES:
            raise RecordError(f"file is larger than the {MAX_FILE_BYTES // 2**20} MiB limit")
        # One read of the known size (a read of the whole limit allocates 32 MiB per file, 4× slower here).
        data = os.read(handle, info.st_size + 1)
        if len(data) > info.st_size:  # the file grew since it was looked at
            with open(handle, "rb", closefd=False) as rest:
                data += rest.read(MAX_FILE_BYTES + 1 - len(data))
    finally:
        os.close(handle)
    if len(data) > MAX_FILE_BYTES:
        raise RecordError(f"file is larger than the {MAX_FILE_BYTES // 2**20} MiB limit")
    return decode(data)


# One record file read: (figure fields, links, gene labels, chemicals, diseases, problems, skipped TSV rows), or
# (None, …, problems, 0) for a file that could not be used. `parse_run` turns a run of them into columns.
FileResult = tuple


def parse_file(path: str, side: dict[str, str]) -> FileResult:
    """Read one record and its side files; every failure becomes a problem, never an exception."""
    try:
        return _parse_file(path, side)
    except Exception as exc:  # a bug of ours met by one odd file: logged and reported, but the load goes on
        log.exception("unexpected error while reading %s", path)
        return (None, [], {}, [], [], [(path, f"unexpected error while reading: {type(exc).__name__}: {exc}")], 0)


def _parse_file(path: str, side: dict[str, str]) -> FileResult:
    try:
        record = build_record(parse_front_matter(_read_text(path)), path)
    except RecordError as exc:
        return (None, [], {}, [], [], [(path, str(exc))], 0)
    except OSError as exc:
        return (None, [], {}, [], [], [(path, _cannot("read the file", exc))], 0)
    problems = list(record.flaws)
    genes = record.genes
    chemicals, diseases = record.chemicals, record.diseases
    skipped = 0
    for kind, side_path in side.items():
        try:
            rows, ragged = read_tsv(_read_text(side_path), kind)
        except RecordError as exc:
            problems.append((side_path, str(exc)))
            continue
        except OSError as exc:
            problems.append((side_path, _cannot("read the file", exc)))
            continue
        if ragged:
            problems.append((side_path, f"{ragged} row(s) with the wrong number of cells skipped"))
        if kind == "genes":
            found, dropped = tsv_genes(rows)
            genes.extend(found)
            skipped += dropped
        elif kind == "chemicals":
            chemicals = list(dict.fromkeys([*chemicals, *tsv_terms(rows)]))
        else:
            diseases = list(dict.fromkeys([*diseases, *tsv_terms(rows)]))
    links, labels = to_links(genes)
    return (record.figure, links, labels, chemicals, diseases, problems, skipped)


def to_links(
    genes: list[tuple[int, str, str, str, str]],
) -> tuple[list[tuple[int, str, str, bool]], dict[int, tuple[str, str]]]:
    """One figure's gene mentions → one link per gene id keeping every OCR word and source, and gene labels."""
    words: dict[int, dict[str, None]] = {}
    sources: dict[int, dict[str, None]] = {}
    labels: dict[int, tuple[str, str]] = {}
    for gene_id, symbol, organism, word, source in genes:
        if gene_id in words:
            words[gene_id][word] = None
            sources[gene_id][source] = None
            if symbol and not labels[gene_id][0]:
                labels[gene_id] = (symbol, organism)
        else:
            words[gene_id] = {word: None}
            sources[gene_id] = {source: None}
            labels[gene_id] = (symbol, organism)
    links = [
        (
            gene_id,
            SEP.join(w for w in words[gene_id] if w),
            SEP.join(s for s in sources[gene_id] if s),
            not EXACT_SOURCES.isdisjoint(sources[gene_id]),
        )
        for gene_id in words
    ]
    return links, labels


# The streaming build. Workers parse runs of CHUNK records into columns (RunResult); the parent takes them in record
# order (TableBuilder.add): it settles duplicate figids, appends figures, links, chemicals and diseases to temporary
# Arrow IPC files (Spill) and keeps only small state in memory: per figure its figid and link count, per gene its
# label and figure count, the distinct (word, gene) pairs. Then the tables are built one at a time from those files.
FIGURE_SCHEMA = pa.schema([(name, pa.int16() if name == C.YEAR else pa.large_string()) for name in C.FIGURE_COLUMNS])
LINK_SCHEMA = pa.schema(
    [(C.GENE_ID, pa.int64()), (C.WORDS, pa.large_string()), (C.SOURCES, pa.int32()), (C.EXACT, pa.bool_())]
)
TERM_COLUMNS = (C.FIGID, C.WORD, C.MESH, C.MATCH, C.NAME)  # then the term's own id: chebi or doid
N = "n"  # per-gene state: the number of figures a gene is in
MERGE_FROM = 200_000  # rows of per-gene or word state held before they are merged down to one row per key
RUNS_AHEAD = 2  # runs in flight per worker: the parent holds only these, whatever the corpus size


def term_schema(ref_column: str) -> pa.Schema:
    """The columns of the chemicals (chebi) or diseases (doid) table."""
    return pa.schema([(name, pa.large_string()) for name in (*TERM_COLUMNS, ref_column)])


class RunResult(NamedTuple):
    """A run of record files parsed into columns (a few buffers pickle far faster and smaller than a million
    tuples): a figure row per record that could be read and, per figure row, the number of its links, chemicals,
    diseases and skipped TSV rows; every record's problems."""

    readable: list[bool]  # per record of the run
    problems: list[list[tuple[str, str]]]  # per record of the run: (path, reason)
    figures: pa.RecordBatch  # FIGURE_SCHEMA, one row per readable record
    links: pa.RecordBatch  # gene_id, words, sources (codes into source_values), exact, symbol, organism
    source_values: list[str]
    link_counts: np.ndarray  # per figure row; each figure's links are in gene id order
    chemicals: pa.RecordBatch  # term_schema(chebi)
    chemical_counts: np.ndarray
    diseases: pa.RecordBatch  # term_schema(doid)
    disease_counts: np.ndarray
    skipped_rows: np.ndarray  # per figure row
    fallbacks: int = 0  # records whose front matter the fast parser declined, read by libyaml instead


def _term_batch(rows: list[tuple[str, ...]], ref_column: str) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [()] * (len(TERM_COLUMNS) + 1)
    return pa.RecordBatch.from_arrays(
        [pa.array(column, type=pa.large_string()) for column in columns], schema=term_schema(ref_column)
    )


class _RunTerms:
    """A run's chemicals and diseases as they are read, record by record: rows (figid first) and counts per
    figure row."""

    def __init__(self) -> None:
        self.chemicals: list[tuple[str, ...]] = []
        self.chemical_counts: list[int] = []
        self.diseases: list[tuple[str, ...]] = []
        self.disease_counts: list[int] = []

    def add(self, figid: str, chemicals: list[tuple[str, ...]], diseases: list[tuple[str, ...]]) -> None:
        self.chemicals.extend((figid, *row) for row in chemicals)
        self.chemical_counts.append(len(chemicals))
        self.diseases.extend((figid, *row) for row in diseases)
        self.disease_counts.append(len(diseases))


def _run_result(
    readable: list[bool],
    problems: list[list[tuple[str, str]]],
    figures: list[dict],
    links: list[pa.Array],
    source_values: list[str],
    link_counts: np.ndarray,
    terms: _RunTerms,
    skipped: np.ndarray,
    fallbacks: int = 0,
) -> RunResult:
    """The columns of a run, as both parsers give them."""
    figure_columns = [pa.array([f[field_.name] for f in figures], type=field_.type) for field_ in FIGURE_SCHEMA]
    return RunResult(
        readable=readable,
        problems=problems,
        figures=pa.RecordBatch.from_arrays(figure_columns, schema=FIGURE_SCHEMA),
        links=pa.RecordBatch.from_arrays(links, names=[*LINK_SCHEMA.names, C.SYMBOL, C.ORGANISM]),
        source_values=source_values,
        link_counts=link_counts,
        chemicals=_term_batch(terms.chemicals, C.CHEBI),
        chemical_counts=np.array(terms.chemical_counts, dtype=np.int64),
        diseases=_term_batch(terms.diseases, C.DOID),
        disease_counts=np.array(terms.disease_counts, dtype=np.int64),
        skipped_rows=skipped,
        fallbacks=fallbacks,
    )


def _gene_id_of(link: tuple[int, str, str, bool]) -> int:
    return link[0]


def parse_run_reference(jobs: list[tuple[str, dict[str, str]]]) -> RunResult:
    """Parse a run of record files, each with its side files, into columns, record by record with libyaml and
    Python rows (`parse_file`): what the fast path (`parse_run`) must equal, and its fallback."""
    readable, problems, figures, skipped = [], [], [], []
    gene_ids, words, sources, exact, symbols, organisms, link_counts = [], [], [], [], [], [], []
    source_codes: dict[str, int] = {}
    terms = _RunTerms()
    for path, side in jobs:
        figure, links, labels, found_chemicals, found_diseases, found_problems, dropped = parse_file(path, side)
        readable.append(figure is not None)
        problems.append(found_problems)
        if figure is None:
            continue
        figures.append(figure)
        skipped.append(dropped)
        link_counts.append(len(links))
        for gene_id, joined_words, joined_sources, is_exact in sorted(links, key=_gene_id_of):
            gene_ids.append(gene_id)
            words.append(joined_words)
            sources.append(source_codes.setdefault(joined_sources, len(source_codes)))
            exact.append(is_exact)
            symbol, organism = labels[gene_id]
            symbols.append(symbol)
            organisms.append(organism)
        terms.add(figure[C.FIGID], found_chemicals, found_diseases)
    link_columns = [
        pa.array(gene_ids, type=pa.int64()),
        pa.array(words, type=pa.large_string()),
        pa.array(sources, type=pa.int32()),
        pa.array(exact, type=pa.bool_()),
        pa.array(symbols, type=pa.large_string()),
        pa.array(organisms, type=pa.large_string()),
    ]
    return _run_result(
        readable,
        problems,
        figures,
        link_columns,
        list(source_codes),
        np.array(link_counts, dtype=np.int64),
        terms,
        np.array(skipped, dtype=np.int64),
    )


def parse_run(jobs: list[tuple[str, dict[str, str]]]) -> RunResult:
    """Parse a run of record files, each with its side files, into columns (in a worker process): front matter by
    rapidyaml where it can vouch for it (else libyaml, counted), genes side files column-wise, links as arrays.
    The same columns as `parse_run_reference`, which reads the run instead when the fast path declines it, with a
    warning saying why. Any other error is a bug of ours (the fast path's checks let through what it cannot read,
    or a caller's mistake) and is raised: read again quietly, it would hide the bug behind a slower load."""
    try:
        return _parse_run_fast(jobs)
    except Declined as exc:
        first = jobs[0][0] if jobs else "-"
        log.warning("a run of %d records (from %s) read record by record, slowly: %s", len(jobs), first, exc)
        return parse_run_reference(jobs)


def _read_record(path: str) -> tuple[object, bool, tuple[list, ...] | None]:
    """One record's typed fields (a ParsedRecord), or the problem's reason; whether libyaml read it; and its
    front-matter genes as columns where `front_matter_genes` could read them so (the record's own list is then
    empty)."""
    try:
        text = _read_text(path)
        meta = read_front_matter(split_front_matter(text))
        if meta is None:
            return build_record(parse_front_matter(text), path), True, None
        genes = front_matter_genes(meta.get("genes"))
        if genes is not None:
            del meta["genes"]
        return build_record(meta, path), False, genes
    except RecordError as exc:
        return str(exc), False, None
    except OSError as exc:
        return _cannot("read the file", exc), False, None


def _parse_run_fast(jobs: list[tuple[str, dict[str, str]]]) -> RunResult:
    readable, problems, figures = [], [], []
    mentions = GeneMentions()
    gene_files: list[tuple[int, str]] = []
    gene_paths: dict[int, tuple[str, int, list[tuple[str, str]]]] = {}  # figure row → (path, problems' slot, list)
    terms = _RunTerms()
    fallbacks = 0
    for path, side in jobs:
        record, fallback, genes = _read_record(path)
        fallbacks += fallback
        if isinstance(record, str):
            readable.append(False)
            problems.append([(path, record)])
            continue
        row = len(figures)
        readable.append(True)
        found_problems = list(record.flaws)
        problems.append(found_problems)
        figures.append(record.figure)
        if genes is None:
            mentions.add_rows(row, record.genes)
        else:
            ids, symbols, words, labels = genes
            mentions.add_lists(row, ids, symbols, [HUMAN] * len(ids), words, labels)
        found_chemicals, found_diseases = record.chemicals, record.diseases
        for kind, side_path in side.items():
            try:
                text = _read_text(side_path)
            except RecordError as exc:
                found_problems.append((side_path, str(exc)))
                continue
            except OSError as exc:
                found_problems.append((side_path, _cannot("read the file", exc)))
                continue
            if kind == "genes":  # read with the run's other genes files below; its problems go in this slot
                gene_files.append((row, text))
                gene_paths[row] = (side_path, len(found_problems), found_problems)
                continue
            try:
                rows, ragged = read_tsv(text, kind)
            except RecordError as exc:
                found_problems.append((side_path, str(exc)))
                continue
            if ragged:
                found_problems.append((side_path, f"{ragged} row(s) with the wrong number of cells skipped"))
            if kind == "chemicals":
                found_chemicals = list(dict.fromkeys([*found_chemicals, *tsv_terms(rows)]))
            else:
                found_diseases = list(dict.fromkeys([*found_diseases, *tsv_terms(rows)]))
        terms.add(record.figure[C.FIGID], found_chemicals, found_diseases)

    skipped = np.zeros(len(figures), dtype=np.int64)
    counted, ragged_rows, declined = read_gene_files(gene_files, mentions)
    gene_problems: dict[int, tuple[str, str]] = {
        row: (gene_paths[row][0], f"{count} row(s) with the wrong number of cells skipped")
        for row, count in ragged_rows.items()
    }
    for row, text in declined:
        try:
            rows, ragged = read_tsv(text, "genes")
        except RecordError as exc:
            gene_problems[row] = (gene_paths[row][0], str(exc))
            continue
        if ragged:
            gene_problems[row] = (gene_paths[row][0], f"{ragged} row(s) with the wrong number of cells skipped")
        found, dropped = tsv_genes(rows)
        mentions.add_rows(row, found)
        skipped[row] += dropped
    for row, count in counted.items():
        skipped[row] += count
    for row, problem in gene_problems.items():
        _, slot, found_problems = gene_paths[row]
        found_problems.insert(slot, problem)

    links = build_links(mentions, len(figures))
    sources = pc.dictionary_encode(links.sources)
    link_columns = [
        pa.array(links.gene_ids, type=pa.int64()),
        links.words,
        sources.indices.cast(pa.int32()),
        pa.array(links.exact, type=pa.bool_()),
        links.symbols,
        links.organisms,
    ]
    source_values = sources.dictionary.to_pylist()
    return _run_result(
        readable, problems, figures, link_columns, source_values, links.counts, terms, skipped, fallbacks
    )


def _runs(sources: Sources) -> Iterator[list[tuple[str, dict[str, str]]]]:
    """The record files in runs of CHUNK, each with its side files."""
    side_files = sources.side_files
    for start in range(0, len(sources.records), CHUNK):
        yield [
            (path, {kind: p for kind in SIDE_FILE_KINDS if (p := side_files.get((stem_of(path), kind)))})
            for path in sources.records[start : start + CHUNK]
        ]


def parse_runs(sources: Sources, workers: int | None, progress: Progress | None = None) -> Iterator[RunResult]:
    """Every run of record files parsed, in order: by worker processes for a large corpus, RUNS_AHEAD runs per
    worker in flight, so finished runs never pile up in the parent."""
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(sources.records) < PARALLEL_FROM:
        for run in _runs(sources):
            yield parse_run(run)
            if progress is not None:
                progress.advance(len(run))
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        in_flight: deque[tuple[int, Future[RunResult]]] = deque()
        for run in _runs(sources):
            in_flight.append((len(run), pool.submit(parse_run, run)))
            while len(in_flight) > RUNS_AHEAD * workers or (in_flight and in_flight[0][1].done()):
                size, future = in_flight.popleft()
                yield future.result()
                if progress is not None:
                    progress.advance(size)
        while in_flight:
            size, future = in_flight.popleft()
            yield future.result()
            if progress is not None:
                progress.advance(size)


def first_labels(table: pa.Table) -> pa.Table:
    """One row per gene id, sorted by it: the first label in the table's order that has a symbol, else the first
    one (as a figure, then the corpus, names a gene), with the gene's figure counts summed."""
    ids = table[C.GENE_ID].to_numpy()
    lacks_symbol = pc.equal(table[C.SYMBOL], "").to_numpy()
    order = np.lexsort((np.arange(len(ids)), lacks_symbol, ids))
    ids = ids[order]
    starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1]))) if len(ids) else np.zeros(0, np.int64)
    chosen = pa.array(order[starts])
    counts = table[N].to_numpy()[order]
    return pa.table(
        {
            C.GENE_ID: ids[starts],
            C.SYMBOL: table[C.SYMBOL].take(chosen),
            C.ORGANISM: table[C.ORGANISM].take(chosen),
            N: np.add.reduceat(counts, starts) if len(ids) else counts,
        }
    )


def distinct_pairs(table: pa.Table) -> pa.Table:
    """Each distinct (word, gene id) row once (in no particular order). Sorted codes in numpy, not pyarrow's
    group_by: Acero's allocations stay resident in mimalloc (~40 MB more at 110,000 figures)."""
    words = pc.dictionary_encode(table[C.WORD]).combine_chunks()
    codes, genes = words.indices.to_numpy(), table[C.GENE_ID].to_numpy()
    order = np.lexsort((genes, codes))
    codes, genes = codes[order], genes[order]
    first = np.ones(len(codes), dtype=bool)
    first[1:] = (codes[1:] != codes[:-1]) | (genes[1:] != genes[:-1])
    return pa.table({C.WORD: words.dictionary.take(pa.array(codes[first])), C.GENE_ID: genes[first]})


def word_pairs(words: pa.Array, gene_ids: np.ndarray) -> pa.Table:
    """Distinct (printed word stripped of punctuation, in its printed case; gene id) pairs of links (pyarrow
    kernels)."""
    split = pc.split_pattern(words, pattern=SEP)
    flat = pc.utf8_trim(pc.list_flatten(split), characters=WORD_JUNK)
    genes = pc.take(pa.array(gene_ids), pc.list_parent_indices(split))
    table = pa.table({C.WORD: flat, C.GENE_ID: genes})
    return distinct_pairs(table.filter(pc.greater(pc.utf8_length(table[C.WORD]), 0)))


class Merged:
    """Tables merged down to one row per key by `merge` whenever they hold twice as many rows as the last merge
    left (and at least MERGE_FROM): the state stays near its final size, and each row is merged a few times."""

    def __init__(self, merge: Callable[[pa.Table], pa.Table]) -> None:
        self.merge = merge
        self.parts: list[pa.Table] = []
        self.rows = 0
        self.merged_rows = 0

    def add(self, table: pa.Table) -> None:
        self.parts.append(self.merge(table))
        self.rows += self.parts[-1].num_rows
        if self.rows > max(MERGE_FROM, 2 * self.merged_rows):
            self.parts = [self.result()]
            self.rows = self.merged_rows = self.parts[0].num_rows

    def result(self) -> pa.Table:
        return self.merge(pa.concat_tables(self.parts))


class Spill:
    """The record batches of one table, written as they come to an unnamed temporary file (an Arrow IPC stream)
    and read back memory-mapped, one column at a time: while the corpus is parsed they are on disk, not in this
    process. Where no temporary file can be made, the stream is held in memory instead."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.memory: pa.BufferOutputStream | None = None
        try:
            # Closed by columns(); unnamed, so nothing is left on disk whatever happens to this process.
            self.file: IO[bytes] | None = tempfile.TemporaryFile(prefix="pfocr-ingest-")  # noqa: SIM115
        except OSError as exc:
            log.warning("cannot write to the temporary folder (%s); holding the parsed columns in memory", exc)
            self.file = None
            self.memory = pa.BufferOutputStream()
        self.writer = pa.ipc.new_stream(self.file or self.memory, schema)

    def append(self, batch: pa.RecordBatch) -> None:
        self.writer.write_batch(batch)

    def columns(self) -> Iterator[tuple[str, pa.Array]]:
        """Each column as one contiguous array in memory. The file's pages read for one column are dropped from
        this process before the next is read (they stay in the page cache)."""
        self.writer.close()
        if self.file is None:
            yield from self._columns(self.memory.getvalue(), None)
            return
        with self.file:
            self.file.flush()
            mapped = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)
            yield from self._columns(pa.py_buffer(mapped), mapped)
            mapped.close()

    def _columns(self, stream: pa.Buffer, mapped: mmap.mmap | None) -> Iterator[tuple[str, pa.Array]]:
        batches = list(pa.ipc.open_stream(stream))
        del stream
        for index, field_ in enumerate(self.schema):
            parts = [batch.column(index) for batch in batches]
            column = pa.concat_arrays(parts) if parts else pa.array([], type=field_.type)
            del parts
            if mapped is not None and hasattr(mapped, "madvise"):
                mapped.madvise(mmap.MADV_DONTNEED)
            yield field_.name, column
            del column
        batches.clear()


class TableBuilder:
    """Assembles parsed runs into the tables. Between runs it holds no Python object per row: figures, links,
    chemicals and diseases go to temporary files (Spill), per-gene labels and counts and the distinct word pairs
    are merged down as they grow. Duplicate figids and side files without a record go to the report."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources
        self.problems: list[tuple[str, str]] = list(sources.problems)
        self.first_seen: dict[str, int] = {}  # figid → the record it was first read from, in figure order
        self.n_records = 0
        self.skipped = 0
        self.fallbacks = 0  # records the fast parser declined (read by libyaml)
        self.figures = Spill(FIGURE_SCHEMA)
        self.links = Spill(LINK_SCHEMA)
        self.chemicals = Spill(term_schema(C.CHEBI))
        self.diseases = Spill(term_schema(C.DOID))
        self.link_counts: list[np.ndarray] = []  # per figure
        self.source_codes: dict[str, int] = {}  # the links' tab-joined sources, coded in order of appearance
        self.labels = Merged(first_labels)
        self.words = Merged(distinct_pairs)

    @property
    def n_figures(self) -> int:
        return len(self.first_seen)

    @property
    def n_links(self) -> int:
        return int(sum(counts.sum() for counts in self.link_counts))

    def add(self, run: RunResult) -> None:
        """Take in the next run (runs arrive in record order)."""
        figids = run.figures.column(C.FIGID).to_pylist()
        keep = np.ones(len(figids), dtype=bool)
        row = 0
        for readable, problems in zip(run.readable, run.problems, strict=True):
            record = self.n_records
            self.n_records += 1
            self.problems.extend(problems)
            if not readable:
                continue
            figid = figids[row]
            first = self.first_seen.setdefault(figid, record)
            if first != record:
                path, first_path = self.sources.records[record], self.sources.records[first]
                self.problems.append((path, f"duplicate figid {figid} (first read from {first_path})"))
                keep[row] = False
            row += 1
        figures, links, chemicals, diseases = run.figures, run.links, run.chemicals, run.diseases
        if not keep.all():
            figures = figures.filter(pa.array(keep))
            links = links.filter(pa.array(np.repeat(keep, run.link_counts)))
            chemicals = chemicals.filter(pa.array(np.repeat(keep, run.chemical_counts)))
            diseases = diseases.filter(pa.array(np.repeat(keep, run.disease_counts)))
        self.skipped += int(run.skipped_rows[keep].sum())
        self.fallbacks += run.fallbacks
        self.link_counts.append(run.link_counts[keep])
        genes, words = links.column(C.GENE_ID), links.column(C.WORDS)
        codes = [self.source_codes.setdefault(value, len(self.source_codes)) for value in run.source_values]
        sources = np.array(codes, dtype=np.int32)[links.column(C.SOURCES).to_numpy()]
        self.figures.append(figures)
        self.links.append(pa.record_batch([genes, words, sources, links.column(C.EXACT)], schema=LINK_SCHEMA))
        self.chemicals.append(chemicals)
        self.diseases.append(diseases)
        labels = [genes, links.column(C.SYMBOL), links.column(C.ORGANISM), np.ones(len(genes), dtype=np.int64)]
        self.labels.add(pa.table(labels, names=[C.GENE_ID, C.SYMBOL, C.ORGANISM, N]))
        self.words.add(word_pairs(words, genes.to_numpy()))

    def note_orphans(self) -> None:
        """Report the side files whose figure has no record file (once every run is in)."""
        stems = {stem_of(path) for path in self.sources.records}
        for (key, _kind), side_path in sorted(self.sources.side_files.items()):
            if key not in stems:
                self.problems.append((side_path, f"side file for figure {key}, which has no record file"))

    def tables(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """The tables, built one at a time (each column one contiguous array), so that a caller that writes each
        away before taking the next holds one at a time. Every part is let go once its table is built."""
        yield "figures", to_figure_table(self.figures)
        yield "genes", to_gene_table(self.labels.result())
        yield "links", self.to_link_table()
        yield "words", to_word_table(self.words.result())
        yield "chemicals", to_term_table(self.chemicals)
        yield "diseases", to_term_table(self.diseases)
        yield "problems", pd.DataFrame(self.problems, columns=[C.PATH, C.REASON], dtype="string")

    def to_link_table(self) -> pd.DataFrame:
        """Links → a table in (figure, gene id) order whose figid column is categorical over the figures' order
        (codes = figure rows); the analysis floor builds its sparse matrix straight from this order."""
        counts = np.concatenate(self.link_counts)
        figure_rows = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        values = np.array(list(self.source_codes), dtype=object)
        order = np.argsort(values, kind="stable")
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        table = {C.FIGID: pd.Categorical.from_codes(figure_rows, categories=pd.Index(list(self.first_seen)))}
        del figure_rows
        for name, column in self.links.columns():
            if name == C.WORDS:
                table[name] = STRING.__from_arrow__(pa.chunked_array([column]))
            elif name == C.SOURCES:
                table[name] = pd.Categorical.from_codes(
                    rank[column.to_numpy()], categories=pd.Index(values[order].tolist())
                )
            else:
                table[name] = column.to_numpy(zero_copy_only=False)
        return pd.DataFrame(table, copy=False)


STRING = pd.StringDtype()  # what `astype("string")` gives: Arrow-backed, missing values as pd.NA


def to_figure_table(spill: Spill) -> pd.DataFrame:
    """Figure columns → the figures table, one row per figure, typed (strings and a nullable Int16 year)."""
    table = {}
    for name, column in spill.columns():
        dtype = pd.Int16Dtype() if name == C.YEAR else STRING
        table[name] = dtype.__from_arrow__(pa.chunked_array([column]))
    return pd.DataFrame(table, copy=False)


def to_gene_table(labels: pa.Table) -> pd.DataFrame:
    """Per-gene state (`first_labels`) → one row per gene id: symbol, organism and the number of figures it is in."""
    return pd.DataFrame(
        {
            C.GENE_ID: pd.array(labels[C.GENE_ID].to_numpy(), dtype="int64"),
            C.SYMBOL: pd.array(labels[C.SYMBOL].to_pylist(), dtype="string"),
            C.ORGANISM: pd.array(labels[C.ORGANISM].to_pylist(), dtype="category"),
            C.N_FIGURES: labels[N].to_numpy().astype("int32"),
        }
    )


def to_word_table(table: pa.Table) -> pd.DataFrame:
    """Distinct (printed word stripped of punctuation, in its printed case; gene id) pairs, sorted by word.
    Type-ahead lower-cases them; the user sees them as printed."""
    table = table.sort_by([(C.WORD, "ascending"), (C.GENE_ID, "ascending")])
    return pd.DataFrame(
        {
            C.WORD: pd.array(table[C.WORD].to_numpy(zero_copy_only=False), dtype="string"),
            C.GENE_ID: table[C.GENE_ID].to_numpy(),
        }
    )


def to_term_table(spill: Spill) -> pd.DataFrame:
    """Chemical or disease mentions → a table (each distinct (figure, term) once: a record lists each term once,
    and no two figures kept share a figid)."""
    return pd.DataFrame(
        {name: STRING.__from_arrow__(pa.chunked_array([column])) for name, column in spill.columns()}, copy=False
    )


def read_corpus(paths: Sequence[str | os.PathLike], workers: int | None = None) -> CorpusTables:
    """Parse the sources (no cache) into tables; raises CorpusError if nothing usable is there."""
    return parse_sources(discover(paths), workers)


def parse_sources(sources: Sources, workers: int | None = None, progress: Progress | None = None) -> CorpusTables:
    """Parse already-discovered sources into tables and log the load report (counting records in `progress`)."""
    tables: dict[str, pd.DataFrame] = {}
    skipped = parse_sources_into(sources, tables.__setitem__, workers, progress)
    return CorpusTables(**tables, skipped_rows=skipped)


def parse_sources_into(
    sources: Sources,
    take: Callable[[str, pd.DataFrame], None],
    workers: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Parse already-discovered sources and hand each table to `take(name, table)` as soon as it is built (a
    writer that lets each go holds one at a time); log the load report and return the skipped TSV rows. Raises
    CorpusError, before any table is handed over, if nothing usable is there."""
    if not sources.records:
        found = "".join(f"; {path}: {reason}" for path, reason in sources.problems[:PROBLEMS_LOGGED])
        raise CorpusError("no record files found (looked for " + ", ".join(RECORD_SUFFIXES) + ")" + found)
    started = time.perf_counter()
    if progress is not None:
        progress.begin("parsing", total=len(sources.records))
    builder = TableBuilder(sources)
    for run in parse_runs(sources, workers, progress):
        builder.add(run)
        del run
        release_memory()
    builder.note_orphans()
    if builder.n_figures == 0:
        log_load_report(builder, time.perf_counter() - started)
        raise CorpusError(f"no valid figure record among {len(sources.records)} file(s)")
    if progress is not None:
        progress.begin("building tables")
    for name, table in builder.tables():
        take(name, table)
        del table
        release_memory()
    log_load_report(builder, time.perf_counter() - started)
    return builder.skipped


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc's; None with another C library
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _find_malloc_trim()


def release_memory() -> None:
    """Give the memory freed since the last call back to the system. A run's transient buffers (its pickle, the
    arrays read from it) are freed in the middle of glibc's heaps, which keep such holes: at 110,000 figures the
    parent held ~100 MB more without this. Cheap (microseconds when there is nothing to give back)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
    pa.default_memory_pool().release_unused()


def log_load_report(builder: TableBuilder, seconds: float) -> None:
    """What was read and the first problems, in the log."""
    log.info(
        "parsed %d record files in %.2f s: %d figures, %d genes, %d links, %d problems",
        builder.n_records,
        seconds,
        builder.n_figures,
        builder.labels.result().num_rows,
        builder.n_links,
        len(builder.problems),
    )
    if builder.fallbacks:
        log.info(
            "%d of %d records read by libyaml: the fast parser (rapidyaml) could not vouch for their front matter",
            builder.fallbacks,
            builder.n_records,
        )
    for path, reason in builder.problems[:PROBLEMS_LOGGED]:
        log.warning("%s: %s", path, reason)
    if len(builder.problems) > PROBLEMS_LOGGED:
        more = len(builder.problems) - PROBLEMS_LOGGED
        log.warning("… and %d more problems (`pfocr-dashboard check` lists them all)", more)
