"""The webhook signature (pure, over bytes) and the settings from the environment."""

from __future__ import annotations

import pytest

from plugin.errors import SettingsError, SignatureError
from plugin.settings import Settings
from plugin.signature import sign, verify_signature

# RFC 2202, HMAC-SHA1 test case 2.
RFC_KEY, RFC_DATA = b"Jefe", b"what do ya want for nothing?"
RFC_DIGEST = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"


def test_sign_matches_the_rfc_2202_vector() -> None:
    assert sign(RFC_DATA, RFC_KEY) == f"sha1={RFC_DIGEST}"


def test_verify_accepts_the_right_signature() -> None:
    verify_signature(RFC_DATA, f"sha1={RFC_DIGEST}", RFC_KEY)
    verify_signature(RFC_DATA, f" sha1={RFC_DIGEST} ", RFC_KEY)


@pytest.mark.parametrize(
    ("header", "secret", "message"),
    [
        (None, RFC_KEY, "missing X-Hub-Signature"),
        ("", RFC_KEY, "missing X-Hub-Signature"),
        (RFC_DIGEST, RFC_KEY, "must start with 'sha1='"),
        (f"sha1={RFC_DIGEST[:-1]}0", RFC_KEY, "does not match"),
        (f"sha1={RFC_DIGEST}", b"other", "does not match"),
        ("sha1=é", RFC_KEY, "does not match"),
        (f"sha1={RFC_DIGEST}", b"", "no webhook secret"),
    ],
)
def test_verify_fails_closed(header, secret: bytes, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        verify_signature(RFC_DATA, header, secret)


def test_a_changed_body_fails() -> None:
    with pytest.raises(SignatureError):
        verify_signature(RFC_DATA + b" ", f"sha1={RFC_DIGEST}", RFC_KEY)


def test_settings_come_from_warden_variables(monkeypatch) -> None:
    monkeypatch.setenv("WARDEN_ZAMMAD_URL", "https://helpdesk.example/")
    monkeypatch.setenv("WARDEN_ZAMMAD_TOKEN", "tok-123")
    monkeypatch.setenv("WARDEN_WEBHOOK_SECRET", "sec-456")
    monkeypatch.setenv("WARDEN_STORE", "redis://127.0.0.1:6379/0")
    settings = Settings()
    assert settings.zammad_url == "https://helpdesk.example"
    assert settings.has_helpdesk and not settings.is_dry_run and settings.uses_redis
    assert settings.secret_bytes() == b"sec-456"
    assert "tok-123" not in repr(settings) and "sec-456" not in repr(settings)
    settings.check_can_serve()


def test_no_helpdesk_means_dry_run_and_a_secret_is_optional_on_loopback_only() -> None:
    settings = Settings(_env_file=None)
    assert settings.is_dry_run and settings.secret_bytes() is None
    settings.check_can_serve(open_demo=settings.is_open_demo("127.0.0.1"))
    with pytest.raises(SettingsError, match="refusing to accept unsigned webhooks"):
        settings.check_can_serve(open_demo=settings.is_open_demo("0.0.0.0"))
    assert Settings(dry_run=True, zammad_url="https://h.example", zammad_token="t").is_dry_run


def test_live_without_secret_fails_closed() -> None:
    settings = Settings(zammad_url="https://h.example", zammad_token="t", webhook_secret="")
    with pytest.raises(SettingsError, match="refusing to accept unsigned webhooks"):
        settings.check_can_serve()


def test_bad_url_is_rejected() -> None:
    with pytest.raises(ValueError, match="must start with http"):
        Settings(zammad_url="helpdesk.example")
