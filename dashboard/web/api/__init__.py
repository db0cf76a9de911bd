"""Web floor: the JSON API (`/api/v1/...`) on the dashboard's own Flask server.

Every answer is JSON: 400 with a message for a bad request, 404 for an unknown gene or figure, never a 500 page.
One module per resource builds its Flask blueprint bound to the corpus (`blueprint(corpus)`), over the shared
request parsing of `requests.py`; this module nests them in the API's blueprint at `/api/v1`, which checks every
request against the API's OpenAPI document before its route runs (`rules.py`), and answers errors and every path or
method no route takes.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from dashboard.analysis.model import Corpus
from dashboard.analysis.search import QueryError
from dashboard.corpus.bundle import software_version
from dashboard.web.api import enrich, figures, genes, maps, network, patterns, schema, search, stats, terms
from dashboard.web.api.requests import PREFIX, BadRequest, error, http_error
from dashboard.web.api.rules import Rules
from dashboard.web.openapi import openapi_document

log = logging.getLogger(__name__)

OTHER_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"]
RESOURCES = (stats, genes, figures, enrich, search, terms, patterns, maps, schema, network)


def build_api(corpus: Corpus) -> Blueprint:
    """The API's routes, bound to one corpus: each resource's blueprint nested in the one at the API's prefix."""
    api = Blueprint("api", __name__, url_prefix=PREFIX)
    rules = Rules(openapi_document(PREFIX, software_version()))

    @api.before_request
    def check_request() -> None:
        """The request as the document admits it, or a 400 saying what it must be (see `rules.py`)."""
        if request.url_rule is not None:
            rules.check(request.url_rule.rule, request.method, request.args, lambda: request.get_json(silent=True))

    @api.errorhandler(BadRequest)
    @api.errorhandler(QueryError)  # a search that cannot be run (too broad to answer in time): the client's to change
    def bad_request(exc: BadRequest | QueryError):
        return error(400, str(exc))

    api.register_error_handler(HTTPException, http_error)

    @api.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.error("API error on %s", request.path, exc_info=exc)
        metrics = current_app.extensions.get("pfocr_metrics")
        if metrics is not None:
            metrics.count_error("api")
        return error(500, f"internal error ({type(exc).__name__}); the request was logged")

    for resource in RESOURCES:
        api.register_blueprint(resource.blueprint(corpus))

    # Every other path or method under the prefix (Dash's page route would answer any GET with the page): the route
    # map of the API's own rules says whether the path is unknown (404) or takes other methods (405, with Allow).
    @api.route("/", defaults={"rest": ""}, methods=OTHER_METHODS)
    @api.route("/<path:rest>", methods=OTHER_METHODS)
    def unknown_route(**_path: str):
        own = Map([Rule(r.rule, methods=r.methods, endpoint=r.endpoint) for r in _api_rules(current_app)])
        own.bind("").match(request.path, request.method)  # raises NotFound or MethodNotAllowed
        return error(404, f"no endpoint {request.method} {request.path[:100]}")

    return api


def _api_rules(app: Flask) -> list:
    """The app's rules of the API's routes (nested blueprints' endpoints are `api.<resource>.<route>`), but the
    catch-all's."""
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and r.endpoint != "api.unknown_route"]


def register_api(server: Flask, corpus: Corpus) -> None:
    """Mount the API on the app's Flask server; routing errors under the API's prefix are answered in JSON too."""
    server.register_blueprint(build_api(corpus))

    @server.errorhandler(HTTPException)
    def json_for_api_paths(exc: HTTPException):
        return http_error(exc) if request.path.startswith(PREFIX) else exc
