"""What ticket-warden provisions in Zammad, as data: desired objects and the plan to reach them.

Pure functions over the manifest, the policy and what Zammad holds now; the
installer does the I/O. Every key sent is a column Zammad stores: its
``param_cleanup`` drops any other key and still answers 200, so a key it does
not store would show as drift on every ``check`` (calendars and SLAs have no
``note``, webhooks no ``http_method``: db/migrate/20120101000001_create_base.rb
and 20120101000010_create_ticket.rb).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import holidays as holidays_lib

from plugin.manifest import Manifest
from plugin.names import SLA_BREACHED_TAG, SLA_WARNING_TAG, Clock, Flag
from plugin.policy import Policy, Weekday

Kind = Literal["attribute", "tag", "webhook", "trigger", "calendar", "sla", "overview"]
Action = Literal["create", "update", "unchanged", "delete"]

# Creation order: triggers need the webhook's id, SLAs the calendars' ids, the overview
# the due-date attribute it sorts by.
INSTALL_ORDER: tuple[Kind, ...] = (
    "attribute",
    "tag",
    "webhook",
    "trigger",
    "calendar",
    "sla",
    "overview",
)
PATHS: Mapping[Kind, str] = {
    "attribute": "/api/v1/object_manager_attributes",
    # Tag.tag_allowed?: with the tag_new setting off, only admin.tag may add a tag
    # that does not exist yet, so install creates them (tags_controller#admin_create).
    "tag": "/api/v1/tag_list",
    "webhook": "/api/v1/webhooks",
    "trigger": "/api/v1/triggers",
    "calendar": "/api/v1/calendars",
    "sla": "/api/v1/slas",
    "overview": "/api/v1/overviews",
}
# Zammad never returns these (it shows "**********"), so they cannot be compared.
SECRET_FIELDS = frozenset({"signature_token", "basic_auth_password", "bearer_token"})
# An id not known yet because its object is still to be created (dry-run plans only).
NEW_ID = 0
_ZAMMAD_DAYS = {
    Weekday.MON: "mon",
    Weekday.TUE: "tue",
    Weekday.WED: "wed",
    Weekday.THU: "thu",
    Weekday.FRI: "fri",
    Weekday.SAT: "sat",
    Weekday.SUN: "sun",
}


@dataclass(frozen=True)
class Desired:
    """One object as ticket-warden wants it in Zammad."""

    kind: Kind
    name: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Step:
    """What to do about one object; ``changes`` names the fields that differ."""

    action: Action
    kind: Kind
    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    existing_id: int | None = None
    changes: tuple[str, ...] = ()

    def __str__(self) -> str:
        detail = f" ({', '.join(self.changes)})" if self.changes else ""
        return f"{self.action:<9} {self.kind:<9} {self.name}{detail}"


# -- desired objects ----------------------------------------------------------------


def desired_attribute(manifest: Manifest, policy: Policy) -> Desired:
    spec = manifest.zammad.objects.attribute
    payload = {
        "name": policy.due_date_attribute,
        "object": "Ticket",
        "display": spec.display,
        "data_type": spec.data_type,
        "data_option": spec.data_option,
        "screens": spec.screens,
        "position": spec.position,
        "active": True,
    }
    return Desired("attribute", policy.due_date_attribute, payload)


def desired_tags(policy: Policy) -> list[Desired]:
    """Every tag the policy and the SLA clock may write, so that tags can be added with
    tag_new off."""
    names = {policy.tag(flag) for flag in Flag} | {policy.tier_tag(tier) for tier in policy.tiers}
    names |= {SLA_WARNING_TAG, SLA_BREACHED_TAG}
    return [Desired("tag", name, {"name": name}) for name in sorted(names)]


def webhook_endpoint(manifest: Manifest, base_url: str) -> str:
    """The receiver URL: ``base_url`` as given, or with the manifest's path when it has none."""
    return manifest.receiver_url(base_url)


