"""Corpus floor: a bundle archive named by URL (`https://…`, `s3://…`, `gs://…`: whatever fsspec reads), fetched
once to local disk, checked against the digests its manifest lists, then opened as any bundle.

Every web process of a scaled-out deploy reads the same immutable bundle: built once (in CI or the platform's build
step), archived (`pfocr-dashboard build … --out DIR --archive DIR.tar`) and put where the processes can fetch it.
The first process on a machine downloads and unpacks it into the cache folder (`bundles/<digest of the URL>`); the
folder appears only once every file matches its size and SHA-256 in the manifest, so a truncated or corrupted
download is a clear error and never a half-read corpus. Later processes (gunicorn's master after the Procfile's
builder, the next start) open the folder already there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tarfile
import tempfile
import time
from pathlib import Path

from dashboard.corpus.errors import CorpusError

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"  # a bundle's description: what it holds, each file's size and SHA-256
KIND = "pfocr-dashboard bundle"  # the manifest's "kind": what tells a bundle folder from any other
BUNDLES = "bundles"  # the cache folder's subfolder of fetched bundles
FETCHED = ".fetched-from"  # in a fetched bundle: the URL it came from, written once it is verified
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
CHUNK = 1 << 20


def is_url(path: str | os.PathLike) -> bool:
    """Whether a data path names something to fetch (`scheme://…`) rather than a local file or folder."""
    return bool(_URL.match(os.fspath(path))) and not os.fspath(path).startswith("file://")


def is_bundle(path: str | os.PathLike) -> bool:
    """Whether a path is a bundle folder (it holds a manifest of our kind)."""
    manifest = Path(path) / MANIFEST
    try:
        return manifest.is_file() and json.loads(manifest.read_text()).get("kind") == KIND
    except (OSError, ValueError, AttributeError):
        return False


def file_digest(path: Path) -> str:
    """A file's SHA-256, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_bundle_files(folder: Path, manifest: dict, source: str) -> None:
    """Every file the manifest lists has its size and SHA-256 (CorpusError naming the first that does not)."""
    listed = {**manifest.get("tables", {}), **manifest.get("indexes", {})}
    if not listed:
        raise CorpusError(f"{source}: the bundle's manifest lists no files")
    for name, expected in listed.items():
        path = folder / name
        if not path.is_file():
            raise CorpusError(f"{source}: the bundle file {name} is missing: a bad or truncated download")
        size = path.stat().st_size
        if size != expected.get("bytes"):
            raise CorpusError(f"{source}: {name} has {size:,} bytes, not {expected.get('bytes')}: a bad download")
        if "sha256" not in expected:
            raise CorpusError(f"{source}: the manifest gives no digest of {name}: build the bundle again")
        if file_digest(path) != expected["sha256"]:
            raise CorpusError(f"{source}: {name} does not match the digest in the manifest: a bad download")


def fetch_bundle(url: str, cache_dir: str | os.PathLike) -> Path:
    """The local folder of the bundle archive at `url`: fetched, unpacked and verified now unless a verified copy
    is there already. CorpusError when it cannot be fetched, is no bundle archive, or does not verify."""
    folder = Path(cache_dir) / BUNDLES / hashlib.sha256(url.encode()).hexdigest()[:24]
    if (folder / FETCHED).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.fetching-", dir=folder.parent))
    started = time.perf_counter()
    try:
        _download_and_unpack(url, staging)
        try:
            manifest = json.loads((staging / MANIFEST).read_text())
        except (OSError, ValueError) as exc:
            raise CorpusError(f"{url}: no readable {MANIFEST} in the archive: not a pfocr-dashboard bundle") from exc
        verify_bundle_files(staging, manifest if isinstance(manifest, dict) else {}, url)
        (staging / FETCHED).write_text(url + "\n")
        try:
            staging.rename(folder)
        except OSError:
            if not (folder / FETCHED).is_file():  # not fetched meanwhile by another process
                raise
    except OSError as exc:
        raise CorpusError(f"{url}: cannot store the fetched bundle ({exc})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("fetched and verified the bundle %s in %.1f s", url, time.perf_counter() - started)
    return folder


def _download_and_unpack(url: str, staging: Path) -> None:
    """Stream the archive (tar, maybe compressed) from the URL into a folder, refusing unsafe members."""
    import fsspec  # imported only to fetch: a deploy from local data never loads it

    try:
        with fsspec.open(url, "rb") as remote, tarfile.open(fileobj=remote, mode="r|*") as archive:
            archive.extractall(staging, filter="data")
    except ImportError as exc:  # a scheme whose fsspec driver is not installed (s3fs, gcsfs)
        raise CorpusError(f"{url}: cannot fetch ({exc})") from None
    except (OSError, EOFError, tarfile.TarError, ValueError) as exc:
        raise CorpusError(f"{url}: cannot fetch the bundle archive ({type(exc).__name__}: {exc})") from None


def write_archive(folder: str | os.PathLike, out: str | os.PathLike) -> Path:
    """A bundle folder as one tar archive (its files at the archive's root), written atomically."""
    target = Path(out).expanduser().resolve()
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with tarfile.open(staging, "w") as archive:
            for path in sorted(Path(folder).iterdir()):
                if path.is_file():
                    archive.add(path, arcname=path.name)
        os.replace(staging, target)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise CorpusError(f"{target}: cannot write the archive ({exc})") from None
    return target
