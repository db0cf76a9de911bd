"""Web floor: the app factory. `create_app(settings)` loads the corpus once, builds the layout and binds callbacks;
`Boot` is the WSGI application of a web process, answering at once while the corpus loads behind it."""

from __future__ import annotations

import gc
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Container
from html import escape
from pathlib import Path

from dash import Dash, set_props
from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from dashboard.analysis.model import Corpus
from dashboard.analysis.search import QueryError
from dashboard.analysis.terms import figure_terms, term_index
from dashboard.config import ASSETS, DEFAULT_DATA, Settings
from dashboard.corpus.bundle import Release, load_data, software_version, source_names
from dashboard.corpus.corpusmap import start_map_build
from dashboard.corpus.loader import CorpusError
from dashboard.corpus.progress import Progress, Snapshot, TerminalReport
from dashboard.web import cooccurrence, corpusmap, ids, paths, timeline
from dashboard.web.api import register_api
from dashboard.web.callbacks import register_callbacks
from dashboard.web.layout import build_layout
from dashboard.web.metrics import Metrics

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 8 * 1024 * 1024  # a whole-genome list (2 MB of text) uploaded as base64, with room to spare


def load_settings_corpus(
    settings: Settings, progress: Progress | None = None, indexes: bool = True
) -> tuple[Corpus, Release]:
    """The corpus the settings point at (a bundle, or sources through the cache), its indexes built (unless
    `indexes` is False: then `build_indexes` is the caller's)."""
    started = time.perf_counter()
    tables, release = load_data(
        settings.data, cache_dir=settings.cache_dir, use_cache=settings.use_cache, progress=progress
    )
    if release.kind == "sources":  # a cache entry gets its corpus map now, while this process serves
        start_map_build(tables)
    if progress is not None:
        progress.begin("indexing")
    corpus = Corpus(tables)
    if indexes:
        build_indexes(corpus)
    log.info(
        "corpus ready in %.2f s: %d figures, %d genes", time.perf_counter() - started, corpus.n_figures, corpus.n_genes
    )
    return corpus, release


def build_indexes(corpus: Corpus) -> None:
    """The indexes the first page does not need, built before any request asks (with gunicorn --preload the
    workers then share them): type-ahead, gene columns, the text index, chemicals and diseases by name and by
    figure (1.2 s at 110k)."""
    corpus.search_index  # noqa: B018
    corpus.matrix_by_gene()
    corpus.build_lookups()
    corpus.text_index  # noqa: B018 - the full-text index opened (or, for tables without one, built) once
    for kind in ("chemicals", "diseases"):
        term_index(corpus, kind)
        figure_terms(corpus, kind)


def describe_data(settings: Settings, release: Release) -> str:
    """Where the data came from and which release it is, for the header."""
    if release.kind == "bundle":
        built = (release.built or "").replace("T", " ").removesuffix("Z")
        return (
            f"bundle {release.name} (built {built} UTC by pfocr-dashboard {release.built_by}; {release.figures:,}"
            f" figures, {release.links:,} links) · pfocr-dashboard {release.software}"
        )
    names = [  # the data's names, not the server's paths
        "the embedded demo corpus (seeds/)" if Path(path).resolve() == DEFAULT_DATA.resolve() else Path(path).name
        for path in settings.data
    ]
    where = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{where} · pfocr-dashboard {release.software}"


def report_callback_error(error: Exception, metrics: Metrics) -> None:
    """The last net under every callback: a search that cannot be run (too broad to answer in time) is told to the
    user as such; anything else is ours: logged with its traceback, counted, and the user told. Nothing else
    changes: a view is never emptied in place of an answer."""
    if isinstance(error, QueryError):
        set_props(ids.NOTICE, {"children": f"Search not run: {error}."})
        return
    log.error("callback failed: %s", error, exc_info=error)
    metrics.count_error("callback")
    set_props(ids.NOTICE, {"children": "That action could not be completed; the error was logged. Try another."})


