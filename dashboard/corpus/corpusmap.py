"""Corpus floor: the map of the whole corpus — every figure as a point of a 2-D embedding of the figure × gene
matrix, built with the tables of a cache entry or bundle and opened read-only.

Figures are rows of a binary figure × gene matrix, weighted by TF-IDF (a gene in few figures says more than one in
thousands) and normalised, reduced to `COMPONENTS` dimensions by a seeded randomized SVD, then laid out in two by
openTSNE (FFT-accelerated t-SNE: cosine neighbours, a fixed seed). Figures that share genes land near each other;
figures without a gene have no point. Coordinates are stored on a grid of 0..`GRID` (the larger axis spans it) as
float32 columns of a small Arrow IPC file, NaN for figures without a point, in the figures table's row order, with
a digest of the figids so that a map is never read against other figures.

Building costs about a minute at 110,000 figures on two cores, so it is done once, when a bundle or cache entry is
made (`build_corpus_map`, next to the full-text index, from the stored tables' figid and gene id columns only):
an entry is published with its map. `load_corpus_map`
only maps the file. openTSNE (and scikit-learn under it) is imported only while building: a serving process never
loads it. Large maps are made by a process of their own (see APART_FROM).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from pyarrow import feather
from scipy import sparse

from dashboard.corpus import columns as C
from dashboard.corpus.incidence import link_incidence
from dashboard.corpus.loader import release_memory
from dashboard.corpus.textindex.schema import INDEX_FILE
from dashboard.corpus.textindex.texts import figids_digest

if TYPE_CHECKING:
    from dashboard.corpus.loader import CorpusTables

log = logging.getLogger(__name__)

MAP_FILE = "corpus-map.arrow"
EMBED_UP_TO = 3_000  # figures: tables made in memory (no cache entry or bundle) are embedded on first use up to this
MAP_FORMAT = 1  # bump when the file's layout or the embedding's meaning changes
GRID = 65535  # coordinates span 0..GRID on the larger axis (whole numbers: a uint16 fits them)
COMPONENTS = 50  # SVD dimensions the 2-D layout starts from
PERPLEXITY = 15.0  # t-SNE's neighbourhood size; lower than the usual 30 to keep 110,000 figures within minutes
EXAGGERATION_ITERATIONS, ITERATIONS = 125, 250
MIN_TSNE = 40  # figures with genes: fewer are laid out by their first two SVD components
FFT_FROM = 5_000  # points: fewer are laid out with Barnes–Hut (measured: 190 figures in 0.27 s, not 2.3 s by FFT)
# openTSNE's parallel loops (OpenMP) hang in a process forked from one that ran them (measured: the cache's ingest
# child, forked by a process that had built a map before, waited forever). So a map of APART_FROM points or more is
# made by a process of its own (`python -m dashboard.corpus.corpusmap`), which reads the stored columns, reduces
# and lays them out: the process building an entry stays as small as it was (measured at 110,000 figures: the
# builder held 580 MiB beside the t-SNE's 690 when it made the matrix itself). Smaller maps are made here, on one
# thread, which is fork-safe.
APART_FROM = 500


@dataclass(frozen=True)
class CorpusMap:
    """Each figure's point (grid units, NaN for a figure without one), in the figures table's row order."""

    x: np.ndarray
    y: np.ndarray
    method: str

    @property
    def placed(self) -> np.ndarray:
        """Which figures have a point."""
        return ~np.isnan(self.x)


def figure_gene_matrix(tables: CorpusTables) -> sparse.csr_matrix:
    """The binary figure × gene matrix of the tables' links (rows in the figures table's order)."""
    figids = tables.figures[C.FIGID].astype(str).tolist()
    return link_incidence(figids, tables.links[C.FIGID], tables.links[C.GENE_ID]).matrix


def stored_figure_gene_matrix(folder: Path) -> tuple[sparse.csr_matrix, list[str]]:
    """The figure × gene matrix of the tables stored in a folder, and its rows' figids — read from the three
    columns it needs, not the tables: building a map never holds the corpus' text."""
    figids = feather.read_table(folder / "figures.arrow", columns=[C.FIGID], memory_map=True)[C.FIGID].to_pylist()
    links = feather.read_table(folder / "links.arrow", columns=[C.FIGID, C.GENE_ID], memory_map=True)
    return link_incidence(figids, links[C.FIGID].to_pandas(), links[C.GENE_ID].to_pandas()).matrix, figids


