"""Reading the labelled corpora (tests/corpus/README.md): rows, splits and the frozen hash.

Messages that were gathered as whole RFC 822 mails are turned into what Zammad's
webhook would carry for them: the subject, the sender, the body Zammad keeps and
its type, and Zammad's own auto-response verdict from the mail's headers.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SUBJECTS = HERE / "subjects.tsv"
MESSAGES = HERE / "messages.jsonl"
FROZEN_HASHES = HERE / "frozen.sha256"
SUBJECT_FIELDS = ("id", "label", "language", "split", "subject", "source")
MESSAGE_LABELS = ("needs_info", "meeting_request", "project_task", "machine")
SPLITS = ("frozen", "dev")


@dataclass(frozen=True, slots=True)
class SubjectRow:
    """One real subject line with its label."""

    id: str
    vague: bool
    language: str
    split: str
    subject: str
    source: str


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One real message with its labels, as the helpdesk's webhook would carry it."""

    id: str
    language: str
    split: str
    source: str
    subject: str
    from_address: str
    content_type: str
    body: str
    auto_response: bool
    labels: dict[str, bool] = field(default_factory=dict)
    attachment_count: int = 0


def read_subjects(path: Path = SUBJECTS) -> list[SubjectRow]:
    """Every labelled subject line."""
    rows = []
    lines = path.read_text("utf-8").splitlines()
    if tuple(lines[0].split("\t")) != SUBJECT_FIELDS:
        raise ValueError(f"subjects.tsv: the header is not {SUBJECT_FIELDS}")
    for line in lines[1:]:
        record = dict(zip(SUBJECT_FIELDS, line.split("\t"), strict=True))
        if record["label"] not in {"vague", "specific"} or record["split"] not in SPLITS:
            raise ValueError(f"subjects.tsv: bad label or split in {record}")
        rows.append(
            SubjectRow(
                id=record["id"],
                vague=record["label"] == "vague",
                language=record["language"],
                split=record["split"],
                subject=record["subject"],
                source=record["source"],
            )
        )
    return rows


def read_message_records(path: Path = MESSAGES) -> list[dict[str, Any]]:
    """The message corpus's records as stored (raw mails not yet parsed)."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def read_messages(path: Path = MESSAGES) -> list[MessageRow]:
    """Every labelled message, raw mails parsed as Zammad would take them in."""
    return [message_row(record) for record in read_message_records(path)]


def message_row(record: dict[str, Any]) -> MessageRow:
    labels = {name: bool(record[name]) for name in MESSAGE_LABELS}
    common = {
        "id": record["id"],
        "language": record["language"],
        "split": record["split"],
        "source": record["source"],
        "labels": labels,
    }
    if record["kind"] == "raw":
        return MessageRow(**common, **parse_raw_mail(record["raw"]))
    body, screenshots = _without_inline_images(record["body"])
    return MessageRow(
        **common,
        subject=record.get("subject") or "",
        from_address=record.get("from") or "",
        content_type=record.get("content_type") or "text/plain",
        body=body,
        auto_response=False,
        attachment_count=screenshots,
    )


# Issue bodies show a pasted screenshot as a link to the tracker's image store; the same
# screenshot sent by mail is an attachment, and its address is no detail of the problem.
_INLINE_IMAGE = re.compile(r"!\[[^\]\n]*+\]\([^)\s]*+\)|<img\b[^>]*+>", re.IGNORECASE)


def _without_inline_images(body: str) -> tuple[str, int]:
    """An issue body as a mail would carry it: pasted images taken out as attachments."""
    return _INLINE_IMAGE.subn("", body)


# -- raw mail, as Zammad takes it in ------------------------------------------------------

# Zammad's Channel::Filter::AutoResponseCheck (app/models/channel/filter/auto_response_check.rb)
# marks a mail as an auto-response when one of these headers matches. Its last check, a
# Message-ID on Zammad's own host name, cannot apply to mail from elsewhere.
_AUTO_RESPONSE_HEADERS = (
    ("list-unsubscribe", re.compile(r"...")),
    ("x-loop", re.compile(r"(yes|true)", re.IGNORECASE)),
    ("precedence", re.compile(r"(bulk|list|junk)", re.IGNORECASE)),
    ("auto-submitted", re.compile(r"auto-(generated|replied)", re.IGNORECASE)),
    ("x-auto-response-suppress", re.compile(r"all", re.IGNORECASE)),
)


def zammad_is_auto_response(mail: EmailMessage) -> bool:
    """Zammad's ``is-auto-response`` article preference for ``mail``."""
    for header, pattern in _AUTO_RESPONSE_HEADERS:
        value = mail.get(header)
        if value is not None and pattern.search(str(value)):
            return True
    return False


def parse_raw_mail(raw: str) -> dict[str, Any]:
    """Subject, sender, body and type, and the auto-response verdict of one raw mail.

    Zammad keeps a mail's HTML part as the article body when it has one, and its
    plain-text part otherwise (app/models/channel/email_parser.rb, message_body_hash).
    """
    mail = email.message_from_string(raw, policy=email.policy.default)
    assert isinstance(mail, EmailMessage)
    html = _first_part(mail, "text/html")
    plain = _first_part(mail, "text/plain")
    if html is not None:
        body, content_type = html, "text/html"
    else:
        body, content_type = plain or "", "text/plain"
    return {
        "subject": str(mail.get("subject") or ""),
        "from_address": str(mail.get("from") or ""),
        "content_type": content_type,
        "body": body,
        "auto_response": zammad_is_auto_response(mail),
    }


def _first_part(mail: EmailMessage, content_type: str) -> str | None:
    for part in mail.walk():
        if (
            part.get_content_type() != content_type
            or part.get_content_disposition() == "attachment"
        ):
            continue
        try:
            content = part.get_content()
        except (LookupError, UnicodeError, AssertionError):
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        if isinstance(content, str):
            return content
    return None


# -- the frozen split -------------------------------------------------------------------


def frozen_hash(lines: Iterable[str]) -> str:
    """The SHA-256 of a corpus's frozen lines, in file order."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def frozen_subject_lines(path: Path = SUBJECTS) -> Iterator[str]:
    for line in path.read_text("utf-8").splitlines()[1:]:
        if line.split("\t")[3] == "frozen":
            yield line


def frozen_message_lines(path: Path = MESSAGES) -> Iterator[str]:
    for line in path.read_text("utf-8").splitlines():
        if line.strip() and json.loads(line)["split"] == "frozen":
            yield line


def recorded_hashes(path: Path = FROZEN_HASHES) -> dict[str, str]:
    """The frozen splits' hashes as recorded when the split was drawn."""
    hashes = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split()
            hashes[name] = digest
    return hashes
