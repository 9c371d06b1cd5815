"""A fake Zammad built from Zammad's source, for tests (see core.py for what it follows).

``FakeZammad`` holds the state and answers requests; ``running`` serves it on
loopback. Its trigger engine posts webhooks the way Zammad's TriggerWebhookJob
does, so end-to-end tests go mail -> trigger -> ticket-warden -> Zammad.
"""

from tests.fake_zammad.core import (
    ADMIN_COLLECTIONS,
    AGENT,
    ALL_PERMISSIONS,
    BOT,
    DEFAULT_GROUP,
    FakeZammad,
)
from tests.fake_zammad.server import running

__all__ = [
    "ADMIN_COLLECTIONS",
    "AGENT",
    "ALL_PERMISSIONS",
    "BOT",
    "DEFAULT_GROUP",
    "FakeZammad",
    "running",
]
