"""Finding a phrase in what the customer wrote: the subject first, then the text."""

from __future__ import annotations

import re

from plugin.model import Finding, Message
from plugin.names import Flag
from plugin.text import strip_subject_prefixes, written_text


def search_message(pattern: re.Pattern[str], message: Message) -> tuple[str, str] | None:
    """Where ``pattern`` first matches ("subject" or "message") and the words it matched."""
    for where, text in (
        ("subject", strip_subject_prefixes(message.subject)),
        ("message", written_text(message.body, message.content_type)),
    ):
        match = pattern.search(text)
        if match:
            return where, match[0]
    return None


def phrase_finding(
    pattern: re.Pattern[str], message: Message, flag: Flag, what: str
) -> Finding | None:
    """A finding for ``flag`` when ``pattern`` matches: "the subject <what> ('words')"."""
    found = search_message(pattern, message)
    if found is None:
        return None
    where, words = found
    return Finding(flag, f"the {where} {what} ('{words}')")
