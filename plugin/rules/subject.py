"""Vague subjects: a subject must say what the request is about (P7).

After reply/forward prefixes and ticket tags are stripped, a subject is vague
when nothing is left, when it is a placeholder a mail client writes, or when
every word in it is generic (greetings, "help", "problem", "urgent",
"not working" and their equivalents in the languages our clients write in).
"""

from __future__ import annotations

from plugin.model import Finding
from plugin.names import Flag
from plugin.text import strip_subject_prefixes, words

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

# Words that carry no specific content in a subject line, by language.
_GENERIC_TEXT = (
    # English: asks, greetings, urgency, symptoms without an object, fillers.
    """
    help helpdesk problem problems issue issues question questions query queries enquiry inquiry
    request requests support assistance assist urgent urgently asap important emergency critical
    priority high top quick quickly immediate immediately hello hi hey dear greetings morning
    afternoon good test testing tested fyi attention please pls plz kindly thanks thank you
    need needs needed require required requesting want wanted info information update
    not working work works worked broken doesn't dont don't isn't won't cannot can't can
    fix fixed fixing error errors fault failure fail failed crash crashed down outage
    a an the my our your we i me us it its is are was be been with for to of on in at from
    and or some any this that these there have has had do does did could would should will
    again still now today just very so also about regarding re concerning something anything
    it's that's there's read look see check as per
    sorry bother favour favor following follow up followup checking discussed attached
    attachment scan scanned document documents file files copy last week yesterday tomorrow
    thing things stuff all one more another same new little small big little bit
    computer pc system systems device tech technical it-support
    ticket message mail note matter case
    """
    # German
    """
    hilfe problem probleme frage fragen anfrage dringend bitte hallo wichtig störung fehler
    funktioniert geht nicht mit ein eine der die das dem den des und ich wir unser mein kein keine
    """
    # Scandinavian
    """
    hjälp hjelp hjælp fråga spørsmål spørgsmål brådskande haster viktig vigtigt problemet
    """
    # French
    """
    aide problème probleme question demande urgent urgente bonjour salut important besoin svp
    erreur panne ne pas fonctionne marche le la les un une de du des avec mon notre et
    """
    # Spanish, Portuguese, Italian
    """
    ayuda problema problemas pregunta consulta solicitud urgente hola importante falla no
    funciona con el los una mi nuestro y por favor ajuda pergunta pedido olá ola erro não nao
    com o um uma meu aiuto domanda richiesta ciao errore non il lo mio
    """
    # Dutch and Afrikaans
    """
    hulp probleem vraag vrae versoek asseblief belangrik fout werk nie niet met het 'n een
    en ons mijn dringend hallo goeie môre more
    """
)
GENERIC_WORDS = frozenset(_GENERIC_TEXT.split())


def vague_subject_finding(subject: str) -> Finding | None:
    """A finding when ``subject`` does not describe the request, with the reason why."""
    stripped = strip_subject_prefixes(subject)
    if not stripped:
        return Finding(Flag.VAGUE_SUBJECT, "the subject is empty")
    if stripped.lower().strip(" !?.:") in PLACEHOLDERS or stripped.lower() in PLACEHOLDERS:
        return Finding(Flag.VAGUE_SUBJECT, f"the subject is a placeholder ('{stripped}')")
    tokens = [token.lower() for token in words(stripped)]
    specific = [token for token in tokens if _is_specific(token)]
    if specific:
        return None
    if not tokens:
        return Finding(Flag.VAGUE_SUBJECT, f"the subject '{stripped}' has no words")
    generic = ", ".join(dict.fromkeys(tokens))
    return Finding(
        Flag.VAGUE_SUBJECT, f"the subject '{stripped}' has only generic words ({generic})"
    )


def _is_specific(token: str) -> bool:
    if token in GENERIC_WORDS:
        return False
    if token.isdigit():
        # A ticket or order number says something; a lone "1" or "2" does not.
        return len(token) >= 3
    return len(token) >= 2
