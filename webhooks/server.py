"""Serving the receiver in production on one machine: waitress, with bounds and JSON errors.

waitress reads each request whole on its event loop before a worker thread sees
it, so slow or half-open connections hold no thread; idle connections are closed
after ``IDLE_TIMEOUT_SECONDS``; header and body sizes are bounded. Requests the
server refuses before the app sees them (headers too large, a body over the
limit, a malformed request) get the same JSON error body as the app's own
errors. waitress writes no access log, so no request line, and no query-string
secret, is ever logged.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask
from waitress.utilities import Error

# Idle keep-alive or half-open connections are closed after this long.
IDLE_TIMEOUT_SECONDS = 30
# Request line and headers together (Zammad's webhook headers are a few hundred bytes).
MAX_HEADER_BYTES = 16 * 1024
# More connections than this wait in the listen backlog.
CONNECTION_LIMIT = 200


class _JsonErrorTask(ErrorTask):
    """waitress's answer to a request it refuses, as ``{"error", "message"}`` JSON."""

    def execute(self) -> None:
        # The request parser carries waitress's Error (stubs type it loosely).
        problem: Error = getattr(self.request, "error")  # noqa: B009
        code = problem.reason.lower().replace(" ", "_")
        body = json.dumps({"error": code, "message": str(problem.body)}).encode()
        self.status = f"{problem.code} {problem.reason}"
        self.response_headers = [*self.response_headers, ("Content-Type", "application/json")]
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _JsonErrorChannel(HTTPChannel):
    error_task_class = _JsonErrorTask


def make_server(
    app: Flask, host: str, port: int, *, threads: int, max_body_bytes: int
) -> BaseWSGIServer:
    """A waitress server for ``app`` on ``host:port`` (0: any free port), not yet running.

    waitress refuses bodies over ``max_body_bytes`` itself (as a JSON 413): it
    counts chunked bodies too, which the app cannot see before reading them.
    """
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "threads": threads,
        "channel_timeout": IDLE_TIMEOUT_SECONDS,
        "max_request_header_size": MAX_HEADER_BYTES,
        "max_request_body_size": max_body_bytes,
        "connection_limit": CONNECTION_LIMIT,
        "ident": "ticket-warden",
        "clear_untrusted_proxy_headers": True,
    }
    server = create_server(app, **options)
    assert isinstance(server, BaseWSGIServer)  # one host and port: one socket
    server.channel_class = _JsonErrorChannel
    return server
