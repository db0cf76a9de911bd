"""Corpus floor: a data bundle — the parsed corpus as a self-contained, relocatable folder that opens read-only.

`pfocr-dashboard build PATH... --out DIR` writes the tables as uncompressed Arrow IPC files (the cache's format,
memory-mapped when read) with a `manifest.json`: bundle format, software version, build date, source counts,
table sizes and the load report. Every path given to `serve`, `check` or `PFOCR_DATA` that holds such a manifest
is opened directly: no sources, no parse, nothing written. Nothing in a bundle names where it was built, so a
bundle copied to another folder or machine opens the same.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pyarrow as pa

from dashboard.corpus import cache
from dashboard.corpus.cache import TABLES, ingest_into, load_corpus, read_tables, write_tables
from dashboard.corpus.corpusmap import MAP_FILE
from dashboard.corpus.loader import CorpusError, CorpusTables, Sources, discover
from dashboard.corpus.progress import Progress
from dashboard.corpus.remote import KIND, MANIFEST, fetch_bundle, file_digest, is_bundle, is_url
from dashboard.corpus.textindex.schema import INDEX_FILE

log = logging.getLogger(__name__)

BUNDLE_FORMAT = 1  # bump when the bundle's own layout (not the tables') changes


def software_version() -> str:
    """The installed pfocr-dashboard's version."""
    try:
        return metadata.version("pfocr-dashboard")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Release:
    """What is being served: a bundle (with its build date and the software that built it) or parsed sources."""

    kind: str  # "bundle" or "sources"
    name: str  # the bundle folder's name, or the sources as given
    built: str | None  # ISO 8601 UTC build date of a bundle
    built_by: str | None  # software version that built the bundle
    software: str  # software version serving it
    figures: int
    links: int
    problems: int

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "built": self.built,
            "built_by": self.built_by,
            "software": self.software,
            "figures": self.figures,
            "links": self.links,
            "problems": self.problems,
        }


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{folder}: unreadable bundle manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        raise CorpusError(f"{folder}: not a pfocr-dashboard bundle")
    return manifest


def open_bundle(path: str | os.PathLike) -> tuple[CorpusTables, Release]:
    """The tables of a bundle, memory-mapped read-only, and what it is; CorpusError if it cannot be served."""
    started = time.perf_counter()
    folder = Path(path).expanduser().resolve()
    manifest = read_manifest(folder)
    if manifest.get("format") != BUNDLE_FORMAT or manifest.get("table_format") != cache.FORMAT_VERSION:
        raise CorpusError(
            f"{folder}: bundle format {manifest.get('format')} with table format {manifest.get('table_format')},"
            f" built by pfocr-dashboard {manifest.get('software_version')}; this pfocr-dashboard"
            f" {software_version()} reads bundle format {BUNDLE_FORMAT} with table format {cache.FORMAT_VERSION}:"
            " build the bundle again with this version"
        )
    for name, expected in {**manifest["tables"], **manifest.get("indexes", {})}.items():
        try:
            size = (folder / name).stat().st_size
        except OSError as exc:
            raise CorpusError(f"{folder}: bundle file {name} is missing ({exc.strerror})") from None
        if size != expected["bytes"]:
            raise CorpusError(
                f"{folder}: bundle file {name} has {size:,} bytes, not {expected['bytes']:,}: copy it again"
            )
    try:
        tables = read_tables(folder)
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        raise CorpusError(f"{folder}: unreadable bundle ({exc})") from None
    counts = manifest["counts"]
    log.info(
        "opened bundle %s (built %s by pfocr-dashboard %s): %d figures in %.2f s",
        folder,
        manifest["built"],
        manifest["software_version"],
        len(tables.figures),
        time.perf_counter() - started,
    )
    release = Release(
        kind="bundle",
        name=folder.name,
        built=manifest["built"],
        built_by=manifest["software_version"],
        software=software_version(),
        figures=counts["figures"],
        links=counts["links"],
        problems=counts["problems"],
    )
    return tables, release


def count_sources(paths: Sequence[str | os.PathLike], sources: Sources | None = None) -> dict:
    """What a bundle is built from: the folders or files given (by name only) and the files found in them."""
    sources = sources or discover(paths)
    return {
        "given": [os.path.basename(os.path.normpath(os.fspath(path))) for path in paths],
        "record_files": len(sources.records),
        "side_files": len(sources.side_files),
    }


def _file_entry(path: Path) -> dict:
    """A bundle file as its manifest lists it: size and SHA-256 (checked when the bundle is fetched by URL)."""
    return {"bytes": path.stat().st_size, "sha256": file_digest(path)}


