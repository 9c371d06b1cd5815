"""The policy file: a validated model of the YAML an admin writes (SPEC §5).

A policy file is merged over the built-in ``xstore`` policy, so every key has a
default. Every mistake is reported with its key path and its line in the file,
all at once, so an admin can fix a file in one pass.

A policy file is untrusted input to ``check`` (it may run in CI on a proposed
change): its size and the values its YAML aliases expand to are bounded before
anything walks or validates it, and its templates render sandboxed.
"""

from __future__ import annotations

import os
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
from pydantic_core import PydanticCustomError

from plugin.business_hours import BusinessCalendar, closed_days
from plugin.errors import CalendarError, PolicyError, Problem
from plugin.language.phrases import PhraseSet, builtin_phrases, phrase_pattern
from plugin.names import Clock, Flag
from plugin.sla.clock import OnAnswer, WaitingRules
from plugin.templating import CompiledTemplates, compile_templates

BUILTIN_POLICY = "xstore"
# Top-level sections merged key by key over the built-in policy; all others replace.
MERGED_SECTIONS = frozenset({"tiers", "tags", "templates", "links", "needs_info", "phrases"})
_TIME = re.compile(r"^(\d{2}):(\d{2})$")
# A policy is a few KB (the built-in one 6 KB; a thousand clients about 150 KB). These
# bound what a hostile or broken file can cost: a 315-byte alias bomb once took 41 s
# and 3 GB, a 50 MB file 271 s and 3.9 GB. A 1 MiB file of clients is about 95,000
# values; past these limits parsing stops at once.
MAX_POLICY_BYTES = 1024 * 1024
MAX_POLICY_VALUES = 100_000
# The number django-helpdesk (1 critical .. 5 very low) is given for each priority name.
DJANGO_HELPDESK_PRIORITIES: Mapping[str, int] = {"3 high": 2, "2 normal": 3, "1 low": 4}


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


def _mapped_priority(name: str, info: ValidationInfo) -> str:
    """``name`` if django_helpdesk_priorities gives it a number (names passed as context)."""
    mapped = (info.context or {}).get("django_helpdesk_priorities")
    if mapped is not None and name not in mapped:
        # Else django-helpdesk would be sent a number nobody chose. The built-in mapping
        # names the built-in priorities, so a Zammad-only policy meets this only for a
        # priority name it invents.
        raise PydanticCustomError(
            "unmapped_priority",
            "priority '{name}' has no number in django_helpdesk_priorities "
            "(django-helpdesk's 1 critical to 5 very low); add it there",
            {"name": name},
        )
    return name


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

    # Defaults validated too: a django_helpdesk_priorities without them is a mistake.
    priority_request: str = Field(default="3 high", validate_default=True)
    normal: str = Field(default="2 normal", validate_default=True)
    project: str = Field(default="1 low", validate_default=True)

    @field_validator("priority_request", "normal", "project")
    @classmethod
    def _django_helpdesk_knows(cls, name: str, info: ValidationInfo) -> str:
        return _mapped_priority(name, info)


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
    # From a dict, not an instance, so that the default names are validated too.
    priorities: TierPriorities = Field(default_factory=dict, validate_default=True)


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


class PhraseAdditions(_Strict):
    """A policy's own phrases for one kind, added to the built-in ones (plugin/language)."""

    sure: list[str] = Field(default_factory=list)
    maybe: list[str] = Field(default_factory=list)


class Phrases(_Strict):
    """Phrases added to the built-in meeting-request and project-work phrases."""

    meeting_request: PhraseAdditions = Field(default_factory=PhraseAdditions)
    project_task: PhraseAdditions = Field(default_factory=PhraseAdditions)


class Waiting(_Strict):
    """How the SLA clock waits for a client who owes us an answer (SPEC §2)."""

    on_answer: OnAnswer = OnAnswer.RESUME
    # Hours on the tier's clock; null: never remind, never close.
    remind_after: float | None = Field(default=16, gt=0, le=24 * 366)
    close_after: float | None = Field(default=None, gt=0, le=24 * 366)
    # The helpdesk state a waiting ticket is put in (Zammad: its SLA timers pause there),
    # and the one it returns to when the client answers.
    pending_state: str = "pending reminder"
    open_state: str = "open"

    @property
    def rules(self) -> WaitingRules:
        return WaitingRules(
            on_answer=self.on_answer,
            remind_after=_hours(self.remind_after),
            close_after=_hours(self.close_after),
        )


