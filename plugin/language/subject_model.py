"""The shipped vague-subject model: a logistic regression over a subject's parts.

Weights and thresholds live in ``subject_model.json``, written by
``python -m plugin.language.training`` from the development split of the labelled
corpus (tests/corpus/) and the rubric's own examples, never from its frozen split.
Scoring is a dot product.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from plugin.language.common_words import common_words
from plugin.language.subjects import FEATURES, SubjectReading, read_subject, subject_features

MODEL_FILE = "subject_model.json"


@dataclass(frozen=True, slots=True)
class SubjectModel:
    """Weights per feature, and where a score becomes a sure or an unsure flag."""

    weights: dict[str, float]
    bias: float
    flag_at: float
    note_at: float

    def probability(self, features: dict[str, float]) -> float:
        """How likely an agent would call a subject with these features vague."""
        score = self.bias + sum(
            self.weights.get(name, 0.0) * value for name, value in features.items()
        )
        return 1.0 / (1.0 + math.exp(-score))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubjectModel:
        weights = {str(name): float(value) for name, value in data["weights"].items()}
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"{MODEL_FILE}: features the code does not compute: {sorted(unknown)}")
        return cls(weights, float(data["bias"]), float(data["flag_at"]), float(data["note_at"]))


@cache
def subject_model() -> SubjectModel:
    """The shipped model (read once per process)."""
    text = resources.files("plugin.language").joinpath(MODEL_FILE).read_text("utf-8")
    return SubjectModel.from_json(json.loads(text))


@dataclass(frozen=True, slots=True)
class SubjectJudgement:
    """A subject as read, and how likely an agent would call it vague."""

    reading: SubjectReading
    probability: float


# Several rules judge the same subject (and a message's sentences) within one decision.
@lru_cache(maxsize=512)
def judge_subject(text: str) -> SubjectJudgement:
    """Read ``text`` as a subject and score it with the shipped model (the reading is
    shared between callers: treat it as read-only)."""
    reading = read_subject(text)
    return SubjectJudgement(reading, subject_model().probability(subject_features(reading)))


def load_language_data() -> None:
    """Read the word lists and the model now, once, rather than on the first message
    (about 0.15 s, holding the interpreter while a health check might wait)."""
    common_words()
    subject_model()
    judge_subject("warm up")
