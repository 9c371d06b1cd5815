"""Runtime settings, from the environment (prefix ``WARDEN_``), typed and validated once.

Secrets are ``SecretStr`` so they never print; nothing reads the environment
anywhere else.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from plugin.errors import SettingsError

DEFAULT_STORE = "var/ticket-warden.sqlite3"


class Settings(BaseSettings):
    """Everything ticket-warden needs to run, besides the policy itself."""

    model_config = SettingsConfigDict(env_prefix="WARDEN_", extra="ignore")

    # Which helpdesk this installation serves.
    helpdesk: Literal["zammad", "django-helpdesk"] = "zammad"
    zammad_url: str | None = None
    # Where Zammad reaches this receiver (for `install`), e.g. https://warden.example.com
    webhook_url: str | None = None
    zammad_token: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    # The admin console's login, and GET /decisions and /readyz's details (Bearer ...).
    admin_token: SecretStr | None = None
    # Mark the admin console's session cookie Secure even on plain HTTP (behind a TLS
    # proxy that does not say so); it is Secure on HTTPS requests anyway.
    admin_secure_cookie: bool = False
    # Proxies in front of the receiver that set X-Forwarded-For and -Proto: the client's
    # address (the console's sign-in throttle) and HTTPS (its Secure cookie) are read from
    # that many hops. 0 trusts no such header, as anyone can send one.
    proxy_hops: int = Field(default=0, ge=0, le=5)
    # django-helpdesk: its base URL, a staff user for its REST API (basic auth),
    # and that user's id, which marks the bot's own follow-ups.
    django_helpdesk_url: str | None = None
    django_helpdesk_user: str | None = None
    django_helpdesk_password: SecretStr | None = None
    django_helpdesk_bot_user_id: int | None = None
    policy: Path | None = None
    store: str = DEFAULT_STORE
    # Name of the queue and prefix of Redis keys: replicas that share one must share this.
    namespace: str = Field(default="ticket-warden", pattern=r"^[A-Za-z0-9_.-]+$")
    # None: decide from whether a helpdesk is configured.
    dry_run: bool | None = None
    # The bot's own Zammad login, to recognise its articles; asked of Zammad when unset.
    bot_login: str | None = None
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    workers: int = Field(default=2, ge=1, le=64)
    # How long a delivery id is remembered for de-duplication (Zammad retries for ~2 min).
    dedup_days: int = Field(default=7, ge=1)
    decisions_kept: int = Field(default=500, ge=1)
    timeout_seconds: float = Field(default=10.0, gt=0)
    # A failed write-back is tried again this many times, this many seconds apart.
    retries: int = Field(default=8, ge=0)
    retry_delay_seconds: float = Field(default=15.0, ge=0)
    # The worker looks for customer messages whose webhook never came, this often
    # (0 turns it off), over this window.
    reconcile_every_minutes: int = Field(default=30, ge=0, le=1440)
    reconcile_window_hours: int = Field(default=24, ge=1, le=24 * 30)
    # The worker tends the SLA clocks (reminders, closing, warnings, breaches) this
    # often; 0 turns it off.
    clock_every_minutes: int = Field(default=5, ge=0, le=60)
    # "json" writes one JSON object per log line (with delivery and ticket ids).
    log_format: Literal["text", "json"] = "text"

    @field_validator("zammad_url", "django_helpdesk_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None or not url.strip():
            return None
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"WARDEN_ZAMMAD_URL must start with http:// or https://, not {url!r}")
        return url.rstrip("/")

    @property
    def has_helpdesk(self) -> bool:
        if self.helpdesk == "django-helpdesk":
            password = self.django_helpdesk_password
            return bool(
                self.django_helpdesk_url
                and self.django_helpdesk_user
                and password
                and password.get_secret_value()
            )
        return bool(self.zammad_url and self.zammad_token and self.zammad_token.get_secret_value())

    @property
    def is_dry_run(self) -> bool:
        """Dry-run when asked, and always when no helpdesk is configured."""
        return True if not self.has_helpdesk else bool(self.dry_run)

    @property
    def uses_redis(self) -> bool:
        return self.store.startswith(("redis://", "rediss://", "unix://"))

    def secret_bytes(self) -> bytes | None:
        """The webhook secret as bytes, or None when none (or an empty one) is set."""
        return _bytes(self.webhook_secret)

    def admin_bytes(self) -> bytes | None:
        """The admin token as bytes, or None when none (or an empty one) is set."""
        return _bytes(self.admin_token)

    def is_open_demo(self, host: str | None) -> bool:
        """The one way to run without credentials: no helpdesk at all, served on loopback
        only. A dry run against a real helpdesk still sees its customers' data."""
        return not self.has_helpdesk and host is not None and is_loopback(host)

    def check_can_serve(self, *, open_demo: bool = False) -> None:
        """Fail closed: anything but the open demo needs a webhook secret. Raises
        SettingsError."""
        if not open_demo and self.secret_bytes() is None:
            why = (
                "for a live helpdesk"
                if not self.is_dry_run
                else "beyond the loopback demo without a helpdesk"
            )
            raise SettingsError(
                f"WARDEN_WEBHOOK_SECRET is not set: refusing to accept unsigned webhooks {why} "
                "(set it; the demo runs open only on 127.0.0.1 with no helpdesk configured)"
            )


def _bytes(secret: SecretStr | None) -> bytes | None:
    if secret is None or not secret.get_secret_value():
        return None
    return secret.get_secret_value().encode("utf-8")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is reachable from this machine only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