def _tfidf(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Rows weighted by inverse document frequency and scaled to unit length."""
    n = matrix.shape[0]
    frequency = np.bincount(matrix.indices, minlength=matrix.shape[1])
    idf = (np.log((1 + n) / (1 + frequency)) + 1).astype(np.float32)
    weighted = (matrix @ sparse.diags(idf)).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    return (sparse.diags(1 / np.where(norms > 0, norms, 1)) @ weighted).tocsr()


def _randomized_svd(matrix: sparse.csr_matrix, k: int, seed: int) -> np.ndarray:
    """The rows' coordinates on the top `k` singular directions (Halko et al.: a seeded range finder, 3 power
    iterations)."""
    rng = np.random.default_rng(seed)
    q = matrix @ rng.standard_normal((matrix.shape[1], k + 10)).astype(np.float32)
    for _ in range(3):
        q, _ = np.linalg.qr(q)
        q = matrix @ (matrix.T @ q)
    q, _ = np.linalg.qr(q)
    u, s, _ = np.linalg.svd((matrix.T @ q).T, full_matrices=False)
    coordinates = (q @ u[:, :k]) * s[:k]
    # Each singular vector's sign is arbitrary: fix it, so that the same data always gives the same picture.
    signs = np.sign(coordinates[np.abs(coordinates).argmax(axis=0), np.arange(coordinates.shape[1])])
    return coordinates * np.where(signs == 0, 1, signs)


def embed(matrix: sparse.csr_matrix, seed: int = 0, n_jobs: int | None = None) -> tuple[np.ndarray, str]:
    """2-D coordinates of the rows of a figure × gene matrix (NaN for empty rows) and how they were made: from
    APART_FROM rows on, in a process of its own (see `embed_apart`)."""
    if np.count_nonzero(np.diff(matrix.indptr)) >= APART_FROM:
        with tempfile.TemporaryDirectory(prefix="pfocr-map-") as folder:
            source = Path(folder) / "matrix.npz"
            sparse.save_npz(source, matrix, compressed=False)
            return embed_apart(source, seed, n_jobs)
    return _embed_here(matrix, seed, n_jobs)


def _embed_here(matrix: sparse.csr_matrix, seed: int, n_jobs: int | None) -> tuple[np.ndarray, str]:
    """`embed` in this process: the matrix is let go (and its memory given back) before the t-SNE starts."""
    n = matrix.shape[0]
    rows = np.flatnonzero(np.diff(matrix.indptr) > 0)
    out = np.full((n, 2), np.nan, dtype=np.float64)
    if len(rows) == 0:
        return out, "none"
    if len(rows) == 1:
        out[rows] = 0.0
        return out, "single"
    weighted = _tfidf(matrix[rows])
    del matrix
    k = max(2, min(COMPONENTS, min(weighted.shape) - 1))
    reduced = _randomized_svd(weighted, k, seed)
    del weighted
    release_memory()  # the matrix's and the reduction's buffers, before the t-SNE's own (110 MiB at 110,000)
    if len(rows) < MIN_TSNE:
        out[rows] = reduced[:, :2]
        return out, "svd"
    reduced /= np.maximum(np.linalg.norm(reduced, axis=1, keepdims=True), 1e-12)
    jobs = (n_jobs or min(4, os.cpu_count() or 1)) if len(rows) >= APART_FROM else 1
    out[rows] = _tsne(reduced, seed, jobs)
    return out, f"tsne(perplexity={min(PERPLEXITY, (len(rows) - 1) / 3):g})"


def embed_apart(source: Path, seed: int, n_jobs: int | None = None) -> tuple[np.ndarray, str]:
    """`embed` run by `python -m dashboard.corpus.corpusmap SOURCE OUT`, a process of its own: `source` is a
    folder of stored tables (its figid and gene id columns are read there) or a matrix saved as .npz. This process
    waits, holding nothing of it; a failure is an OSError with the child's exit status."""
    out = (source.parent if source.is_file() else source) / f".map-{os.getpid()}-{threading.get_ident()}.npz"
    command = [sys.executable, "-m", "dashboard.corpus.corpusmap", os.fspath(source), os.fspath(out)]
    command += ["--seed", str(seed), *(["--jobs", str(n_jobs)] if n_jobs else [])]
    env = dict(os.environ)
    root = Path(__file__).resolve().parent.parent.parent
    if root.name not in ("site-packages", "dist-packages"):  # a checkout: the child runs this copy of the code
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    try:
        done = subprocess.run(command, env=env, check=False)  # noqa: S603 - our interpreter, our arguments
        if done.returncode != 0:
            raise OSError(f"the corpus map's process ended with status {done.returncode}")
        with np.load(out) as found:
            return found["coordinates"], str(found["method"])
    finally:
        out.unlink(missing_ok=True)


def _tsne(points: np.ndarray, seed: int, n_jobs: int) -> np.ndarray:
    from openTSNE import TSNEEmbedding, affinity, initialization  # heavy: imported only to build a map

    perplexity = min(PERPLEXITY, (len(points) - 1) / 3)
    neighbours = affinity.PerplexityBasedNN(
        points, perplexity=perplexity, metric="cosine", n_jobs=n_jobs, random_state=seed, verbose=False
    )
    start = initialization.pca(points, random_state=seed)
    gradient = "fft" if len(points) >= FFT_FROM else "bh"
    layout = TSNEEmbedding(start, neighbours, n_jobs=n_jobs, random_state=seed, negative_gradient_method=gradient)
    rate = max(200.0, len(points) / 12)
    layout = layout.optimize(n_iter=EXAGGERATION_ITERATIONS, exaggeration=12, learning_rate=rate, momentum=0.5)
    layout = layout.optimize(n_iter=ITERATIONS, learning_rate=rate, momentum=0.8)
    return np.asarray(layout, dtype=np.float64)


