"""Project work is typically not covered by an SLA and needs a quote (P9)."""

from __future__ import annotations

from plugin.model import Finding, Message
from plugin.names import Flag
from plugin.policy import Policy
from plugin.rules.search import sure_or_maybe_finding


def project_finding(message: Message, policy: Policy) -> Finding | None:
    """A finding when the request is project work: installations, migrations, quotes...

    The phrases are the policy's (plugin/language/phrases.yaml and its own additions);
    a "maybe" phrase such as "install" alone is only noted for agents.
    """
    return sure_or_maybe_finding(
        policy.phrase_patterns["project_task"],
        message,
        Flag.PROJECT_TASK,
        "describes project work",
        "mentions installing, upgrading or prices, perhaps project work",
    )
