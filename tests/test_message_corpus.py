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
from tests.corpus.measure import score_messages

MINIMUM = 0.8


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
def frozen_scores(builtin_policy: Policy) -> dict[str, object]:
    rows = [row for row in read_messages() if row.split == "frozen"]
    scores = score_messages(rows, builtin_policy)
    print(f"\nfrozen split, {len(rows)} messages")
    for label, score in scores.items():
        print("  " + score.line(label))
    return scores  # type: ignore[return-value]


@pytest.mark.parametrize("label", MESSAGE_LABELS)
def test_precision_and_recall_on_the_frozen_split(frozen_scores, label: str) -> None:
    score = frozen_scores[label]
    assert score.precision >= MINIMUM, score.line(label)
    assert score.recall >= MINIMUM, score.line(label)
