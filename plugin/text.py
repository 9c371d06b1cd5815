"""Turning real mail into the text a person wrote: subjects and bodies.

Mail arrives as HTML or plain text, MIME-encoded subjects, with quoted
earlier messages, forwarded headers and signatures. The classifiers judge only
what the customer wrote this time, so everything else is removed here.

Everything here reads text a customer controls, so each pattern runs in time
linear in its input (tests/test_linear_time.py times them on hostile input):
no quantifier may give back what a neighbour could take instead, and a search
must not restart inside a run it has already failed on. Possessive quantifiers
(``*+``) and atomic groups (``(?>...)``) say so to the engine (Python 3.11+).
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser

# The classifiers judge at most this much of a message's written text: a person's
# request fits in a few thousand characters, and the patterns' cost grows with
# the text. A decision's note says when a message was longer.
MAX_TEXT_CHARS = 20_000
# ...and at most this much of a subject (after MIME decoding): enough for any subject.
MAX_SUBJECT_CHARS = 500
# Raw subjects are cut before decoding too: the standard library's encoded-word pattern
# rescans the rest of the subject from each "=?" it finds. Base64 encoded-words of CJK
# text take under five characters for each decoded one, so this decodes to MAX_SUBJECT_CHARS.
_MAX_ENCODED_SUBJECT_CHARS = 5 * MAX_SUBJECT_CHARS

# Reply and forward prefixes in the languages mail clients use, e.g. "Re:",
# "Fwd:", "AW:", "WG:", "SV:", "VS:", "TR:", "Antw:", "RV:", "Odp:", "回复:".
_PREFIX_WORDS = (
    r"re|fw|fwd|aw|wg|sv|vs|vb|tr|antw|antwort|doorst|rv|enc|odp|pd|vl|ynt|ilt|"
    r"réf|ref|r|rif|res|atb|fs|bls|continue|回复|回覆|答复|转发|轉寄|返信|転送|Ответ|Отв|Пересл"
)
_SUBJECT_PREFIX = re.compile(
    # The full-width colon is what Chinese and Japanese mail clients write.
    rf"^\s*+(?:(?:{_PREFIX_WORDS})\s*+(?:\[\d++\]|\(\d++\))?+\s*+[:：]\s*+)+",  # noqa: RUF001
    re.IGNORECASE,
)
# Ticket-number tags such as "[Ticket#10081]", "[#123]", "(Ticket#123)", "[Ticket #12]".
# A tag, for HTML the parser gives up on; stops at the next "<", so it stays linear.
_TAG = re.compile(r"<[^<>]*+>")
_TICKET_TAG = re.compile(r"[\[(]\s*+(?:ticket\s*+)?+#\s*+\d++\s*+[\])]", re.IGNORECASE)

_BLOCK_TAGS = frozenset(
    {"br", "p", "div", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr"}
)
_DROPPED_TAGS = frozenset({"blockquote", "script", "style", "head", "title"})
# HTML containers mail clients put quoted mail or signatures in; the text ends there.
_STOP_MARKERS = (
    "js-signaturemarker",
    "gmail_quote",
    "gmail_signature",
    "moz-cite-prefix",
    "moz-signature",
    "yahoo_quoted",
    "divrplyfwdmsg",
    "appendonsend",
    "ms-outlook-mobile-signature",
    "domino-section",  # Lotus Notes / Domino: the quoted message's section
    "outlookmessageheader",
    "mail-editor-reference-message-container",  # new Outlook
    "protonmail_quote",
    "zwchr",  # Zimbra's reply header
    "felamimail-body-blockquote",  # Tine 2.0
)

# A line that introduces a quoted earlier message; everything after it is dropped.
_QUOTE_HEADER = re.compile(
    r"^\s*+(?:"
    r"on\b.{0,200}\bwrote:?|"
    r"am\b.{0,200}\bschrieb.{0,80}:?|"
    r"le\b.{0,200}\ba écrit\s*:?|"
    r"el\b.{0,200}\bescribió\s*:?|"
    r"op\b.{0,200}\b(?:schreef|geskryf).{0,80}:?|"
    r"em\b.{0,200}\bescreveu\s*:?|"
    r"il\b.{0,200}\bha scritto\s*:?|"
    r"-{2,}+\s*+(?:original message|ursprüngliche nachricht|message d'origine|"
    r"mensaje original|mensagem original|messaggio originale|oorspronkelijk bericht|"
    r"oorspronklike boodskap|forwarded message|weitergeleitete nachricht)"
    r"\s*+-{2,}|"
    r"_{10,}|"
    # Outlook's header block: "From:", "Von:", "De :" (French spacing), "Da:", "Van:".
    r"(?:from|von|de|van|da) ?+:\s.++\s*+$"
    r")",
    re.IGNORECASE,
)
_SIGNATURE_START = re.compile(
    r"^\s*+(?:--\s*+|__\s*+|"
    r"sent from my .*+|get outlook for .*+|von meinem .* gesendet|envoyé de mon .*+|"
    r"enviado desde mi .*+|enviado do meu .*+|verzonden vanaf mijn .*+|"
    # English
    r"(?:(?:kind|best|warm|warmest|many|with) )?regards|best(?: wishes)?|cheers|"
    r"thanks(?: (?:and|&) regards| in advance| again| a lot)?|thank you(?: in advance)?|"
    r"many thanks|sincerely|yours(?: sincerely| faithfully| truly)?|br|"
    # German
    r"mit (?:freundliche[mn]?|besten|herzliche[mn]?) gr[üu](?:ß|ss)(?:en?)?|"
    r"freundliche grü(?:ß|ss)e|"
    r"(?:viele|liebe|beste|herzliche|schöne) grü(?:ß|ss)e|grü(?:ß|ss)e|gru(?:ß|ss)|mfg|lg|vg|"
    # French, Spanish, Portuguese, Italian
    r"(?:bien )?cordialement|bien à (?:vous|toi)|salutations(?: distinguées)?|"
    r"(?:un )?(?:saludo|saludos)(?: cordiales)?|atentamente|"
    r"atenciosamente|cumprimentos|abraços?|"
    r"(?:cordiali|distinti) saluti|saluti|"
    # Dutch and Afrikaans
    r"met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|groet(?:en|jes)?|mvg|"
    r"(?:vriendelike )?groete|baie dankie)[,.!]?+(?:\s++\S++){0,3}?\s*+$",
    re.IGNORECASE,
)
# A name under a sign-off: a few capitalised words or initials ("Thandi", "J. Smith").
_NAME_LINE = re.compile(r"^\s*+[^\W\d_][\w.'-]*+(?:\s++[^\W\d_][\w.'-]*+){0,3}\s*+$")
# A sign-off only ends the message when few lines follow it (name, title, phone).
_SIGNATURE_MAX_LINES = 8
# Typographic apostrophes (U+2019) are common in mail, so a word may contain one.
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*", re.UNICODE)  # noqa: RUF001


def decode_subject(subject: str | None) -> str:
    """A subject with MIME encoded-words (``=?UTF-8?B?...?=``) decoded and spaces folded, cut
    to its first MAX_SUBJECT_CHARS characters."""
    if not subject:
        return ""
    subject = subject[:_MAX_ENCODED_SUBJECT_CHARS]
    if "=?" in subject:
        # Not valid encoded-words after all: judge the text as it is.
        with suppress(HeaderParseError, UnicodeDecodeError, LookupError):
            subject = str(make_header(decode_header(subject)))
    return " ".join(subject.split())[:MAX_SUBJECT_CHARS].rstrip()


# Several rules read the same subject.
@lru_cache(maxsize=256)
def strip_subject_prefixes(subject: str) -> str:
    """The subject without reply/forward prefixes and ticket-number tags, repeated or mixed."""
    text = decode_subject(subject)
    previous = None
    while previous != text:
        previous = text
        text = _TICKET_TAG.sub(" ", text)
        text = _SUBJECT_PREFIX.sub("", text).strip()
    return " ".join(text.split())


class _TextExtractor(HTMLParser):
    """Visible text of an HTML mail, without quoted parts, up to a signature marker."""

    def __init__(self, *, keep_links: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropped_depth = 0
        self._stopped = False
        self._keep_links = keep_links
        self._links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._stopped:
            return
        markers = " ".join(f"{value or ''}" for name, value in attrs if name in ("class", "id"))
        if any(marker in markers.lower() for marker in _STOP_MARKERS):
            self._stopped = True
            return
        if tag in _DROPPED_TAGS:
            self._dropped_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag == "a" and self._keep_links:
            self._links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_TAGS and self._dropped_depth:
            self._dropped_depth -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag == "a" and self._links and not self._stopped:
            href = self._links.pop()
            if href:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self._stopped and not self._dropped_depth:
            self.parts.append(data)

    def close(self) -> None:
        """Parse what is left; markup left unfinished at the end is kept as text."""
        # Before 3.11.13, HTMLParser.close() keeps an unfinished tag, comment or
        # declaration as text up to the next ">" or "<" and parses on from there,
        # rescanning to the end of the text for each one: quadratic on "<a <a <a ..."
        # (CPython gh-135462). feed() has parsed everything before the first one, so
        # what is left is a broken tail: kept as text in one piece, on every Python.
        tail = self.rawdata
        if "<" in tail and not self.cdata_elem:
            self.rawdata = ""
            self.handle_data(unescape(tail))
        super().close()


def html_to_text(html: str, *, keep_links: bool = False) -> str:
    """Visible text of an HTML body, block elements as line breaks, links' targets if asked."""
    extractor = _TextExtractor(keep_links=keep_links)
    try:
        extractor.feed(html)
        extractor.close()
    except AssertionError:
        # html.parser asserts on some malformed markup ("<![ x"; later CPython releases
        # fix it): judge the body with its tags stripped instead of failing the message.
        return unescape(_TAG.sub(" ", html)).replace("\xa0", " ")
    return unescape("".join(extractor.parts)).replace("\xa0", " ")


