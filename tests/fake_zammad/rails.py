"""JSON as Zammad's Rails encodes it, and its time format.

ActiveSupport's encoder (``escape_html_entities_in_json = true``, not overridden
in Zammad's ``config/application.rb``) writes ``<``, ``>`` and ``&`` as
``\\u003c``, ``\\u003e`` and ``\\u0026``, and U+2028/U+2029 escaped; times are
ISO 8601 in UTC with three decimals (``time_precision = 3``). Webhook bodies are
signed over exactly these bytes (``lib/user_agent.rb``, ``set_signature``).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def time(moment: datetime) -> str:
    """``2026-03-03T15:00:00.000Z``: a Zammad time as its JSON carries it."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    """A time as a client sends it (``Z`` or an offset); naive means UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def dumps(value: Any) -> bytes:
    """The bytes Rails' ``to_json`` gives for ``value`` (UTF-8, HTML entities escaped)."""
    text = json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in _ESCAPES.items():
        text = text.replace(raw, escaped)
    return text.encode("utf-8")
