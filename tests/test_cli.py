"""Entry points: the `check` command line and the Procfile's own gunicorn command."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import SEEDS, SITE, write

from dashboard.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_check_json_counts(capsys, tmp_path):
    assert main(["check", str(SEEDS), "--json", "--cache-dir", str(tmp_path)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["figures"], summary["genes"], summary["links"], summary["papers"]) == (190, 4073, 6874, 190)
    assert summary["years"] == {"min": 1998, "max": 2025}
    assert summary["organisms"]["Homo sapiens"] == 107 and summary["organisms"]["Unknown"] == 66
    assert summary["problems"] == []


def test_check_reports_problems(capsys, tmp_path):
    write(tmp_path, "good.md", "---\nfigid: PMC5__good\n---\n")
    bad = write(tmp_path, "bad.md", "---\nfigid: [\n---\n")
    assert main(["check", str(tmp_path), "--json", "--no-cache"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["figures"] == 1
    assert summary["problems"][0]["path"] == str(bad) and "invalid YAML" in summary["problems"][0]["reason"]


def test_check_text_output(capsys):
    assert main(["check", str(SITE), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "figures  4" in out and "problems 1" in out


@pytest.mark.parametrize("make", [lambda tmp: tmp / "absent", lambda tmp: write(tmp, "x.md", "no front matter")])
def test_check_exits_2_without_valid_records(tmp_path, make, caplog):
    assert main(["check", str(make(tmp_path)), "--no-cache"]) == 2
    assert caplog.records and caplog.records[-1].levelname == "ERROR"


def test_module_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "check", str(SITE), "--json", "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["figures"] == 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_procfile_command_serves_the_dashboard(tmp_path):
    line = (ROOT / "Procfile").read_text().strip()
    assert line.startswith("web: ")
    port = free_port()
    env = {**os.environ, "PORT": str(port), "PFOCR_DATA": str(SITE), "PFOCR_CACHE_DIR": str(tmp_path)}
    server = subprocess.Popen(
        ["bash", "-c", "exec " + line.removeprefix("web: ")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, server.stderr.read().decode() if server.poll() is not None else "no answer"
        health = json.loads(body)
        assert health["status"] == "ok" and health["figures"] == 4 and health["release"]["kind"] == "sources"
        # A worker forked while loading may answer for a moment more, while the master replaces it (its loading
        # page refreshes itself, as a browser would): asked again for a few seconds.
        status, page = None, b""
        while status != 200 and time.monotonic() < deadline + 10:
            try:
                status, page = get(f"http://127.0.0.1:{port}/")
            except OSError:
                time.sleep(0.2)
        assert status == 200 and b"PFOCR dashboard" in page
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def test_a_process_a_test_starts_runs_this_checkout(tmp_path):
    """Whatever copy of the package is installed, a process started by a test (from any folder) imports the code
    under test: this checkout's."""
    result = subprocess.run(
        [sys.executable, "-c", "import dashboard, dashboard.config as c; print(dashboard.__file__); print(c.ASSETS)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=True,
    )
    module, assets = result.stdout.split()
    assert Path(module).resolve() == (ROOT / "dashboard" / "__init__.py").resolve()
    assert (Path(assets) / "style.css").read_bytes() == (ROOT / "assets" / "style.css").read_bytes()
