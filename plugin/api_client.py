"""One JSON-over-HTTP client for helpdesk REST APIs: timeouts, retries, our own errors.

Each helpdesk client (Zammad, django-helpdesk) subclasses it with its
authentication and endpoints. Every call has a timeout; tenacity retries what
may pass (connection errors, 429 honouring Retry-After, 5xx) with jittered
exponential backoff and a bounded total. Other 4xx become ``HelpdeskError``
with the status and the helpdesk's own message. A request that may already
have had its effect (a POST that timed out or got a 5xx) is not retried here:
the caller re-reads and decides. Credentials never appear in an error message
or a log line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, TypedDict, Unpack

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from plugin.errors import HelpdeskError, HelpdeskRateLimitError, HelpdeskUnavailableError

log = logging.getLogger(__name__)

JSON = Any
_MAX_RETRY_AFTER = 60.0


class _ServerStatusError(Exception):
    """A 5xx answer, raised inside the retry loop only."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"HTTP {status}: {message}")


def _error_text(response: requests.Response) -> str:
    """Zammad's own words for an error: ``error_human``, else ``error``, else the reason."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        for key in ("error_human", "error"):
            if body.get(key):
                return str(body[key])
    return response.reason or "no reason given"


def _maybe_sent(exc: requests.RequestException) -> bool:
    """Whether the request may have reached the server (so a write may still happen)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    text = str(exc)
    return not any(sign in text for sign in ("NewConnectionError", "Connection refused"))


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), _MAX_RETRY_AFTER)
    except ValueError:
        return None  # An HTTP-date: rare for APIs; fall back to our own backoff.


class ClientOptions(TypedDict, total=False):
    """Tuning every helpdesk client takes, passed through to JsonApiClient."""

    timeout: float
    max_attempts: int
    max_total_seconds: float
    sleep: Callable[[float], None]
    # Told of every HTTP attempt: method, path, status (or error type), seconds.
    on_call: Callable[[str, str, str, float], None] | None


class JsonApiClient:
    """Requests to one helpdesk API; raises HelpdeskError and HelpdeskUnavailableError."""

    def __init__(
        self,
        base_url: str,
        auth_headers: Mapping[str, str],
        session: requests.Session,
        *,
        service: str,
        **options: Unpack[ClientOptions],
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.service = service
        self._session = session
        self._headers = {
            **auth_headers,
            "Accept": "application/json",
            "User-Agent": "ticket-warden",
        }
        self._timeout = options.get("timeout", 10.0)
        self._max_attempts = options.get("max_attempts", 5)
        self._max_total_seconds = options.get("max_total_seconds", 60.0)
        self._sleep = options.get("sleep", time.sleep)
        self._backoff = wait_random_exponential(multiplier=0.5, max=10)
        self._on_call = options.get("on_call")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"  # never the credentials

    def get(self, path: str) -> JSON:
        """GET any API path (it may carry a query string)."""
        return self._request("GET", path)

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> JSON:
        """Any API call, e.g. for admin objects."""
        return self._request(method, path, json=dict(body) if body is not None else None)

    # -- the one request method ------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: JSON = None,
        idempotent: bool | None = None,
    ) -> JSON:
        """One API call with retries; the decoded JSON body (None when empty)."""
        safe_to_repeat = method in {"GET", "PUT", "DELETE"} if idempotent is None else idempotent
        started = time.monotonic()

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, HelpdeskRateLimitError):
                return True  # Not processed: always safe to send again.
            if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError):
                return True  # Never reached the server.
            if isinstance(exc, requests.ConnectionError | requests.Timeout | _ServerStatusError):
                return safe_to_repeat
            return False

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, HelpdeskRateLimitError) and exc.retry_after is not None:
                delay = exc.retry_after
            else:
                delay = self._backoff(state)
            # Never sleep past the total budget.
            left = self._max_total_seconds - (time.monotonic() - started)
            return max(0.0, min(delay, left))

        retrying = Retrying(
            retry=retry_if_exception(retryable),
            wait=wait,
            stop=stop_after_attempt(self._max_attempts) | stop_after_delay(self._max_total_seconds),
            sleep=self._sleep,
            reraise=True,
            before_sleep=lambda state: log.warning(
                "%s %s %s failed (attempt %d): %s; retrying",
                self.service,
                method,
                path,
                state.attempt_number,
                state.outcome.exception() if state.outcome else "",
            ),
        )
        try:
            return retrying(self._send, method, path, params, json)
        except _ServerStatusError as exc:
            raise HelpdeskError(exc.status, exc.message, method=method, path=path) from exc
        except requests.RequestException as exc:
            reason = type(exc).__name__
            raise HelpdeskUnavailableError(
                f"{method} {path}: {self.service} at {self.base_url} unreachable ({reason})",
                uncertain=not safe_to_repeat and _maybe_sent(exc),
            ) from exc

    def _observe(self, method: str, path: str, status: str, started: float) -> None:
        if self._on_call is not None:
            self._on_call(method, path, status, time.perf_counter() - started)

    def _send(self, method: str, path: str, params: Mapping[str, str] | None, body: JSON) -> JSON:
        started = time.perf_counter()
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                params=params,
                json=body,
                headers=self._headers,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            self._observe(method, path, type(exc).__name__, started)
            raise
        self._observe(method, path, str(response.status_code), started)
        status = response.status_code
        if status == 429:
            raise HelpdeskRateLimitError(
                _retry_after(response), _error_text(response), method=method, path=path
            )
        if status >= 500:
            raise _ServerStatusError(status, _error_text(response))
        if status >= 300:
            raise HelpdeskError(status, _error_text(response), method=method, path=path)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise HelpdeskError(status, "answer is not JSON", method=method, path=path) from exc
