"""Precision and recall of the classifiers on the labelled corpora.

    python -m tests.corpus.measure            # both corpora, both splits
    python -m tests.corpus.measure --misses   # and the development split's misses
    python -m tests.corpus.measure --split dev  # the development split only, while tuning

Only the development split's misses are ever printed: the frozen split is a
measure, and looking at what it gets wrong would turn it into a tuning set.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from plugin import engine
from plugin.model import Customer, Message, Ticket
from plugin.names import Flag, Sender
from plugin.policy import Policy, load_policy
from plugin.rules.subject import vague_subject_finding
from tests.corpus.corpora import (
    MESSAGE_LABELS,
    MessageRow,
    SubjectRow,
    read_messages,
    read_subjects,
)

# The message labels and the decision that shows each: a tag, or a skip.
FLAG_OF_LABEL = {
    "needs_info": Flag.NEEDS_INFO,
    "meeting_request": Flag.MEETING_REQUEST,
    "project_task": Flag.PROJECT_TASK,
}
_TICKET_HOOK = re.compile(r"\[Ticket#\d+\]", re.IGNORECASE)
RECEIVED = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)  # a Wednesday, inside office hours


@dataclass
class Score:
    """Counts of one flag on one split, and the lines it got wrong."""

    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    total: int = 0
    positives: int = 0
    misses: list[str] = field(default_factory=list, repr=False)

    def add(self, predicted: bool, actual: bool, line: str) -> None:
        self.total += 1
        self.positives += actual
        self.true_positive += predicted and actual
        self.false_positive += predicted and not actual
        self.false_negative += actual and not predicted
        if predicted != actual:
            self.misses.append(f"{'flagged' if predicted else 'missed '}  {line}")

    @property
    def precision(self) -> float:
        flagged = self.true_positive + self.false_positive
        return self.true_positive / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.positives if self.positives else 1.0

    def line(self, name: str) -> str:
        return (
            f"{name:<16} precision {self.precision:.3f}  recall {self.recall:.3f}  "
            f"({self.positives} of {self.total} labelled, {self.true_positive} found, "
            f"{self.false_positive} wrongly)"
        )


def score_subjects(rows: Iterable[SubjectRow]) -> Score:
    """Sure vague-subject flags against the labels (an unsure finding flags nothing)."""
    score = Score()
    for row in rows:
        finding = vague_subject_finding(row.subject)
        predicted = finding is not None and finding.sure
        score.add(predicted, row.vague, f"{row.id} [{row.language}] {row.subject}")
    return score


def message_of(row: MessageRow, policy: Policy) -> tuple[Ticket, Message]:
    """The new ticket and first message a helpdesk would hand ticket-warden for ``row``."""
    message = Message(
        channel="email",
        sender=Sender.CUSTOMER,
        body=row.body,
        content_type=row.content_type,
        subject=row.subject,
        from_address=row.from_address,
        to=(policy.ticket_addresses[0],),
        created_at=RECEIVED,
        is_auto_response=row.auto_response,
        attachment_count=row.attachment_count,
    )
    ticket = Ticket(
        id=row.id,
        number=row.id,
        title=row.subject,
        customer=Customer(email=None, name=None),
        created_at=RECEIVED,
        # A subject with Zammad's ticket hook ("[Ticket#11392]") is a follow-up on that
        # ticket (app/models/channel/filter/follow_up_check.rb); anything else opens one.
        is_new=not _TICKET_HOOK.search(row.subject),
    )
    return ticket, message


def message_predictions(row: MessageRow, policy: Policy) -> dict[str, bool]:
    """What the engine decides for ``row``, as the corpus's labels."""
    ticket, message = message_of(row, policy)
    decision = engine.evaluate(ticket, message, policy, RECEIVED)
    tags = set(decision.tags)
    predicted = {label: policy.tag(flag) in tags for label, flag in FLAG_OF_LABEL.items()}
    predicted["machine"] = decision.skipped is not None
    return predicted


def score_messages(rows: Iterable[MessageRow], policy: Policy) -> dict[str, Score]:
    scores = {label: Score() for label in MESSAGE_LABELS}
    for row in rows:
        predicted = message_predictions(row, policy)
        line = f"{row.id} [{row.language}] {row.subject[:70]!r} ({row.source})"
        for label in MESSAGE_LABELS:
            scores[label].add(predicted[label], row.labels[label], line)
    return scores


def report(*, misses: bool, splits: Sequence[str] = ("frozen", "dev")) -> str:
    policy = load_policy()
    out = []
    subjects = read_subjects()
    for split in splits:
        score = score_subjects(row for row in subjects if row.split == split)
        out.append(f"subjects, {split} split ({score.total} lines)")
        out.append("  " + score.line("vague-subject"))
        if misses and split == "dev":
            out.extend("    " + miss for miss in score.misses)
    messages = read_messages()
    for split in splits:
        rows = [row for row in messages if row.split == split]
        out.append(f"messages, {split} split ({len(rows)} messages)")
        for label, score in score_messages(rows, policy).items():
            out.append("  " + score.line(label))
            if misses and split == "dev":
                out.extend("    " + miss for miss in score.misses)
    return "\n".join(out)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the dev split's misses")
    parser.add_argument(
        "--split",
        choices=("frozen", "dev"),
        help="measure one split only (tune with --split dev: every frozen run is reported)",
    )
    args = parser.parse_args(argv)
    splits = (args.split,) if args.split else ("frozen", "dev")
    print(report(misses=args.misses, splits=splits))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
