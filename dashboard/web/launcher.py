"""Web floor: the Procfile's command, `python -m dashboard web`: answer the platform's port at once, make what
serving needs, then become gunicorn on the same socket.

A PaaS gives a web process a minute or so to answer its port, and a first start from 110,000 source files takes
minutes to parse, index and map. So:

1. the port is bound here, by a socket gunicorn inherits (`--bind fd://N`);
2. unless the data is one bundle (made already), a builder process — forked before this one starts any thread —
   makes the sources' cache entry whole (tables, text index, corpus map), or finds it made, while this process
   answers every request with a loading page (`/healthz`: 503 with the progress);
3. this process becomes gunicorn (exec) on the socket: with --preload its master opens the made corpus,
   memory-mapped, builds the indexes its workers share, and forks them (see `gunicorn_config`).

A build that fails is reported: the page and `/healthz` answer 500 with the reason (the platform's health check
fails and its log says why) until the process is stopped.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from html import escape
from typing import NoReturn

from dashboard.config import Settings
from dashboard.corpus.errors import CorpusError
from dashboard.corpus.progress import Progress, Snapshot, TerminalReport
from dashboard.corpus.remote import is_bundle

log = logging.getLogger(__name__)

EXIT_BUILT, EXIT_BAD_DATA, EXIT_FAILED = 0, 2, 1
HANDOVER_WAIT = 5  # seconds the handover to gunicorn waits for the loading page's answers being sent
LOADING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{refresh}">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>PFOCR dashboard — {title}</title>
<style>body {{ font-family: system-ui, sans-serif; margin: 3em; color: #1f2933; }} progress {{ width: 28em; }}
.muted {{ color: #5b6671; }}</style></head>
<body><main><h1>PFOCR dashboard</h1><p id="loading">{headline}</p>{bar}<p class="muted">{detail}</p></main>
</body></html>
"""


class InFlight:
    """The requests the loading page is answering: the handover to gunicorn waits for them, since an exec in the
    middle of one cut its body (a health check read the 503's headers, then nothing)."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def begin(self) -> None:
        with self._changed:
            self._count += 1

    def end(self) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout)


class _Body(list):
    """A response body whose `close` (called by the server once it is sent) ends the request's count."""

    def __init__(self, chunks: list[bytes], done: Callable[[], None]) -> None:
        super().__init__(chunks)
        self._done = done

    def close(self) -> None:
        self._done()


def loading_app(progress: Progress, in_flight: InFlight | None = None) -> Callable:
    """The WSGI application answering while the data is made: a page that refreshes itself, and JSON for
    `/healthz`, the API and Dash's requests — 503 with `Retry-After` while loading, 500 once it failed. Each
    connection is closed after its answer, and `in_flight` counts the answers being sent."""
    in_flight = in_flight or InFlight()

    def answer(environ: dict, start_response: Callable) -> Iterable[bytes]:
        snapshot = progress.snapshot()
        failed = snapshot.phase == "failed"
        status = "500 Internal Server Error" if failed else "503 Service Unavailable"
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" or path.startswith(("/api/", "/_dash")):
            payload = {"status": "failed", "error": snapshot.message} if failed else {"status": "loading"}
            body = json.dumps({**payload, **snapshot.to_json()}).encode()
            content_type = "application/json"
        else:
            body = loading_page(snapshot).encode()
            content_type = "text/html; charset=utf-8"
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("Retry-After", "2"),
            ("Connection", "close"),
        ]
        in_flight.begin()
        start_response(status, headers)
        return _Body([body], in_flight.end)

    return answer


def loading_page(snapshot: Snapshot) -> str:
    if snapshot.phase == "failed":
        headline, title, bar, refresh = "The data could not be loaded.", "failed", "", 30
        detail = snapshot.message
    else:
        title, refresh = "loading", 2
        if snapshot.total:
            headline = f"Loading {snapshot.done:,} of {snapshot.total:,} records…"
            bar = f'<progress max="{snapshot.total}" value="{snapshot.done}"></progress>'
        else:
            headline, bar = f"Loading the data: {snapshot.phase}…", "<progress></progress>"
        detail = snapshot.describe() + f" · {snapshot.elapsed:,.0f} s since start"
    return LOADING_PAGE.format(refresh=refresh, title=title, headline=escape(headline), bar=bar, detail=escape(detail))


