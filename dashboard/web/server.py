"""Web floor: werkzeug's threaded server, as `serve` and the Procfile's loading page run it, with its own answers in
the API's error shape.

The server refuses some requests before the app sees them — a request line over 64 KiB (414), a malformed one
(400) — and http.server would answer those with an HTML page; here they are `{"error", "status"}` JSON, as every
other error of ours is. (Under gunicorn, a request line over `limit_request_line` is gunicorn's own 400.)
"""

from __future__ import annotations

import json

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class JSONErrorHandler(WSGIRequestHandler):
    """werkzeug's request handler, whose protocol errors answer in JSON."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        short, long = self.responses.get(code, ("Error", ""))
        body = json.dumps({"error": f"{message or short}: {explain or long}", "status": code}).encode()
        self.log_error("code %d, message %s", code, message or short)
        self.close_connection = True
        self.send_response(code, short)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def threaded_server(host: str, port: int, app, fd: int | None = None) -> BaseWSGIServer:
    """werkzeug's threaded server for a WSGI app, on a port (or an inherited socket `fd`)."""
    return make_server(host, port, app, threaded=True, fd=fd, request_handler=JSONErrorHandler)
