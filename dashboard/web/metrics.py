"""Web floor: what monitoring needs to see — requests by kind and status, unexpected errors by kind, callback
latency, data files that could not be used — at `/metrics` in Prometheus' text format, with the standard
`prometheus_client`.

Each app has its own registry (the tests build many apps in one process). Under gunicorn with several workers,
set `PROMETHEUS_MULTIPROC_DIR` to an empty writable folder: every worker then writes its counts there and
`/metrics` adds them up across workers, as prometheus_client documents.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Container

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from dashboard.corpus.textindex.loading import unusable_index_count

log = logging.getLogger(__name__)

ERROR_KINDS = ("callback", "request", "api")
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def route_kind(path: str) -> str:
    """A request's route as a label of bounded cardinality."""
    if path == "/":
        return "page"
    if path.endswith("/_dash-update-component"):
        return "callback"
    if path.startswith("/api/"):
        return "api"
    if path.startswith(("/assets/", "/_dash-component-suites/", "/_favicon")):
        return "static"
    if path in ("/healthz", "/metrics"):
        return path.lstrip("/")
    if path.startswith("/_dash"):
        return "dash"
    return "other"


class CorpusCollector(Collector):
    """What the corpus floor counts itself (it knows nothing of the web): text index files that would not open.
    Read when /metrics is asked; under gunicorn, the answering worker's count (the index is opened before the fork
    with --preload, so every worker holds the master's)."""

    def collect(self):
        yield CounterMetricFamily(
            "pfocr_text_index_unusable",
            "Text index files of a cache entry or bundle that would not open (each logged as an error and rebuilt"
            " for the process, at a cost of time and disk)",
            value=unusable_index_count(),
        )


class Metrics:
    """The counters and histograms of one app, and the `/metrics` route that shows them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "pfocr_requests",
            "HTTP requests answered, by kind of route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "pfocr_errors", "Unexpected errors (logged with their traceback), by kind", ["kind"], registry=self.registry
        )
        self.callback_seconds = Histogram(
            "pfocr_callback_seconds",
            "Time to answer a Dash callback request, by the callback's first output",
            ["callback"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        for kind in ERROR_KINDS:  # shown as 0 from the start, so that a rate can be taken
            self.errors.labels(kind)
        self.registry.register(CorpusCollector())
        self.known_callbacks: Container[str] = ()

    def count_error(self, kind: str) -> None:
        self.errors.labels(kind if kind in ERROR_KINDS else "request").inc()

    def error_count(self, kind: str) -> float:
        """The count of one kind of error in this process (what the tests read)."""
        return self.registry.get_sample_value("pfocr_errors_total", {"kind": kind}) or 0.0

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            registry.register(CorpusCollector())
            return generate_latest(registry)
        return generate_latest(self.registry)

    def callback_name(self) -> str:
        """The first output id of the callback a request asks for, when it is one of the app's."""
        body = request.get_json(silent=True, cache=True)
        output = body.get("output") if isinstance(body, dict) else None
        if not isinstance(output, str) or output not in self.known_callbacks:
            return "unknown"
        return output.strip(".").split("...")[0].split("@")[0][:80]

    def install(self, server: Flask, callbacks: Container[str]) -> None:
        """Time and count every request of the server, and serve `/metrics`; `callbacks` holds the app's callback
        outputs (Dash's callback map), so that only real callbacks become latency labels."""
        self.known_callbacks = callbacks

        @server.before_request
        def start_clock():
            g.pfocr_started = time.perf_counter()

        @server.after_request
        def count(response):
            kind = route_kind(request.path)
            self.requests.labels(kind, str(response.status_code)).inc()
            started = g.get("pfocr_started")
            if kind == "callback" and started is not None:
                self.callback_seconds.labels(self.callback_name()).observe(time.perf_counter() - started)
            return response

        @server.get("/metrics")
        def metrics():
            return Response(self.exposition(), content_type=CONTENT_TYPE_LATEST)
