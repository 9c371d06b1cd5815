"""Requests without enough information or context are delayed (P6)."""

from __future__ import annotations

import re

from plugin.model import Finding, Message
from plugin.names import Flag
from plugin.policy import Policy
from plugin.text import words, written_text

# Each pattern is one kind of specific detail an agent can start from. They read what a
# customer wrote, so each runs in linear time (tests/test_linear_time.py): a match may only
# start at the beginning of a run of the characters it is made of (the lookbehinds), so a
# search that failed on a run does not try again from every character inside it, and no
# quantifier gives back characters the next part cannot use anyway (``*+``, ``++``).
SPECIFICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "error text",
        re.compile(
            r"\b(?:error|errors|fail(?:s|ed|ing|ure)?|exception|denied|refused|timed? ?out|"
            r"cannot|can't|unable|crash(?:es|ed)?|stopped|won't|doesn't|not responding|"
            r"bounc(?:e|ed|es)|rejected|warning|corrupt\w*|offline|fehler|erreur)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "an address",
        re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|(?<![\w.+-])[\w.+-]++@[\w-]++\.[\w.-]+"),
    ),
    (
        "a host",
        # The host starts at the first letter after a word boundary in its run of word
        # characters and hyphens (the atomic group finds it); "a-a-a-..." is one run.
        re.compile(
            r"(?<![\w-])(?>[\w-]*?\b[a-z])[\w-]*+\.[a-z][\w-]*(?:\.[a-z][\w-]*)*\b"
            r"|\b[a-z]++-?+\d++\b",
            re.IGNORECASE,
        ),
    ),
    ("a version or number", re.compile(r"\d")),
    ("a path", re.compile(r"(?:^|\s)(?:/[\w.-]++){2,}|[A-Za-z]:\\|\\\\\w+")),
    (
        "steps",
        # A numbered line: its leading blanks, not the blank lines before it, which
        # every line start in a run of blank lines would otherwise rescan.
        re.compile(
            r"^[^\S\n]*+\d++[.)]\s|\b(?:steps?|when i|after i|tried|restart(?:ed)?|reboot(?:ed)?|"
            r"reinstall(?:ed)?|since (?:yesterday|today|monday|tuesday|wednesday|thursday|"
            r"friday|this morning|the update))\b",
            re.IGNORECASE | re.MULTILINE,
        ),
    ),
)


def specifics_in(text: str) -> list[str]:
    """The kinds of specific detail ``text`` carries (empty when it has none)."""
    return [kind for kind, pattern in SPECIFICS if pattern.search(text)]


def needs_info_finding(message: Message, policy: Policy) -> Finding | None:
    """A finding when the message is too short, has no specifics, or is only an attachment."""
    text = written_text(message.body, message.content_type)
    count = len(words(text))
    limits = policy.needs_info
    if count == 0:
        if message.attachment_count:
            return Finding(Flag.NEEDS_INFO, "the message is only an attachment, with no text")
        return Finding(Flag.NEEDS_INFO, "the message has no text")
    if count < limits.min_words:
        return Finding(Flag.NEEDS_INFO, f"the message is too short ({count} words)")
    if count < limits.enough_words and not specifics_in(text):
        return Finding(
            Flag.NEEDS_INFO,
            "the message names no error text, host, address, version, number, path or steps",
        )
    return None
