"""Reading a subject line as an agent would: what it names, and what it says is wrong.

SPEC §3: a subject is specific when it names *what* is concerned (more precisely
than a category word) and *what is wrong or wanted*, or carries an identifier.
``read_subject`` sorts a subject's words into those parts by the word classes of
``subject_words.yaml``; ``subject_features`` turns the parts into the numbers the
shipped model weighs. Everything here is pure, and every pattern runs in linear
time on what a customer wrote (tests/test_linear_time.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plugin.language.vocabulary import SubjectVocabulary, subject_vocabulary
from plugin.text import strip_subject_prefixes, words

# Dates and times are not identifiers (tests/corpus/README.md): "12.03.", "12.03.2026",
# "2026-03-12", "12/03/26", "14:00". They are blanked before the words are read.
_DATE_OR_TIME = re.compile(
    r"(?<![\d.])\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})?+(?![\d])"
    r"|(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)"
    r"|(?<![\d/])\d{1,2}/\d{1,2}(?:/\d{2,4})?+(?![\d/])"
    r"|(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?+(?![\d:])"
)
# Quoted text of a few words is an error message ("'550 Relaying denied'"). Each quote
# kind stops at its own closing mark, so no character is scanned twice.
_QUOTED = re.compile(
    r"\"[^\"\n]{6,200}+\"|“[^”\n]{6,200}+”|„[^“”\n]{6,200}+[“”]|«[^»\n]{6,200}+»"
    r"|(?<!\w)'[^'\n]{6,200}+'(?!\w)"
)
# ERR_CONNECTION_REFUSED, MAIL_FROM_REJECTED: symbolic error names.
_SYMBOL = re.compile(r"\b[A-Z][A-Z0-9]*+(?:_[A-Z0-9]++)++\b")
# The last part of a host name or file name: "example.com", "mail.log", "node.js".
_DOTTED_NAME = re.compile(r"^[^\W\d_][\w-]*+(?:\.[\w-]++)*?\.[a-z]{2,}$", re.IGNORECASE)
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})  # noqa: RUF001
# "Request from Sipho M.": a sender marker and then only names and initials to the end.
_NAME = re.compile(r"^(?:[A-Z][\w'-]*+\.?|[A-Z]\.)$")


@dataclass(slots=True)
class SubjectReading:
    """A subject's words sorted into what they contribute (each list in subject order)."""

    text: str
    identifiers: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)
    predicates: list[str] = field(default_factory=list)
    vague_symptoms: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    generic: list[str] = field(default_factory=list)
    sender: str = ""
    question: bool = False

    @property
    def word_count(self) -> int:
        return (
            len(self.identifiers)
            + len(self.objects)
            + len(self.predicates)
            + len(self.vague_symptoms)
            + len(self.categories)
            + len(self.departments)
            + len(self.generic)
        )


def read_subject(subject: str, vocabulary: SubjectVocabulary | None = None) -> SubjectReading:
    """Sort the words of ``subject`` (prefixes and ticket tags removed) into their parts."""
    vocabulary = vocabulary or subject_vocabulary()
    text = strip_subject_prefixes(subject).translate(_APOSTROPHES)
    reading = SubjectReading(text=text, question=text.rstrip().endswith("?"))
    reading.identifiers.extend(match[0] for match in _QUOTED.finditer(text))
    reading.identifiers.extend(match[0] for match in _SYMBOL.finditer(text))
    plain = _SYMBOL.sub(" ", _QUOTED.sub(" ", _DATE_OR_TIME.sub(" ", text)))
    tokens = words(plain)
    sender_at = _sender_position(tokens, vocabulary)
    if sender_at is not None:
        reading.sender = " ".join(tokens[sender_at:])
        tokens = tokens[:sender_at]
    negated = False
    for position, token in enumerate(tokens):
        word = token.lower()
        if _is_identifier(token):
            reading.identifiers.append(token)
        elif word in vocabulary.negation:
            reading.generic.append(token)
            negated = True
            continue
        elif word in vocabulary.generic:
            reading.generic.append(token)
            continue  # "can't really connect": the negation reaches past filler words
        elif word in vocabulary.vague_symptom:
            reading.vague_symptoms.append(token)
        elif word in vocabulary.predicate or (negated and word not in vocabulary.category):
            # After a negation, an unknown word is what fails: "won't sync", "kann nicht drucken".
            reading.predicates.append(token)
        elif word in vocabulary.category:
            reading.categories.append(token)
        elif word in vocabulary.department:
            reading.departments.append(token)
        elif len(word) >= 2 and not word.isdigit():
            reading.objects.append(token)
            if _looks_named(token, position):
                reading.named.append(token)
        else:
            reading.generic.append(token)
        negated = False
    return reading


def _is_identifier(token: str) -> bool:
    """A version, number, address part, model or host name: something an agent can look up."""
    has_digit = any(character.isdigit() for character in token)
    if has_digit:
        if token.isdigit():
            return len(token) >= 3 and not _YEAR.match(token)
        return True  # "1.6", "0x80070005", "NAS02", "10.0.5.0", "v2"
    return "." in token and bool(_DOTTED_NAME.match(token))


def _looks_named(token: str, position: int) -> bool:
    """A product or proper name by its spelling: "pfSense", "DNS", "Zimbra" mid-subject."""
    if any(character.isupper() for character in token[1:]):
        return True  # mixed case or an acronym
    return position > 0 and token[:1].isupper()


def _sender_position(tokens: list[str], vocabulary: SubjectVocabulary) -> int | None:
    """Where "from Sipho M." starts when a subject ends with who it is from."""
    for position in range(max(0, len(tokens) - 4), len(tokens) - 1):
        if tokens[position].lower() not in vocabulary.sender_marker:
            continue
        rest = tokens[position + 1 :]
        if rest and all(_NAME.match(token) for token in rest):
            return position
    return None


# -- features for the model --------------------------------------------------------------

FEATURES = (
    "identifier",
    "object",
    "objects_2",
    "objects_3",
    "named",
    "predicate",
    "vague_symptom",
    "category",
    "department",
    "sender",
    "question",
    "object_and_predicate",
    "object_and_vague_symptom",
    "category_and_predicate",
    "named_and_predicate",
    "generic_only",
    "words_4",
    "words_8",
)


def subject_features(reading: SubjectReading) -> dict[str, float]:
    """The model's inputs: what parts a subject has (0 or 1 each)."""
    objects = len(reading.objects)
    has = {
        "identifier": bool(reading.identifiers),
        "object": objects >= 1,
        "objects_2": objects >= 2,
        "objects_3": objects >= 3,
        "named": bool(reading.named),
        "predicate": bool(reading.predicates),
        "vague_symptom": bool(reading.vague_symptoms),
        "category": bool(reading.categories),
        "department": bool(reading.departments),
        "sender": bool(reading.sender),
        "question": reading.question,
        "object_and_predicate": objects >= 1 and bool(reading.predicates),
        "object_and_vague_symptom": objects >= 1 and bool(reading.vague_symptoms),
        "category_and_predicate": bool(reading.categories) and bool(reading.predicates),
        "named_and_predicate": bool(reading.named) and bool(reading.predicates),
        "generic_only": reading.word_count == len(reading.generic),
        "words_4": reading.word_count >= 4,
        "words_8": reading.word_count >= 8,
    }
    return {name: float(has[name]) for name in FEATURES}
