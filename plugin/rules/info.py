"""Requests without enough information or context are delayed (P6)."""

from __future__ import annotations

import re
from itertools import pairwise

from plugin.language.forms import without_form_scaffolding
from plugin.language.subject_model import judge_subject, subject_model
from plugin.language.subjects import DATE_OR_TIME
from plugin.language.vocabulary import subject_vocabulary
from plugin.model import Finding, Message
from plugin.names import Flag
from plugin.policy import Policy
from plugin.text import strip_subject_prefixes, visible_text, words, written_text

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
    # A version, code or identifier: a token of three or more characters with a digit
    # ("1.6", "404", "E001"). A lone count ("2 of the workstations") is none.
    ("a version or number", re.compile(r"(?<![\w.-])(?=[\w.-]*?\d)[\w.-]{3,}")),
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


# How much of a message's text is read like a subject, for a product's name.
_OPENING_WORDS = 60
# ...and how many of its opening sentences are read as if each were a subject.
_OPENING_SENTENCES = 8
_OPENING = re.compile(rf"\s*+(?:\S++\s*+){{0,{_OPENING_WORDS}}}")
_SENTENCE_END = re.compile(r"[.!?;\n]++")
# Specifics that hint at what is wrong but give an agent nothing to look up.
# The words of a message that only thanks or acknowledges, in the languages clients write.
_ONLY_THANKS = frozenset(
    (
        *("thanks", "thank", "you", "thx", "ty", "very", "much", "many", "a", "lot", "ok"),
        *("okay", "done", "great", "perfect", "cheers", "all", "good", "works", "now"),
        *("danke", "vielen", "dank", "schön", "super", "erledigt", "passt", "alles", "gut"),
        *("merci", "beaucoup", "parfait", "c'est", "bon", "gracias", "muchas", "perfecto"),
        *("obrigado", "obrigada", "muito", "bedankt", "je", "wel", "prima", "dankie"),
        *("grazie", "mille", "спасибо", "谢谢", "多谢", "ありがとうございます"),
    )
)
# Words that say the writer needs or asks for something, in the languages clients write.
_WANTS = frozenset(
    (
        *("need", "needs", "needed", "require", "requires", "want", "wants", "request"),
        *("brauche", "brauchen", "benötige", "benötigen", "anfrage", "bräuchte"),
        *("besoin", "demande", "souhaite", "voudrais", "necesito", "necesitamos"),
        *("solicito", "solicitud", "quisiera", "preciso", "precisamos", "gostaria"),
        *("pedido", "nodig", "wil", "graag", "verzoek", "bisogno", "vorrei", "richiesta"),
        *("benodig", "versoek", "wil", "moet"),
    )
)
_THANKS_WORDS = 8  # a message that only thanks is short
_PUNCTUATION = ".,;:!?()[]\"'"
_WEAK_SPECIFICS = frozenset({"error text", "steps"})


def specifics_in(text: str) -> list[str]:
    """The kinds of specific detail ``text`` carries (empty when it has none).

    Dates and times are not numbers an agent can start from ("since 12.03.", "at 14:00").
    """
    undated = DATE_OR_TIME.sub(" ", text)
    return [kind for kind, pattern in SPECIFICS if pattern.search(undated)]


def needs_info_finding(message: Message, policy: Policy) -> Finding | None:
    """A finding when the request cannot be started on: no text, or nothing specific in
    its subject or its text.

    The subject counts: "Word fehlt auf IR1 PC 03" with an empty body says enough. A
    message is surely thin when its subject is surely vague and its text is short or
    names nothing (SPEC §3); when only one of those holds, agents are told in the note
    and the client nothing, since a wrong "your message lacks detail" costs more than a
    missed one.
    """
    subject = strip_subject_prefixes(message.subject)
    vagueness = _subject_vagueness(subject)
    if vagueness is None:
        return None
    surely_vague = vagueness >= subject_model().flag_at
    # A form's own fields and headings are no detail the client gave.
    text = without_form_scaffolding(written_text(message.body, message.content_type))
    count = len(words(text))
    if count <= _THANKS_WORDS and _only_thanks(message):
        return None
    if count and not _asks_or_reports(subject, text):
        return None  # "Hi", "test", "the report is done, I send it tomorrow": no request
    if count == 0:
        if message.attachment_count:
            only = "the message is only an attachment, with no text"
            return Finding(Flag.NEEDS_INFO, only, sure=surely_vague)
        return Finding(Flag.NEEDS_INFO, "the message has no text", sure=surely_vague)
    found = specifics_in(text)
    if any(kind not in _WEAK_SPECIFICS for kind in found):
        return None
    if count >= policy.needs_info.enough_words or _a_sentence_says_enough(text):
        return None
    named = _names_a_product(text)
    weak = found + (["a product's name"] if named else [])
    hints = f" (it only has {', '.join(weak)})" if weak else ""
    reason = (
        f"the message is too short ({count} words){hints}"
        if count < policy.needs_info.min_words
        else "neither the subject nor the message names an error text, host, address, "
        f"version, number or path{hints}"
    )
    return Finding(Flag.NEEDS_INFO, reason, sure=surely_vague and not named)


