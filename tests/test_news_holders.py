"""News holders: a byline names the author; a quoted holder never carries the sentence's full stop."""

from __future__ import annotations

import pytest

from stance.segment import segment_document
from stance.segment.attribution import _tidy_holder
from stance.segment.documents import Document

REPORT = """Library board approves longer weekend hours

By Jonah Castell

ELMWOOD — The library board voted on Monday to keep the main branch open until 8 p.m. on Saturdays.

"Families asked for this in every survey we ran," said board chair Miriam Okonkwo. "Now they have it."

Some staff were wary of the change. "We need two more people to cover those shifts," said Devon Price.

"We were not consulted," said a spokesman for the Elmwood Library Union.

"The budget covers it," said the director of the Elmwood Finance Office.

The new hours start next month.
"""


def test_said_name_at_the_end_of_a_sentence_gives_the_name_without_its_full_stop() -> None:
    doc = Document(doc_id="library", text=REPORT, source_path="library.txt")
    holders = {s.text: s.holder for s in segment_document(doc).statements}
    assert holders['"Families asked for this in every survey we ran," said board chair Miriam Okonkwo.'] == "Miriam Okonkwo"
    assert holders['"Now they have it."'] == "Miriam Okonkwo"
    assert holders['"We need two more people to cover those shifts," said Devon Price.'] == "Devon Price"


@pytest.mark.parametrize(("raw", "tidy"), [
    ("Miriam Okonkwo.", "Miriam Okonkwo"),
    ("Although Devon Price", "Devon Price"),
    ("John F.", "John F."),
    ("U.S.", "U.S."),
    ("Acme Inc.", "Acme Inc."),
    ("Tom Hale Jr.", "Tom Hale Jr."),
    ("the mayor", "the mayor"),
])
def test_tidy_holder_keeps_initials_and_abbreviations(raw: str, tidy: str) -> None:
    assert _tidy_holder(raw) == tidy


def test_a_byline_names_the_author_and_is_no_statement() -> None:
    seg = segment_document(Document(doc_id="library", text=REPORT, source_path="library.txt"))
    assert "By Jonah Castell" not in [s.text for s in seg.statements]
    assert [r.text for r in seg.removed if r.rule == "byline"] == ["By Jonah Castell"]
    narrative = [s for s in seg.statements if s.holder_type == "author"]
    assert narrative and {s.holder for s in narrative} == {"Jonah Castell"}
    given = Document(doc_id="library", text=REPORT, source_path="library.txt", meta={"author": "Elmwood Gazette"})
    assert {s.holder for s in segment_document(given).statements if s.holder_type == "author"} == {"Elmwood Gazette"}


def test_a_description_with_its_organisation_is_its_own_holder() -> None:
    # A short quotation leaves most of the sentence to the attribution; the source is still the
    # description, which names its organisation, and not the person quoted before.
    holders = {s.text: s.holder for s in segment_document(Document(doc_id="library", text=REPORT,
                                                                   source_path="library.txt")).statements}
    assert holders['"We were not consulted," said a spokesman for the Elmwood Library Union.'] == \
        "spokesman for the Elmwood Library Union"
    assert holders['"The budget covers it," said the director of the Elmwood Finance Office.'] == \
        "director of the Elmwood Finance Office"
