"""Boot within PaaS limits: the Procfile's command answers its port at once, shows the loading progress while the
data is made (`/healthz` 503, then 200 from gunicorn), reports a failure as a failed health, and reports the
progress of long loads on the terminal."""

from __future__ import annotations

import io
import json
import os
import signal
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
from dashboard.web.app import create_app
from dashboard.web.launcher import InFlight, loading_app

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import make_corpus  # noqa: E402 - the synthetic corpus generator of the benchmarks

SYNTHETIC_FIGURES = 3_000  # above the loader's parallel threshold; a few seconds to parse on two cores


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic") / "corpus"
    make_corpus.write_corpus(folder, SYNTHETIC_FIGURES, seed=1)
    return folder


def test_the_loading_app_shows_the_progress_then_the_failure():
    progress = Progress()
    client = Client(loading_app(progress))  # a WSGI application, called as a server calls it
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["status"] == "loading"
    progress.begin("parsing", total=10)
    progress.advance(3)
    page = client.get("/")
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert "Loading 3 of 10 records" in page.text and '<meta http-equiv="refresh"' in page.text
    assert client.get("/healthz").json["records"] == {"done": 3, "total": 10}
    assert client.get("/api/v1/stats").json["status"] == "loading"
    progress.fail("no valid figure record <b>here</b>")
    health = client.get("/healthz")
    assert health.status_code == 500 and health.json["status"] == "failed"
    assert "no valid figure record" in health.json["error"]
    page = client.get("/")
    assert page.status_code == 500 and "could not be loaded" in page.text and "&lt;b&gt;here" in page.text


def test_the_health_names_the_data_folder_not_its_path():
    client = create_app(Settings(data=(str(SITE),), use_cache=False)).server.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["status"] == "ok" and health.json["figures"] == 4
    assert health.json["release"]["name"] == SITE.resolve().name
    assert str(SITE.resolve().parent) not in health.get_data(as_text=True)


def test_web_on_data_that_cannot_load_answers_a_failed_health_with_the_reason(tmp_path):
    write(tmp_path / "data", "x.md", "no front matter")
    port = free_port()
    env = {**os.environ, "PORT": str(port), "PFOCR_DATA": str(tmp_path / "data"), "PFOCR_CACHE_DIR": str(tmp_path)}
    with running([sys.executable, "-m", "dashboard", "web"], cwd=tmp_path, env=env) as server:
        deadline = time.monotonic() + 60
        status, body = None, {}
        while time.monotonic() < deadline and server.poll() is None and status != 500:
            try:
                status, _, raw = fetch(f"http://127.0.0.1:{port}/healthz", timeout=5)
                body = json.loads(raw)
            except OSError:
                time.sleep(0.1)
        assert status == 500 and body["status"] == "failed" and "no valid figure record" in body["error"]
        status, _, page = fetch(f"http://127.0.0.1:{port}/")
        assert status == 500 and b"could not be loaded" in page
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) != 0


def test_cli_serve_exits_2_when_the_data_cannot_load(tmp_path):
    write(tmp_path, "x.md", "no front matter")
    command = [sys.executable, "-m", "dashboard", "serve", "--port", str(free_port()), "--data", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2 and "no valid figure record" in result.stderr


def test_procfile_binds_at_once_answers_loading_while_it_makes_the_data_then_serves(synthetic, tmp_path):
    """The Procfile's command on sources that must be parsed: the port answers within seconds (the loading page,
    `/healthz` 503 with the progress), then gunicorn serves the made corpus from workers forked with no thread of
    ours alive, and stops within 10 s of a SIGTERM."""
    line = (ROOT / "Procfile").read_text().strip().removeprefix("web: ")
    port = free_port()
    env = {**os.environ, "PORT": str(port), "PFOCR_DATA": str(synthetic), "PFOCR_CACHE_DIR": str(tmp_path / "c")}
    log = tmp_path / "server.log"
    started = time.monotonic()
    answers: list[tuple[float, int, dict]] = []
    with running(["bash", "-c", "exec " + line], cwd=tmp_path, env=env, log=log) as server:
        while time.monotonic() - started < 180 and server.poll() is None:
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
        assert {"parsing", "mapping"} <= {body["phase"] for body in loading}
        assert answers[-1][1] == 200 and answers[-1][2]["figures"] == SYNTHETIC_FIGURES, log.read_text()
        status, _, page = fetch(f"http://127.0.0.1:{port}/")
        assert status == 200 and b"_dash-config" in page
        status, _, _ = fetch(f"http://127.0.0.1:{port}/api/v1/map")
        assert status == 200  # the map was made with the data, before serving
        stopping = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        assert time.monotonic() - stopping < 10
    text = log.read_text()
    assert "Booting worker" in text and "threads alive when forking" not in text, text


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


def test_the_launcher_answers_the_port_without_the_data_libraries():
    """The Procfile's process answers the port while its builder makes the data: it must not hold pandas and the
    rest too (at 110,000 figures that was 100 MiB counted once more beside the builder and the t-SNE)."""
    code = (
        "import sys, dashboard.cli, dashboard.web.launcher\n"
        "from dashboard.config import Settings\n"
        "dashboard.web.launcher.needs_building(Settings(data=('seeds',)))\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow', 'scipy', 'dash', 'flask') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


def test_the_handover_waits_for_the_loading_pages_answers_being_sent():
    """The launcher execs gunicorn once the data is made: an answer still being sent then was cut (a health check
    read a 503's headers and no body), so each answer is counted until the server has sent it and closed it."""
    in_flight = InFlight()
    app = loading_app(Progress(), in_flight)
    headers = {}
    body = app({"PATH_INFO": "/healthz"}, lambda _status, sent: headers.update(sent))
    assert headers["Connection"] == "close"
    assert not in_flight.wait_idle(0.01)  # being sent: the handover would wait
    body.close()
    assert in_flight.wait_idle(0.01)