def to_grid(coordinates: np.ndarray) -> np.ndarray:
    """Coordinates moved and scaled onto whole numbers 0..GRID (the larger axis spans it; NaN stays NaN)."""
    placed = ~np.isnan(coordinates[:, 0])
    out = np.full(coordinates.shape, np.nan, dtype=np.float32)
    if not placed.any():
        return out
    low = coordinates[placed].min(axis=0)
    span = float((coordinates[placed].max(axis=0) - low).max()) or 1.0
    out[placed] = np.rint((coordinates[placed] - low) / span * GRID)
    return out


def build_corpus_map(folder: str | os.PathLike, seed: int = 0) -> Path:
    """Embed the figures of the tables stored in a folder (by `cache.write_table`) and write the map beside them
    (atomically: a temporary file renamed); returns its path. Raises OSError if it cannot be written."""
    started = time.perf_counter()
    target = Path(folder) / MAP_FILE
    figids = feather.read_table(Path(folder) / "figures.arrow", columns=[C.FIGID], memory_map=True)[C.FIGID]
    figids = figids.to_pylist()
    if len(figids) >= APART_FROM:
        coordinates, method = embed_apart(Path(folder), seed)
    else:
        coordinates, method = _embed_here(stored_figure_gene_matrix(Path(folder))[0], seed, None)
    grid = to_grid(coordinates)
    seconds = time.perf_counter() - started
    meta = {
        "format": str(MAP_FORMAT),
        "figures": str(len(figids)),
        "figids": figids_digest(figids),
        "method": method,
        "seed": str(seed),
        "seconds": f"{seconds:.1f}",
    }
    table = pa.table({"x": grid[:, 0], "y": grid[:, 1]}).replace_schema_metadata(meta)
    staging = target.with_name(f".{MAP_FILE}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        feather.write_feather(table, staging, compression="uncompressed", chunksize=max(1, len(figids)))
        staging.chmod(0o644)
        os.replace(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    log.info("built the corpus map of %d figures in %.1f s (%s)", len(figids), seconds, method)
    return target


def map_path(tables: CorpusTables) -> Path | None:
    """Where the map of tables read from a cache entry or bundle is: beside their full-text index."""
    index = getattr(tables, "text_index", None)
    return Path(index).with_name(MAP_FILE) if index and Path(index).name == INDEX_FILE else None


def read_corpus_map(path: str | os.PathLike, figids: list[str]) -> CorpusMap:
    """The map file at a path, memory-mapped; ValueError if it was built for other figures or in another format,
    OSError or ArrowException if it cannot be read."""
    table = feather.read_table(path, memory_map=True)
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    if meta.get("format") != str(MAP_FORMAT):
        raise ValueError(f"map format {meta.get('format')}, not {MAP_FORMAT}")
    if meta.get("figures") != str(len(figids)) or meta.get("figids") != figids_digest(figids):
        raise ValueError("the map was built for other figures")
    x = table.column("x").to_numpy()
    y = table.column("y").to_numpy()
    return CorpusMap(x=x, y=y, method=meta.get("method", ""))


def load_corpus_map(tables: CorpusTables) -> CorpusMap | None:
    """The map stored with the tables' cache entry or bundle; None if there is none or it cannot be used."""
    path = map_path(tables)
    if path is None or not path.is_file():
        return None
    try:
        return read_corpus_map(path, tables.figures[C.FIGID].astype(str).tolist())
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        log.warning("cannot use the corpus map %s: %s", path, exc)
        return None


def _read_matrix(source: Path) -> sparse.csr_matrix:
    return stored_figure_gene_matrix(source)[0] if source.is_dir() else sparse.load_npz(source).tocsr()


def main(argv: list[str] | None = None) -> None:
    """`python -m dashboard.corpus.corpusmap SOURCE OUT [--seed N] [--jobs N]`: `embed` the matrix of SOURCE (a
    folder of stored tables, or a .npz matrix) and save its coordinates and method to OUT (.npz)."""
    parser = argparse.ArgumentParser(prog="python -m dashboard.corpus.corpusmap", description=main.__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The matrix is made inside the call, so that no name here holds it once `_embed_here` lets it go.
    coordinates, method = _embed_here(_read_matrix(args.source), args.seed, args.jobs)
    np.savez(args.out, coordinates=coordinates, method=np.array(method))


if __name__ == "__main__":
    main()
