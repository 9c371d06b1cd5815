"""The webhook receiver: a thin Flask app that verifies, validates, enqueues and answers.

Zammad waits 4 s to connect and 30 s to read, counts any non-2xx (redirects
included) as a failure and retries (SPEC §6), so the route does no helpdesk
I/O: the worker does that. Every error is a JSON body with the right status;
nothing unexpected leaks a traceback to the client.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from plugin.django_helpdesk.payload import parse_payload as dh_payload
from plugin.errors import PayloadError, SignatureError
from plugin.logs import configure_logging
from plugin.runtime import Runtime, build_runtime, delivery_id_for
from plugin.settings import Settings
from plugin.signature import SIGNATURE_HEADER, verify_signature
from plugin.zammad.payload import parse_payload
from webhooks.admin import install_console
from webhooks.admin.auth import (
    TOKEN_FILE,
    admin_allowed,
    admin_token,
    demo_token,
    demo_token_path,
)
from webhooks.admin.views import console_error, is_console_request

log = logging.getLogger(__name__)
EXTENSION = "ticket_warden"
DELIVERY_HEADER = "X-Zammad-Delivery"
MAX_LISTED = 200
WEBHOOK_PATH = "/webhooks/zammad"
DJANGO_HELPDESK_PATH = "/webhooks/django-helpdesk"
OPEN_DEMO = "TICKET_WARDEN_OPEN_DEMO"

bp = Blueprint("webhooks", __name__)


def _runtime() -> Runtime:
    runtime: Runtime = current_app.extensions[EXTENSION]
    return runtime


def error(status: int, code: str, message: str) -> tuple[Response, int]:
    """A JSON error body: ``{"error": code, "message": message}``; webhook errors are counted."""
    if request.path in (WEBHOOK_PATH, DJANGO_HELPDESK_PATH) and EXTENSION in current_app.extensions:
        _runtime().metrics.webhooks.labels(code).inc()
    return jsonify({"error": code, "message": message}), status


@bp.post(WEBHOOK_PATH)
def zammad_webhook() -> tuple[Response, int]:
    """Zammad's trigger webhook: verify, validate, keep, queue, answer."""
    runtime = _runtime()
    body = _read_body()
    secret = runtime.settings.secret_bytes()
    if secret is not None:
        try:
            verify_signature(body, request.headers.get(SIGNATURE_HEADER), secret)
        except SignatureError as exc:
            return error(401, "bad_signature", str(exc))
    data, failed = _decode(body)
    if failed is not None:
        return failed
    try:
        payload = parse_payload(data)
    except PayloadError as exc:
        return error(422, "bad_payload", str(exc))
    article = payload.article
    if article is None or not (article.model_fields_set or article.model_extra):
        # Ticket updates without an article, scheduler and escalation events.
        return _counted("skipped", {"status": "skipped", "reason": "no article in the payload"})
    return _keep(runtime, delivery_id_for(request.headers.get(DELIVERY_HEADER), body), body)


@bp.post(DJANGO_HELPDESK_PATH)
def django_helpdesk_webhook() -> tuple[Response, int]:
    """django-helpdesk's new-ticket and follow-up webhooks (unsigned: a shared token instead).

    django-helpdesk signs nothing, so the URL given to it carries the webhook
    secret as ``?token=`` (or the request an ``X-Warden-Token`` header),
    compared in constant time.
    """
    runtime = _runtime()
    if runtime.settings.helpdesk != "django-helpdesk":
        return error(404, "not_found", "this installation serves Zammad, not django-helpdesk")
    body = _read_body()
    secret = runtime.settings.secret_bytes()
    if secret is not None:
        given = request.args.get("token") or request.headers.get("X-Warden-Token") or ""
        if not hmac.compare_digest(given.encode("utf-8"), secret):
            return error(401, "bad_token", "missing or wrong token (?token= in the webhook URL)")
    data, failed = _decode(body)
    if failed is not None:
        return failed
    try:
        dh_payload(data)
    except PayloadError as exc:
        return error(422, "bad_payload", str(exc))
    # django-helpdesk sends no delivery id; a follow-up's body differs from every other.
    return _keep(runtime, delivery_id_for(None, body), body)


def _read_body() -> bytes:
    """The request body; a 413 (not a silently cut body) when a body without a length
    (chunked) runs past ``MAX_CONTENT_LENGTH``.

    Werkzeug stops a streamed body at the limit without a word; reading one byte more
    makes it raise RequestEntityTooLarge. waitress refuses such bodies itself; this
    covers gunicorn.
    """
    body = request.get_data(cache=False)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and limit is not None and len(body) >= limit:
        request.stream.read(1)
    return body


def _decode(body: bytes) -> tuple[Any, tuple[Response, int] | None]:
    """The JSON of a body, or the 400 answer saying why it is not JSON."""
    try:
        return json.loads(body), None
    except (ValueError, UnicodeDecodeError) as exc:
        return None, error(400, "bad_json", f"the body is not JSON: {exc}")
    except RecursionError:
        return None, error(400, "bad_json", "the body is JSON nested too deeply")


