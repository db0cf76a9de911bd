"""Helpers for tests that start real server processes: a clean environment, a free port, plain HTTP, a server in its
own group, and the page with everything it references."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from html.parser import HTMLParser
from pathlib import Path

# What points Python or the app at this checkout or at the virtualenv the suite runs in (tests/conftest.py sets
# PYTHONPATH for every process a test starts).
NOT_PASSED_ON = frozenset({"PFOCR_DATA", "PYTHONPATH", "VIRTUAL_ENV"})


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that points Python or the app at the checkout, plus `extra`."""
    return {k: v for k, v in os.environ.items() if k not in NOT_PASSED_ON} | extra


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, data: bytes | None = None, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request; an HTTP error status is an answer too."""
    headers = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@contextlib.contextmanager
def running(
    command: Sequence[str], cwd: Path, env: dict[str, str], log: Path | None = None
) -> Iterator[subprocess.Popen]:
    """A server process (and its children) in its own process group, ended when the block ends."""
    with open(log or os.devnull, "wb") as output:
        process = subprocess.Popen(
            list(command), cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def wait_until_healthy(process: subprocess.Popen, port: int, timeout: float = 90, log: Path | None = None) -> dict:
    """Poll /healthz until it answers 200 and return its JSON; fail if the server dies or never gets there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}: {log.read_text() if log else ''}")
        try:
            status, _, body = fetch(f"http://127.0.0.1:{port}/healthz", timeout=5)
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            return json.loads(body)
        time.sleep(0.2)
    raise AssertionError("no healthy answer in time: " + (log.read_text() if log else ""))


def fetch_ready(url: str, timeout: float = 15) -> tuple[int, dict[str, str], bytes]:
    """Like fetch, but asked again while the answer is 503: under gunicorn a worker forked while the data was loading
    answers with the loading page for a moment after another already answered /healthz, until the master replaces it."""
    deadline = time.monotonic() + timeout
    while True:
        status, headers, body = fetch(url)
        if status != 503 or time.monotonic() > deadline:
            return status, headers, body
        time.sleep(0.2)


class _References(HTMLParser):
    """The URLs of a page's scripts (`<script src>`) and links (`<link href>`: stylesheets, the icon)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        self.urls += [value for name, value in attrs if name == wanted and value]


def same_origin_references(page: str, base: str) -> list[str]:
    """The path (with its query) of every script and link of an HTML page that is served by the page's own origin."""
    parser = _References()
    parser.feed(page)
    origin = urllib.parse.urlsplit(base)[:2]
    found = []
    for reference in parser.urls:
        url = urllib.parse.urlsplit(urllib.parse.urljoin(base, reference))
        if url[:2] == origin:
            found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def fetch_page_and_assets(port: int) -> dict[str, bytes]:
    """GET `/`, every script and link it references on its own origin, `/_dash-layout` and `/_dash-dependencies`
    from a server on localhost; fail unless each answers 200 with a body. Returns each body by the path asked."""
    base = f"http://127.0.0.1:{port}"
    status, _, page = fetch_ready(f"{base}/")
    assert status == 200 and page, f"/ answered {status}: {page[:500]!r}"
    bodies = {"/": page}
    for path in [*same_origin_references(page.decode(), f"{base}/"), "/_dash-layout", "/_dash-dependencies"]:
        status, _, body = fetch_ready(base + path)
        assert status == 200 and body, f"{path} answered {status}: {body[:500]!r}"
        bodies[path] = body
    return bodies


def stop_within(process: subprocess.Popen, seconds: float) -> float:
    """Send SIGTERM to the process's group and return how long it took until no process of the group was left; fail
    if it takes longer than `seconds`."""
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running {seconds} s after SIGTERM") from None
    while time.monotonic() - started < seconds:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"a process of the group is still running {seconds} s after SIGTERM")
