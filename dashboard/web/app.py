"""Web floor: the app factory. `create_app(settings)` loads the corpus once, builds the layout and binds callbacks."""

from __future__ import annotations

import logging
import time
from collections.abc import Container
from pathlib import Path

from dash import Dash, set_props
from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from dashboard.analysis.model import Corpus
from dashboard.analysis.search import QueryError
from dashboard.analysis.terms import figure_terms, term_index
from dashboard.config import ASSETS, DEFAULT_DATA, Settings
from dashboard.corpus.bundle import Release, load_data, software_version, source_names
from dashboard.corpus.orthologs import ortholog_table, read_meta
from dashboard.corpus.progress import Progress
from dashboard.web import (
    controls,
    cooccurrence,
    corpusmap,
    counts,
    detail,
    downloads,
    enrichment,
    hits,
    ids,
    network,
    options,
    paths,
    table,
    thumbnails,
    timeline,
)
from dashboard.web.api import register_api
from dashboard.web.layout import build_layout
from dashboard.web.metrics import Metrics

log = logging.getLogger(__name__)

# The parts of the page, each a module whose `register(app, corpus)` binds its callbacks; the pattern views (tabs
# under the network) follow them in `create_app`, with their layout pieces.
PARTS = (controls, options, network, detail, hits, thumbnails, counts, table, enrichment, downloads)
VIEWS = (  # the pattern views, a tab each under the network, in this order: (tab value, tab label, module)
    ("timeline", "Timeline", timeline),
    ("cooccurrence", "Gene co-occurrence", cooccurrence),
    ("paths", "Paths between two genes", paths),
    ("map", "Map of the corpus", corpusmap),
)

MAX_REQUEST_BYTES = 8 * 1024 * 1024  # a whole-genome list (2 MB of text) uploaded as base64, with room to spare

# Dash's page template with the page's language declared (a screen reader reads it in English; axe's html-has-lang).
# Every placeholder of Dash's own template is kept.
INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


def load_settings_corpus(settings: Settings, progress: Progress | None = None) -> tuple[Corpus, Release]:
    """The corpus the settings point at — a bundle, or sources through the cache (whose entry is made whole first
    when missing) — with every index built: what a web process serves, complete before it forks any worker."""
    started = time.perf_counter()
    tables, release = load_data(
        settings.data, cache_dir=settings.cache_dir, use_cache=settings.use_cache, progress=progress
    )
    if progress is not None:
        progress.begin("indexing")
    corpus = Corpus(tables)
    build_indexes(corpus)
    log.info(
        "corpus ready in %.2f s: %d figures, %d genes", time.perf_counter() - started, corpus.n_figures, corpus.n_genes
    )
    return corpus, release


def build_indexes(corpus: Corpus) -> None:
    """The indexes the first page does not need, built before any request asks (with gunicorn --preload the
    workers then share them): type-ahead, gene columns, the text index, chemicals and diseases by name and by
    figure (1.2 s at 110k), and the ortholog table (0.5 s, whatever the corpus)."""
    corpus.search_index  # noqa: B018
    corpus.matrix_by_gene()
    corpus.build_lookups()
    corpus.text_index  # noqa: B018 - the full-text index opened (or, for tables without one, built) once
    for kind in ("chemicals", "diseases"):
        term_index(corpus, kind)
        figure_terms(corpus, kind)
    ortholog_table()


def describe_data(settings: Settings, release: Release) -> str:
    """Where the data came from and which release it is (and the orthologs'), for the header."""
    source = read_meta()["source"]
    orthologs = f" · orthologs: {source['name']} {source['version']} ({source['date']})"
    if release.kind == "bundle":
        built = (release.built or "").replace("T", " ").removesuffix("Z")
        return (
            f"bundle {release.name} (built {built} UTC by pfocr-dashboard {release.built_by}; {release.figures:,}"
            f" figures, {release.links:,} links) · pfocr-dashboard {release.software}{orthologs}"
        )
    names = [  # the data's names, not the server's paths
        "the embedded demo corpus (seeds/)" if Path(path).resolve() == DEFAULT_DATA.resolve() else Path(path).name
        for path in settings.data
    ]
    where = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{where} · pfocr-dashboard {release.software}{orthologs}"


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
        index_string=INDEX_STRING,
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
    app.layout = build_layout(
        corpus, describe_data(settings, release), settings.data, [(v, label, m.build()) for v, label, m in VIEWS]
    )
    for part in (*PARTS, *(view for _, _, view in VIEWS)):
        part.register(app, corpus)
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
