"""Project work is typically not covered by an SLA and needs a quote (P9)."""

from __future__ import annotations

import re

from plugin.model import Finding, Message
from plugin.names import Flag
from plugin.rules.search import phrase_finding

PROJECT_WORK = re.compile(
    r"\b(?:new (?:installation|install|deployment|setup|set-up|site|office|network)|"
    r"install(?:ing)? (?:a )?new|set(?:ting)? up (?:a )?new|"
    r"migrat(?:e|es|ion|ions|ing)|roll[- ]?outs?|"
    r"upgrad(?:e|ing) (?:all|every|our (?:whole|entire)|the (?:whole|entire))|"
    r"(?:whole|entire) (?:estate|fleet|network|infrastructure)|"
    r"(?:a|an|the|your) quot(?:e|ation)|quotations?|quote for|proposal)\b",
    re.IGNORECASE,
)


def project_finding(message: Message) -> Finding | None:
    """A finding when the request is project work: installations, migrations, quotes..."""
    return phrase_finding(PROJECT_WORK, message, Flag.PROJECT_TASK, "describes project work")
