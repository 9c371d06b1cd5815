"""Zammad's webhook signature: ``X-Hub-Signature: sha1=<hex HMAC-SHA1 of the raw body>``.

Pure functions over bytes (Zammad docs, "Webhook": the signature token signs the
raw request body with HMAC-SHA1, like GitHub's original scheme).
"""

from __future__ import annotations

import hashlib
import hmac

from plugin.errors import SignatureError

SIGNATURE_HEADER = "X-Hub-Signature"
_PREFIX = "sha1="


def sign(body: bytes, secret: bytes) -> str:
    """The header value Zammad sends for ``body`` signed with ``secret``."""
    return _PREFIX + hmac.new(secret, body, hashlib.sha1).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: bytes) -> None:
    """Raise SignatureError unless ``header`` is the signature of ``body`` (constant time)."""
    if not secret:
        raise SignatureError("no webhook secret is configured")
    header = (header or "").strip()
    if not header:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    if not header.startswith(_PREFIX):
        raise SignatureError(f"{SIGNATURE_HEADER} must start with '{_PREFIX}'")
    if not hmac.compare_digest(sign(body, secret).encode("ascii"), header.encode("utf-8")):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the request body")
