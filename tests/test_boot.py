"""Boot within PaaS limits: a web process answers at once, shows the loading progress until the corpus is ready
(`/healthz` 503, then 200), and reports the progress of long loads on the terminal."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SITE, write
from serving import fetch, free_port, running
from werkzeug.test import Client

from dashboard.config import Settings
from dashboard.corpus.progress import Progress, TerminalReport
from dashboard.web.app import Boot

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import make_corpus  # noqa: E402 - the synthetic corpus generator of the benchmarks

SYNTHETIC_FIGURES = 3_000  # above the loader's parallel threshold; a few seconds to parse on two cores


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic") / "corpus"
    make_corpus.write_corpus(folder, SYNTHETIC_FIGURES, seed=1)
    return folder


def test_loading_page_and_health_until_ready():
    boot = Boot(Settings(data=(str(SITE),), use_cache=False))
    client = Client(boot)  # a WSGI application, called as gunicorn calls it
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["status"] == "loading"
    boot.progress.begin("parsing", total=10)
    boot.progress.advance(3)
    page = client.get("/")
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert "Loading 3 of 10 records" in page.text and '<meta http-equiv="refresh"' in page.text
    assert client.get("/healthz").json["records"] == {"done": 3, "total": 10}
    boot.start()
    assert boot.wait(60)
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["status"] == "ok" and health.json["figures"] == 4
    # The data folder by its name, as the header shows it: never the server's path.
    assert health.json["release"]["name"] == SITE.resolve().name and str(SITE.resolve().parent) not in health.text
    assert client.get("/").status_code == 200 and "PFOCR dashboard" in client.get("/").text


def test_data_that_cannot_load_is_a_failed_health(tmp_path):
    write(tmp_path, "x.md", "no front matter")
    boot = Boot(Settings(data=(str(tmp_path),), use_cache=False)).start()
    assert not boot.wait(60) and boot.failed
    health = Client(boot).get("/healthz")
    assert health.status_code == 500 and health.json["status"] == "failed"
    assert "no valid figure record" in health.json["error"]
    page = Client(boot).get("/")
    assert page.status_code == 500 and "could not be loaded" in page.text


def test_cli_serve_exits_2_when_the_data_cannot_load(tmp_path):
    write(tmp_path, "x.md", "no front matter")
    command = [sys.executable, "-m", "dashboard", "serve", "--port", str(free_port()), "--data", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2 and "no valid figure record" in result.stderr


def test_procfile_binds_at_once_and_answers_loading_while_it_parses(synthetic, tmp_path):
    """gunicorn with --preload, exactly as the Procfile starts it, on sources that must be parsed."""
    line = (ROOT / "Procfile").read_text().strip().removeprefix("web: ")
    port = free_port()
    env = {**os.environ, "PORT": str(port), "PFOCR_DATA": str(synthetic), "PFOCR_CACHE_DIR": str(tmp_path / "c")}
    log = tmp_path / "gunicorn.log"
    started = time.monotonic()
    answers: list[tuple[float, int, dict]] = []
    with running(["bash", "-c", "exec " + line], cwd=tmp_path, env=env, log=log) as server:
        while time.monotonic() - started < 120 and server.poll() is None:
            try:
                status, _, body = fetch(f"http://127.0.0.1:{port}/healthz", timeout=5)
            except OSError:
                time.sleep(0.05)
                continue
            answers.append((time.monotonic() - started, status, json.loads(body)))
            if status == 200:
                break
            time.sleep(0.1)
        assert answers, log.read_text()
        assert answers[0][0] < 10, f"first answer after {answers[0][0]:.1f} s"
        loading = [body for _, status, body in answers if status == 503]
        assert loading and all(body["status"] == "loading" for body in loading), log.read_text()
        assert any(body["records"]["total"] == SYNTHETIC_FIGURES for body in loading)
        assert answers[-1][1] == 200 and answers[-1][2]["figures"] == SYNTHETIC_FIGURES, log.read_text()
        # A worker forked while loading may still answer for a moment, while the master replaces it: its loading page
        # refreshes itself, as a browser would.
        deadline = time.monotonic() + 10
        status, _, page = fetch(f"http://127.0.0.1:{port}/")
        while status != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
            status, _, page = fetch(f"http://127.0.0.1:{port}/")
        assert status == 200 and b"_dash-config" in page
    assert "replacing the workers" in log.read_text()


def test_check_logs_progress_lines_when_not_a_terminal(synthetic):
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "check", str(synthetic), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"parsing: 0 of {SYNTHETIC_FIGURES:,} records" in result.stderr
    # Plain log lines, no bar. (Which later phases show depends on their length: a phase shorter than the report's
    # 0.2 s poll, as building the tables of 3,000 figures now is, is not logged.)
    lines = result.stderr.splitlines()
    assert all(" INFO dashboard.corpus.progress: " in line for line in lines) and "\r" not in result.stderr


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_shows_a_bar_with_rate_and_time_left():
    progress = Progress()
    progress.begin("parsing", total=1000)
    screen = Terminal()
    report = TerminalReport(progress, stream=screen)
    progress.advance(250)
    time.sleep(0.05)
    report.show(progress.snapshot())
    shown = screen.getvalue()
    assert shown.startswith("\r[#######.......................] parsing: 250 of 1,000 records")
    assert "records/s" in shown and "s left" in shown
