"""A bundle served by URL: built and archived once, fetched by each machine's first process from a local HTTP
server, verified against its manifest's digests, and refused — with a clear error, a failed health, nothing left
half-read — when the download is truncated or a file does not match."""

from __future__ import annotations

import functools
import io
import json
import os
import sys
import tarfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import SITE
from serving import fetch, free_port, running

from dashboard.config import split_data_paths
from dashboard.corpus.bundle import build_bundle, load_data, open_bundle
from dashboard.corpus.loader import CorpusError
from dashboard.corpus.remote import BUNDLES, write_archive


class CountingHandler(SimpleHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self):
        CountingHandler.requests.append(self.path)
        super().do_GET()

    def log_message(self, *_args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A folder served over HTTP holding the fixture site's bundle as an archive, and corrupt variants of it."""
    root = tmp_path_factory.mktemp("remote")
    bundle = root / "bundle"
    build_bundle([SITE], bundle, use_cache=False)
    public = root / "public"
    public.mkdir()
    archive = write_archive(bundle, public / "site.tar")
    data = archive.read_bytes()
    (public / "truncated.tar").write_bytes(data[: len(data) // 2])
    (public / "tampered.tar").write_bytes(tampered(bundle))
    (public / "no-manifest.tar").write_bytes(without(bundle, "manifest.json"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(CountingHandler, directory=str(public)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", bundle
    server.shutdown()


def archive_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def tampered(bundle: Path) -> bytes:
    """The bundle with one byte of its figures table changed (same size: only the digest can tell)."""
    files = {path.name: path.read_bytes() for path in bundle.iterdir()}
    table = bytearray(files["figures.arrow"])
    table[len(table) // 2] ^= 0xFF
    files["figures.arrow"] = bytes(table)
    return archive_of(files)


def without(bundle: Path, name: str) -> bytes:
    return archive_of({path.name: path.read_bytes() for path in bundle.iterdir() if path.name != name})


def test_a_bundle_by_url_is_fetched_once_verified_and_opened(served, tmp_path):
    base, bundle = served
    url = f"{base}/site.tar"
    CountingHandler.requests.clear()
    tables, release = load_data([url], cache_dir=tmp_path)
    local, _ = open_bundle(bundle)
    assert tables.figures["figid"].tolist() == local.figures["figid"].tolist()
    assert tables.links.equals(local.links) and release.kind == "bundle" and release.name == "site.tar"
    assert CountingHandler.requests == ["/site.tar"]
    again, _ = load_data([url], cache_dir=tmp_path)  # the next process on this machine: no second download
    assert len(again.figures) == len(tables.figures) and CountingHandler.requests == ["/site.tar"]
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert all(len(entry["sha256"]) == 64 for entry in manifest["tables"].values())


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("truncated.tar", "cannot fetch the bundle archive"),
        ("tampered.tar", "figures.arrow does not match the digest in the manifest"),
        ("no-manifest.tar", "not a pfocr-dashboard bundle"),
        ("absent.tar", "cannot fetch"),
    ],
)
def test_a_bad_download_is_a_clear_error_and_leaves_nothing(served, tmp_path, name, reason):
    base, _ = served
    with pytest.raises(CorpusError, match=reason):
        load_data([f"{base}/{name}"], cache_dir=tmp_path)
    assert list((tmp_path / BUNDLES).iterdir()) == []  # nothing half-read is kept for the next process


def test_a_url_in_pfocr_data_is_one_path_and_served_alone():
    assert split_data_paths("https://example.org:8443/data/site.tar") == ["https://example.org:8443/data/site.tar"]
    assert split_data_paths("/a:/b") == ["/a", "/b"]
    with pytest.raises(CorpusError, match="served alone"):
        load_data(["https://example.org/site.tar", str(SITE)])


@pytest.mark.parametrize(("name", "ok"), [("site.tar", True), ("tampered.tar", False)])
def test_the_procfile_command_serves_a_bundle_by_url_and_refuses_a_corrupt_one(served, tmp_path, name, ok):
    base, _ = served
    port = free_port()
    env = {**os.environ, "PORT": str(port), "PFOCR_DATA": f"{base}/{name}", "PFOCR_CACHE_DIR": str(tmp_path)}
    log = tmp_path / "server.log"
    with running([sys.executable, "-m", "dashboard", "web"], cwd=tmp_path, env=env, log=log) as server:
        deadline = time.monotonic() + 90
        status, body = None, {}
        while time.monotonic() < deadline and server.poll() is None and status not in (200, 500):
            try:
                status, _, raw = fetch(f"http://127.0.0.1:{port}/healthz", timeout=5)
                body = json.loads(raw)
            except OSError:
                time.sleep(0.1)
        if ok:
            assert status == 200 and body["figures"] == 4 and body["release"]["kind"] == "bundle", log.read_text()
        else:
            assert status == 500 and "does not match the digest" in body["error"], log.read_text()
