"""The word classes a subject is read with, loaded once from ``subject_words.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import stopwordsiso
import yaml

# The languages whose stopwords count as generic words in a subject.
STOPWORD_LANGUAGES = ("en", "de", "fr", "es", "pt", "nl", "it", "af", "sv", "da", "no", "ru")


@dataclass(frozen=True, slots=True)
class SubjectVocabulary:
    """Lower-case words by class. Which class a word in several counts as is decided by
    ``_word_class`` in plugin/language/subjects.py, in the order subject_words.yaml says."""

    negation: frozenset[str]
    generic: frozenset[str]
    vague_symptom: frozenset[str]
    predicate: frozenset[str]
    category: frozenset[str]
    product: frozenset[str]
    department: frozenset[str]
    sender_marker: frozenset[str]
    first_person: frozenset[str]
    asks_help: frozenset[str]
    trigger: frozenset[str]
    support: frozenset[str]
    # Function words of the languages clients write (stopwords-iso), taken as generic
    # when no class above claims them: "beim", "lors", "desde", "sobre".
    stopwords: frozenset[str] = frozenset()
    # The words above written in Han characters, which a subject is cut into.
    han: frozenset[str] = frozenset()
    longest_han: int = 0


def _words(entry: Any) -> frozenset[str]:
    """A class's words: a list, or a mapping of language to a space-separated string."""
    if isinstance(entry, dict):
        return frozenset(word for text in entry.values() for word in str(text).split())
    return frozenset(str(word) for word in entry)


def is_han(word: str) -> bool:
    """``word`` has a Chinese character (CJK Unified Ideographs or Extension A)."""
    return any(
        "\u3400" <= character <= "\u4dbf" or "\u4e00" <= character <= "\u9fff" for character in word
    )


@cache
def subject_vocabulary() -> SubjectVocabulary:
    """The shipped word classes (read once per process)."""
    text = resources.files("plugin.language").joinpath("subject_words.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    classes = {name: _words(data[name]) for name in SubjectVocabulary.__slots__ if name in data}
    stopwords = frozenset(
        word.lower() for language in STOPWORD_LANGUAGES for word in stopwordsiso.stopwords(language)
    )
    han = frozenset(word for words in classes.values() for word in words if is_han(word))
    return SubjectVocabulary(
        **classes,
        stopwords=stopwords,
        han=han,
        longest_han=max(map(len, han), default=0),
    )
