"""The server's own refusals — a 100 KB URL, a request line that is not HTTP — answer in the API's JSON error
shape, not http.server's HTML page (web/server.py, the server `serve` and the loading page run)."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from conftest import SEEDS

from dashboard.config import Settings
from dashboard.web.app import create_app
from dashboard.web.server import threaded_server


@pytest.fixture(scope="module")
def address(seed_corpus):
    server = threaded_server("127.0.0.1", 0, create_app(Settings(data=(str(SEEDS),)), corpus=seed_corpus).server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[:2]
    server.shutdown()
    server.server_close()


def exchange(address, request: bytes) -> tuple[int | None, dict[str, str], bytes]:
    """Status, headers and body of the answer (a request line HTTP cannot read is answered as HTTP/0.9 does: the
    body alone)."""
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    if not answer.startswith(b"HTTP/"):
        return None, {}, answer
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_line", "status"),
    [
        (b"GET /api/v1/search?q=" + b"a" * 100_000 + b" HTTP/1.1", 414),
        (b"GET /" + b"x" * 100_000 + b" HTTP/1.1", 414),
        (b"NONSENSE", 400),
        (b"GET / HTTP/9.x", 400),
    ],
)
def test_the_servers_own_refusals_are_json(address, request_line, status):
    code, headers, body = exchange(address, request_line + b"\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    if code is not None:
        assert code == status and headers["content-type"] == "application/json"
    answer = json.loads(body)
    assert answer["status"] == status and answer["error"] and "<" not in answer["error"]


def test_an_ordinary_request_is_answered_by_the_app(address):
    code, headers, body = exchange(address, b"GET /api/v1/stats HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert code == 200 and headers["content-type"] == "application/json" and json.loads(body)["figures"] > 0
