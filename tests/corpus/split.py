"""Add gathered lines to a corpus and give each new line its split, once.

    python -m tests.corpus.split subjects PART.tsv...    # label, language, subject, source
    python -m tests.corpus.split messages PART.jsonl...  # records of the messages brief

Lines already in a corpus keep their id and split; a new line that repeats one
(same subject, or same source and text) is dropped. New lines are split per
stratum (label and language): in each, lines are ordered by a hash of their text and
the first FROZEN_SHARE of them go to the frozen split, so the draw is the same on any
machine and nobody picks which line lands where. The frozen splits' hashes are then
written to frozen.sha256, which the corpus tests check.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tests.corpus.corpora import (
    FROZEN_HASHES,
    MESSAGE_LABELS,
    MESSAGES,
    SUBJECT_FIELDS,
    SUBJECTS,
    frozen_hash,
    frozen_message_lines,
    frozen_subject_lines,
)

FROZEN_SHARE = 0.4
Row = TypeVar("Row")


def draw(
    rows: Sequence[Row], stratum: Callable[[Row], str], text: Callable[[Row], str]
) -> list[bool]:
    """Whether each row goes to the frozen split: FROZEN_SHARE of every stratum, by hash order."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        groups[stratum(row)].append(index)
    frozen = [False] * len(rows)
    for members in groups.values():
        members.sort(key=lambda index: hashlib.sha256(text(rows[index]).encode()).hexdigest())
        for index in members[: round(len(members) * FROZEN_SHARE)]:
            frozen[index] = True
    return frozen


def _key(subject: str) -> str:
    return " ".join(subject.split()).casefold()


def add_subjects(parts: Sequence[Path]) -> int:
    existing: list[dict[str, str]] = []
    if SUBJECTS.exists():
        lines = SUBJECTS.read_text("utf-8").splitlines()
        existing = [dict(zip(SUBJECT_FIELDS, line.split("\t"), strict=True)) for line in lines[1:]]
    seen = {_key(row["subject"]) for row in existing}
    new: list[dict[str, str]] = []
    for part in parts:
        for line in part.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            label, language, subject, source = line.split("\t")[:4]
            if label not in {"vague", "specific"} or _key(subject) in seen:
                continue
            seen.add(_key(subject))
            new.append(
                {"label": label, "language": language.lower(), "subject": subject, "source": source}
            )
    # Languages with few lines are one stratum, so that each stratum can be split.
    per_language: dict[str, int] = defaultdict(int)
    for row in new:
        per_language[row["language"]] += 1
    frozen = draw(
        new,
        lambda row: (
            row["label"]
            + "/"
            + (row["language"] if per_language[row["language"]] >= 20 else "other")
        ),
        lambda row: row["subject"],
    )
    number = len(existing)
    for row, is_frozen in zip(new, frozen, strict=True):
        number += 1
        row["id"] = f"s{number:04d}"
        row["split"] = "frozen" if is_frozen else "dev"
    lines = ["\t".join(SUBJECT_FIELDS)]
    lines += ["\t".join(row[name] for name in SUBJECT_FIELDS) for row in existing + new]
    SUBJECTS.write_text("\n".join(lines) + "\n", "utf-8")
    return len(new)


def _primary_label(record: dict[str, Any]) -> str:
    return next((name for name in MESSAGE_LABELS[::-1] if record[name]), "none")


def add_messages(parts: Sequence[Path]) -> int:
    existing = (
        [json.loads(line) for line in MESSAGES.read_text("utf-8").splitlines() if line.strip()]
        if MESSAGES.exists()
        else []
    )

    def text(record: dict[str, Any]) -> str:
        # A ticket may be its subject alone (an empty body): the subject is part of it.
        return record.get("raw") or (record.get("subject") or "") + "\n" + (
            record.get("body") or ""
        )

    seen = {hashlib.sha256(text(record).encode()).hexdigest() for record in existing}
    new = []
    for part in parts:
        for line in part.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            digest = hashlib.sha256(text(record).encode()).hexdigest()
            if digest in seen or not text(record).strip():
                continue
            seen.add(digest)
            record["language"] = str(record.get("language") or "und").lower()
            new.append(record)
    frozen = draw(new, _primary_label, text)
    number = len(existing)
    for record, is_frozen in zip(new, frozen, strict=True):
        number += 1
        record["id"] = f"m{number:04d}"
        record["split"] = "frozen" if is_frozen else "dev"
    first = ("id", "language", "split", "source", "kind", *MESSAGE_LABELS, "note")
    with MESSAGES.open("w", encoding="utf-8") as handle:
        for record in existing + new:
            ordered = {name: record[name] for name in first if name in record}
            ordered.update({name: value for name, value in record.items() if name not in ordered})
            handle.write(json.dumps(ordered, ensure_ascii=False) + "\n")
    return len(new)


def write_hashes() -> None:
    lines = ["# sha256 of each corpus's frozen lines, in file order (tests/corpus/split.py)"]
    if SUBJECTS.exists():
        lines.append(f"{frozen_hash(frozen_subject_lines())}  subjects.tsv")
    if MESSAGES.exists():
        lines.append(f"{frozen_hash(frozen_message_lines())}  messages.jsonl")
    FROZEN_HASHES.write_text("\n".join(lines) + "\n", "utf-8")


def main(argv: Sequence[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"subjects", "messages"}:
        print(__doc__.strip().splitlines()[2:4], file=sys.stderr)
        return 2
    adder = add_subjects if argv[0] == "subjects" else add_messages
    added = adder([Path(part) for part in argv[1:]])
    write_hashes()
    print(f"added {added} lines to {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
