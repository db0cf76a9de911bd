"""Data bundles: `build` writes a self-contained, relocatable bundle; `check`, `serve` and PFOCR_DATA open it
read-only without the sources; every way of giving several data paths loads all of them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from conftest import PLAIN, SEEDS, SITE
from serving import fetch, free_port, running, wait_until_healthy

from dashboard.cli import build_parser, main
from dashboard.config import Settings
from dashboard.corpus import cache
from dashboard.corpus import columns as C
from dashboard.corpus.bundle import MANIFEST, is_bundle, load_data, open_bundle
from dashboard.corpus.cache import TABLES
from dashboard.corpus.loader import CorpusError, read_corpus


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below a folder with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.fixture
def bundle(tmp_path) -> Path:
    """A bundle built from a copy of the seeds, the copy then deleted: nothing but the bundle is left."""
    sources = tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    out = tmp_path / "release" / "pfocr-seeds"
    assert main(["build", str(sources), "--out", str(out), "--no-cache"]) == 0
    shutil.rmtree(sources)
    return out


def test_build_writes_tables_and_manifest(bundle):
    manifest = json.loads((bundle / MANIFEST).read_text())
    assert manifest["kind"] == "pfocr-dashboard bundle" and manifest["format"] == 1
    assert manifest["table_format"] == cache.FORMAT_VERSION and manifest["software_version"] == "0.1.0"
    built = datetime.fromisoformat(manifest["built"])
    assert abs((datetime.now(UTC) - built).total_seconds()) < 300
    assert manifest["sources"] == {"given": ["sources"], "record_files": 190, "side_files": 122}
    assert manifest["counts"]["figures"] == 190 and manifest["counts"]["links"] == 6874
    assert manifest["load_report"] == [] and manifest["counts"]["problems"] == 0
    assert set(manifest["tables"]) == {f"{name}.arrow" for name in TABLES}


def test_bundle_holds_the_same_tables_as_a_parse(bundle):
    tables, release = open_bundle(bundle)
    parsed = read_corpus([SEEDS])
    # The figures' source paths say where the bundle was built from (here a folder since deleted).
    pd.testing.assert_frame_equal(tables.figures.drop(columns=C.PATH), parsed.figures.drop(columns=C.PATH))
    for name in ("genes", "words", "chemicals", "diseases"):
        pd.testing.assert_frame_equal(getattr(tables, name), getattr(parsed, name))
    as_text = {C.FIGID: "string"}
    pd.testing.assert_frame_equal(tables.links.astype(as_text), parsed.links.astype(as_text))
    assert tables.skipped_rows == parsed.skipped_rows
    assert (release.kind, release.name, release.figures) == ("bundle", "pfocr-seeds", 190)


def test_load_report_travels_in_the_manifest(tmp_path, capsys):
    out = tmp_path / "site-bundle"
    assert main(["build", str(SITE), "--out", str(out), "--no-cache"]) == 0
    printed = capsys.readouterr().out
    assert "figures  4\n" in printed and "problems 1\n" in printed
    manifest = json.loads((out / MANIFEST).read_text())
    assert len(manifest["load_report"]) == manifest["counts"]["problems"] == 1
    assert "without an NCBI Gene id" in manifest["load_report"][0]["reason"]


def test_moved_bundle_opens_read_only_without_sources(bundle, tmp_path, capsys):
    moved = tmp_path / "elsewhere" / "renamed"
    moved.parent.mkdir()
    shutil.move(bundle, moved)
    before = snapshot(moved)
    cache_dir = tmp_path / "cache"
    assert main(["check", str(moved), "--json", "--cache-dir", str(cache_dir)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["figures"] == 190 and summary["release"]["kind"] == "bundle"
    assert summary["release"]["name"] == "renamed"
    assert snapshot(moved) == before, "opening a bundle wrote to it"
    assert not cache_dir.exists(), "opening a bundle wrote a cache"


def test_bundle_from_another_version_is_refused(bundle):
    manifest = json.loads((bundle / MANIFEST).read_text())
    manifest["table_format"] = "0"
    (bundle / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(CorpusError, match="build the bundle again"):
        open_bundle(bundle)


def test_truncated_bundle_is_refused(bundle):
    links = bundle / "links.arrow"
    links.write_bytes(links.read_bytes()[:1000])
    with pytest.raises(CorpusError, match=r"links\.arrow has 1,000 bytes"):
        open_bundle(bundle)


def test_build_replaces_a_bundle_but_not_other_folders(bundle, tmp_path, caplog):
    first = json.loads((bundle / MANIFEST).read_text())
    assert main(["build", str(SITE), "--out", str(bundle), "--no-cache"]) == 0
    assert json.loads((bundle / MANIFEST).read_text())["counts"]["figures"] == 4 != first["counts"]["figures"]
    assert [p.name for p in bundle.parent.iterdir()] == [bundle.name], "staging or old folders left behind"
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    assert main(["build", str(SITE), "--out", str(precious), "--no-cache"]) == 2
    assert "is not a bundle" in caplog.records[-1].getMessage()
    assert [p.name for p in precious.iterdir()] == ["notes.txt"]


def test_a_bundle_is_served_alone(bundle, caplog):
    assert main(["check", str(bundle), str(SITE), "--no-cache"]) == 2
    assert "serve it alone" in caplog.records[-1].getMessage()
    assert not is_bundle(SITE) and is_bundle(bundle)


# --- several data paths: every way of giving them loads all of them ------------------------------------------------
def test_serve_data_repeated_or_listed_keeps_every_path():
    parse = build_parser().parse_args
    assert parse(["serve", "--data", "A", "--data", "B"]).data == ["A", "B"]
    assert parse(["serve", "--data", "A", "B", "--data", "C"]).data == ["A", "B", "C"]


def test_pfocr_data_with_two_paths_loads_both(monkeypatch):
    monkeypatch.setenv("PFOCR_DATA", f"{SITE}{os.pathsep}{PLAIN}")
    settings = Settings(use_cache=False)
    assert settings.data == (str(SITE), str(PLAIN))
    tables, _ = load_data(settings.data, use_cache=False)
    assert len(tables.figures) == 4 + 2


def test_serve_with_data_given_twice_serves_both(tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != "PFOCR_DATA"} | {"PFOCR_CACHE_DIR": str(tmp_path / "c")}
    command = [sys.executable, "-m", "dashboard", "serve", "--port", str(port), "--data", str(SITE), "--data"]
    with running([*command, str(PLAIN)], cwd=tmp_path, env=env, log=log) as server:
        assert wait_until_healthy(server, port, log=log)["figures"] == 4 + 2
        _, _, layout = fetch(f"http://127.0.0.1:{port}/_dash-layout")
        header = json.dumps(json.loads(layout))
        assert "from site, plain" in header and str(SITE) not in header  # the data's names, not the server's paths


def test_serve_exits_2_at_once_on_a_missing_path(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "serve", "--port", str(free_port()), "--data", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "no such file or folder" in result.stderr
