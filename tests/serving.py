"""Helpers for tests that start real server processes: a free port, plain HTTP, and a server in its own group."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path


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