def to_manifest(tables: CorpusTables, folder: Path, sources: dict) -> dict:
    """The manifest of tables written to a folder by `write_tables`."""
    return {
        "kind": KIND,
        "format": BUNDLE_FORMAT,
        "table_format": cache.FORMAT_VERSION,
        "software_version": software_version(),
        "built": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "sources": sources,
        "counts": {
            "figures": len(tables.figures),
            "genes": len(tables.genes),
            "links": len(tables.links),
            "chemicals": len(tables.chemicals),
            "diseases": len(tables.diseases),
            "problems": len(tables.problems),
            "skipped_rows_without_gene_id": tables.skipped_rows,
        },
        "tables": {
            f"{name}.arrow": {"rows": len(getattr(tables, name)), **_file_entry(folder / f"{name}.arrow")}
            for name in TABLES
        },
        "indexes": {name: _file_entry(folder / name) for name in (INDEX_FILE, MAP_FILE)},
        "load_report": [{"path": str(p), "reason": str(r)} for p, r in tables.problems.itertuples(index=False)],
    }


def write_bundle(out: str | os.PathLike, tables: CorpusTables, sources: dict) -> dict:
    """Write the tables as a bundle at `out`, atomically: a bundle already there is replaced whole; any other
    non-empty folder or file there is refused (CorpusError). Returns the manifest."""
    return store_bundle(out, lambda staging: write_tables(staging, tables), sources)


def store_bundle(out: str | os.PathLike, fill: Callable[[Path], None], sources: dict) -> dict:
    """Make a bundle at `out` atomically, as `write_bundle` does, with `fill` writing its tables into a staging
    folder as `write_tables` does (or parsing straight into it). Returns the manifest."""
    target = Path(out).expanduser().resolve()
    if target.exists() and not is_bundle(target) and (not target.is_dir() or any(target.iterdir())):
        raise CorpusError(f"{target}: exists and is not a bundle; give a new or empty folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    try:
        fill(staging)
        manifest = to_manifest(read_tables(staging), staging, sources)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        staging.chmod(0o755)
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            target.rename(old / "bundle")
        staging.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise CorpusError(f"{target}: cannot write the bundle ({exc})") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def build_bundle(
    paths: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
) -> dict:
    """Parse the sources (or read them from the cache) and write them as a bundle; returns the manifest. Without
    the cache, the tables are parsed straight into the bundle, one at a time."""
    if any(is_bundle(path) for path in paths):
        raise CorpusError("a bundle cannot be a source of another bundle: give the record files or folders")
    if not use_cache:
        if progress is not None:
            progress.begin("finding files")
        sources = discover(paths)
        return store_bundle(
            out, lambda staging: ingest_into(staging, sources, workers, progress), count_sources(paths, sources)
        )
    tables = load_corpus(paths, cache_dir=cache_dir, use_cache=use_cache, workers=workers, progress=progress)
    if progress is not None:
        progress.begin("writing")
    return write_bundle(out, tables, count_sources(paths))


def source_names(paths) -> str:
    """What a release of sources is called where others see it (/healthz, /api/v1/stats): its folders' and files'
    names, never the server's paths."""
    return ", ".join(Path(os.fspath(path)).resolve().name or os.fspath(path) for path in paths)


def load_data(
    paths: Sequence[str | os.PathLike],
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
) -> tuple[CorpusTables, Release]:
    """The tables for every path given — one bundle (a folder, or an archive by URL, fetched once into the cache
    folder and verified), opened read-only, or any mix of record files and folders (through the cache) — and what
    they are."""
    urls = [path for path in paths if is_url(path)]
    if urls and len(paths) > 1:
        raise CorpusError(f"{urls[0]}: a bundle by URL is served alone")
    if urls:
        if progress is not None:
            progress.begin("fetching")
        tables, release = open_bundle(fetch_bundle(os.fspath(urls[0]), cache_dir or cache.default_cache_dir()))
        return tables, replace(release, name=os.fspath(urls[0]).rstrip("/").rpartition("/")[2])
    bundles = [path for path in paths if is_bundle(path)]
    if bundles and len(paths) > 1:
        raise CorpusError(
            f"{bundles[0]} is a bundle: serve it alone, or build one bundle from all the sources"
            " (pfocr-dashboard build PATH... --out DIR)"
        )
    if bundles:
        if progress is not None:
            progress.begin("reading")
        return open_bundle(bundles[0])
    tables = load_corpus(paths, cache_dir=cache_dir, use_cache=use_cache, workers=workers, progress=progress)
    release = Release(
        kind="sources",
        name=source_names(paths),
        built=None,
        built_by=None,
        software=software_version(),
        figures=len(tables.figures),
        links=len(tables.links),
        problems=len(tables.problems),
    )
    return tables, release
