"""The plugin manifest (``manifest.yaml``): what ticket-warden is and what it provisions.

The file at the repository root is the single source; the package carries it
(``plugin/manifest.yaml`` links to it) so an installed copy reads the same.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plugin.errors import WardenError


class ManifestError(WardenError):
    """The packaged manifest is unreadable or incomplete: a broken installation."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AttributeSpec(_Strict):
    display: str
    data_type: str
    position: int
    data_option: dict[str, Any]
    screens: dict[str, Any]


class WebhookSpec(_Strict):
    name: str
    path: str
    ssl_verify: bool


class TriggerSpec(_Strict):
    name: str
    condition: dict[str, Any]


class CalendarName(_Strict):
    name: str


class CalendarSpecs(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    office_hours: CalendarName = Field(alias="office-hours")
    always: CalendarName = Field(alias="24x7")
    holiday_years: int = Field(ge=1, le=10)


class SlaSpec(_Strict):
    name: str


class OverviewSpec(_Strict):
    name: str
    link: str
    prio: int
    role_ids: list[int] = Field(min_length=1)
    columns: list[str] = Field(min_length=1)


class ZammadObjects(_Strict):
    attribute: AttributeSpec
    webhook: WebhookSpec
    triggers: list[TriggerSpec]
    calendars: CalendarSpecs
    slas: SlaSpec
    overview: OverviewSpec


class ZammadSection(_Strict):
    versions: str
    marker: str
    note: str
    permissions: dict[str, str]
    objects: ZammadObjects


class DjangoHelpdeskWebhook(_Strict):
    path: str
    token_parameter: str


class DjangoHelpdeskSection(_Strict):
    versions: str
    webhook: DjangoHelpdeskWebhook
    settings: dict[str, str]
    needs: list[str]


class Manifest(BaseModel):
    """The parts of the manifest the code reads; the rest is for people and tools."""

    model_config = ConfigDict(extra="allow")

    name: str
    version: str
    description: str
    settings: dict[str, dict[str, Any]]
    zammad: ZammadSection
    django_helpdesk: DjangoHelpdeskSection = Field(alias="django-helpdesk")

    def receiver_url(self, url: str, helpdesk: str = "zammad") -> str:
        """``url`` as given, or with the receiver's route for ``helpdesk`` when it is a
        base URL (``scheme://host[:port]`` only)."""
        base = url.rstrip("/")
        if base.count("/") > 2:
            return base
        if helpdesk == "django-helpdesk":
            return base + self.django_helpdesk.webhook.path
        return base + self.zammad.objects.webhook.path


@cache
def load_manifest() -> Manifest:
    """The packaged manifest; raises ManifestError if it is missing or malformed."""
    try:
        text = resources.files("plugin").joinpath("manifest.yaml").read_text("utf-8")
        return Manifest.model_validate(yaml.safe_load(text))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ManifestError(f"the packaged manifest.yaml is unusable: {exc}") from exc
