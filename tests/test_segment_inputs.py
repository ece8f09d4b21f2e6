"""Input formats, bad inputs, the CLI and atomic output of `stance segment`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.segment import iter_segmented, load_cleaning_config, segment_paths
from stance.segment.documents import decode_bytes

DATA = Path(__file__).resolve().parent / "data" / "segment"
SEEDS = Path(__file__).resolve().parents[1] / "seeds"
runner = CliRunner()


# --- input formats -------------------------------------------------------------------------


def test_html_page_loses_its_chrome_and_keeps_the_article() -> None:
    (seg,) = list(iter_segmented([DATA / "news_page.html"]))
    texts = [s.text for s in seg.statements]
    assert texts[0] == "EU ministers split over gas price cap"
    assert texts[-1] == "The European Commission is expected to present a revised proposal next week."
    joined = " ".join(texts)
    for debris in (
        "Home",
        "Currency converter",
        "Show more",
        "Related stories",
        "Subscribe",
        "©",
        "dataLayer",
        "display:flex",
    ):
        assert debris not in joined
    # Offsets point into the extracted text, which the --documents side file carries.
    assert all(seg.document.text[s.start : s.end] == s.text for s in seg.statements)
    assert seg.metadata["dateline"] == "BRUSSELS, October 12 (Daily Ledger) -"
    jetten = [s for s in seg.statements if s.holder == "Rob Jetten"]
    assert len(jetten) == 4 and all(s.holder_type == "quoted" for s in jetten)
    cingolani = next(s for s in seg.statements if "only instrument" in s.text)
    assert cingolani.holder == "Roberto Cingolani"


def test_markdown_interview_turns_and_wrapped_paragraphs() -> None:
    (seg,) = list(iter_segmented([DATA / "interview.md"]))
    statements = seg.statements
    assert statements[0].section == "title" and statements[0].text.startswith("Interview:")
    answers = [s for s in statements if s.holder == "Maria Lindqvist"]
    questions = [s for s in statements if s.holder == "Question"]
    assert len(questions) == 2 and len(answers) == 9
    assert all(s.holder_type == "speaker" for s in answers + questions)
    texts = [s.text for s in statements]
    # Wrapped lines form one paragraph; "U.S." and "No. 1" do not end sentences.
    assert "Our members report\nqueues of up to six hours at Gothenburg." in texts
    assert "We have asked the U.S. Department of Commerce and the Commission for a joint\nworking group." in texts
    assert "No. 1 on our list is a common electronic declaration." in texts
    assert not any(t.startswith(("*", "#")) or t.endswith("*") for t in texts)
    assert all(seg.document.text[s.start : s.end] == s.text for s in statements)


def test_jsonl_documents_take_their_id_and_metadata_from_each_line() -> None:
    segs = list(iter_segmented([DATA / "articles.jsonl"]))
    assert [seg.document.doc_id for seg in segs] == ["wire-0192", "wire-0193"]
    first = segs[0].statements
    assert first[0].url == "https://example.org/wire-0192" and first[0].genre == "news_report"
    assert first[1].text.startswith("The city's water utility") and first[1].holder == "Ana Ferreira"
    assert [s.holder for s in first[2:4]] == ["Ana Ferreira", "Ana Ferreira"]
    assert all(s.in_quote for s in first[2:4])
    assert first[-1].holder_type == "author" and first[-1].holder == "Metro Wire"
    assert segs[1].statements[2].holder == "Carlos Moedas"


def test_metadata_yaml_beside_user_files_is_used(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("Ports reopen\n\nThe ports reopened on Monday.\n", encoding="utf-8")
    (tmp_path / "metadata.yaml").write_text("note:\n  source: Harbour Daily\n  genre: news_report\n", encoding="utf-8")
    statements = list(segment_paths([tmp_path]))
    assert {s.source for s in statements} == {"Harbour Daily"}
    assert statements[-1].holder == "Harbour Daily"


def test_metadata_yaml_with_an_unknown_field_is_refused(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("The ports reopened on Monday.\n", encoding="utf-8")
    (tmp_path / "metadata.yaml").write_text("note:\n  autor: Someone\n", encoding="utf-8")
    with pytest.raises(StanceError, match=r"metadata.yaml: entry 'note' has unknown field\(s\) autor"):
        list(segment_paths([tmp_path]))


def test_non_utf8_text_is_decoded_by_detection(tmp_path: Path) -> None:
    text = "Café owners in Zürich protested on Monday. « Nous refusons cette taxe », a déclaré le président de l’association.\n"
    path = tmp_path / "latin.txt"
    path.write_bytes(text.encode("cp1252"))
    statements = list(segment_paths([path]))
    assert statements[0].text == "Café owners in Zürich protested on Monday."


def test_utf8_bom_is_not_part_of_the_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfThe ports reopened on Monday. Trade resumed.")
    statements = list(segment_paths([path]))
    assert statements[0].text == "The ports reopened on Monday." and statements[0].start == 0


def test_cleaning_config_with_unknown_key_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "cleaning.yaml"
    bad.write_text("version: stance.cleaning.v1\nnavigaton: [x]\n", encoding="utf-8")
    with pytest.raises(StanceError, match="unknown key.*navigaton"):
        load_cleaning_config(bad)


def test_cleaning_config_with_a_bad_pattern_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "cleaning.yaml"
    bad.write_text("version: stance.cleaning.v1\nnavigation: ['(unclosed']\n", encoding="utf-8")
    with pytest.raises(StanceError, match=r"pattern '\(unclosed' in navigation is not a valid regular expression"):
        load_cleaning_config(bad)


def test_a_configured_pattern_removes_a_line(tmp_path: Path) -> None:
    doc = tmp_path / "page.txt"
    doc.write_text(
        "Ports reopen after strike\n\nThe ports reopened on Monday.\n\nTrade resumed at noon.\n", encoding="utf-8"
    )
    config = tmp_path / "cleaning.yaml"
    config.write_text("version: stance.cleaning.v1\nnavigation: ['trade resumed.*']\n", encoding="utf-8")
    texts = [s.text for s in segment_paths([doc], config=load_cleaning_config(config))]
    assert texts == ["Ports reopen after strike", "The ports reopened on Monday."]


# --- bad inputs: one clear line, exit code 1, no traceback ----------------------------------


def _fails(args: list[str], match: str) -> str:
    result = runner.invoke(app, ["segment", *args])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert match in lines[0], lines[0]
    return lines[0]


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    _fails([str(tmp_path / "empty.txt"), "-o", str(tmp_path / "s.jsonl")], "empty.txt: the file is empty")


def test_binary_file(tmp_path: Path) -> None:
    (tmp_path / "scan.txt").write_bytes(b"%PDF-1.7\n\x00\x01\x02\x03binary\x00stream" * 50)
    _fails([str(tmp_path / "scan.txt"), "-o", str(tmp_path / "s.jsonl")], "scan.txt: looks like a binary file")


def test_undecodable_bytes(tmp_path: Path) -> None:
    (tmp_path / "noise.txt").write_bytes(bytes(range(0x80, 0x100)) * 8 + b"\x1b\x1c\x1d" * 40)
    _fails([str(tmp_path / "noise.txt"), "-o", str(tmp_path / "s.jsonl")], "noise.txt:")


def test_undecodable_bytes_message_names_the_fix() -> None:
    with pytest.raises(StanceError, match=r"x\.txt: .*(cannot decode|not text)"):
        decode_bytes(bytes(range(0x80, 0x100)) * 8 + b"\x1b\x1c\x1d" * 40, name="x.txt")


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    _fails([str(tmp_path / "corpus"), "-o", str(tmp_path / "s.jsonl")], "holds no input documents")


def test_jsonl_with_a_broken_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": "a", "text": "Fine text here."}\n{"id": "b", "text": "broken\n', encoding="utf-8")
    _fails([str(path), "-o", str(tmp_path / "s.jsonl")], "docs.jsonl line 2: not valid JSON")


def test_jsonl_line_without_text(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": "a", "body": "no text field"}\n', encoding="utf-8")
    _fails([str(path), "-o", str(tmp_path / "s.jsonl")], "docs.jsonl line 1: no 'text' field")


def test_output_in_a_missing_folder(tmp_path: Path) -> None:
    _fails([str(SEEDS), "-o", str(tmp_path / "nowhere" / "s.jsonl")], "folder")


def test_missing_input(tmp_path: Path) -> None:
    _fails([str(tmp_path / "absent.txt"), "-o", str(tmp_path / "s.jsonl")], "absent.txt does not exist")


def test_unsupported_file_type(tmp_path: Path) -> None:
    (tmp_path / "doc.pdf").write_bytes(b"%PDF")
    _fails([str(tmp_path / "doc.pdf"), "-o", str(tmp_path / "s.jsonl")], "unsupported file type '.pdf'")


# --- atomic output and the CLI ---------------------------------------------------------------


def test_a_failure_leaves_no_output_and_keeps_an_old_one(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a_good.txt").write_text("The ports reopened on Monday.\n", encoding="utf-8")
    (corpus / "b_empty.txt").write_bytes(b"")
    out = tmp_path / "s.jsonl"
    _fails([str(corpus), "-o", str(out), "--removed", str(tmp_path / "r.jsonl")], "b_empty.txt")
    assert not out.exists() and not (tmp_path / "r.jsonl").exists()
    assert not list(tmp_path.glob("*.part"))
    out.write_text("previous run\n", encoding="utf-8")
    _fails([str(corpus), "-o", str(out)], "b_empty.txt")
    assert out.read_text(encoding="utf-8") == "previous run\n"


def test_cli_writes_statements_and_side_files(tmp_path: Path) -> None:
    out, removed, docs = tmp_path / "s.jsonl", tmp_path / "removed.jsonl", tmp_path / "docs.jsonl"
    result = runner.invoke(
        app, ["segment", str(SEEDS), "-o", str(out), "--removed", str(removed), "--documents", str(docs), "--summary"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) > 200 and len({r["doc_id"] for r in rows}) == 5
    removals = [json.loads(line) for line in removed.read_text(encoding="utf-8").splitlines()]
    assert {"doc_id", "start", "end", "text", "rule"} <= set(removals[0])
    assert any(r["text"] == "1 pages in this article" and r["rule"] == "counters" for r in removals)
    texts = {d["doc_id"]: d["text"] for d in map(json.loads, docs.read_text(encoding="utf-8").splitlines())}
    assert all(texts[r["doc_id"]][r["start"] : r["end"]] == r["text"] for r in rows)
    assert "statements: " in result.output and "holders: " in result.output and "removed: " in result.output


def test_cli_show_removed_and_table(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "segment",
            str(SEEDS / "001_d1caa0e424b30984.txt"),
            "-o",
            str(tmp_path / "s.jsonl"),
            "--show-removed",
            "--format",
            "table",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "counters" in result.output and "'1 pages in this article'" in result.output
    assert "Sergei Lavrov (quoted, quote)" in result.output


def test_cli_refuses_an_unknown_format(tmp_path: Path) -> None:
    _fails([str(SEEDS), "-o", str(tmp_path / "s.jsonl"), "--format", "csv"], "--format 'csv' is not known")


def test_repeated_sentences_get_numbered_ids(tmp_path: Path) -> None:
    path = tmp_path / "thread.txt"
    path.write_text(
        "Ports reopen after strike\n\nThe ports reopened. Trade resumed. The ports reopened.\n", encoding="utf-8"
    )
    statements = list(segment_paths([path]))
    ids = [s.id for s in statements if s.text == "The ports reopened."]
    assert len(ids) == 2 and ids[1] == f"{ids[0]}-2"
    assert ids[0].startswith("thread:") and len(ids[0]) == len("thread:") + 10


def test_markdown_markers_are_not_statement_text(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(
        "# Harbour fees rise\n\nThe port raised its fees on Monday.\n\n## Reactions\n\n> Shipping firms called the rise unfair.\n",
        encoding="utf-8",
    )
    statements = list(segment_paths([path]))
    assert [s.text for s in statements] == [
        "Harbour fees rise",
        "The port raised its fees on Monday.",
        "Shipping firms called the rise unfair.",
    ]
    source = path.read_text(encoding="utf-8")
    assert all(source[s.start : s.end] == s.text for s in statements)


def test_two_documents_with_the_same_id_are_refused(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "report.txt").write_text("The ports reopened on Monday.\n", encoding="utf-8")
    _fails(
        [str(tmp_path / "a"), str(tmp_path / "b"), "-o", str(tmp_path / "s.jsonl")],
        "two documents have the id 'report'",
    )


# --- issue 12: outputs never clobber inputs; no stale temporaries ----------------------------

_PRESS_RELEASE = (
    '{"id": "pr-0412", "source": "Port Authority", "text": "Harbour dues to rise in May\\n\\n'
    'The Port Authority will raise harbour dues by 4 percent from May 1. The board approved the rise '
    'on Tuesday, citing dredging costs.\\n"}\n'
)


@pytest.mark.parametrize("option", ["-o", "--documents", "--removed"])
def test_an_output_that_is_the_input_is_refused(tmp_path: Path, option: str) -> None:
    docs = tmp_path / "in.jsonl"
    docs.write_text(_PRESS_RELEASE, encoding="utf-8")
    args = [str(docs), "-o", str(tmp_path / "s.jsonl")]
    if option == "-o":
        args = [str(docs), "-o", str(docs)]
    else:
        args += [option, str(docs)]
    _fails(args, "would destroy the input")
    assert docs.read_text(encoding="utf-8") == _PRESS_RELEASE


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_an_output_linked_to_the_input_is_refused(tmp_path: Path, link: str) -> None:
    docs = tmp_path / "in.jsonl"
    docs.write_text(_PRESS_RELEASE, encoding="utf-8")
    alias = tmp_path / "statements.jsonl"
    if link == "symlink":
        alias.symlink_to(docs)
    else:
        alias.hardlink_to(docs)
    _fails([str(docs), "-o", str(alias)], "would destroy the input")
    assert docs.read_text(encoding="utf-8") == _PRESS_RELEASE


def test_an_output_inside_an_input_folder_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pr-0412.txt").write_text("Harbour dues to rise\n\nThe board approved the rise on Tuesday.\n")
    _fails([str(corpus), "-o", str(corpus / "statements.jsonl")], "lies inside the input folder")


def test_stale_temporaries_of_the_same_output_are_removed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    docs = tmp_path / "in.jsonl"
    docs.write_text(_PRESS_RELEASE, encoding="utf-8")
    out = tmp_path / "statements.jsonl"
    killed = tmp_path / ".statements.jsonl.k3j9x_2a.part"  # what a killed run leaves behind
    killed.write_text('{"id": "pr-0412:half-writ', encoding="utf-8")
    other = tmp_path / ".predictions.jsonl.abc123.part"  # another output's temporary: not ours
    other.write_text("x", encoding="utf-8")
    with caplog.at_level("WARNING"):
        result = runner.invoke(app, ["segment", str(docs), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert not killed.exists() and other.exists()
    assert "left by an interrupted run" in caplog.text
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


# --- issue 12 #2: a document's only content never vanishes ----------------------------------

_ONE_PARAGRAPH = (
    "The ministry confirmed on Friday that the talks would resume next week in Geneva and that both "
    "delegations had agreed to the agenda proposed by the mediators, although several questions about "
    "verification and sanctions relief remained open and officials on both sides cautioned against "
    "expecting a quick breakthrough"
)


def test_one_paragraph_without_final_punctuation_is_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "wire-0193.txt"
    path.write_text(_ONE_PARAGRAPH + "\n", encoding="utf-8")
    with caplog.at_level("WARNING"):
        statements = list(segment_paths([path]))
    assert [s.text for s in statements] == [_ONE_PARAGRAPH]
    assert "no statements" not in caplog.text


def test_lone_carriage_returns_are_line_breaks_and_offsets_stay_exact(tmp_path: Path) -> None:
    # An old Mac export: lines end with CR only.
    source = (
        "Harbour dues to rise in May\r\rThe Port Authority will raise harbour dues by 4 percent from May 1."
        " The board approved the rise on Tuesday.\r\r\"We had no choice,\" the director said.\rRead more\r"
    )
    path = tmp_path / "mac-export.txt"
    path.write_bytes(source.encode("utf-8"))
    statements = list(segment_paths([path]))
    assert [s.text for s in statements] == [
        "Harbour dues to rise in May",
        "The Port Authority will raise harbour dues by 4 percent from May 1.",
        "The board approved the rise on Tuesday.",
        '"We had no choice," the director said.',
    ]
    assert statements[0].section == "title"
    assert all(source[s.start : s.end] == s.text for s in statements)


def test_a_document_without_statements_is_named_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a_article.txt").write_text("Ports reopen\n\nThe ports reopened on Monday.\n", encoding="utf-8")
    (corpus / "b_widget.txt").write_text("Show more\n\nShare on Facebook\n\n© Photo/Agency\n", encoding="utf-8")
    with caplog.at_level("WARNING"):
        result = runner.invoke(app, ["segment", str(corpus), "-o", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 0, result.output
    assert "b_widget" in caplog.text and "no statements" in caplog.text
    assert "a_article" not in caplog.text


# --- issue 12 #3: linear in paragraph length (the speed itself is measured in benchmarks/) ----


def test_sentence_spans_window_by_window_equal_one_call() -> None:
    from stance.segment.sentences import sentence_spans

    text = " ".join(
        (SEEDS / name).read_text(encoding="utf-8").replace("\n", " ")
        for name in ("001_d1caa0e424b30984.txt", "004_b1e4814de7f370c4.txt")
    )
    whole = sentence_spans(text, window=len(text) + 1)
    assert len(whole) > 50
    assert sentence_spans(text, window=3000) == whole
    # A text without any sentence end is still cut into bounded pieces, none lost.
    flat = "word " * 3000
    pieces = sentence_spans(flat, window=1000)
    assert len(pieces) > 10 and all(e - s <= 1000 for s, e in pieces)
    assert " ".join(flat[s:e] for s, e in pieces).split() == flat.split()


def test_quotations_without_a_cue_take_the_nearest_attributed_neighbour() -> None:
    from stance.segment import Document, segment_document

    text = (
        "Harbour dues to rise\n\n"
        'Port director Anna Berg spoke to reporters on Monday. "We have no choice." "Dredging costs doubled." '
        '"The board agreed," Berg said. "Ships will pay more." "Nobody likes it."\n'
    )
    statements = segment_document(Document("d", text, "d.txt")).statements
    quoted = [s for s in statements if s.in_quote]
    assert [s.text for s in quoted][0] == '"We have no choice."'
    assert {s.holder for s in quoted} == {"Anna Berg"}


# --- issue 12 #4: one bad byte does not garble a UTF-8 file ------------------------------------


def test_utf8_with_a_stray_byte_stays_utf8_and_the_byte_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    article = (
        "Lavrov: Japan’s claims are “unacceptable”\n\n"
        "MOSCOW, January 16. /TASS/. Russia’s top diplomat said on Wednesday that Tokyo’s position "
        "had not changed. “We are ready to continue the dialogue,” he told reporters.\n\n"
        "The talks in Moscow lasted more than three hours, the ministry’s spokeswoman said.\n"
    )
    data = article.encode("utf-8")
    cut = data.index(b"The talks")
    path = tmp_path / "tass-0116.txt"
    path.write_bytes(data[:cut] + b"\xff" + data[cut:])  # a stray byte from a bad copy-paste
    with caplog.at_level("WARNING"):
        (seg,) = list(iter_segmented([path]))
    text = seg.document.text
    assert "’" in text and "â€" not in text and "‚Äô" not in text
    assert text.count("\ufffd") == 1 and text.index("\ufffd") == article.index("The talks")
    assert "tass-0116.txt" in caplog.text and f"byte {cut}" in caplog.text
    assert all(text[s.start : s.end] == s.text for s in seg.statements)
    assert any(s.text.startswith("Russia’s top diplomat") for s in seg.statements)


def test_a_legacy_encoding_is_guessed_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    data = "Les cafés de Zürich ont protesté lundi contre la hausse des loyers.".encode("cp1252")
    with caplog.at_level("WARNING"):
        assert decode_bytes(data, name="zurich.txt") == "Les cafés de Zürich ont protesté lundi contre la hausse des loyers."
    assert "zurich.txt: not UTF-8" in caplog.text and "WARNING" in caplog.text


# --- issue 11 item 5 and lineage: defaults inside the package ---------------------------------


def test_the_default_cleaning_config_ships_inside_the_package() -> None:
    from stance.segment.clean import default_cleaning_config_path

    path = default_cleaning_config_path()
    assert path.parts[-3:] == ("stance", "resources", "cleaning.yaml")
    config = load_cleaning_config()
    assert config.path == str(path) and config.fingerprint.startswith("sha256:")
    assert config.match_line("1 pages in this article") == "counters"


def test_a_missing_default_cleaning_config_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A broken install cannot be produced in the checkout; point the resource lookup at an empty package dir.
    import stance.segment.clean as clean

    monkeypatch.setattr(clean, "files", lambda package: tmp_path)
    with pytest.raises(StanceError, match="default cleaning patterns .*cleaning.yaml are missing"):
        load_cleaning_config()


def test_segment_writes_the_statements_lineage(tmp_path: Path) -> None:
    import hashlib

    from stance.lineage import read_lineage

    out = tmp_path / "statements.jsonl"
    result = runner.invoke(app, ["segment", str(SEEDS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    record = read_lineage(out)
    assert record is not None and record.kind == "statements"
    assert record.details["segmenter_version"].startswith("stance.segment.v")
    assert record.details["cleaning_fingerprint"].startswith("sha256:")
    assert record.details["documents"] == 5
    seed = SEEDS / "002_5ce20cb9e0b1a5b5.txt"
    ref = next(r for r in record.inputs if r["path"] == str(seed.resolve()))
    assert ref["kind"] == "documents" and ref["fingerprint"] == "sha256:" + hashlib.sha256(seed.read_bytes()).hexdigest()
    assert record.fingerprint == "sha256:" + hashlib.sha256(out.read_bytes()).hexdigest()


# --- found by trying more hostile inputs ------------------------------------------------------


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "wire.txt").write_text("Ports reopen\n\nThe ports reopened on Monday. Trade resumed.\n", encoding="utf-8")
    statements = list(segment_paths([tmp_path / "wire.txt", tmp_path, tmp_path / "wire.txt"]))
    assert [s.text for s in statements] == ["Ports reopen", "The ports reopened on Monday.", "Trade resumed."]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_decoded(encoding: str) -> None:
    text = "Ports reopen\r\n\r\nThe ports reopened on Monday, the harbour master said.\r\n"
    assert decode_bytes(text.encode(encoding), name="export.txt") == text
