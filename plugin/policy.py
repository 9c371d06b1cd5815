"""The policy file: a validated model of the YAML an admin writes (SPEC §5).

A policy file is merged over the built-in ``xstore`` policy, so every key has a
default. Every mistake is reported with its key path and its line in the file,
all at once, so an admin can fix a file in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from plugin.business_hours import BusinessCalendar, closed_days
from plugin.errors import CalendarError, PolicyError, Problem
from plugin.names import Clock, Flag
from plugin.templating import CompiledTemplates, compile_templates

BUILTIN_POLICY = "xstore"
# Top-level sections merged key by key over the built-in policy; all others replace.
MERGED_SECTIONS = frozenset({"tiers", "tags", "templates", "links", "needs_info"})
_TIME = re.compile(r"^(\d{2}):(\d{2})$")


# -- field types -------------------------------------------------------------


def _minutes(text: str) -> int:
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a time of the form HH:MM")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"'{text}' is not a valid time (00:00 to 24:00)")
    return hours * 60 + minutes


def _parse_interval(value: Any) -> tuple[int, int]:
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(f"{value!r} is not an interval of the form HH:MM-HH:MM")
    start_text, end_text = value.split("-")
    start, end = _minutes(start_text), _minutes(end_text)
    if end <= start:
        raise ValueError(f"'{value}' ends before it starts (an interval cannot cross midnight)")
    return start, end


def _no_overlap(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    ordered = sorted(intervals)
    for (_, first_end), (second_start, _) in pairwise(ordered):
        if second_start < first_end:
            raise ValueError("intervals overlap: " + ", ".join(_interval_text(i) for i in ordered))
    return ordered


def _interval_text(interval: tuple[int, int]) -> str:
    (start_h, start_m), (end_h, end_m) = divmod(interval[0], 60), divmod(interval[1], 60)
    return f"{start_h:02d}:{start_m:02d}-{end_h:02d}:{end_m:02d}"


def _lower(value: str) -> str:
    return value.strip().lower()


Interval = Annotated[tuple[int, int], BeforeValidator(_parse_interval)]
DayHours = Annotated[list[Interval], AfterValidator(_no_overlap)]
Lowered = Annotated[str, AfterValidator(_lower)]


class Weekday(StrEnum):
    """Weekday keys of ``office_hours``."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """Monday = 0, as ``datetime.weekday()`` counts."""
        return list(Weekday).index(self)


def _defined_tier(tier: str, info: ValidationInfo) -> str:
    """``tier`` if the policy being validated defines it (names passed as context)."""
    defined = (info.context or {}).get("tiers")
    if defined is not None and tier not in defined:
        raise ValueError(f"tier '{tier}' is not defined (tiers: {', '.join(sorted(defined))})")
    return tier


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)


# -- sections ----------------------------------------------------------------


class HolidayRules(_Strict):
    """Public holidays of one country plus the office's own closures and openings."""

    country: str | None
    subdivision: str | None = None
    add: list[date] = Field(default_factory=list)
    remove: list[date] = Field(default_factory=list)

    @field_validator("country")
    @classmethod
    def _known_country(cls, country: str | None) -> str | None:
        if country is not None and country.upper() not in holidays_lib.list_supported_countries():
            raise ValueError(f"'{country}' is not a country code the holidays package knows")
        return country.upper() if country else None

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, subdivision: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")
        if subdivision is None or not country:
            return subdivision
        known = holidays_lib.list_supported_countries().get(country, [])
        if subdivision.upper() not in known:
            raise ValueError(f"'{subdivision}' is not a subdivision of {country}")
        return subdivision.upper()


class Links(_Strict):
    """Pages every guidance reply points to."""

    efficient_request: str
    terms: str

    @field_validator("efficient_request", "terms")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not re.match(r"^https?://[^\s/]+", url):
            raise ValueError(f"'{url}' is not an http(s) URL")
        return url


class ResponseTime(_Strict):
    """How long a tier may take, counted on which clock."""

    hours: float = Field(gt=0, le=24 * 366)
    clock: Clock

    @property
    def duration(self) -> timedelta:
        return timedelta(hours=self.hours)


class TierPriorities(_Strict):
    """Helpdesk priority names a tier's decisions set."""

    priority_request: str = "3 high"
    normal: str = "2 normal"
    project: str = "1 low"


class Tier(_Strict):
    """A support tier: its response times, guarantee and helpdesk priorities."""

    label: str
    tag: str | None = None
    guaranteed: bool
    priority_requests: bool = True
    priority: ResponseTime
    normal: ResponseTime
    # Move a due date that falls in closed time forward to the next opening.
    snap_to_office_hours: bool = False
    priorities: TierPriorities = Field(default_factory=TierPriorities)


