"""Corpus floor: find PFOCR records and side files, parse them (in parallel), and build the pandas tables."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard.corpus import columns as C
from dashboard.corpus.records import (
    EXACT_SOURCES,
    RECORD_SUFFIXES,
    SEP,
    SIDE_FILE_KINDS,
    ParsedRecord,
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
CHUNK = 256
PROBLEMS_LOGGED = 20


class CorpusError(Exception):
    """The paths given cannot make a corpus at all (nothing there, or no valid record)."""


@dataclass
class Sources:
    """The files a corpus is made of: record files, and side files by (figure key, kind)."""

    records: list[Path] = field(default_factory=list)
    side_files: dict[tuple[str, str], Path] = field(default_factory=dict)

    def all_paths(self) -> list[Path]:
        return [*self.records, *self.side_files.values()]


@dataclass
class CorpusTables:
    """Everything read from the sources: the tables, the load report, and what it was read from."""

    figures: pd.DataFrame
    genes: pd.DataFrame
    links: pd.DataFrame
    chemicals: pd.DataFrame
    diseases: pd.DataFrame
    problems: pd.DataFrame
    skipped_rows: int
    sources: list[str]


def side_file_key(path: Path) -> tuple[str, str] | None:
    """`<figid>-genes.tsv` → (figid, 'genes'); None for any other file."""
    if path.suffix != ".tsv":
        return None
    stem = path.stem
    for kind in SIDE_FILE_KINDS:
        if stem.endswith("-" + kind):
            return stem[: -len(kind) - 1], kind
    return None


def _walk(folder: Path) -> Iterable[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            yield Path(root, name)


def discover(paths: Sequence[str | os.PathLike]) -> Sources:
    """The record and side files under the given paths (files, folders, or PFOCR site checkouts)."""
    sources = Sources()
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise CorpusError(f"{path}: no such file or folder")
        if path.is_file():
            key = side_file_key(path)
            if key is not None:
                sources.side_files[key] = path
            else:
                sources.records.append(path)
            continue
        # A PFOCR site checkout holds pages, posts and assets besides the figures: read only its two data folders.
        roots = [path / "_figures", path / "_data"] if (path / "_figures").is_dir() else [path]
        for root in roots:
            for file in _walk(root):
                key = side_file_key(file)
                if key is not None:
                    sources.side_files[key] = file
                elif file.suffix.lower() in RECORD_SUFFIXES:
                    sources.records.append(file)
    sources.records = sorted(dict.fromkeys(sources.records))
    return sources


def _read_text(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise RecordError(f"file is {size / 2**20:.0f} MiB, larger than the {MAX_FILE_BYTES // 2**20} MiB limit")
    return decode(path.read_bytes())


@dataclass
class FileResult:
    """What one worker returns for one record file and its side files."""

    record: ParsedRecord | None
    problems: list[tuple[str, str]]
    links: list[tuple[int, str, str, bool]] = field(default_factory=list)  # (gene_id, words, sources, exact)
    labels: dict[int, tuple[str, str]] = field(default_factory=dict)  # gene_id → (symbol, organism)


def parse_file(path: Path, side: dict[str, Path]) -> FileResult:
    """Read one record and its side files; every failure becomes a problem, never an exception."""
    try:
        record = build_record(parse_front_matter(_read_text(path)), str(path))
    except (RecordError, OSError) as exc:
        return FileResult(None, [(str(path), str(exc))])
    problems = list(record.flaws)
    for kind, side_path in side.items():
        try:
            rows, ragged = read_tsv(_read_text(side_path), kind)
        except (RecordError, OSError) as exc:
            problems.append((str(side_path), str(exc)))
            continue
        if ragged:
            problems.append((str(side_path), f"{ragged} row(s) with the wrong number of cells skipped"))
        if kind == "genes":
            genes, skipped = tsv_genes(rows)
            record.genes.extend(genes)
            record.skipped_rows += skipped
        elif kind == "chemicals":
            record.chemicals = list(dict.fromkeys([*record.chemicals, *tsv_terms(rows)]))
        else:
            record.diseases = list(dict.fromkeys([*record.diseases, *tsv_terms(rows)]))
    return FileResult(record, problems, *to_links(record.genes))


def to_links(
    genes: list[tuple[int, str, str, str, str]],
) -> tuple[list[tuple[int, str, str, bool]], dict[int, tuple[str, str]]]:
    """One figure's gene mentions → one link per gene id keeping every OCR word and source, and gene labels."""
    words: dict[int, dict[str, None]] = {}
    sources: dict[int, dict[str, None]] = {}
    labels: dict[int, tuple[str, str]] = {}
    for gene_id, symbol, organism, word, source in genes:
        words.setdefault(gene_id, {})[word] = None
        sources.setdefault(gene_id, {})[source] = None
        if gene_id not in labels or (symbol and not labels[gene_id][0]):
            labels[gene_id] = (symbol, organism)
    links = [
        (
            gene_id,
            SEP.join(w for w in words[gene_id] if w),
            SEP.join(s for s in sources[gene_id] if s),
            any(s in EXACT_SOURCES for s in sources[gene_id]),
        )
        for gene_id in words
    ]
    return links, labels