def _asks_or_reports(subject: str, text: str) -> bool:
    """The message asks for something or says that something is wrong: a question, a
    plea for help, a need, a symptom or a negation ("not working", "kann nicht")."""
    match = _OPENING.match(text)
    opening = f"{subject}\n{match[0] if match else ''}"
    if "?" in opening or "\uff1f" in opening:
        return True
    reading = judge_subject(opening).reading
    if reading.asks_help or reading.vague_symptoms:
        return True
    negations = subject_vocabulary().negation
    if any(word.lower() in negations or word.lower() in _WANTS for word in words(opening)):
        return True
    return "error text" in specifics_in(opening)


def _only_thanks(message: Message) -> bool:
    """ "Thanks!", "Danke.", "ok, erledigt": no request that could lack detail. A bare
    "Thanks!" is all sign-off to the written text, so the visible text is read."""
    visible = words(visible_text(message.body, message.content_type))
    return 0 < len(visible) <= _THANKS_WORDS and all(
        word.lower() in _ONLY_THANKS for word in visible
    )


def _subject_vagueness(subject: str) -> float | None:
    """How likely the subject is vague, or None when it says enough on its own."""
    if not subject:
        return 1.0
    judgement = judge_subject(subject)
    # An identifier, or a precise symptom or wanted action ("Install Acrobat on the
    # reception PC", "Meu computador não liga"), is enough to start on.
    if judgement.reading.identifiers or judgement.reading.predicates:
        return None
    probability = judgement.probability
    return probability if probability >= subject_model().note_at else None


def _a_sentence_says_enough(text: str) -> bool:
    """One of the opening sentences says what is wrong well enough to start on: it names a
    product and what it does or should do ("Der LaserJet im Büro druckt nicht mehr"), or
    an identifier. A category word is not enough ("Der Drucker druckt nicht")."""
    sentences = [part for part in _SENTENCE_END.split(text) if len(part.split()) >= 3]
    for sentence in sentences[:_OPENING_SENTENCES]:
        reading = judge_subject(sentence).reading
        # A sentence need not make a perfect subject: a named thing and what it does will do.
        if reading.identifiers or (reading.predicates and (reading.rare or reading.named)):
            return True
    return False


def _names_a_product(text: str) -> bool:
    """The opening of the text names a product or a host: a known product, or a word rare
    enough to be a name and written as one ("FleetOne", "MAS", "Zimbra" mid-sentence).

    A rare word in lower case is more often a misspelling or a word of a language the
    common-word list does not hold ("hize", "hindering") than a name.
    """
    match = _OPENING.match(text)
    opening = match[0] if match else ""
    reading = judge_subject(opening).reading
    products = subject_vocabulary().product
    return any(
        word.lower() in products or _written_as_name(word, opening)
        for word in (*reading.named, *reading.rare)
    )


def _written_as_name(word: str, text: str) -> bool:
    """``word`` has a capital inside it, or starts with one in the middle of a line (a
    capital at a line's start may only begin a sentence, or a name under a message)."""
    if word[1:] != word[1:].lower():
        return True
    if not word[:1].isupper():
        return False
    for line in text.splitlines():
        tokens = line.split()
        for before, token in pairwise(tokens):
            if token.strip(_PUNCTUATION) == word and before.rstrip(",")[-1:].isalpha():
                return True
    return False