def written_text(body: str, content_type: str = "text/plain") -> str:
    """What the sender wrote this time (no HTML, quoted mail, forwarded headers or signature),
    cut to its first MAX_TEXT_CHARS characters."""
    return _written(body, content_type).text


def visible_text(body: str, content_type: str = "text/plain") -> str:
    """Everything a reader of the mail sees (no HTML tags; quotes, signatures and footers
    kept), cut to its first MAX_TEXT_CHARS characters."""
    return _visible(body, content_type)


def _visible(body: str, content_type: str) -> str:
    return _plain(body, content_type)[:MAX_TEXT_CHARS]


# A message's HTML is parsed once, whether its written or its whole visible text is asked.
@lru_cache(maxsize=256)
def _plain(body: str, content_type: str) -> str:
    return html_to_text(body) if "html" in content_type.lower() else body


def written_length(body: str, content_type: str = "text/plain") -> int:
    """How many characters the sender wrote this time, before the cut to MAX_TEXT_CHARS."""
    return _written(body, content_type).length


@dataclass(frozen=True, slots=True)
class _Written:
    text: str
    length: int


# Several rules read the same message; parsing its HTML once is enough.
@lru_cache(maxsize=256)
def _written(body: str, content_type: str) -> _Written:
    text = without_quotes_and_signature(_plain(body, content_type))
    return _Written(text[:MAX_TEXT_CHARS].rstrip(), len(text))


