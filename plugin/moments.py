"""Times as helpdesk APIs write them: ISO 8601, often with "Z", sometimes without a zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator

# A helpdesk time outside these years is a mistake or an attack: a due date computed
# from it would overflow the calendar (year 9999 plus a few hours).
FIRST_YEAR, LAST_YEAR = 1970, 2199


def plausible(moment: datetime) -> datetime:
    """``moment`` when its year is one a helpdesk can hold; raises ValueError otherwise."""
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(
            f"{moment.isoformat()} is not a plausible time (years {FIRST_YEAR} to {LAST_YEAR})"
        )
    return moment


# A payload's datetime field, refused (422 at the receiver) when implausible.
PlausibleTime = Annotated[datetime, AfterValidator(plausible)]


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
        return aware(plausible(datetime.fromisoformat(str(value).replace("Z", "+00:00"))))
    except ValueError:
        return None
