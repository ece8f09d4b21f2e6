"""Transcripts recognised by structure (issue 13 item 1; issue 12's all-caps labels).

Fixtures in tests/data/segment/transcripts/ are hand-made in the shape of real transcripts:
a televised debate (NAME: in capitals, moderator and panellists, stage directions), a press
conference with surname labels, a Q:/A: interview, a hearing (Name (Party-State):) and a
podcast ([Name]).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stance.segment import SegmentedDocument, iter_segmented
from stance.segment.transcripts import resolve_speaker_names, turn_label

DATA = Path(__file__).resolve().parent / "data" / "segment" / "transcripts"


@pytest.fixture(scope="module")
def docs() -> dict[str, SegmentedDocument]:
    return {seg.document.doc_id: seg for seg in iter_segmented([DATA])}


def _speakers(seg: SegmentedDocument) -> list[tuple[str | None, str]]:
    return [(s.speaker, s.text) for s in seg.statements]


def test_every_fixture_is_a_transcript_with_exact_offsets(docs: dict[str, SegmentedDocument]) -> None:
    assert sorted(docs) == ["debate", "hearing", "interview", "podcast", "press"]
    for seg in docs.values():
        assert seg.metadata["genre"] == "transcript"
        source = seg.document.text
        assert all(source[s.start : s.end] == s.text for s in seg.statements)
        turns = [s for s in seg.statements if s.section == "turn"]
        assert turns and all(s.speaker and s.holder == s.speaker for s in turns)


def test_capitals_labels_resolve_to_the_full_names_the_moderator_introduces(
    docs: dict[str, SegmentedDocument],
) -> None:
    by_text = {text: speaker for speaker, text in _speakers(docs["debate"])}
    assert by_text["Good evening from the auditorium of Lakeside College."] == "Ellen Harper"  # the moderator
    assert by_text["Will you cut them?"] == "Sam Okafor"  # a panellist
    assert by_text["Mr. Okafor, I will."] == "Thomas A. Whitfield"
    assert by_text["And we will do it without touching the school fund."] == "Thomas A. Whitfield"  # continuation line
    assert by_text["Uh -- the numbers tell another story."] == "Maria Delgado-Ruiz"
    assert by_text["Will either of you raise the gas tax?"] == "Question"  # a role, not a person
    assert by_text["No."] == "Maria Delgado-Ruiz"  # a short answer stays a statement
    labels = [r.text for r in docs["debate"].removed if r.rule == "turn_label"]
    assert "WHITFIELD: " in labels and "QUESTION: " in labels  # the label is kept, as a removed span


def test_stage_directions_are_not_statements(docs: dict[str, SegmentedDocument]) -> None:
    seg = docs["debate"]
    assert not any("APPLAUSE" in s.text or "CROSSTALK" in s.text or "LAUGHTER" in s.text for s in seg.statements)
    assert sorted(r.text for r in seg.removed if r.rule == "stage_direction") == [
        "(APPLAUSE)",
        "(CROSSTALK)",
        "(LAUGHTER)",
    ]
    assert "Next year we will cut the property tax by two points." in [s.text for s in seg.statements]
    assert [r.text for r in docs["podcast"].removed if r.rule == "stage_direction"] == ["[laughs]"]


def test_single_word_capitals_labels_are_turns(docs: dict[str, SegmentedDocument]) -> None:
    speakers = {speaker for speaker, _ in _speakers(docs["press"]) if speaker}
    assert speakers == {"Ardal", "Mikkelsen", "Question"}


def test_question_answer_party_state_and_bracket_labels(docs: dict[str, SegmentedDocument]) -> None:
    interview = _speakers(docs["interview"])
    assert ("Q", "Is the Sundby plant next?") in interview and ("A", "No.") in interview
    hearing = _speakers(docs["hearing"])
    assert ("Laura Benning", "The committee will come to order.") in hearing
    assert ("Paul Tremont", "Thank you, Madam Chair.") in hearing
    podcast = _speakers(docs["podcast"])
    assert ("Jonas Erikson", "The bridge will be paid for by tolls, not taxes.") in podcast
    assert ("Nora Lindqvist", "Critics say tolls hit commuters hardest.") in podcast


def test_news_statements_have_no_speaker() -> None:
    seeds = Path(__file__).resolve().parents[1] / "seeds"
    (seg,) = list(iter_segmented([seeds / "002_5ce20cb9e0b1a5b5.txt"]))
    assert {s.speaker for s in seg.statements} == {None}


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("LAVROV: We are ready to talk.", "LAVROV"),
        ("SUSAN ROOK (CNN): Mr. Perot, you said so.", "SUSAN ROOK"),
        ("GOVERNOR_CLINTON_(continuing): I want to add one thing.", "CLINTON"),
        ("McGEE: Senator, yesterday you said so.", "McGEE"),
        ("Sen. Laura Benning (D-Ore.): Thank you.", "Laura Benning"),
        ("Question: Will the talks resume?", "Question"),
        ("[Nora Lindqvist] Welcome back.", "Nora Lindqvist"),
        ("Sergey Lavrov, Russian Minister for Foreign Affairs: Good afternoon.", "Sergey Lavrov"),
        ("Ms. Okafor: We disagree with that characterization.", "Okafor"),
        ("Senator Brooks: Thank you, Madam Chair.", "Brooks"),
    ],
)
def test_turn_label_formats(line: str, name: str) -> None:
    label = turn_label(line)
    assert label is not None and label.name == name


@pytest.mark.parametrize(
    "line", ["NOTE: Prices may vary.", "U.S.: a list of tariffs", "UPDATE: The minister resigned.", "The plan: cut taxes.",
             "Mr. President: the vote is yours.", "Dear Abby: my husband snores."]
)
def test_lines_that_are_not_turn_labels(line: str) -> None:
    assert turn_label(line) is None


def test_surname_resolution_skips_titles_and_needs_a_given_name() -> None:
    text = (
        "MODERATOR: Welcome. With us are Vice-President Adams, U. S. Senator Jane B. Adams-Holt "
        "and former Governor Paul Reyes. Governor Reyes, you first.\nREYES: Thank you.\nADAMS: Good evening."
    )
    names = resolve_speaker_names(text, ["MODERATOR", "REYES", "ADAMS", "ADAMS-HOLT"])
    assert names == {"MODERATOR": "Moderator", "REYES": "Paul Reyes", "ADAMS": "Adams", "ADAMS-HOLT": "Jane B. Adams-Holt"}


def test_run_in_headlines_in_capitals_do_not_make_a_news_article_a_transcript(tmp_path: Path) -> None:
    path = tmp_path / "newsletter.txt"
    path.write_text(
        "Pollster: the race tightens in the Midwest\n\n"
        "POLLWATCH: A new survey shows the race tightening in three Midwestern states.\n\n"
        "STATE'S SUBURBS FAVOR THE CHALLENGER, BUT RURAL COUNTIES DO NOT - Jane Roe: \"The suburbs have moved.\"\n\n"
        "SHORT READS: Turnout models are being revised. Analysts expect more mail ballots.\n",
        encoding="utf-8",
    )
    (seg,) = list(iter_segmented([path]))
    assert seg.metadata["genre"] == "news_report"
    assert {s.speaker for s in seg.statements} == {None}


def test_speaker_accuracy_helper_on_the_debate_fixture(docs: dict[str, SegmentedDocument]) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from debates_speakers import speaker_accuracy, title_only

    seg = docs["debate"]
    right, counted, misses = speaker_accuracy(seg.statements, seg.document.text)
    assert counted == len([s for s in seg.statements if s.section == "turn"]) and counted >= 15
    assert (right, misses) == (counted, [])
    wrong = [{**s.to_dict(), "speaker": "Ellen Harper"} for s in seg.statements]
    assert speaker_accuracy(wrong, seg.document.text)[0] < counted
    assert title_only([{"text": "Mr."}, {"text": "No."}]) == ["Mr."]


INTERVIEWS = Path(__file__).resolve().parent / "data" / "segment" / "interviews"


def test_answers_of_an_interview_that_names_one_person_are_theirs() -> None:
    segs = {seg.document.doc_id: seg for seg in iter_segmented([INTERVIEWS])}
    harbour = _speakers(segs["harbour"])
    assert ("Ingrid Vold", "Not yet.") in harbour and ("Ingrid Vold", "A lifeline is not a business.") in harbour
    assert ("Q", "Do you?") in harbour  # the questions stay the interviewer's
    ids = {s.holder_id for s in segs["harbour"].statements if s.speaker == "Ingrid Vold"}
    assert ids == {"person:vold/ing"}
    # Two people named: whose answer it is cannot be told, so the label stays.
    assert ("A", "If the state pays its share, yes.") in _speakers(segs["two_guests"])


THREADS = Path(__file__).resolve().parent / "data" / "segment" / "threads"


def test_comment_author_lines_make_a_thread_of_commenters() -> None:
    segs = {seg.document.doc_id: seg for seg in iter_segmented([THREADS])}
    comments = [s for s in segs["forum"].statements if s.section == "comment"]
    assert [(s.holder, s.holder_type, s.comment_id) for s in comments][::2] == [
        ("swim_mom_77", "commenter", "1"), ("Carl Dunmore", "commenter", "2"), ("lifeguard_jen", "commenter", "3")]
    assert comments[0].comment_time == "June 4, 2024"
    assert comments[-1].reply_to == "1"  # "@swim_mom_77 ..." answers the first comment
    assert not any("Posted by" in s.text for s in segs["forum"].statements)
    article = [s for s in segs["forum"].statements if s.section == "body"]
    assert article and all(s.comment_id is None for s in article)
    # One person's two letters in a news report are quotations, not a comment thread.
    assert not any(s.section == "comment" for s in segs["letters"].statements)
