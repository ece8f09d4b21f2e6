"""Sentence splitting (issue 13 item 3): titles, initials, abbreviations, short answers, exact offsets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stance.segment import Document, segment_document
from stance.segment.sentences import sentence_spans

ROOT = Path(__file__).resolve().parents[1]
GOLD = Path(__file__).resolve().parent / "data" / "sentences"


def _sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I agree with Mr. Mondale on this. Sen. Kerry said so.", ["I agree with Mr. Mondale on this.", "Sen. Kerry said so."]),
        ("Thank you, Mr. President. No. I don't think so.", ["Thank you, Mr. President.", "No.", "I don't think so."]),
        (
            "The U.S. economy grew. U.S. officials met on Jan. 5 at No. 10 Downing Street.",
            ["The U.S. economy grew.", "U.S. officials met on Jan. 5 at No. 10 Downing Street."],
        ),
        ("Senator John F. Kennedy spoke first. Then Gov. Reagan answered.", ["Senator John F. Kennedy spoke first.", "Then Gov. Reagan answered."]),
        ("MR. NIXON: Well, uh -- I think, uh -- we should act. And we will.", ["MR. NIXON: Well, uh -- I think, uh -- we should act.", "And we will."]),
        ("Dr. King's dream lives on. Yes. No. Maybe.", ["Dr. King's dream lives on.", "Yes.", "No.", "Maybe."]),
        (
            '"Is this the right time?" asked state Sen. Irene Aguilar. She said yes.',
            ['"Is this the right time?" asked state Sen. Irene Aguilar.', "She said yes."],
        ),
    ],
)
def test_titles_initials_and_short_answers(text: str, expected: list[str]) -> None:
    assert _sentences(text) == expected


def test_no_statement_is_only_a_title_and_short_answers_stay() -> None:
    text = (
        "MODERATOR: Our guests are Mr. Alvarez and Dr. Okafor.\n"
        "ALVAREZ: No.\n"
        "OKAFOR: MR. ALVAREZ is wrong. Ask Mrs. Chen or Sen. Wright.\n"
    )
    statements = segment_document(Document("debate", text, "debate.txt")).statements
    texts = [s.text for s in statements]
    assert "No." in texts
    assert not any(t.rstrip(".").lower() in {"mr", "mrs", "dr", "sen", "ms", "gov"} for t in texts)
    assert all(text[s.start : s.end] == s.text for s in statements)


def test_the_gold_fixture_is_split_as_hand_marked() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from sentence_splitters import load_gold, score

    text, starts, gold = load_gold(GOLD)
    assert len(gold) >= 170
    result = score(text, starts, gold, sentence_spans(text))
    assert result["titles"] == 0
    assert result["F1"] >= 0.98 and result["exact"] >= 0.97, result