def malformed_callback_request(body: object, known_outputs: Container[str]) -> str | None:
    """Why a callback request body is not one Dash's renderer sends (None if it is): such a request is the
    client's error (400); an exception while answering a well-formed one is ours (500, logged and counted)."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if body.get("output") not in known_outputs:
        return "no such callback"

    def dependency(item: object) -> bool:
        if isinstance(item, list):
            return all(dependency(i) for i in item)
        return isinstance(item, dict) and isinstance(item.get("property"), str) and "id" in item

    for key in ("inputs", "state"):
        if not isinstance(body.get(key, []), list) or not all(dependency(i) for i in body.get(key, [])):
            return f"'{key}' is not a list of dependencies"
    outputs = body.get("outputs")
    if not dependency(outputs if isinstance(outputs, list) else [outputs]):
        return "'outputs' is not a dependency or a list of them"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "'changedPropIds' is not a list of strings"
    return None


def create_app(settings: Settings | None = None, corpus: Corpus | None = None, release: Release | None = None) -> Dash:
    """A Dash app serving the corpus (loaded from the settings unless given), debug off unless asked for."""
    settings = settings or Settings()
    if corpus is None:
        corpus, release = load_settings_corpus(settings)
    release = release or sources_release(settings, corpus)
    metrics = Metrics()
    app = Dash(
        __name__,
        title="PFOCR dashboard",
        assets_folder=str(ASSETS),
        compress=True,
        update_title=None,
        serve_locally=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        on_error=lambda error: report_callback_error(error, metrics),
    )
    # The fastest levels: on the map's 5 MB of JSON brotli 1 is within 1 % of the size of its default 4 at a fifth
    # of the time (20 vs 90 ms), gzip 1 23 % larger than its default 6 at a fifth (41 vs 226 ms). Two cores serve.
    app.server.config.update(COMPRESS_BR_LEVEL=1, COMPRESS_LEVEL=1, COMPRESS_DEFLATE_LEVEL=1)
    views = (("timeline", "Timeline", timeline), ("cooccurrence", "Gene co-occurrence", cooccurrence))
    views += (("paths", "Paths between two genes", paths), ("map", "Map of the corpus", corpusmap))
    app.layout = build_layout(
        corpus, describe_data(settings, release), settings.data, [(v, label, m.build()) for v, label, m in views]
    )
    register_callbacks(app, corpus)
    for _, _, view in views:
        view.register(app, corpus)
    register_api(app.server, corpus)

    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.server.extensions["pfocr_metrics"] = metrics
    metrics.install(app.server, app.callback_map)

    @app.server.before_request
    def refuse_malformed_callbacks():
        """A callback request Dash's renderer would never send is answered 400 before Dash dispatches it."""
        if request.method == "POST" and request.path.endswith("/_dash-update-component"):
            problem = malformed_callback_request(request.get_json(silent=True, cache=True), app.callback_map)
            if problem is not None:
                log.warning("malformed callback request: %s", problem)
                return jsonify(error=f"malformed callback request: {problem}", status=400), 400
        return None

    @app.server.errorhandler(Exception)
    def unexpected_error(error: Exception):
        """Our error, not the client's: logged at ERROR with its traceback, counted, answered 500 in JSON."""
        if isinstance(error, HTTPException):
            return error
        log.error("unexpected error on %s %s", request.method, request.path, exc_info=error)
        metrics.count_error("request")
        return jsonify(error="internal error; it was logged", status=500), 500

    @app.server.get("/healthz")
    def healthz():
        return jsonify(status="ok", figures=corpus.n_figures, release=release.to_json())

    if settings.debug:
        app.enable_dev_tools(debug=True, dev_tools_hot_reload=False)
    app.server.config["PFOCR_CORPUS"] = corpus
    return app


def sources_release(settings: Settings, corpus: Corpus) -> Release:
    """The release of a corpus handed in ready-made (as the tests do): its sources and counts."""
    return Release(
        kind="sources",
        name=source_names(settings.data),
        built=None,
        built_by=None,
        software=software_version(),
        figures=corpus.n_figures,
        links=int(corpus.incidence.nnz),
        problems=len(corpus.tables.problems),
    )


