"""Hand-written quote and signature stripping against mail-parser-reply, on real mail.

    python -m tests.corpus.compare_reply_parsers    (needs: pip install mail-parser-reply)

Each message of the development split is judged twice, once with ticket-warden's own
stripping (plugin/text.py) and once with mail-parser-reply's newest reply without its
signature (after the same HTML-to-text step), and the message flags' precision and
recall are printed side by side. The frozen split is not used: this chooses a method.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from plugin import text
from plugin.policy import load_policy
from tests.corpus.corpora import read_messages
from tests.corpus.measure import score_messages

LANGUAGES = ["en", "de", "fr", "es", "pt", "nl", "it"]


def _with_stripper(strip: Callable[[str], str]) -> Callable[[], None]:
    """Swap the stripping step in; return how to put the original back."""
    original = text.without_quotes_and_signature
    text.without_quotes_and_signature = strip
    text._written.cache_clear()

    def restore() -> None:
        text.without_quotes_and_signature = original
        text._written.cache_clear()

    return restore


def mail_parser_reply_stripper() -> Callable[[str], str]:
    from mailparser_reply import EmailReplyParser  # noqa: PLC0415 (optional, for this script)

    parser = EmailReplyParser(languages=LANGUAGES)

    def strip(plain: str) -> str:
        replies = parser.read(text=plain).replies
        return replies[0].body.strip() if replies else plain.strip()

    return strip


def main() -> int:
    policy = load_policy()
    rows = [row for row in read_messages() if row.split == "dev"]
    ours = score_messages(rows, policy)
    restore = _with_stripper(mail_parser_reply_stripper())
    try:
        theirs = score_messages(rows, policy)
    finally:
        restore()
    print(f"development split, {len(rows)} messages: ticket-warden | mail-parser-reply")
    for label, score in ours.items():
        other = theirs[label]
        print(
            f"  {label:<16} P {score.precision:.3f} R {score.recall:.3f} | "
            f"P {other.precision:.3f} R {other.recall:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