class Warnings(_Strict):
    """When agents are warned before an SLA is breached."""

    # The share of the target, on the tier's clock, after which ``sla-warning`` is added.
    at: float = Field(default=0.75, gt=0, lt=1)


def _hours(hours: float | None) -> timedelta | None:
    return timedelta(hours=hours) if hours is not None else None


# The paragraphs of the replies the SLA clock sends while a client owes us an answer.
REMINDER = "waiting-reminder"
CLOSING = "waiting-closed"
DEFAULT_REMINDER = (
    "We are still waiting for the details we asked for. Please reply to this message "
    "with them so that we can start on your request; until then it is on hold."
)
DEFAULT_CLOSING = (
    "As we have not heard back, we have closed this request. Reply to this message with "
    "the details we asked for and it opens again."
)


class Templates(_Strict):
    """Jinja2 texts: the reply subject and HTML body, one paragraph per reason, the note,
    and the paragraphs of the SLA clock's reminder and closing replies."""

    reply_subject: str
    reply_body: str
    reasons: dict[Flag, str]
    note: str
    reminder: str = DEFAULT_REMINDER
    closing: str = DEFAULT_CLOSING

    def paragraphs(self) -> dict[str, str]:
        """Every paragraph text by its key: the reasons, the reminder and the closing."""
        texts = {str(flag): text for flag, text in self.reasons.items()}
        return {**texts, REMINDER: self.reminder, CLOSING: self.closing}


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
    # django-helpdesk's priorities are 1 (critical) to 5 (very low): the number each
    # tier's priority names are written as there. Before the tiers, so that its own
    # mistakes are reported before the names it leaves without a number.
    django_helpdesk_priorities: dict[str, Annotated[int, Field(ge=1, le=5)]] = Field(
        default_factory=lambda: dict(DJANGO_HELPDESK_PRIORITIES)
    )
    tiers: dict[str, Tier] = Field(min_length=1)
    default_tier: str
    organization_tier_attribute: str | None = None
    due_date_attribute: str = "sla_due_at"
    clients: list[Client] = Field(default_factory=list)
    tags: dict[Flag, str]
    turn_away: TurnAway = Field(default_factory=TurnAway)
    needs_info: NeedsInfo
    phrases: Phrases = Field(default_factory=Phrases)
    waiting: Waiting = Field(default_factory=Waiting)
    warnings: Warnings = Field(default_factory=Warnings)
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
            templates.reply_subject, templates.reply_body, templates.paragraphs(), templates.note
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
        return compile_templates(t.reply_subject, t.reply_body, t.paragraphs(), t.note)

    @cached_property
    def priority_marker_pattern(self) -> re.Pattern[str] | None:
        if not self.priority_markers:
            return None
        words = "|".join(re.escape(marker) for marker in self.priority_markers)
        return re.compile(rf"(?<!\w)({words})(?!\w)", re.IGNORECASE)

    @cached_property
    def phrase_patterns(self) -> dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]]:
        """Per kind of phrase, the patterns of its sure and its maybe phrases."""
        patterns = {}
        for kind, builtin in builtin_phrases().items():
            added: PhraseAdditions = getattr(self.phrases, kind)
            phrases = builtin.extended(PhraseSet(tuple(added.sure), tuple(added.maybe)))
            patterns[kind] = (phrase_pattern(phrases.sure), phrase_pattern(phrases.maybe))
        return patterns

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
        text = _read_bounded(Path(path), source)
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([Problem(source, "", None, f"cannot read the file: {exc}")]) from exc
    document = _parse_yaml(text, source)
    return _validate(merge_over(base.data, document.data), document)


def _read_bounded(path: Path, source: str) -> str:
    """The file's text; raises PolicyError, reading no more, if it is over MAX_POLICY_BYTES."""
    with path.open(encoding="utf-8") as file:
        size = os.fstat(file.fileno()).st_size
        if size > MAX_POLICY_BYTES:
            raise PolicyError([_too_large(source, size)])
        # The size of a pipe or a device is unknown: read one character past the limit.
        return file.read(MAX_POLICY_BYTES + 1)


