"""Vague subjects: a subject must say what the request is about (P7, SPEC §3).

After reply/forward prefixes and ticket tags are stripped, a subject is vague
when nothing is left, when it is a placeholder a mail client writes, or when
the shipped model (plugin/language) finds that it does not name *what* is
concerned and *what is wrong or wanted*, and carries no identifier. The reason
says which of those is missing. Where the model is unsure, agents are told in
the note and the client hears nothing (the finding is not ``sure``).
"""

from __future__ import annotations

from plugin.language.subject_model import judge_subject, subject_model
from plugin.language.subjects import SubjectReading
from plugin.model import Finding
from plugin.names import Flag
from plugin.text import strip_subject_prefixes

# What mail clients and helpdesks put where a subject should be (Zammad: "-").
PLACEHOLDERS = frozenset(
    {
        "-",
        "--",
        "---",
        ".",
        "..",
        "...",
        "…",
        "?",
        "??",
        "!",
        "none",
        "n/a",
        "na",
        "nil",
        "no subject",
        "(no subject)",
        "[no subject]",
        "<no subject>",
        "(none)",
        "untitled",
        "(empty)",
        "empty",
        "subject",
        "(kein betreff)",
        "kein betreff",
        "kein thema",
        "(sans objet)",
        "sans objet",
        "(sin asunto)",
        "sin asunto",
        "(geen onderwerp)",
        "geen onderwerp",
        "(sem assunto)",
        "sem assunto",
        "(nessun oggetto)",
        "nessun oggetto",
        "sonder onderwerp",
        "(ingen emne)",
        "ingen emne",
        "(inget ämne)",
        "new message",
        "message",
        "fw",
        "fwd",
        "re",
    }
)


def vague_subject_finding(subject: str) -> Finding | None:
    """A finding when ``subject`` does not describe the request, with the reason why."""
    stripped = strip_subject_prefixes(subject)
    if not stripped:
        return Finding(Flag.VAGUE_SUBJECT, "the subject is empty")
    if stripped.lower().strip(" !?.:") in PLACEHOLDERS or stripped.lower() in PLACEHOLDERS:
        return Finding(Flag.VAGUE_SUBJECT, f"the subject is a placeholder ('{stripped}')")
    judgement = judge_subject(stripped)
    reading, probability = judgement.reading, judgement.probability
    if not reading.word_count and not reading.sender:
        return Finding(Flag.VAGUE_SUBJECT, f"the subject '{stripped}' has no words")
    model = subject_model()
    if probability < model.note_at:
        return None
    # A subject in a script the word lists do not cover is never judged surely vague.
    sure = probability >= model.flag_at and not reading.unread
    reason = f"the subject '{stripped}' {what_it_lacks(reading)}"
    if not sure:
        reason += f" (perhaps vague: {probability:.0%})"
    return Finding(Flag.VAGUE_SUBJECT, reason, sure=sure)


def what_it_lacks(reading: SubjectReading) -> str:
    """What an agent would miss in a subject read as ``reading``, in words."""
    objects = _listed(reading.objects)
    if reading.sender or reading.departments:
        who = reading.sender or _listed(reading.departments)
        return f"names who it is from ({who}), not what it is about"
    if reading.objects and reading.vague_symptoms:
        return (
            f"names {objects} but only a generic symptom ({_listed(reading.vague_symptoms)}), "
            "not what exactly is wrong"
        )
    if reading.objects and not reading.predicates:
        return f"names {objects} but not what is wrong or wanted"
    if reading.categories and reading.vague_symptoms:
        return (
            f"names only a kind of thing ({_listed(reading.categories)}) and a generic "
            f"symptom ({_listed(reading.vague_symptoms)}): not which one, or what exactly is wrong"
        )
    if reading.categories and reading.predicates:
        return (
            f"names only a kind of thing ({_listed(reading.categories)}) and what happens "
            f"({_listed(reading.predicates)}): not which one"
        )
    if reading.categories:
        kinds = _listed(reading.categories)
        return f"names only a kind of thing ({kinds}), not which one or what is wrong"
    if reading.objects and reading.predicates:
        return (
            f"names {objects} and what happens ({_listed(reading.predicates)}), but too "
            "briefly to tell which one or what exactly is wrong"
        )
    if reading.predicates or reading.vague_symptoms:
        symptom = _listed(reading.predicates + reading.vague_symptoms)
        return f"says what happens ({symptom}) but not to what"
    if reading.unread:
        return "could not be read for what it names (a script the word lists do not cover)"
    if reading.objects:
        return f"names {objects}, but too little to start from"
    return f"has only generic words ({_listed(reading.generic)})"


def _listed(tokens: list[str]) -> str:
    return ", ".join(dict.fromkeys(token.lower() for token in tokens))
