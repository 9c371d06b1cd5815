"""Reading a subject's words into their parts (plugin/language/subjects.py)."""

from __future__ import annotations

import pytest

from plugin.language.subjects import read_subject


@pytest.mark.parametrize(
    ("subject", "parts"),
    [
        # Made up in the style of Chinese support subjects: words need no spaces.
        (
            "发送邮件失败",
            {"predicates": ["发送"], "categories": ["邮件"], "vague_symptoms": ["失败"]},
        ),
        ("NAS连接不上", {"predicates": ["连接不上"]}),
        ("Zimbra无法登录", {"objects": ["Zimbra"], "predicates": ["登录"]}),
        # Characters no word claims stay together, as a name would.
        ("车间主任邮箱", {"categories": ["邮箱"], "unread": ["车间主任"]}),
    ],
)
def test_chinese_is_cut_into_the_words_the_classes_know(
    subject: str, parts: dict[str, list[str]]
) -> None:
    reading = read_subject(subject)
    for part, expected in parts.items():
        assert getattr(reading, part) == expected


def test_a_full_width_question_mark_asks_a_question() -> None:
    assert read_subject("备份失败如何解决\uff1f").question
    assert read_subject("Backup fails, any idea?").question
