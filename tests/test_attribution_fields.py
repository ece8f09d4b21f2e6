"""A statement's ``holder_id`` and ``speaker`` travel into Label Studio tasks and the dataset.

Both are optional: statement files written before issue 13 have neither, and their tasks and
datasets keep the columns they had.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stance.dataset import build_dataset, dataset_card
from stance.dataset.splits import DatasetOptions
from stance.export import read_export
from stance.schema import load_schema
from stance.segment import Document, segment_document
from stance.tasks import build_tasks, read_statements

DATA = Path(__file__).parent / "data"
REPO = DATA.parent.parent

DEBATE = DATA / "segment" / "transcripts" / "debate.txt"  # a hand-written debate transcript


@pytest.fixture(scope="module")
def schema() -> Any:
    return load_schema(REPO / "seeds" / "schema.yaml")


def test_tasks_carry_holder_id_and_speaker(schema: Any) -> None:
    document = Document("debate", DEBATE.read_text(encoding="utf-8"), str(DEBATE))
    statements = [s.to_dict() for s in segment_document(document).statements]
    turns = [s for s in statements if s["speaker"]]
    assert turns, "the debate's turns have a speaker"
    tasks = build_tasks(statements, schema, targets=[schema.targets[0].id])
    by_id = {t["data"]["statement_id"]: t["data"] for t in tasks}
    for s in statements:
        assert by_id[s["id"]]["holder_id"] == s["holder_id"]
        assert by_id[s["id"]].get("speaker") == s["speaker"]  # absent where the statement has none
    assert "Thomas A. Whitfield" in {by_id[s["id"]]["speaker"] for s in turns}


def test_older_statement_files_give_the_tasks_they_gave(schema: Any) -> None:
    statements = read_statements(DATA / "statements_small.jsonl")
    assert not any("holder_id" in s or "speaker" in s for s in statements)
    tasks = build_tasks(statements, schema)
    assert not any("holder_id" in t["data"] or "speaker" in t["data"] for t in tasks)


def _export_with(path: Path, **fields: str) -> Path:
    tasks = json.loads((DATA / "export_pair.json").read_text(encoding="utf-8"))
    for task in tasks:
        task["data"].update(fields)
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


def test_dataset_has_holder_id_and_speaker_columns_when_the_tasks_carry_them(tmp_path: Path, schema: Any) -> None:
    export = read_export(_export_with(tmp_path / "e.json", holder_id="person:lavrov/ser", speaker="Sergey Lavrov"), schema)
    dd, meta = build_dataset(export, schema, options=DatasetOptions(ties="keep"))
    rows = [row for split in dd.values() for row in split]
    assert rows
    assert {row["holder_id"] for row in rows} == {"person:lavrov/ser"}
    assert {row["speaker"] for row in rows} == {"Sergey Lavrov"}
    assert meta["optional_columns"] == ["holder_id", "speaker"]
    assert "`holder_id` (one id per holder across documents" in dataset_card(meta)


def test_dataset_of_an_older_export_has_no_new_columns(schema: Any) -> None:
    dd, meta = build_dataset(read_export(DATA / "export_pair.json", schema), schema, options=DatasetOptions(ties="keep"))
    for split in dd.values():
        assert "holder_id" not in split.features and "speaker" not in split.features
    assert "optional_columns" not in meta