def _parse_all(sources: Sources, workers: int | None) -> list[FileResult]:
    jobs = [
        (path, {k: p for k in SIDE_FILE_KINDS if (p := sources.side_files.get((path.stem, k)))})
        for path in sources.records
    ]
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(jobs) < PARALLEL_FROM:
        return [parse_file(path, side) for path, side in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(parse_file, *zip(*jobs, strict=True), chunksize=CHUNK))


def build_tables(sources: Sources, results: list[FileResult]) -> CorpusTables:
    """Assemble the parsed files into tables; duplicates and orphan side files go to the report."""
    problems: list[tuple[str, str]] = []
    figures: list[dict] = []
    first_seen: dict[str, str] = {}
    link_figids: list[str] = []
    link_rows: list[tuple[int, str, str, bool]] = []
    labels: dict[int, tuple[str, str]] = {}
    chemicals: list[tuple[str, ...]] = []
    diseases: list[tuple[str, ...]] = []
    skipped = 0
    stems: set[str] = set()
    for path, result in zip(sources.records, results, strict=True):
        stems.add(path.stem)
        problems.extend(result.problems)
        record = result.record
        if record is None:
            continue
        figid = str(record.figure[C.FIGID])
        if figid in first_seen:
            problems.append((str(path), f"duplicate figid {figid} (first read from {first_seen[figid]})"))
            continue
        first_seen[figid] = str(path)
        figures.append(record.figure)
        link_figids.extend([figid] * len(result.links))
        link_rows.extend(result.links)
        for gene_id, label in result.labels.items():
            if gene_id not in labels or (label[0] and not labels[gene_id][0]):
                labels[gene_id] = label
        chemicals.extend((figid, *row) for row in record.chemicals)
        diseases.extend((figid, *row) for row in record.diseases)
        skipped += record.skipped_rows
    for (key, _kind), side_path in sorted(sources.side_files.items()):
        if key not in stems:
            problems.append((str(side_path), f"side file for figure {key}, which has no record file"))

    figure_table = to_figure_table(figures)
    links = pd.DataFrame(link_rows, columns=[C.GENE_ID, C.WORDS, C.SOURCES, C.EXACT])
    links.insert(0, C.FIGID, pd.Categorical(link_figids, categories=figure_table[C.FIGID]))
    links = links.astype({C.GENE_ID: "int64", C.EXACT: "bool", C.WORDS: "string", C.SOURCES: "string"})
    return CorpusTables(
        figures=figure_table,
        genes=to_gene_table(labels, links),
        links=links,
        chemicals=to_term_table(chemicals, C.CHEBI),
        diseases=to_term_table(diseases, C.DOID),
        problems=pd.DataFrame(problems, columns=[C.PATH, C.REASON], dtype="string"),
        skipped_rows=skipped,
        sources=[str(p) for p in sources.all_paths()],
    )


def to_figure_table(figures: list[dict]) -> pd.DataFrame:
    """Figure dicts → the figures table, one row per figure, typed."""
    table = pd.DataFrame(figures, columns=C.FIGURE_COLUMNS)
    table[C.YEAR] = table[C.YEAR].astype("Int16")
    return table.astype({c: "string" for c in C.FIGURE_COLUMNS if c != C.YEAR})


def to_gene_table(labels: dict[int, tuple[str, str]], links: pd.DataFrame) -> pd.DataFrame:
    """One row per gene id: symbol, organism and the number of figures it is in."""
    ids = sorted(labels)
    table = pd.DataFrame(
        {
            C.GENE_ID: pd.array(ids, dtype="int64"),
            C.SYMBOL: pd.array([labels[i][0] for i in ids], dtype="string"),
            C.ORGANISM: pd.array([labels[i][1] for i in ids], dtype="string"),
        }
    )
    counts = links[C.GENE_ID].value_counts()
    table[C.N_FIGURES] = table[C.GENE_ID].map(counts).fillna(0).astype("int32")
    return table


def to_term_table(rows: list[tuple[str, ...]], ref_column: str) -> pd.DataFrame:
    """Chemical or disease mentions → a table, each distinct (figure, term) once."""
    columns = [C.FIGID, C.WORD, C.MESH, C.MATCH, C.NAME, ref_column]
    return pd.DataFrame(list(dict.fromkeys(rows)), columns=columns, dtype="string")


def read_corpus(paths: Sequence[str | os.PathLike], workers: int | None = None) -> CorpusTables:
    """Parse the sources (no cache) into tables; raises CorpusError if nothing usable is there."""
    sources = discover(paths)
    return parse_sources(sources, workers)


def parse_sources(sources: Sources, workers: int | None = None) -> CorpusTables:
    """Parse already-discovered sources into tables and log the load report."""
    if not sources.records:
        raise CorpusError("no record files found (looked for " + ", ".join(RECORD_SUFFIXES) + ")")
    started = time.perf_counter()
    tables = build_tables(sources, _parse_all(sources, workers))
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
        log.warning(
            "… and %d more problems (`pfocr-dashboard check` lists them all)", len(tables.problems) - PROBLEMS_LOGGED
        )
    if tables.figures.empty:
        raise CorpusError(f"no valid figure record among {len(sources.records)} file(s)")
    return tables
