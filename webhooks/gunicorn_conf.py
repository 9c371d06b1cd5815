"""gunicorn settings for the receiver on several processes (README, "Running in production").

    gunicorn -c python:webhooks.gunicorn_conf -b 0.0.0.0:8000 \
        'webhooks:create_app_from_environment()'

Its access log (when an admin turns it on with ``--access-logfile``) never carries a
credential: django-helpdesk's webhook URL holds the secret as ``?token=``, so every
field of a line is redacted, whatever ``--access-logformat`` says. gunicorn's sync
workers should sit behind a buffering proxy (its docs); ``ticket-warden serve``
needs none.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from plugin.logs import REDACTED, redact

# Headers that carry credentials when a client sends them.
SECRET_HEADERS = ("{authorization}i", "{x-warden-token}i", "{cookie}i")


class RedactingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger with credentials removed from access-log fields and messages."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key in SECRET_HEADERS:
                atoms[key] = REDACTED
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        super().error(redact(str(msg)), *args, **kwargs)


logger_class = RedactingLogger
timeout = 30  # Zammad waits 30 s for an answer; the route answers in milliseconds
keepalive = 5
limit_request_line = 8190
limit_request_fields = 100