def _keep(runtime: Runtime, delivery: str, body: bytes) -> tuple[Response, int]:
    """Keep and queue a delivery; 202, or 200 for a duplicate."""
    if not runtime.submit(delivery, body):
        return _counted("duplicate", {"status": "duplicate", "delivery": delivery})
    return _counted("accepted", {"status": "accepted", "delivery": delivery}, 202)


def _counted(outcome: str, body: dict[str, str], status: int = 200) -> tuple[Response, int]:
    _runtime().metrics.webhooks.labels(outcome).inc()
    return jsonify(body), status


@bp.get("/decisions")
def decisions() -> tuple[Response, int]:
    """Recent decisions, newest first: customers' names, addresses and replies, so only
    for the admin (bearer token, or the console's session)."""
    runtime = _runtime()
    if not admin_allowed():
        if admin_token() is None:
            return error(403, "forbidden", "set WARDEN_ADMIN_TOKEN to read decisions")
        return error(401, "unauthorized", "send 'Authorization: Bearer <WARDEN_ADMIN_TOKEN>'")
    limit = request.args.get("limit", "50")
    if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= MAX_LISTED:
        return error(400, "bad_limit", f"limit must be a whole number from 1 to {MAX_LISTED}")
    return jsonify({"dry_run": runtime.dry_run, "decisions": runtime.store.recent(int(limit))}), 200


@bp.get("/healthz")
def health() -> tuple[Response, int]:
    """Liveness: the process answers. Also the backlog and the events given up on."""
    runtime = _runtime()
    return jsonify(
        {
            "status": "ok",
            "dry_run": runtime.dry_run,
            "pending": len(runtime.store.pending()),
            "dead": runtime.store.dead_count(),
        }
    ), 200


@bp.get("/readyz")
def ready() -> tuple[Response, int]:
    """Readiness from the last background check: answers at once whatever the helpdesk
    does. Anonymous callers learn which part is failing, not its address or error."""
    problems = _runtime().readiness_problems()
    if not problems:
        return jsonify({"status": "ready"}), 200
    if not admin_allowed():
        problems = sorted({problem.split(":", 1)[0] + ": not ready" for problem in problems})
    return jsonify({"status": "unready", "problems": problems}), 503


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text exposition of this process's metrics."""
    return Response(_runtime().metrics.exposition(), mimetype=CONTENT_TYPE_LATEST)


def _http_error(exc: HTTPException) -> tuple[Response | str, int]:
    status = exc.code or 500
    if is_console_request():
        return console_error(status, exc.name or "error", exc.description or "")
    code = (exc.name or "error").lower().replace(" ", "_")
    return error(status, code, exc.description or exc.name or "error")


def _unexpected(exc: Exception) -> tuple[Response | str, int]:
    log.exception("unexpected error on %s %s", request.method, request.path, exc_info=exc)
    message = "internal error; the server log has the details"
    if is_console_request():
        return console_error(500, "Internal error", message)
    return error(500, "internal_error", message)


def create_app(
    settings: Settings, runtime: Runtime | None = None, *, open_demo: bool = False
) -> Flask:
    """The receiver and the admin console; raises SettingsError when it must not start.

    ``open_demo`` (only for the loopback demo without a helpdesk, see
    ``Settings.is_open_demo``) accepts unsigned webhooks; otherwise webhooks need the
    secret. Decisions and the console always need the admin token: the demo without
    one makes one and keeps it in a file only its owner can read.
    """
    settings.check_can_serve(open_demo=open_demo)
    app = Flask("ticket-warden")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config[OPEN_DEMO] = open_demo
    app.json.sort_keys = False  # type: ignore[attr-defined]
    runtime = runtime or build_runtime(settings)
    app.extensions[EXTENSION] = runtime
    token, token_file = settings.admin_bytes(), None
    if token is None and open_demo:
        token_path = demo_token_path(settings)
        token, token_file = demo_token(token_path).encode("utf-8"), str(token_path)
    app.config[TOKEN_FILE] = token_file
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.register_blueprint(bp)
    # Webhooks are signed (or carry the secret), not forms: no CSRF token on them.
    install_console(app, runtime, token=token, token_file=token_file).exempt(bp)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    # An unknown trailing slash is a 404, never a redirect: Zammad counts redirects as failures.
    app.url_map.strict_slashes = True
    return app


def create_app_from_environment(**overrides: Any) -> Flask:
    """The receiver configured from WARDEN_* variables (for gunicorn's app factory).

    gunicorn may listen anywhere, so this is never the open demo: webhooks need the
    secret, decisions the admin token.
    """
    settings = Settings(**overrides)
    configure_logging(settings.log_format)
    return create_app(settings)
