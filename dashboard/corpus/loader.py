"""Corpus floor: find PFOCR records and side files, parse them (in parallel), and build the pandas tables."""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.corpus import columns as C
from dashboard.corpus.progress import Progress, track
from dashboard.corpus.records import (
    EXACT_SOURCES,
    RECORD_SUFFIXES,
    SEP,
    SIDE_FILE_KINDS,
    RecordError,
    build_record,
    decode,
    parse_front_matter,
    read_tsv,
    tsv_genes,
    tsv_terms,
)

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 32 * 1024 * 1024  # a record or side file larger than this is refused, not read
PARALLEL_FROM = 2_000  # records; below this a process pool costs more than it saves
CHUNK = 512
PROBLEMS_LOGGED = 20
WORD_JUNK = " \t()[]{},;:.*+-/\\'\""  # stripped from OCR words before they are indexed for search


class CorpusError(Exception):
    """The paths given cannot make a corpus at all (nothing there, or no valid record)."""


@dataclass
class Sources:
    """The files a corpus is made of: record files, side files by (figure key, kind), the entries that could
    not be used (with the reason), and each file's identity as seen while looking for them."""

    records: list[str] = field(default_factory=list)
    side_files: dict[tuple[str, str], str] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, reason), found while looking
    # Every file seen, in the order seen, with its size, modification time, inode and status change time (what
    # the cache is keyed on: a same-size rewrite keeps the mtime it is given, but not its ctime).
    seen: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    mtimes: list[int] = field(default_factory=list)
    inodes: list[int] = field(default_factory=list)
    ctimes: list[int] = field(default_factory=list)

    def note(self, path: str, info: os.stat_result) -> None:
        self.seen.append(path)
        self.sizes.append(info.st_size)
        self.mtimes.append(info.st_mtime_ns)
        self.inodes.append(info.st_ino)
        self.ctimes.append(info.st_ctime_ns)

    def refuse(self, path: str, reason: str) -> None:
        """Report an entry that is not read; its link status still keys the cache, so a fix is noticed."""
        self.problems.append((path, reason))
        try:
            self.note(path, os.lstat(path))
        except OSError:  # gone meanwhile: its path alone keys the cache
            self.seen.append(path)
            for values in (self.sizes, self.mtimes, self.inodes, self.ctimes):
                values.append(-1)

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
    text_index: str | None = None  # the full-text index file written with a cache entry or bundle (textindex.py)


def stem_of(name: str) -> str:
    """A file name without its last suffix."""
    base = os.path.basename(name)
    dot = base.rfind(".")
    return base[:dot] if dot > 0 else base


_SIDE_SUFFIXES = tuple((f"-{kind}.tsv", kind) for kind in SIDE_FILE_KINDS)


def side_file_key(name: str) -> tuple[str, str] | None:
    """`<figid>-genes.tsv` → (figid, 'genes'); None for any other file."""
    if not name.endswith(".tsv"):
        return None
    base = os.path.basename(name)
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
                    key = side_file_key(name) if name.endswith(".tsv") else None
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
                        side_files[key] = min(path, side_files.get(key, path))
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


# What a worker returns for one record file: (figure fields, links, gene labels, chemicals, diseases, problems,
# skipped TSV rows), or (None, …, problems, 0) for a file that could not be used. Plain tuples pickle fast.
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


def _parse_all(sources: Sources, workers: int | None, progress: Progress | None = None) -> list[FileResult]:
    jobs = [
        (path, {k: p for k in SIDE_FILE_KINDS if (p := sources.side_files.get((stem_of(path), k)))})
        for path in sources.records
    ]
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(jobs) < PARALLEL_FROM:
        return list(track((parse_file(path, side) for path, side in jobs), progress))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(track(pool.map(parse_file, *zip(*jobs, strict=True), chunksize=CHUNK), progress))


def build_tables(sources: Sources, results: list[FileResult]) -> CorpusTables:
    """Assemble the parsed files into tables; duplicates and orphan side files go to the report."""
    problems: list[tuple[str, str]] = list(sources.problems)
    figures: list[dict] = []
    first_seen: dict[str, str] = {}
    link_figures: list[int] = []
    link_rows: list[tuple[int, str, str, bool]] = []
    labels: dict[int, tuple[str, str]] = {}
    chemicals: list[tuple[str, ...]] = []
    diseases: list[tuple[str, ...]] = []
    skipped = 0
    stems: set[str] = set()
    for path, (figure, links, found_labels, found_chemicals, found_diseases, found_problems, dropped) in zip(
        sources.records, results, strict=True
    ):
        stems.add(stem_of(path))
        problems.extend(found_problems)
        if figure is None:
            continue
        figid = str(figure[C.FIGID])
        if figid in first_seen:
            problems.append((path, f"duplicate figid {figid} (first read from {first_seen[figid]})"))
            continue
        first_seen[figid] = path
        link_figures.extend([len(figures)] * len(links))
        figures.append(figure)
        link_rows.extend(links)
        for gene_id, label in found_labels.items():
            if gene_id not in labels or (label[0] and not labels[gene_id][0]):
                labels[gene_id] = label
        chemicals.extend((figid, *row) for row in found_chemicals)
        diseases.extend((figid, *row) for row in found_diseases)
        skipped += dropped
    for (key, _kind), side_path in sorted(sources.side_files.items()):
        if key not in stems:
            problems.append((side_path, f"side file for figure {key}, which has no record file"))

    figure_table = to_figure_table(figures)
    links = to_link_table(link_figures, link_rows, figure_table[C.FIGID])
    return CorpusTables(
        figures=figure_table,
        genes=to_gene_table(labels, links),
        links=links,
        words=to_word_table(links),
        chemicals=to_term_table(chemicals, C.CHEBI),
        diseases=to_term_table(diseases, C.DOID),
        problems=pd.DataFrame(problems, columns=[C.PATH, C.REASON], dtype="string"),
        skipped_rows=skipped,
    )


