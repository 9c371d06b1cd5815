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
    pattern: re.Pattern[str] | None, message: Message, flag: Flag, what: str, *, sure: bool = True
) -> Finding | None:
    """A finding for ``flag`` when ``pattern`` matches: "the subject <what> ('words')"."""
    found = search_message(pattern, message) if pattern is not None else None
    if found is None:
        return None
    where, words = found
    return Finding(flag, f"the {where} {what} ('{words}')", sure=sure)


def sure_or_maybe_finding(
    patterns: tuple[re.Pattern[str] | None, re.Pattern[str] | None],
    message: Message,
    flag: Flag,
    what: str,
    maybe_what: str,
) -> Finding | None:
    """A sure finding when a sure phrase matches, else an unsure one when a maybe phrase does."""
    sure, maybe = patterns
    return phrase_finding(sure, message, flag, what) or phrase_finding(
        maybe, message, flag, maybe_what, sure=False
    )