class Client(_Strict):
    """A known client, matched by organization name, email domain or email address."""

    name: str
    tier: str
    organizations: list[Lowered] = Field(default_factory=list)
    domains: list[Lowered] = Field(default_factory=list)
    emails: list[Lowered] = Field(default_factory=list)
    response_hours: float | None = Field(default=None, gt=0, le=24 * 366)

    @field_validator("tier")
    @classmethod
    def _tier_exists(cls, tier: str, info: ValidationInfo) -> str:
        return _defined_tier(tier, info)

    @model_validator(mode="after")
    def _matches_something(self) -> Client:
        if not (self.organizations or self.domains or self.emails):
            raise ValueError(f"client '{self.name}' has no organizations, domains or emails")
        return self


class TurnAway(_Strict):
    """What happens to a request that came by a blocked channel or address."""

    close: bool = True


class NeedsInfo(_Strict):
    """Word counts that decide whether a message is too thin to act on."""

    min_words: int = Field(ge=0)
    enough_words: int = Field(ge=1)


class Templates(_Strict):
    """Jinja2 texts: the reply subject and HTML body, one paragraph per reason, the note."""

    reply_subject: str
    reply_body: str
    reasons: dict[Flag, str]
    note: str


# -- the policy --------------------------------------------------------------


class Policy(_Strict):
    """A whole support policy, validated; derived helpers are built once and cached."""

    name: str
    company: str
    language: str = "en"
    timezone: str
    office_hours: dict[Weekday, DayHours]
    holidays: HolidayRules
    ticket_addresses: list[Lowered]
    priority_addresses: list[Lowered] = Field(default_factory=list)
    allowed_channels: list[Lowered] = Field(min_length=1)
    replyable_channels: list[Lowered] = Field(default_factory=list)
    priority_markers: list[Lowered] = Field(default_factory=list)
    links: Links
    tiers: dict[str, Tier] = Field(min_length=1)
    default_tier: str
    organization_tier_attribute: str | None = None
    due_date_attribute: str = "sla_due_at"
    clients: list[Client] = Field(default_factory=list)
    tags: dict[Flag, str]
    turn_away: TurnAway = Field(default_factory=TurnAway)
    needs_info: NeedsInfo
    # django-helpdesk's priorities are 1 (critical) to 5 (very low): the number
    # each priority name above is written as there.
    django_helpdesk_priorities: dict[str, Annotated[int, Field(ge=1, le=5)]] = Field(
        default_factory=lambda: {"3 high": 2, "2 normal": 3, "1 low": 4}
    )
    templates: Templates

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"'{name}' is not an IANA time zone") from exc
        return name

    @field_validator("office_hours")
    @classmethod
    def _some_open_time(cls, hours: dict[Weekday, DayHours]) -> dict[Weekday, DayHours]:
        if not any(hours.values()):
            raise ValueError("office hours must have at least one open interval")
        return hours

    @field_validator("default_tier")
    @classmethod
    def _default_tier_exists(cls, tier: str, info: ValidationInfo) -> str:
        return _defined_tier(tier, info)

    @field_validator("templates")
    @classmethod
    def _templates_render(cls, templates: Templates) -> Templates:
        compile_templates(
            templates.reply_subject,
            templates.reply_body,
            {str(flag): text for flag, text in templates.reasons.items()},
            templates.note,
        )
        return templates

    # -- derived helpers, built once ------------------------------------------

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def calendar(self) -> BusinessCalendar:
        """The office-hours calendar; raises ``PolicyError`` if it has no open time."""
        weekly = {day.number: intervals for day, intervals in self.office_hours.items()}
        rules = self.holidays
        try:
            closed = closed_days(rules.country, rules.subdivision, rules.add, rules.remove)
            return BusinessCalendar(self.zone, weekly, closed)
        except CalendarError as exc:
            raise PolicyError([Problem("policy", "holidays", None, str(exc))]) from exc

    @cached_property
    def compiled_templates(self) -> CompiledTemplates:
        t = self.templates
        reasons = {str(flag): text for flag, text in t.reasons.items()}
        return compile_templates(t.reply_subject, t.reply_body, reasons, t.note)

    @cached_property
    def priority_marker_pattern(self) -> re.Pattern[str] | None:
        if not self.priority_markers:
            return None
        words = "|".join(re.escape(marker) for marker in self.priority_markers)
        return re.compile(rf"(?<!\w)({words})(?!\w)", re.IGNORECASE)

    def tag(self, flag: Flag) -> str:
        """The helpdesk tag written for ``flag``."""
        return self.tags.get(flag, flag.value)

    def tier_tag(self, tier_name: str) -> str:
        """The helpdesk tag of a tier: its own ``tag``, else ``sla-<name>`` or the name."""
        tier = self.tiers[tier_name]
        if tier.tag:
            return tier.tag
        return f"sla-{tier_name}" if tier.guaranteed else tier_name

    def summary(self) -> str:
        """A few lines an admin can read to see what the policy does."""
        hours = ", ".join(
            f"{day.value} {' '.join(_interval_text(i) for i in intervals)}"
            for day, intervals in self.office_hours.items()
            if intervals
        )
        tiers = "; ".join(
            f"{name}: priority {tier.priority.hours:g} h {tier.priority.clock}, "
            f"other {tier.normal.hours:g} h {tier.normal.clock}"
            + ("" if tier.guaranteed else " (target)")
            for name, tier in self.tiers.items()
        )
        country = self.holidays.country or "none"
        return "\n".join(
            [
                f"policy '{self.name}' for {self.company}: OK",
                f"time zone {self.timezone}; office hours {hours}",
                f"public holidays: {country}, {len(self.holidays.add)} extra closure(s), "
                f"{len(self.holidays.remove)} removed",
                f"ticket addresses: {', '.join(self.ticket_addresses) or 'any'}; "
                f"allowed channels: {', '.join(self.allowed_channels)}",
                f"tiers: {tiers}; default tier {self.default_tier}",
                f"clients: {len(self.clients)}",
            ]
        )


