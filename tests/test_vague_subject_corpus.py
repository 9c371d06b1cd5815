"""Precision and recall of the vague-subject classifier on the labelled corpus."""

from __future__ import annotations

from pathlib import Path

from plugin.rules.subject import vague_subject_finding

CORPUS = Path(__file__).resolve().parent / "corpus" / "subjects.tsv"
MINIMUM = 0.9


def labelled_subjects() -> list[tuple[bool, str]]:
    rows = []
    for line in CORPUS.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, subject = line.split("\t", 1)
        assert label in {"vague", "specific"}, line
        rows.append((label == "vague", subject))
    return rows


def test_corpus_is_large_and_balanced_enough() -> None:
    rows = labelled_subjects()
    assert len(rows) >= 150
    vague = sum(1 for is_vague, _ in rows if is_vague)
    assert 0.3 < vague / len(rows) < 0.7


def test_precision_and_recall_on_the_corpus() -> None:
    true_positive = false_positive = false_negative = 0
    misses = []
    for is_vague, subject in labelled_subjects():
        flagged = vague_subject_finding(subject) is not None
        true_positive += flagged and is_vague
        false_positive += flagged and not is_vague
        false_negative += is_vague and not flagged
        if flagged != is_vague:
            misses.append(("flagged" if flagged else "missed", subject))
    precision = true_positive / (true_positive + false_positive)
    recall = true_positive / (true_positive + false_negative)
    print(
        f"\nvague-subject corpus: precision {precision:.3f}, recall {recall:.3f}, misses {misses}"
    )
    assert precision >= MINIMUM, misses
    assert recall >= MINIMUM, misses
