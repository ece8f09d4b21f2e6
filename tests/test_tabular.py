"""Labelled tables (CSV, TSV, JSONL, Parquet, saved HF datasets) → the typed DatasetDict of `stance dataset`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from stance.errors import StanceError
from stance.tabular import build_table_dataset, is_table_input, load_labelled_table, parse_label_map

ROWS = [
    ("Tokyo should keep pressing for the return of all four islands.", "Kuril sovereignty", "con", "train"),
    ("The southern Kurils have been Russian territory since 1945 and will stay so.", "Kuril sovereignty", "pro", "train"),
    ("The ministry published the schedule of next week's talks.", "Kuril sovereignty", "neutral", "train"),
    ("A peace treaty would open the islands to Japanese investment.", "Peace treaty", "pro", "train"),
    ("Without the islands there can be no treaty, the minister said.", "Peace treaty", "con", "train"),
    ("Fishing quotas were discussed on Tuesday.", "Peace treaty", "neutral", "train"),
    ("Moscow calls the joint economic zone a first step to a treaty.", "Peace treaty", "pro", "dev"),
    ("Sapporo protesters demanded the islands back.", "Kuril sovereignty", "con", "dev"),
    ("The islands' garrison was reinforced this spring.", "Kuril sovereignty", "pro", "test"),
    ("Officials met in Moscow.", "Peace treaty", "neutral", "test"),
]
MAP = "pro=Favor,con=Against,neutral=None"
REPO = Path(__file__).resolve().parents[1]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=["comment", "topic", "stance_label", "part"])


def _args(**extra):
    return {"text_field": "comment", "target_field": "topic", "label_field": "stance_label", "label_map": MAP,
            "split_field": "part", **extra}


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "parquet"])
def test_each_format_gives_the_export_dataset_shape(tmp_path, suffix):
    path = tmp_path / f"corpus.{suffix}"
    df = _frame()
    if suffix == "csv":
        df.to_csv(path, index=False)
    elif suffix == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in df.to_dict("records")), encoding="utf-8")
    else:
        df.to_parquet(path)
    dd = load_labelled_table(path, **_args())
    assert {k: len(v) for k, v in dd.items()} == {"train": 6, "validation": 2, "test": 2}
    train = dd["train"]
    assert train.features["stance"].names == ["None", "Favor", "Against"]
    assert train.features["role"].names == ["None", "Claim", "Premise"]
    from stance.dataset.features import features
    from stance.schema import load_schema

    assert train.features == features(load_schema(REPO / "seeds" / "schema.yaml"), "pair")  # same typed columns as an export
    first = train.filter(lambda r: r["text"].startswith("Tokyo"))[0]
    assert first["target"] == first["target_text"] == "Kuril sovereignty"
    assert train.features["stance"].int2str(first["stance"]) == "Against"
    assert first["role"] == -1 and first["id"].endswith("|Kuril sovereignty")


def test_trains_through_task_data(tmp_path):
    from stance.training import task_data

    path = tmp_path / "corpus.csv"
    _frame().to_csv(path, index=False)
    td = task_data(load_labelled_table(path, **_args()), "train", "joint")
    assert sorted(set(td.y)) == ["Against", "Favor", "None"] and len(td) == 6


def test_bad_column_name_names_the_columns_found(tmp_path):
    path = tmp_path / "corpus.csv"
    _frame().to_csv(path, index=False)
    with pytest.raises(StanceError) as err:
        load_labelled_table(path, **_args(text_field="text"))
    assert "no column 'text'" in str(err.value) and "comment, topic, stance_label, part" in str(err.value)
    assert "--text-field" in err.value.hint


def test_unknown_labels_are_named_with_a_label_map_hint(tmp_path):
    path = tmp_path / "corpus.jsonl"
    _frame().to_json(path, orient="records", lines=True)
    with pytest.raises(StanceError) as err:
        load_labelled_table(path, **_args(label_map=None))
    assert "'con'" in str(err.value) and "'pro'" in str(err.value)
    assert "--label-map" in err.value.hint and "pro=Favor" in err.value.hint


def test_empty_train_split_is_an_error(tmp_path):
    df = _frame()
    df["part"] = ["test"] * 5 + ["dev"] * 5
    path = tmp_path / "corpus.parquet"
    df.to_parquet(path)
    with pytest.raises(StanceError, match="train split is empty"):
        load_labelled_table(path, **_args())


def test_bad_split_value_names_the_row(tmp_path):
    df = _frame()
    df.loc[3, "part"] = "holdout"
    path = tmp_path / "corpus.csv"
    df.to_csv(path, index=False)
    with pytest.raises(StanceError, match="row 4: part = 'holdout'"):
        load_labelled_table(path, **_args())


def test_folder_of_split_files_and_saved_hf_dataset(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    df = _frame().drop(columns=["part"])
    for name, part in (("train", df[:6]), ("dev", df[6:8]), ("test", df[8:])):
        part.to_json(folder / f"{name}.jsonl", orient="records", lines=True)
    dd = load_labelled_table(folder, **_args(split_field="split"))
    assert {k: len(v) for k, v in dd.items()} == {"train": 6, "validation": 2, "test": 2}
    saved = tmp_path / "hf"
    dd.save_to_disk(str(saved))
    assert is_table_input(saved)
    again = load_labelled_table(saved, label_field="stance")  # ClassLabel ints name their labels
    assert {k: len(v) for k, v in again.items()} == {"train": 6, "validation": 2, "test": 2}


def test_rows_without_split_are_split_by_statement(tmp_path):
    df = pd.concat([_frame().assign(comment=lambda d, k=k: d["comment"] + f" (wire copy {k})") for k in range(4)])
    df["comment"] = list(df["comment"][:10]) * 2 + list(df["comment"][20:])  # first 10 texts twice, for two targets
    path = tmp_path / "corpus.csv"
    df.drop(columns=["part"]).to_csv(path, index=False)
    dd = load_labelled_table(path, **_args(split_field="split"))
    assert sum(len(v) for v in dd.values()) == 40 and min(len(v) for v in dd.values()) > 0
    where = {}
    for name, part in dd.items():
        for sid in part["statement_id"]:
            where.setdefault(sid, set()).add(name)
    assert all(len(v) == 1 for v in where.values())  # one text never straddles two splits


def test_label_map_parsing():
    assert parse_label_map("pro=Favor, con=Against") == {"pro": "Favor", "con": "Against"}
    with pytest.raises(StanceError, match="not FROM=TO"):
        parse_label_map("pro:Favor")
    assert not is_table_input("export.json")


def test_cli_dataset_reads_a_table(tmp_path):
    from typer.testing import CliRunner

    from stance.cli import app

    path = tmp_path / "corpus.csv"
    _frame().to_csv(path, index=False)
    out = tmp_path / "data"
    result = CliRunner().invoke(app, ["dataset", str(path), "-o", str(out), "--text-field", "comment", "--target-field",
                                      "topic", "--label-field", "stance_label", "--label-map", MAP,
                                      "--split-field", "part", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "train 6, validation 2, test 2" in result.output
    _, meta = build_table_dataset(path, **_args())
    assert (out / "stance_dataset.json").is_file() and meta["source"]["label_map"]["pro"] == "Favor"
    bad = CliRunner().invoke(app, ["dataset", str(path), "-o", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "no column 'text'" in bad.output
