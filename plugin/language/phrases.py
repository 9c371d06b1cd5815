"""Phrases that mark meeting requests and project work, kept as data a policy can extend.

The built-in phrases are in ``phrases.yaml`` (English, German, French, Spanish,
Portuguese, Dutch, Afrikaans); a policy's ``phrases`` section adds its own. Each
list becomes one pattern of whole-word alternatives: a literal alternation with no
nested quantifier, so it runs in linear time on what a customer wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

PHRASE_KINDS = ("meeting_request", "project_task")


@dataclass(frozen=True, slots=True)
class PhraseSet:
    """Phrases that settle it (``sure``) and phrases that only make agents look (``maybe``)."""

    sure: tuple[str, ...] = ()
    maybe: tuple[str, ...] = ()

    def extended(self, other: PhraseSet) -> PhraseSet:
        return PhraseSet(
            tuple(dict.fromkeys(self.sure + other.sure)),
            tuple(dict.fromkeys(self.maybe + other.maybe)),
        )


@cache
def builtin_phrases() -> dict[str, PhraseSet]:
    """The shipped phrases, by kind."""
    text = resources.files("plugin.language").joinpath("phrases.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return {
        kind: PhraseSet(
            tuple(str(phrase) for phrase in data[kind].get("sure", [])),
            tuple(str(phrase) for phrase in data[kind].get("maybe", [])),
        )
        for kind in PHRASE_KINDS
    }


def phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One whole-word, case-blind pattern for ``phrases``.

    A word that ends in ``*`` may go on ("migrat*"); a ``*`` alone stands for any one word
    ("install * on" matches "install Acrobat on").
    """
    alternatives = []
    for phrase in sorted(set(phrases), key=len, reverse=True):
        words = phrase.strip().lower().split()
        if words:
            alternatives.append(r"\s++".join(_word_pattern(word) for word in words))
    if not alternatives:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE)


def _word_pattern(word: str) -> str:
    if word == "*":
        return r"[^\s]++"
    if word.endswith("*"):
        return re.escape(word.rstrip("*")) + r"\w*+"
    return re.escape(word)