def _too_large(source: str, size: int) -> Problem:
    return Problem(
        source,
        "",
        None,
        f"the file is {size:,} bytes; a policy may be at most {MAX_POLICY_BYTES >> 20} MiB",
    )


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


class _Refused(yaml.YAMLError):
    """Valid YAML that the policy loader will not expand, at ``line`` (1-based)."""

    def __init__(self, event: yaml.Event, problem: str) -> None:
        super().__init__(problem)
        self.line = event.start_mark.line + 1 if event.start_mark is not None else None
        self.problem = problem


class _PolicyLoader(yaml.SafeLoader):
    """A SafeLoader that counts the values it composes, each alias as all those it repeats.

    An alias costs nothing to parse but everything to walk, merge or validate: nine
    levels of nine aliases are 9**9 values from 300 bytes ("billion laughs"). The size
    of every anchored node is remembered, so counting stays linear in the file, and
    composing stops at the value past MAX_POLICY_VALUES, or at an alias to a node that
    contains it (which would be endless).
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.values = 0
        self._anchored_sizes: dict[yaml.Node, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None:  # An undefined alias is PyYAML's own error.
                size = self._anchored_sizes.get(target)
                if size is None:
                    raise _Refused(event, "an alias inside the node it names repeats it forever")
                self._count(size, event)
            return super().compose_node(parent, index)
        before = self.values
        self._count(1, event)
        node = super().compose_node(parent, index)
        if node is not None and getattr(event, "anchor", None) is not None:
            self._anchored_sizes[node] = self.values - before
        return node

    def _count(self, values: int, event: yaml.Event) -> None:
        self.values += values
        if self.values > MAX_POLICY_VALUES:
            where = (
                "this alias brings" if isinstance(event, yaml.AliasEvent) else "this line brings"
            )
            raise _Refused(
                event,
                f"{where} the policy past {MAX_POLICY_VALUES:,} values, counting each "
                "alias as all the values it repeats (a policy has a few hundred)",
            )


def _parse_yaml(text: str, source: str) -> _Document:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_POLICY_BYTES:
        raise PolicyError([_too_large(source, size)])
    try:
        data, paths = _load_yaml(text)
    except _Refused as exc:
        raise PolicyError([Problem(source, "", exc.line, exc.problem)]) from exc
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
    for path, line, duplicate in paths:
        if duplicate:
            duplicates.append(Problem(source, _path_text(path), line, "duplicate key"))
        lines.setdefault(path, line)
    if duplicates:
        raise PolicyError(duplicates)
    return _Document(source, data, lines)


def _load_yaml(text: str) -> tuple[Any, list[tuple[tuple[str | int, ...], int, bool]]]:
    """The data in ``text`` and what ``_walk`` says of it; raises yaml.YAMLError."""
    loader = _PolicyLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, []
        # Walked before it is constructed: constructing flattens merge keys (<<) into it.
        paths = list(_walk(root, ()))
        return loader.construct_document(root), paths
    finally:
        loader.dispose()


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
    numbered = data.get("django_helpdesk_priorities", DJANGO_HELPDESK_PRIORITIES)
    context = {
        "tiers": set(tiers) if isinstance(tiers, Mapping) else None,
        "django_helpdesk_priorities": set(numbered) if isinstance(numbered, Mapping) else None,
    }
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
    line = _line_of(path, document.lines)
    if line is None and error["type"] == "unmapped_priority":
        # A built-in tier's name: the file's own mistake is the mapping it replaced.
        line = document.lines.get(("django_helpdesk_priorities",))
    return Problem(document.source, _path_text(path), line, message)


def _line_of(path: tuple[Any, ...], lines: Mapping[tuple[Any, ...], int]) -> int | None:
    """The line of the deepest prefix of ``path`` that the file names."""
    for end in range(len(path), 0, -1):
        line = lines.get(tuple(str(p) if not isinstance(p, int) else p for p in path[:end]))
        if line is not None:
            return line
    return None
