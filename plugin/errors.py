"""Every exception ticket-warden raises, in one tree.

``WardenError`` is the root. Bad input (a policy, a payload, a signature,
settings) derives from ``ValueError`` too; helpdesk failures keep the HTTP
status and the helpdesk's own message. Each is raised ``from`` its cause.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class WardenError(Exception):
    """Root of ticket-warden's exceptions."""


@dataclass(frozen=True)
class Problem:
    """One mistake in a policy file: where it is and what is wrong."""

    source: str
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class PolicyError(WardenError, ValueError):
    """A policy file that cannot be used; ``problems`` lists every mistake found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


class CalendarError(WardenError, ValueError):
    """The calendar cannot answer: it has no open time, or a moment is naive."""


class TemplateCheckError(WardenError, ValueError):
    """A template that does not compile or uses a name it is not given."""


class PayloadError(WardenError, ValueError):
    """A payload that is not a helpdesk's webhook payload; the message says what is wrong."""

    @classmethod
    def first_of(cls, errors: Sequence[Mapping[str, Any]]) -> PayloadError:
        """One line from pydantic's error list: where the first problem is, what, how many more."""
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"])
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return cls(f"{where}: {first['msg']}{more}")


class SignatureError(WardenError, ValueError):
    """The request is not signed with our secret: missing, malformed or wrong signature."""


class SettingsError(WardenError, ValueError):
    """Settings that cannot run: e.g. live mode without a webhook secret."""


class HelpdeskError(WardenError):
    """The helpdesk answered with an error; ``status`` and its own message are kept."""

    def __init__(self, status: int, message: str, *, method: str = "", path: str = "") -> None:
        self.status = status
        self.message = message
        self.method = method
        self.path = path
        where = f"{method} {path} " if method else ""
        super().__init__(f"{where}failed with HTTP {status}: {message}")


class HelpdeskRefusedError(HelpdeskError):
    """The helpdesk refused a write for good, whatever status it answered with.

    Zammad answers HTTP 500 to an email reply on a ticket whose group has no email
    address (``adds_metadata_email.rb``): sending it again would fail again.
    """


class HelpdeskRateLimitError(HelpdeskError):
    """HTTP 429: the helpdesk asked us to wait ``retry_after`` seconds (None if it did not say)."""

    def __init__(self, retry_after: float | None, message: str, **where: str) -> None:
        self.retry_after = retry_after
        super().__init__(429, message, **where)


class HelpdeskUnavailableError(WardenError):
    """The helpdesk could not be reached, or kept failing, within the retry budget.

    ``uncertain`` says that a write may still take effect: the request was sent
    but its answer never came (a read timeout, a dropped connection).
    """

    def __init__(self, message: str, *, uncertain: bool = False) -> None:
        self.uncertain = uncertain
        super().__init__(message)
