"""Times as helpdesk APIs write them: ISO 8601, often with "Z", sometimes without a zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def aware(moment: datetime | None) -> datetime | None:
    """``moment`` with a zone; a bare time is taken as UTC (what the APIs store)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def parse_api_time(value: Any) -> datetime | None:
    """An API datetime ("2026-03-03T17:00:00.000Z") as an aware datetime; None if empty or bad."""
    if not value:
        return None
    try:
        return aware(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None
