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

from plugin.language.common_words import common_words
from plugin.language.vocabulary import SubjectVocabulary, subject_vocabulary
from plugin.text import strip_subject_prefixes, words

# Dates and times are not identifiers (tests/corpus/README.md): "12.03.", "12.03.2026",
# "2026-03-12", "12/03/26", "14:00". They are blanked before the words are read.
DATE_OR_TIME = re.compile(
    r"(?<![\d.])\d{1,2}\.\d{1,2}\.(?:\d{4})?+(?![\w.])"
    r"|(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)|(?<![\d-])\d{1,2}-\d{1,2}-\d{4}(?![\d-])"
    r"|(?<![\d/])\d{1,2}/\d{1,2}(?:/\d{2,4})?+(?![\d/])"
    r"|(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?+(?![\d:])"
)
# Quoted text of a few words is an error message ("'550 Relaying denied'"). Each quote
# kind stops at its own closing mark, so no character is scanned twice.
_QUOTED = re.compile(
    r"\"[^\"\n]{6,200}+\"|“[^”\n]{6,200}+”|„[^“”\n]{6,200}+[“”]|«[^»\n]{6,200}+»"
    r"|(?<!\w)'[^'\n]{6,200}+'(?!\w)"
)
# ERR_CONNECTION_REFUSED, check_procs, netdisco-web_1: symbolic names; and addresses.
_SYMBOL = re.compile(
    r"(?<![\w-])[a-z][a-z0-9-]*+(?:_[a-z0-9]++)++(?![\w-])|(?<![\w.+-])[\w.+-]++@[\w.-]*+",
    re.IGNORECASE,
)
# The last part of a host name or file name: "example.com", "mail.log", "node.js".
_DOTTED_NAME = re.compile(r"^[^\W\d_][\w-]*+(?:\.[\w-]++)*?\.[a-z]{2,}$", re.IGNORECASE)
# French and Italian elisions: "l'upload" is looked up as "upload".
_ELISION = re.compile(r"^(?:[ldnjsmtc]|qu)'(?=\w)")
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})  # noqa: RUF001
# "Request from Sipho M.": a sender marker and then only names and initials to the end.
_NAME = re.compile(r"^(?:[A-Z][\w'-]*+\.?|[A-Z]\.)$")
# A Chinese character (CJK Unified Ideographs and Extension A); a run of them, or of
# anything else ("NAS" in "NAS连接不上").
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_SCRIPT_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]++|[^\u3400-\u4dbf\u4e00-\u9fff]++")
_UNREAD_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


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
    # Objects no common word of the languages read is spelled like: names of products.
    rare: list[str] = field(default_factory=list)
    # Words in a script the word classes do not cover (Chinese, Japanese, Korean...).
    unread: list[str] = field(default_factory=list)
    sender: str = ""
    question: bool = False
    first_person: bool = False
    asks_help: bool = False
    trigger: bool = False

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
            + len(self.unread)
        )


def read_subject(subject: str, vocabulary: SubjectVocabulary | None = None) -> SubjectReading:
    """Sort the words of ``subject`` (prefixes and ticket tags removed) into their parts."""
    vocabulary = vocabulary or subject_vocabulary()
    text = strip_subject_prefixes(subject).translate(_APOSTROPHES)
    # A question ends with "?" or its full-width form.
    reading = SubjectReading(text=text, question=text.rstrip().endswith(("?", "\uff1f")))
    reading.identifiers.extend(match[0] for match in _QUOTED.finditer(text))
    reading.identifiers.extend(match[0] for match in _SYMBOL.finditer(text))
    plain = _SYMBOL.sub(" ", _QUOTED.sub(" ", DATE_OR_TIME.sub(" ", text)))
    tokens = [piece for token in words(plain) for piece in _cut_han(token, vocabulary)]
    sender_at = _sender_position(tokens, vocabulary)
    if sender_at is not None:
        reading.sender = " ".join(tokens[sender_at:])
        tokens = tokens[:sender_at]
    negated = after_object = after_thing = False
    for position, token in enumerate(tokens):
        kind = _word_class(token, vocabulary, negated=negated, after_object=after_object)
        if after_thing and token.isdigit():
            kind = "identifier"  # "Nextcloud 5", "PC 02", "Windows 8": which one, or a version
        elif reading.trigger and kind == "predicate":
            kind = "generic"  # "not working after the update": when, not what fails
        getattr(reading, _PARTS[kind]).append(token)
        if kind == "object":
            word = token.lower()
            if word in vocabulary.product or _looks_named(token, position):
                reading.named.append(token)
            if is_rare(word):
                reading.rare.append(token)
        elif kind == "generic":
            word = token.lower()
            reading.first_person = reading.first_person or word in vocabulary.first_person
            reading.asks_help = reading.asks_help or word in vocabulary.asks_help
            reading.trigger = reading.trigger or word in vocabulary.trigger
        # A negation reaches past filler words ("can't really connect") to the next word.
        negated = kind == "negation" or (negated and kind == "generic")
        after_object = kind == "object" or (after_object and kind == "generic")
        after_thing = kind in ("object", "category")
    return reading


# Which list of a SubjectReading each class of word goes to.
_PARTS = {
    "identifier": "identifiers",
    "negation": "generic",
    "generic": "generic",
    "vague_symptom": "vague_symptoms",
    "predicate": "predicates",
    "category": "categories",
    "department": "departments",
    "unread": "unread",
    "object": "objects",
}


