"""The console's credential: WARDEN_ADMIN_TOKEN, exchanged at a login form for a session.

The session is Flask's signed cookie, ``HttpOnly`` and ``SameSite=Strict``,
``Secure`` whenever the request came over HTTPS (or always, with
WARDEN_ADMIN_SECURE_COOKIE). Its signing key is derived from the admin token, so
every replica signs alike and changing the token signs everybody out. Scripts
send the token itself as ``Authorization: Bearer``; forms carry a CSRF token
(Flask-WTF), checked on every POST but the webhooks'.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import deque
from datetime import timedelta
from pathlib import Path

from flask import Flask, Request, current_app, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from plugin.settings import Settings

# Names of app.config keys, not secrets.
ADMIN_TOKEN = "WARDEN_ADMIN_TOKEN_BYTES"  # noqa: S105
TOKEN_FILE = "WARDEN_ADMIN_TOKEN_FILE"  # noqa: S105
SESSION_LIFETIME = timedelta(hours=8)
COOKIE_NAME = "warden_admin"
# The open demo's generated token lives beside its SQLite store, readable by its owner only.
DEMO_TOKEN_NAME = "admin-token"  # noqa: S105 - a file name
# Failed logins allowed from one address in a window before it must wait.
LOGIN_FAILURES = 5
LOGIN_WINDOW_SECONDS = 300.0


class _ConsoleSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, ``Secure`` when the request was HTTPS."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # A request without cookies (every webhook) starts an empty session without
        # parsing a header or building the signing serializer.
        if "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def session_key(token: bytes) -> bytes:
    """The cookie-signing key: the admin token's HMAC, never the token itself."""
    return hmac.new(token, b"ticket-warden admin console session", hashlib.sha256).digest()


def configure_sessions(app: Flask, token: bytes | None, *, secure_cookie: bool) -> None:
    """Sessions and CSRF keys for ``app``; without a token, a random key signs nothing
    that can sign anyone in."""
    app.config[ADMIN_TOKEN] = token
    app.config["SECRET_KEY"] = session_key(token) if token else secrets.token_bytes(32)
    app.config["SESSION_COOKIE_NAME"] = COOKIE_NAME
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    app.config["SESSION_COOKIE_SECURE"] = secure_cookie
    app.config["SESSION_COOKIE_PATH"] = "/"
    app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME
    # A form's CSRF token lasts as long as the session that carries it.
    app.config["WTF_CSRF_TIME_LIMIT"] = int(SESSION_LIFETIME.total_seconds())
    app.session_interface = _ConsoleSessions()


def admin_token() -> bytes | None:
    token: bytes | None = current_app.config.get(ADMIN_TOKEN)
    return token


def token_matches(given: str) -> bool:
    """Whether ``given`` is the admin token (constant time); never with no token set."""
    token = admin_token()
    return token is not None and hmac.compare_digest(given.encode("utf-8"), token)


def signed_in() -> bool:
    """A console session signed with the current token."""
    return admin_token() is not None and session.get("admin") is True


def bearer_allowed() -> bool:
    """``Authorization: Bearer <WARDEN_ADMIN_TOKEN>``, for scripts."""
    given = request.headers.get("Authorization", "")
    return given.startswith("Bearer ") and token_matches(given.removeprefix("Bearer "))


def admin_allowed() -> bool:
    """The admin, by session cookie or bearer token."""
    return signed_in() or bearer_allowed()


def sign_in() -> None:
    """A fresh session for the admin (nothing of the anonymous one is kept)."""
    session.clear()
    session["admin"] = True
    session.permanent = True


def sign_out() -> None:
    session.clear()


class LoginThrottle:
    """At most ``failures`` wrong tokens per address per ``window`` seconds."""

    def __init__(
        self, failures: int = LOGIN_FAILURES, window: float = LOGIN_WINDOW_SECONDS
    ) -> None:
        self._failures = failures
        self._window = window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_for(self, address: str, now: float | None = None) -> float:
        """Seconds ``address`` must wait before trying again (0: it may try now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = self._recent(address, now)
            if len(recent) < self._failures:
                return 0.0
            return max(0.0, recent[0] + self._window - now)

    def failed(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._recent(address, now).append(now)

    def _recent(self, address: str, now: float) -> deque[float]:
        recent = self._seen.setdefault(address, deque())
        while recent and recent[0] <= now - self._window:
            recent.popleft()
        return recent


def demo_token_path(settings: Settings) -> Path:
    """Where the open demo keeps its generated admin token: beside the SQLite store."""
    folder = Path("var") if settings.uses_redis else Path(settings.store).parent
    return folder / DEMO_TOKEN_NAME


def demo_token(path: Path) -> str:
    """The token kept in ``path``, made (owner-readable only) the first time."""
    if path.exists():
        kept = path.read_text("utf-8").strip()
        if kept:
            return kept
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    return token