def desired_webhook(manifest: Manifest, endpoint: str, secret: str) -> Desired:
    spec = manifest.zammad.objects.webhook
    payload = {
        "name": spec.name,
        "endpoint": endpoint,
        "signature_token": secret,
        "ssl_verify": spec.ssl_verify,
        "customized_payload": False,
        "note": manifest.zammad.note,
        "active": True,
    }
    return Desired("webhook", spec.name, payload)


def desired_triggers(manifest: Manifest, webhook_id: int) -> list[Desired]:
    return [
        Desired(
            "trigger",
            spec.name,
            {
                "name": spec.name,
                "condition": spec.condition,
                "perform": {"notification.webhook": {"webhook_id": webhook_id}},
                "activator": "action",
                "execution_condition_mode": "selective",
                "disable_notification": True,
                "note": manifest.zammad.note,
                "active": True,
            },
        )
        for spec in manifest.zammad.objects.triggers
    ]


def _hhmm(minutes: int) -> str:
    # Guess: Zammad's calendar editor offers times up to 23:59, not 24:00, so a day
    # open until midnight ends at 23:59 there (a minute's difference at most).
    minutes = min(minutes, 24 * 60 - 1)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _public_holidays(policy: Policy, first_year: int, years: int) -> dict[str, Any]:
    rules = policy.holidays
    span = range(first_year, first_year + years)
    closed: dict[date, str] = {}
    if rules.country:
        public = holidays_lib.country_holidays(
            rules.country, subdiv=rules.subdivision, years=span, observed=True
        )
        closed.update({day: str(name) for day, name in public.items()})
    closed.update({day: "Office closed" for day in rules.add if day.year in span})
    for day in rules.remove:
        closed.pop(day, None)
    return {
        day.isoformat(): {"active": True, "summary": name} for day, name in sorted(closed.items())
    }


def desired_calendars(manifest: Manifest, policy: Policy, today: date) -> dict[Clock, Desired]:
    specs = manifest.zammad.objects.calendars
    open_days = {
        _ZAMMAD_DAYS[day]: [[_hhmm(start), _hhmm(end)] for start, end in intervals]
        for day, intervals in policy.office_hours.items()
        if intervals
    }
    office_hours = {
        day: {"active": day in open_days, "timeframes": open_days.get(day, [["08:00", "17:00"]])}
        for day in _ZAMMAD_DAYS.values()
    }
    always = {
        day: {"active": True, "timeframes": [["00:00", "23:59"]]} for day in _ZAMMAD_DAYS.values()
    }
    common = {"timezone": policy.timezone, "ical_url": ""}
    return {
        Clock.OFFICE_HOURS: Desired(
            "calendar",
            specs.office_hours.name,
            {
                "name": specs.office_hours.name,
                "business_hours": office_hours,
                "public_holidays": _public_holidays(policy, today.year, specs.holiday_years),
                **common,
            },
        ),
        Clock.ALWAYS: Desired(
            "calendar",
            specs.always.name,
            {"name": specs.always.name, "business_hours": always, "public_holidays": {}, **common},
        ),
    }


def desired_slas(
    manifest: Manifest, policy: Policy, calendar_ids: Mapping[Clock, int]
) -> list[Desired]:
    """An SLA per guaranteed tier and request kind, priority requests sorting first.

    Per-incident (not guaranteed) tiers get none: their target moves to the next
    opening, which a Zammad SLA cannot express, and they promise nothing.
    """
    template = manifest.zammad.objects.slas.name
    priority_tag = policy.tag(Flag.PRIORITY_REQUEST)
    result = []
    order = 0
    for tier_name, tier in policy.tiers.items():
        if not tier.guaranteed:
            continue
        tier_tag = policy.tier_tag(tier_name)
        kinds = [("priority", tier.priority, f"{tier_tag}, {priority_tag}", "contains all")]
        if not tier.priority_requests:
            kinds = []
        kinds.append(("normal", tier.normal, tier_tag, "contains one"))
        for kind, response, tags, operator in kinds:
            order += 1
            name = template.format(order=order, tier=tier_name, kind=kind)
            payload = {
                "name": name,
                "calendar_id": calendar_ids[response.clock],
                "first_response_time": round(response.hours * 60),
                "condition": {"ticket.tags": {"operator": operator, "value": tags}},
            }
            result.append(Desired("sla", name, payload))
    return result