def to_figure_table(figures: list[dict]) -> pd.DataFrame:
    """Figure dicts → the figures table, one row per figure, typed."""
    table = pd.DataFrame(figures, columns=C.FIGURE_COLUMNS)
    table[C.YEAR] = table[C.YEAR].astype("Int16")
    return table.astype({c: "string" for c in C.FIGURE_COLUMNS if c != C.YEAR})


def to_link_table(figure_rows: list[int], links: list[tuple[int, str, str, bool]], figids: pd.Series) -> pd.DataFrame:
    """Links → a table in (figure, gene id) order whose figid column is categorical over the figures' order
    (codes = figure rows); the analysis floor builds its sparse matrix straight from this order."""
    table = pd.DataFrame(links, columns=[C.GENE_ID, C.WORDS, C.SOURCES, C.EXACT])
    codes = np.asarray(figure_rows, dtype=np.int32)
    order = np.lexsort((table[C.GENE_ID].to_numpy(dtype=np.int64), codes))
    table, codes = table.iloc[order].reset_index(drop=True), codes[order]
    table.insert(0, C.FIGID, pd.Categorical.from_codes(codes, categories=pd.Index(figids.astype(str))))
    return table.astype({C.GENE_ID: "int64", C.EXACT: "bool", C.WORDS: "string", C.SOURCES: "category"})


def to_gene_table(labels: dict[int, tuple[str, str]], links: pd.DataFrame) -> pd.DataFrame:
    """One row per gene id: symbol, organism and the number of figures it is in."""
    ids = sorted(labels)
    table = pd.DataFrame(
        {
            C.GENE_ID: pd.array(ids, dtype="int64"),
            C.SYMBOL: pd.array([labels[i][0] for i in ids], dtype="string"),
            C.ORGANISM: pd.array([labels[i][1] for i in ids], dtype="category"),
        }
    )
    counts = links[C.GENE_ID].value_counts()
    table[C.N_FIGURES] = table[C.GENE_ID].map(counts).fillna(0).astype("int32")
    return table


def to_word_table(links: pd.DataFrame) -> pd.DataFrame:
    """Distinct (printed word stripped of punctuation, in its printed case; gene id) pairs, sorted by word
    (pyarrow kernels). Type-ahead lower-cases them; the user sees them as printed."""
    words = pa.array(links[C.WORDS].fillna(""), type=pa.large_string())
    split = pc.split_pattern(words, pattern=SEP)
    flat = pc.utf8_trim(pc.list_flatten(split), characters=WORD_JUNK)
    genes = pc.take(pa.array(links[C.GENE_ID].to_numpy()), pc.list_parent_indices(split))
    table = pa.table({C.WORD: flat, C.GENE_ID: genes})
    table = table.filter(pc.greater(pc.utf8_length(table[C.WORD]), 0))
    table = table.group_by([C.WORD, C.GENE_ID]).aggregate([]).sort_by([(C.WORD, "ascending"), (C.GENE_ID, "ascending")])
    return pd.DataFrame(
        {
            C.WORD: pd.array(table[C.WORD].to_numpy(zero_copy_only=False), dtype="string"),
            C.GENE_ID: table[C.GENE_ID].to_numpy(),
        }
    )


def to_term_table(rows: list[tuple[str, ...]], ref_column: str) -> pd.DataFrame:
    """Chemical or disease mentions → a table, each distinct (figure, term) once."""
    columns = [C.FIGID, C.WORD, C.MESH, C.MATCH, C.NAME, ref_column]
    return pd.DataFrame(list(dict.fromkeys(rows)), columns=columns, dtype="string")


def read_corpus(paths: Sequence[str | os.PathLike], workers: int | None = None) -> CorpusTables:
    """Parse the sources (no cache) into tables; raises CorpusError if nothing usable is there."""
    return parse_sources(discover(paths), workers)


def parse_sources(sources: Sources, workers: int | None = None, progress: Progress | None = None) -> CorpusTables:
    """Parse already-discovered sources into tables and log the load report (counting records in `progress`)."""
    if not sources.records:
        found = "".join(f"; {path}: {reason}" for path, reason in sources.problems[:PROBLEMS_LOGGED])
        raise CorpusError("no record files found (looked for " + ", ".join(RECORD_SUFFIXES) + ")" + found)
    started = time.perf_counter()
    if progress is not None:
        progress.begin("parsing", total=len(sources.records))
    results = _parse_all(sources, workers, progress)
    if progress is not None:
        progress.begin("building tables")
    tables = build_tables(sources, results)
    log.info(
        "parsed %d record files in %.2f s: %d figures, %d genes, %d links, %d problems",
        len(sources.records),
        time.perf_counter() - started,
        len(tables.figures),
        len(tables.genes),
        len(tables.links),
        len(tables.problems),
    )
    for path, reason in tables.problems.head(PROBLEMS_LOGGED).itertuples(index=False):
        log.warning("%s: %s", path, reason)
    if len(tables.problems) > PROBLEMS_LOGGED:
        more = len(tables.problems) - PROBLEMS_LOGGED
        log.warning("… and %d more problems (`pfocr-dashboard check` lists them all)", more)
    if tables.figures.empty:
        raise CorpusError(f"no valid figure record among {len(sources.records)} file(s)")
    return tables
