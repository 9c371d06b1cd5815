"""The message flags on real mail (tests/corpus/README.md): needs-info, meeting requests,
project work, and mail no person wrote, measured on the frozen split.

The frozen split was drawn once and nothing was tuned on it; its hash is checked. The
figures are printed with ``-s`` (and by ``python -m tests.corpus.measure``).
"""

from __future__ import annotations

from collections import Counter

import pytest

from plugin.policy import Policy
from tests.corpus.corpora import (
    MESSAGE_LABELS,
    frozen_hash,
    frozen_message_lines,
    read_messages,
    recorded_hashes,
)
from tests.corpus.measure import Score, score_messages

# Issue 11's target on the frozen split is 0.8 either way for every flag. What the shipped
# rules reach today (268 messages) is a floor a change may not go below; the target stays
# a strict expected failure until the rules reach it.
TARGET = 0.8
FLOOR = {  # label: (precision, recall); measured 0.63/0.27, 0.92/0.54, 0.89/0.43, 1.00/0.76
    "needs_info": (0.6, 0.25),
    "meeting_request": (0.85, 0.5),
    "project_task": (0.85, 0.4),
    "machine": (0.95, 0.7),
}


def test_the_frozen_split_is_the_one_recorded() -> None:
    assert frozen_hash(frozen_message_lines()) == recorded_hashes()["messages.jsonl"]


def test_the_corpus_is_real_sourced_and_in_several_languages() -> None:
    rows = read_messages()
    assert len(rows) >= 150
    assert all(row.source for row in rows)
    languages = Counter(row.language for row in rows)
    assert sum(count >= 5 for count in languages.values()) >= 4, languages
    frozen = [row for row in rows if row.split == "frozen"]
    for label in MESSAGE_LABELS:
        assert sum(row.labels[label] for row in frozen) >= 10, label


@pytest.fixture(scope="module")
def frozen_scores(builtin_policy: Policy) -> dict[str, Score]:
    rows = [row for row in read_messages() if row.split == "frozen"]
    scores = score_messages(rows, builtin_policy)
    print(f"\nfrozen split, {len(rows)} messages")
    for label, score in scores.items():
        print("  " + score.line(label))
    return scores


@pytest.mark.parametrize("label", MESSAGE_LABELS)
def test_the_frozen_split_does_not_get_worse(frozen_scores: dict[str, Score], label: str) -> None:
    score = frozen_scores[label]
    precision, recall = FLOOR[label]
    assert score.precision >= precision, score.line(label)
    assert score.recall >= recall, score.line(label)


@pytest.mark.xfail(strict=True, reason="issue 11's target: 0.8 either way; recall is short")
@pytest.mark.parametrize("label", MESSAGE_LABELS)
def test_the_frozen_split_meets_the_target(frozen_scores: dict[str, Score], label: str) -> None:
    score = frozen_scores[label]
    assert score.precision >= TARGET, score.line(label)
    assert score.recall >= TARGET, score.line(label)