def _word_class(
    token: str, vocabulary: SubjectVocabulary, *, negated: bool, after_object: bool
) -> str:
    """The class of one word of a subject, given what came just before it."""
    word = token.lower()
    if "'" in word:
        word = _ELISION.sub("", word)
    if _is_identifier(token):
        return "identifier"
    if word in vocabulary.negation:
        return "negation"
    if word in vocabulary.support and after_object:
        return "predicate"  # "IPsec support", not "IT Support:"
    for kind in ("generic", "vague_symptom"):
        if word in getattr(vocabulary, kind):
            return kind
    if word in vocabulary.product:
        return "object"  # "Outlook", "Teams", "Word": a product, whatever else the word means
    if word in vocabulary.predicate or (
        negated and word not in vocabulary.category and word not in vocabulary.stopwords
    ):
        # After a negation, an unknown word is what fails: "won't sync", "kann nicht drucken".
        return "predicate"
    for kind in ("category", "department"):
        if word in getattr(vocabulary, kind):
            return kind
    if word in vocabulary.stopwords:
        return "generic"
    if not word.isascii() and _UNREAD_SCRIPT.search(word):
        return "unread"
    if word.endswith("ly") and len(word) > 4:
        return "generic"  # adverbs: "correctly", "suddenly"
    if word.endswith(("ed", "ing")) and len(word) > 5 and not is_rare(word):
        return "predicate"  # "refreshed", "resolving": verb forms
    if len(word) >= 2 and not word.isdigit():
        return "object"
    return "generic"


def _cut_han(token: str, vocabulary: SubjectVocabulary) -> list[str]:
    """``token`` cut into words where it is written in Han characters, which need no spaces
    between words: "NAS连接不上" is "NAS", "连接不上"; "发送邮件失败" is "发送", "邮件", "失败".

    Each run of Han characters is cut into the longest words the word classes know, read
    from the left; characters no word claims stay together as one word (a name, most
    often), which the classes then leave unread.
    """
    if not _HAN.search(token):
        return [token]
    pieces: list[str] = []
    for run in _SCRIPT_RUN.findall(token):
        if not _HAN.match(run):
            pieces.append(run)
            continue
        unknown_from = start = 0
        while start < len(run):
            for length in range(min(vocabulary.longest_han, len(run) - start), 0, -1):
                if run[start : start + length] in vocabulary.han:
                    break
            else:
                start += 1  # no word starts here
                continue
            if unknown_from < start:
                pieces.append(run[unknown_from:start])
            pieces.append(run[start : start + length])
            start += length
            unknown_from = start
        if unknown_from < len(run):
            pieces.append(run[unknown_from:])
    return pieces


def _is_identifier(token: str) -> bool:
    """A version, number, address part, model or host name: something an agent can look up."""
    if token.isalpha():
        return False
    digits = sum(character.isdigit() for character in token)
    if digits:
        if token.isdigit():
            return len(token) >= 3 and not _YEAR.match(token)
        # "Icinga2", "php8": a product's name with its major version is a name, not an
        # identifier; "1.6", "0x80070005", "NAS02", "B2" (a room), "10.0.5.0" are.
        return len(token) <= 3 or not (digits == 1 and token[-1].isdigit() and token[:-1].isalpha())
    return "." in token and bool(_DOTTED_NAME.match(token))


def is_rare(word: str) -> bool:
    """Whether ``word`` is uncommon in every language clients write in (product names,
    jargon, typos): "calendar" is common, "zimbra" and "pfsense" are not."""
    return word.lower() not in common_words()


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
    "rare",
    "common_objects_only",
    "unread",
    "predicate",
    "vague_symptom",
    "category",
    "department",
    "sender",
    "question",
    "first_person",
    "asks_help",
    "predicates_2",
    "rare_and_predicate",
    "named_and_vague_symptom",
    "object_and_predicate",
    "object_and_vague_symptom",
    "category_and_predicate",
    "named_and_predicate",
    "generic_only",
    "words_4",
    "words_8",
    "trigger",
    "symptom_without_how",
    "rare_and_vague_symptom",
    "category_only",
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
        "rare": bool(reading.rare),
        "common_objects_only": objects >= 1 and not reading.rare and not reading.named,
        "unread": bool(reading.unread),
        "predicate": bool(reading.predicates),
        "vague_symptom": bool(reading.vague_symptoms),
        "category": bool(reading.categories),
        "department": bool(reading.departments),
        "sender": bool(reading.sender),
        "question": reading.question,
        "first_person": reading.first_person,
        "asks_help": reading.asks_help,
        "predicates_2": len(reading.predicates) >= 2,
        "rare_and_predicate": bool(reading.rare) and bool(reading.predicates),
        "named_and_vague_symptom": bool(reading.named) and bool(reading.vague_symptoms),
        "object_and_predicate": objects >= 1 and bool(reading.predicates),
        "object_and_vague_symptom": objects >= 1 and bool(reading.vague_symptoms),
        "category_and_predicate": bool(reading.categories) and bool(reading.predicates),
        "named_and_predicate": bool(reading.named) and bool(reading.predicates),
        "generic_only": reading.word_count == len(reading.generic),
        "words_4": reading.word_count >= 4,
        "words_8": reading.word_count >= 8,
        # "... after the update", "... when I log in": when it fails, not how.
        "trigger": reading.trigger,
        "symptom_without_how": bool(reading.vague_symptoms) and not reading.predicates,
        "rare_and_vague_symptom": bool(reading.rare) and bool(reading.vague_symptoms),
        "category_only": bool(reading.categories) and not objects and not reading.identifiers,
    }
    return {name: float(has[name]) for name in FEATURES}