def without_quotes_and_signature(text: str) -> str:
    """Plain ``text`` without quoted lines, the earlier message a reply or forward header
    introduces, or what follows a closing sign-off.

    A reply header followed by ``>``-quoted lines only starts a quote: what the sender
    wrote below or between the quoted lines is kept. A header followed by unquoted text
    (Outlook's "From: ... Sent: ...") starts the earlier message, and the text ends there.
    """
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    headers = [bool(_QUOTE_HEADER.match(line)) for line in lines]
    # For each line, whether a reply header comes anywhere after it (one pass from the end).
    header_after = [False] * (len(lines) + 1)
    for index in range(len(lines) - 1, -1, -1):
        header_after[index] = header_after[index + 1] or headers[index]
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            continue
        if headers[index]:
            if _quoted_lines_follow(lines, index):
                continue
            break
        if _SIGNATURE_START.match(line) and (
            header_after[index + 1] or _is_near_end(lines, index) or _name_follows(lines, index)
        ):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _next_text_line(lines: list[str], index: int) -> str | None:
    """The first non-blank line after ``lines[index]``."""
    for position in range(index + 1, len(lines)):
        if lines[position].strip():
            return lines[position]
    return None


def _quoted_lines_follow(lines: list[str], index: int) -> bool:
    following = _next_text_line(lines, index)
    return following is not None and following.lstrip().startswith(">")


def _name_follows(lines: list[str], index: int) -> bool:
    """A sign-off followed by a name: the signature starts there, however long it is."""
    following = _next_text_line(lines, index)
    if following is None or not _NAME_LINE.match(following):
        return False
    return all(word[:1].isupper() for word in following.split())


def _is_near_end(lines: list[str], index: int) -> bool:
    """Few lines follow ``lines[index]``."""
    # Only the next few non-blank lines are looked at, so that many sign-offs in a row
    # ("--\n--\n--...") are not each followed to the end of the text: that is quadratic.
    remaining = 0
    for position in range(index + 1, len(lines)):
        if lines[position].strip():
            remaining += 1
            if remaining > _SIGNATURE_MAX_LINES:
                return False
    return True


def words(text: str) -> list[str]:
    """The words of ``text`` (letters and digits, inner apostrophes, dots and hyphens kept)."""
    return _WORD.findall(text)
