"""Web floor: the app factory. `create_app(settings)` loads the corpus once, builds the layout and binds callbacks."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from dash import Dash, set_props
from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from dashboard.analysis.model import Corpus
from dashboard.config import ASSETS, DEFAULT_DATA, Settings
from dashboard.corpus.cache import load_corpus
from dashboard.web import ids
from dashboard.web.api import register_api
from dashboard.web.callbacks import register_callbacks
from dashboard.web.layout import build_layout

log = logging.getLogger(__name__)


def load_settings_corpus(settings: Settings) -> Corpus:
    """The corpus the settings point at, through the cache."""
    started = time.perf_counter()
    tables = load_corpus(settings.data, cache_dir=settings.cache_dir, use_cache=settings.use_cache)
    corpus = Corpus(tables)
    # Built now rather than on the first request: with gunicorn --preload the workers then share them.
    corpus.search_index  # noqa: B018
    corpus.matrix_by_gene()
    log.info(
        "corpus ready in %.2f s: %d figures, %d genes", time.perf_counter() - started, corpus.n_figures, corpus.n_genes
    )
    return corpus


def describe_sources(settings: Settings) -> str:
    """A short description of where the data came from, for the header."""
    names = [
        "the embedded demo corpus (seeds/)" if Path(path).resolve() == DEFAULT_DATA.resolve() else str(path)
        for path in settings.data
    ]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def report_callback_error(error: Exception) -> None:
    """The last net under every callback: log the error, tell the user, change nothing else (never a 500)."""
    log.error("callback failed: %s", error, exc_info=error)
    set_props(ids.NOTICE, {"children": "That action could not be completed; the error was logged. Try another."})


def create_app(settings: Settings | None = None, corpus: Corpus | None = None) -> Dash:
    """A Dash app serving the corpus (loaded from the settings unless given), debug off unless asked for."""
    settings = settings or Settings()
    corpus = corpus if corpus is not None else load_settings_corpus(settings)
    app = Dash(
        __name__,
        title="PFOCR dashboard",
        assets_folder=str(ASSETS),
        compress=True,
        update_title=None,
        serve_locally=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        on_error=report_callback_error,
    )
    app.layout = build_layout(corpus, describe_sources(settings))
    register_callbacks(app, corpus)
    register_api(app.server, corpus)

    @app.server.errorhandler(Exception)
    def unexpected_error(error: Exception):
        """A request Dash cannot even dispatch (a malformed callback body) is the client's error: 400, logged."""
        if isinstance(error, HTTPException):
            return error
        log.warning("bad request to %s: %s: %s", request.path, type(error).__name__, error)
        if request.path.endswith("/_dash-update-component"):
            return jsonify(error="malformed callback request"), 400
        return jsonify(error="internal error; it was logged"), 500

    @app.server.get("/healthz")
    def healthz():
        return jsonify(status="ok", figures=corpus.n_figures)

    app.server.config["PFOCR_CORPUS"] = corpus
    return app
