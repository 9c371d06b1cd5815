"""``ticket-warden install --helpdesk django-helpdesk``: check access, say what to configure.

django-helpdesk has no API for its settings or webhooks, and ticket-warden
creates nothing in it (its flags live in the bot's private follow-up), so
"installing" is proving that the bot's staff user can use the REST API and
printing the settings, from the manifest, that the admin pastes into the
Django project.
"""

from __future__ import annotations

from plugin.django_helpdesk.client import DjangoHelpdeskClient
from plugin.errors import HelpdeskError, HelpdeskUnavailableError
from plugin.manifest import Manifest
from plugin.zammad.installer import InstallError

# What the admin replaces with the secret: printing the secret itself is not our job.
SECRET_PLACEHOLDER = "<WARDEN_WEBHOOK_SECRET>"  # noqa: S105 - a placeholder, not a secret


def check_access(client: DjangoHelpdeskClient) -> None:
    """The bot's user can read tickets through the API; else InstallError saying what to fix."""
    try:
        client.get("/api/tickets/?page=1")
    except HelpdeskUnavailableError as exc:
        raise InstallError(
            f"cannot reach django-helpdesk at {client.base_url}: check the URL and that it runs"
        ) from exc
    except HelpdeskError as exc:
        if exc.status == 401:
            raise InstallError(
                "django-helpdesk rejected the bot's credentials (HTTP 401): check "
                "WARDEN_DJANGO_HELPDESK_USER and _PASSWORD, and that the project enables "
                "rest_framework's BasicAuthentication"
            ) from exc
        if exc.status == 403:
            raise InstallError(
                "the bot's user may not use django-helpdesk's API (HTTP 403): make it staff"
            ) from exc
        if exc.status == 404:
            raise InstallError(
                f"{client.base_url} has no django-helpdesk API at /api/tickets/ "
                "(HELPDESK_API_ENABLED, and the helpdesk URLs included at the root?)"
            ) from exc
        raise InstallError(f"django-helpdesk answered HTTP {exc.status}: {exc.message}") from exc


def settings_to_paste(manifest: Manifest, webhook_url: str) -> list[str]:
    """``NAME = value`` lines for the Django settings, with the receiver URL filled in."""
    spec = manifest.django_helpdesk
    base = manifest.receiver_url(webhook_url, "django-helpdesk")
    webhook = f"{base}?{spec.webhook.token_parameter}={SECRET_PLACEHOLDER}"
    return [
        f"{name} = {value.replace('{webhook}', webhook)}" for name, value in spec.settings.items()
    ]