LOADING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{refresh}">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>PFOCR dashboard — {title}</title>
<style>body {{ font-family: system-ui, sans-serif; margin: 3em; color: #1f2933; }} progress {{ width: 28em; }}
.muted {{ color: #66727f; }}</style></head>
<body><h1>PFOCR dashboard</h1><p id="loading">{headline}</p>{bar}<p class="muted">{detail}</p></body></html>
"""


class Boot:
    """The WSGI application of a web process: it answers at once, and loads the corpus in a background thread.

    Until the corpus is ready every page is a "loading N of M records" page and `/healthz` answers 503 with the
    progress; then requests go to the Dash app. Under gunicorn with --preload the master loads while its first
    workers (forked meanwhile) show the progress from the shared counters; once loaded, the master is asked
    (`call_when_ready`) to fork new workers, which share its corpus, and to retire the old ones.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.progress = Progress()
        self._server = None
        self._lock = threading.Lock()
        self._when_ready: list[Callable[[], None]] = []
        self._loader_pid: int | None = None
        self._done = threading.Event()
        # A worker forked while the loading thread held the lock must not inherit it held.
        os.register_at_fork(after_in_child=self._reset_lock)

    def _reset_lock(self) -> None:
        self._lock = threading.Lock()

    def start(self) -> Boot:
        """Start loading in a background thread of this process."""
        self._loader_pid = os.getpid()
        threading.Thread(target=self._load, name="corpus-loader", daemon=True).start()
        return self

    def _load(self) -> None:
        try:
            with TerminalReport(self.progress):  # a bar on a terminal, log lines in a platform's log
                corpus, release = load_settings_corpus(self.settings, self.progress, indexes=False)
            server = create_app(self.settings, corpus, release).server
            # This process serves its first page now; the indexes follow at once (a request needing one meanwhile
            # waits for it or builds it). Forked workers and `wait()` see the corpus only once all are built.
            self._server = server
            started = time.perf_counter()
            build_indexes(corpus)
            log.info("indexes built in %.2f s", time.perf_counter() - started)
        except CorpusError as exc:
            log.error("cannot serve: %s", exc)
            self.progress.fail(str(exc))
            self._done.set()
            return
        except Exception as exc:
            log.exception("loading the corpus failed")
            self._server = None
            self.progress.fail(f"loading the corpus failed: {type(exc).__name__}: {exc}")
            self._done.set()
            return
        # Everything built so far lives as long as the process. Freezing it keeps the workers' garbage collector
        # from writing to those objects, which would copy the pages they share with the master into each worker.
        gc.freeze()
        with self._lock:
            self._server = server
            self.progress.finish(corpus.n_figures, f"serving {corpus.n_figures:,} figures")
            callbacks, self._when_ready = self._when_ready, []
        self._done.set()
        for callback in callbacks:
            callback()

    def call_when_ready(self, callback: Callable[[], None]) -> None:
        """Call back (from the loading thread) once the corpus is ready; never if it is ready already."""
        with self._lock:
            if self._server is None:
                self._when_ready.append(callback)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the load to end in this process; True if the corpus is ready."""
        self._done.wait(timeout)
        return self._server is not None

    @property
    def failed(self) -> bool:
        return self.progress.failed

    def __call__(self, environ: dict, start_response: Callable):
        server = self._server
        if server is not None:
            return server(environ, start_response)
        if os.getpid() != self._loader_pid:
            self._adopt()
        return self._loading(environ, start_response)

    def _adopt(self) -> None:
        """In a process forked while another loads (gunicorn --preload without our hooks): once that load is
        done, load here too (from the cache or bundle it left), rather than wait for a corpus that never comes."""
        with self._lock:
            if os.getpid() == self._loader_pid or not self.progress.ready:
                return
            log.warning(
                "worker %d was forked before the corpus was ready and is loading its own copy; start gunicorn"
                " with --config python:dashboard.web.gunicorn_config to have the workers share the master's",
                os.getpid(),
            )
            self.progress = Progress()
            self.start()

    def _loading(self, environ: dict, start_response: Callable):
        snapshot = self.progress.snapshot()
        failed = snapshot.phase == "failed"
        status = "500 Internal Server Error" if failed else "503 Service Unavailable"
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" or path.startswith(("/api/", "/_dash")):
            payload = {"status": "failed", "error": snapshot.message} if failed else {"status": "loading"}
            body = json.dumps({**payload, **snapshot.to_json()}).encode()
            content_type = "application/json"
        else:
            body = self._loading_page(snapshot).encode()
            content_type = "text/html; charset=utf-8"
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("Retry-After", "2"),
        ]
        start_response(status, headers)
        return [body]

    @staticmethod
    def _loading_page(snapshot: Snapshot) -> str:
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
        return LOADING_PAGE.format(
            refresh=refresh, title=title, headline=escape(headline), bar=bar, detail=escape(detail)
        )
