"""Log set-up: plain text for people, or one JSON object per line for log pipelines.

Lines about a delivery carry its ``delivery`` and ``ticket`` ids (as ``extra``);
no secret is ever passed to a logger (the client logs method and path only).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

CONTEXT_FIELDS = ("delivery", "ticket")
# Query parameters that carry credentials (django-helpdesk's webhook URL has ?token=).
_SECRET_PARAMETER = re.compile(
    r"(?i)((?:^|[?&;\s])(?:token|secret|password|api_key|access_token)=)[^&;\s\"']*"
)
# Colour codes some servers put in their log lines.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with query-string credentials (``token=...``) and colour codes removed."""
    return _SECRET_PARAMETER.sub(lambda m: m[1] + REDACTED, _ANSI.sub("", text))


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "delivery"?, "ticket"?, "error"?}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    """Plain text lines with query-string credentials removed."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(log_format: str = "text", level: int = logging.INFO) -> None:
    """Send logs to stderr in the chosen format (replacing earlier handlers)."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