def needs_building(settings: Settings) -> bool:
    """Whether the data must be made before gunicorn opens it: anything but one bundle (a cache entry found made
    costs the builder a second)."""
    return not (len(settings.data) == 1 and is_bundle(settings.data[0]))


def build(settings: Settings, progress: Progress) -> int:
    """Make the data whole (in the builder process); its exit status."""
    from dashboard.corpus.bundle import load_data  # pandas and the rest: in the builder only

    try:
        tables, _ = load_data(settings.data, settings.cache_dir, settings.use_cache, progress=progress)
    except CorpusError as exc:
        progress.fail(str(exc))
        return EXIT_BAD_DATA
    except Exception as exc:
        log.exception("making the data failed")
        progress.fail(f"making the data failed: {type(exc).__name__}: {exc}")
        return EXIT_FAILED
    progress.finish(len(tables.figures), f"made {len(tables.figures):,} figures; starting the web server")
    return EXIT_BUILT


def build_while_answering(settings: Settings, listener: socket.socket) -> bool:
    """Fork the builder, answer the port with the loading page until it ends; True if the data was made. On
    failure the loading page (now a failure page) keeps answering until the process is stopped."""
    from dashboard.web.server import threaded_server

    progress = Progress()
    builder = os.fork()  # before any thread of this process starts
    if builder == 0:
        listener.close()
        os._exit(build(settings, progress))

    def stop(signum: int, _frame: object) -> NoReturn:
        with contextlib.suppress(ProcessLookupError):
            os.kill(builder, signal.SIGTERM)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    host, port = listener.getsockname()[:2]
    status = {}
    in_flight = InFlight()

    def loading_server():  # werkzeug closes its socket when it stops serving: one server per stretch
        return threaded_server(host, port, loading_app(progress, in_flight), fd=listener.fileno())

    server = loading_server()

    def wait_for_builder() -> None:
        status["code"] = os.waitstatus_to_exitcode(os.waitpid(builder, 0)[1])
        server.shutdown()

    threading.Thread(target=wait_for_builder, name="builder-watch", daemon=True).start()
    log.info("answering http://%s:%d/ with the loading page while the data is made", host, port)
    with TerminalReport(progress):
        server.serve_forever()
    if not in_flight.wait_idle(HANDOVER_WAIT):
        log.warning("a request to the loading page was still being answered after %d s", HANDOVER_WAIT)
    if status.get("code") == EXIT_BUILT:
        return True
    if not progress.failed:
        progress.fail(f"the process making the data ended with status {status.get('code')}")
    log.error("cannot serve: %s", progress.snapshot().message)
    loading_server().serve_forever()  # the failure page, until stopped
    return False


def gunicorn_command(fd: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:dashboard.web.gunicorn_config",
        "--bind",
        f"fd://{fd}",
        "dashboard.web.wsgi:server",
    ]


def run(settings: Settings) -> NoReturn:
    """Bind the port, make the data if it must be made, then exec gunicorn on the socket."""
    listener = socket.create_server((settings.host, settings.port), backlog=2048)
    listener.set_inheritable(True)
    if needs_building(settings) and not build_while_answering(settings, listener):
        raise SystemExit(EXIT_BAD_DATA)
    os.environ["PFOCR_DATA"] = os.pathsep.join(settings.data)
    if settings.cache_dir:
        os.environ["PFOCR_CACHE_DIR"] = settings.cache_dir
    log.info("starting gunicorn on %s:%d", *listener.getsockname()[:2])
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, gunicorn_command(listener.fileno()))  # noqa: S606 - our interpreter, our arguments
