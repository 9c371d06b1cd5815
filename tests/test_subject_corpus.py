"""The vague-subject classifier on real subject lines (tests/corpus/README.md).

The frozen split was drawn once and nothing was tuned on it: no word, weight or
threshold. Its hash is checked, so a changed line or label fails here first; the
figures are printed with ``-s`` (and by ``python -m tests.corpus.measure``).
"""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources

import pytest

from plugin.language.training import development_rows
from plugin.rules.subject import vague_subject_finding
from tests.corpus.corpora import (
    SUBJECTS,
    frozen_hash,
    frozen_subject_lines,
    read_subjects,
    recorded_hashes,
)
from tests.corpus.measure import Score, score_subjects

# Issue 11's target on the frozen split, and the floor the shipped model holds today
# (precision 0.898, recall 0.804 on 709 lines): the floor keeps a change from making it
# worse; the target stays an expected failure until a model reaches it.
TARGET_PRECISION = 0.9
TARGET_RECALL = 0.8
FLOOR_PRECISION = 0.89
FLOOR_RECALL = 0.80


def test_the_frozen_split_is_the_one_recorded() -> None:
    assert frozen_hash(frozen_subject_lines()) == recorded_hashes()["subjects.tsv"]


def test_the_corpus_is_large_sourced_and_in_several_languages() -> None:
    rows = read_subjects()
    assert len(rows) >= 1_000
    assert sum(row.split == "frozen" for row in rows) >= 300
    assert all(row.source.startswith(("https://", "zammad/")) or ":" in row.source for row in rows)
    assert len({row.subject.casefold() for row in rows}) == len(rows)
    languages = Counter(row.language for row in rows)
    assert sum(count >= 20 for count in languages.values()) >= 5, languages
    for split in ("frozen", "dev"):
        share = sum(row.vague for row in rows if row.split == split) / sum(
            row.split == split for row in rows
        )
        assert 0.35 < share < 0.65


def test_the_shipped_model_was_trained_on_the_development_split_only() -> None:
    """The model records a hash of the lines it was trained on: today's dev split."""
    shipped = json.loads(
        resources.files("plugin.language").joinpath("subject_model.json").read_text("utf-8")
    )
    rows = development_rows(SUBJECTS)
    digest = (
        __import__("hashlib")
        .sha256("\n".join(f"{subject}\t{vague}" for subject, vague in rows).encode())
        .hexdigest()
    )
    assert shipped["trained_on"]["development_split_sha256"] == digest
    assert shipped["trained_on"]["lines"] == len(rows)


@pytest.fixture(scope="module")
def frozen_score() -> Score:
    score = score_subjects(row for row in read_subjects() if row.split == "frozen")
    print("\nfrozen split: " + score.line("vague-subject"))
    return score


def test_the_frozen_split_does_not_get_worse(frozen_score: Score) -> None:
    assert frozen_score.precision >= FLOOR_PRECISION, frozen_score.line("vague-subject")
    assert frozen_score.recall >= FLOOR_RECALL, frozen_score.line("vague-subject")


@pytest.mark.xfail(
    strict=True,
    reason="issue 11's target: precision 0.9 on the frozen split; the model reaches 0.898",
)
def test_the_frozen_split_meets_the_target(frozen_score: Score) -> None:
    assert frozen_score.precision >= TARGET_PRECISION, frozen_score.line("vague-subject")
    assert frozen_score.recall >= TARGET_RECALL, frozen_score.line("vague-subject")


@pytest.mark.parametrize(
    "subject",
    [
        "Postfix rejects mail from gmail since 14:00",
        "Roundcube shows a blank page after the upgrade to 1.6",
        "Veeam job fails on NAS02 with error 0x80070005",
        "OpenVPN client can't reach 10.0.5.0/24",
    ],
)
def test_specific_subjects_from_the_issue_are_not_flagged(subject: str) -> None:
    assert vague_subject_finding(subject) is None


@pytest.mark.parametrize(
    ("subject", "lacks"),
    [
        ("Mail trouble", "names only a kind of thing (mail) and a generic symptom (trouble)"),
        ("Zimbra", "names zimbra but not what is wrong or wanted"),
        ("Won't sync", "says what happens (sync) but not to what"),
        ("Request from Sipho M.", "names who it is from"),
        ("Hi there, are you able to assist?", "has only generic words"),
        ("Drucker geht nicht", "names only a kind of thing (drucker)"),
    ],
)
def test_the_reason_says_what_the_subject_lacks(subject: str, lacks: str) -> None:
    finding = vague_subject_finding(subject)
    assert finding is not None
    assert finding.sure
    assert lacks in finding.reason
