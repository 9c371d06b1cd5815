"""Phrases that mark meeting requests and project work, kept as data a policy can extend.

The built-in phrases are in ``phrases.yaml`` (English, German, French, Spanish,
Portuguese, Dutch, Afrikaans); a policy's ``phrases`` section adds its own. Each
list becomes one pattern of whole-word alternatives: a literal alternation with no
nested quantifier, so it runs in linear time on what a customer wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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
    ("install * on" matches "install Acrobat on"). The phrases are merged into a trie, so
    the engine tries the few phrases that start with the character at hand instead of
    each of them in turn.
    """
    alternatives = alternation(phrases)
    if not alternatives:
        return None
    return re.compile(rf"(?<!\w){alternatives}(?!\w)", re.IGNORECASE)


def alternation(phrases: Iterable[str]) -> str:
    """The regular expression (without anchors) matching any of ``phrases``, merged into
    a trie; empty when there are none."""
    trie: _Trie = {}
    for phrase in phrases:
        atoms = _atoms(phrase)
        if not atoms:
            continue
        node = trie
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[_END] = {}
    return _emit(trie) if trie else ""


_Trie = dict[str, "_Trie"]
_END = ""  # marks the end of a phrase in the trie; no atom is empty


def _atoms(phrase: str) -> list[str]:
    """The regular-expression pieces of one phrase, a character at a time."""
    atoms: list[str] = []
    for index, word in enumerate(phrase.strip().lower().split()):
        if index:
            atoms.append(r"\s++")
        if word == "*":
            atoms.append(r"[^\s]++")
            continue
        atoms.extend(re.escape(character) for character in word.rstrip("*"))
        if word.endswith("*"):
            atoms.append(r"\w*+")
    return atoms


def _emit(node: _Trie) -> str:
    branches = [atom + _emit(child) for atom, child in sorted(node.items()) if atom != _END]
    if _END in node:
        branches.append("")  # the phrase may end here; longer ones are tried first
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"