def desired_overview(manifest: Manifest, policy: Policy) -> Desired:
    """Agents' view of the tickets at risk: warned or breached by the SLA clock and not
    closed, soonest due first (the due-date attribute is a ticket column Zammad may
    order by; db/seeds/ticket_states.rb creates "closed" with id 4)."""
    spec = manifest.zammad.objects.overview
    due = policy.due_date_attribute
    payload = {
        "name": spec.name,
        "link": spec.link,
        "prio": spec.prio,
        "role_ids": spec.role_ids,
        "condition": {
            "ticket.tags": {
                "operator": "contains one",
                "value": f"{SLA_WARNING_TAG}, {SLA_BREACHED_TAG}",
            },
            "ticket.state_id": {"operator": "is not", "value": ["4"]},
        },
        "order": {"by": due, "direction": "ASC"},
        "view": {
            "d": [*spec.columns, due],
            "s": [*spec.columns, due],
            "m": [*spec.columns, due],
            "view_mode_default": "s",
        },
        "active": True,
    }
    return Desired("overview", spec.name, payload)


# -- comparing with what Zammad holds -------------------------------------------------


def _differs(wanted: Any, held: Any) -> bool:
    """Whether ``held`` lacks what ``wanted`` says (extra keys Zammad adds are fine)."""
    if isinstance(wanted, Mapping):
        if not isinstance(held, Mapping):
            return True
        return any(_differs(value, held.get(key)) for key, value in wanted.items())
    if isinstance(wanted, list):
        if not isinstance(held, list) or len(held) != len(wanted):
            return True
        return any(_differs(a, b) for a, b in zip(wanted, held, strict=True))
    if isinstance(wanted, bool) or isinstance(held, bool):
        return wanted is not held
    if isinstance(wanted, int | float) and isinstance(held, str | int | float):
        return str(wanted) != str(held)  # Zammad may return numbers as strings, or not.
    return bool(wanted != held)


def awaits_migration(attribute: Mapping[str, Any] | None) -> bool:
    """An object-manager attribute created or changed whose column Zammad has not made
    yet (ObjectManager::Attribute's to_create/to_migrate/to_config/to_delete flags)."""
    return attribute is not None and any(
        attribute.get(flag) for flag in ("to_create", "to_migrate", "to_config", "to_delete")
    )


def find(objects: Iterable[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    """The object called ``name`` among ``objects``, if any."""
    return next((obj for obj in objects if obj.get("name") == name), None)


def step_for(
    desired: Desired, existing: Mapping[str, Any] | None, *, force_secrets: bool = False
) -> Step:
    """Create, update or leave alone one object."""
    if existing is None:
        return Step("create", desired.kind, desired.name, desired.payload)
    changes = tuple(
        key
        for key, value in desired.payload.items()
        if key not in SECRET_FIELDS and _differs(value, existing.get(key))
    )
    if force_secrets:
        changes += tuple(key for key in desired.payload if key in SECRET_FIELDS)
    action: Action = "update" if changes else "unchanged"
    return Step(action, desired.kind, desired.name, desired.payload, int(existing["id"]), changes)


def owned(
    kind: Kind, objects: Iterable[Mapping[str, Any]], manifest: Manifest, policy: Policy
) -> list[Mapping[str, Any]]:
    """The objects of ``kind`` that ticket-warden made (by its marker), nothing else."""
    marker = manifest.zammad.marker
    if kind == "tag":
        return []  # Tags stay: tickets carry them, and an admin may filter on them.
    if kind == "attribute":
        return [
            obj
            for obj in objects
            if obj.get("object", "Ticket") == "Ticket"
            and obj.get("name") == policy.due_date_attribute
            and f"({marker})" in str(obj.get("display", ""))
        ]
    if kind == "overview":  # "SLA at risk (ticket-warden)": the marker in brackets
        return [obj for obj in objects if str(obj.get("name", "")).endswith(f"({marker})")]
    return [obj for obj in objects if str(obj.get("name", "")).startswith(marker)]