# -- loading -----------------------------------------------------------------


def builtin_policy_text(name: str = BUILTIN_POLICY) -> str:
    """The YAML text of a policy shipped inside the package."""
    return resources.files("plugin.policies").joinpath(f"{name}.yaml").read_text("utf-8")


def load_policy(path: str | Path | None = None) -> Policy:
    """Load ``path`` merged over the built-in policy (or the built-in alone); raises PolicyError."""
    base = _parse_yaml(builtin_policy_text(), f"<built-in {BUILTIN_POLICY}>")
    if path is None:
        return _validate(base.data, base)
    source = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([Problem(source, "", None, f"cannot read the file: {exc}")]) from exc
    document = _parse_yaml(text, source)
    return _validate(merge_over(base.data, document.data), document)


def load_policy_text(text: str, source: str = "<policy>") -> Policy:
    """Like ``load_policy`` for YAML text already in memory."""
    base = _parse_yaml(builtin_policy_text(), f"<built-in {BUILTIN_POLICY}>")
    document = _parse_yaml(text, source)
    return _validate(merge_over(base.data, document.data), document)


def merge_over(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: top-level keys replace, MERGED_SECTIONS merge per key."""
    merged = dict(base)
    for key, value in override.items():
        if (
            key in MERGED_SECTIONS
            and isinstance(value, Mapping)
            and isinstance(base.get(key), Mapping)
        ):
            section = dict(base[key])
            for inner_key, inner_value in value.items():
                if inner_key == "reasons" and isinstance(inner_value, Mapping):
                    section[inner_key] = {**section.get(inner_key, {}), **inner_value}
                else:
                    section[inner_key] = inner_value
            merged[key] = section
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class _Document:
    """Parsed YAML with the line of every key path, for error locations."""

    source: str
    data: dict[str, Any]
    lines: dict[tuple[str | int, ...], int]


def _parse_yaml(text: str, source: str) -> _Document:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PolicyError([Problem(source, "", line, f"not valid YAML: {problem}")]) from exc
    except RecursionError as exc:
        raise PolicyError([Problem(source, "", None, "YAML nested too deeply")]) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError([Problem(source, "", 1, "a policy must be a mapping of keys to values")])
    lines: dict[tuple[str | int, ...], int] = {}
    duplicates: list[Problem] = []
    if root is not None:
        for path, line, duplicate in _walk(root, ()):
            if duplicate:
                duplicates.append(Problem(source, _path_text(path), line, "duplicate key"))
            lines.setdefault(path, line)
    if duplicates:
        raise PolicyError(duplicates)
    return _Document(source, data, lines)


def _walk(
    node: yaml.Node, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], int, bool]]:
    """Every key path below ``node`` with its 1-based line and whether it repeats a key."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            yield child, key_node.start_mark.line + 1, key in seen
            seen.add(key)
            yield from _walk(value_node, child)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            yield child, item.start_mark.line + 1, False
            yield from _walk(item, child)


def _path_text(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _validate(data: dict[str, Any], document: _Document) -> Policy:
    tiers = data.get("tiers")
    context = {"tiers": set(tiers) if isinstance(tiers, Mapping) else None}
    try:
        return Policy.model_validate(data, context=context)
    except ValidationError as exc:
        raise PolicyError([_problem(error, document) for error in exc.errors()]) from exc


def _problem(error: Any, document: _Document) -> Problem:
    path = tuple(part for part in error["loc"] if part != "[key]")
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    return Problem(document.source, _path_text(path), _line_of(path, document.lines), message)


def _line_of(path: tuple[Any, ...], lines: Mapping[tuple[Any, ...], int]) -> int | None:
    """The line of the deepest prefix of ``path`` that the file names."""
    for end in range(len(path), 0, -1):
        line = lines.get(tuple(str(p) if not isinstance(p, int) else p for p in path[:end]))
        if line is not None:
            return line
    return None
