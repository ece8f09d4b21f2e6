"""Tests of `stance predict` (stance/predict.py, stance/cli/predict.py) with small TF-IDF models trained here."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.predict import load_predictor, predict_file, predict_rows

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]
STATEMENTS = DATA / "statements_small.jsonl"
K, T = "kuril_sovereignty", "treaty_1956_basis"


def _target_names() -> dict[str, str]:
    schema = yaml.safe_load((ROOT / "seeds" / "schema.yaml").read_text(encoding="utf-8"))
    return {t["id"]: t["name"] for t in schema["targets"]}


def _train_tfidf(folder: Path, task: str) -> Path:
    from stance.config import TfidfParams, TrainConfig
    from stance.models import build_model, save_model
    from stance.models.base import data_fingerprint, make_metadata

    names = _target_names()
    rows = [json.loads(line) for line in (DATA / "predict_train.jsonl").open(encoding="utf-8")]
    if task == "stance":
        rows = [r for r in rows if r["stance"] != "None"]
    y = [r["role"] if task == "role" else r["stance"] for r in rows]
    X = [{"text": r["text"], "target": names[r["target"]]} for r in rows]
    cfg = TrainConfig(model="tfidf", task=task, params=TfidfParams(min_df=1, calibration="none"))
    model = build_model(cfg).fit(X, y)
    meta = make_metadata(kind="tfidf", task=task, labels=sorted(set(y)), config=cfg.to_dict(),
                         fingerprint=data_fingerprint([x["text"] for x in X], [x["target"] for x in X], y),
                         targets={r["target"]: names[r["target"]] for r in rows}, schema_version="1")
    save_model(model, folder, meta)
    return folder


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    out = {task: _train_tfidf(root / task, task) for task in ("joint", "role", "stance")}
    _train_tfidf(root / "two" / "role", "role")
    _train_tfidf(root / "two" / "stance", "stance")
    out["two"] = root / "two"
    return out


def _statements() -> list[dict[str, Any]]:
    return [json.loads(line) for line in STATEMENTS.open(encoding="utf-8")]


def _read(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.open(encoding="utf-8")]
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        fields = list(rows[0])
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def _scores(value: Any) -> dict[str, float]:
    return json.loads(value) if isinstance(value, str) else value


# --------------------------------------------------------------------------------------------
# Output content


def test_jsonl_rows_keep_input_fields_and_match_the_model(models: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "preds.jsonl"
    summary = predict_file(models["joint"], STATEMENTS, out, show_progress=False)
    rows = _read(out)
    statements = _statements()
    # No targets given: every statement against each of the model's targets.
    assert summary.statements == len(statements)
    assert len(rows) == summary.rows_written == 2 * len(statements)
    assert [r["target"] for r in rows[:2]] == [K, T]
    model, _ = load_predictor(models["joint"])
    names = _target_names()
    expected = model.estimator.predict_proba([{"text": r["text"], "target": names[r["target"]]} for r in rows])
    labels = [str(c) for c in model.estimator.classes_]
    for row, probs in zip(rows, expected):
        source = statements[[s["id"] for s in statements].index(row["id"])]
        assert {k: row[k] for k in source} == source  # input fields kept unchanged
        assert row["stance"] == labels[int(np.argmax(probs))]
        assert [row["stance_scores"][lab] for lab in labels] == pytest.approx(probs.tolist(), abs=1e-9)
        assert row["model_version"] == model.model_version
        assert "role" not in row


@pytest.mark.parametrize("in_suffix", [".jsonl", ".csv", ".parquet"])
@pytest.mark.parametrize("out_suffix", [".jsonl", ".csv", ".parquet"])
def test_every_input_and_output_format_round_trips(models: dict[str, Path], tmp_path: Path, in_suffix: str,
                                                   out_suffix: str) -> None:
    statements = [{"id": s["id"], "holder": s["holder"], "text": s["text"]} for s in _statements()]
    inp = _write(tmp_path / f"in{in_suffix}", statements)
    out = tmp_path / f"out{out_suffix}"
    predict_file(models["joint"], inp, out, targets=[K], show_progress=False, chunk_size=4)
    rows = _read(out)
    reference = _read(_reference(models, tmp_path))
    assert [r["id"] for r in rows] == [s["id"] for s in statements]
    assert [r["text"] for r in rows] == [s["text"] for s in statements]
    assert [r["holder"] for r in rows] == [s["holder"] for s in statements]
    assert [r["stance"] for r in rows] == [r["stance"] for r in reference]
    for got, ref in zip(rows, reference):
        assert _scores(got["stance_scores"]) == pytest.approx(ref["stance_scores"], abs=1e-9)
        assert got["target"] == K


def _reference(models: dict[str, Path], tmp_path: Path) -> Path:
    ref = tmp_path / "reference.jsonl"
    if not ref.exists():
        predict_file(models["joint"], STATEMENTS, ref, targets=[K], show_progress=False)
    return ref


def test_format_option_overrides_the_suffix(models: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "preds.out"
    summary = predict_file(models["joint"], STATEMENTS, out, fmt="csv", targets=[K], show_progress=False)
    assert summary.format == "csv"
    assert out.read_text(encoding="utf-8").startswith("id,doc_id,text,")


def test_target_field_reads_one_target_per_row_by_id_or_text(models: dict[str, Path], tmp_path: Path) -> None:
    names = _target_names()
    statements = _statements()[:4]
    statements[0]["target"] = K
    statements[1]["target"] = T
    statements[2]["target"] = names[K]  # the target text is accepted too
    statements[3]["target"] = T
    inp = _write(tmp_path / "in.jsonl", statements)
    predict_file(models["joint"], inp, tmp_path / "out.jsonl", target_field="target", show_progress=False)
    rows = _read(tmp_path / "out.jsonl")
    assert len(rows) == 4
    assert [r["target"] for r in rows] == [K, T, names[K], T]  # the row's own field, untouched
    model, _ = load_predictor(models["joint"])
    expected = model.estimator.predict_proba([{"text": s["text"], "target": names[K] if i in (0, 2) else names[T]}
                                              for i, s in enumerate(statements)])
    got = np.array([[r["stance_scores"][str(c)] for c in model.estimator.classes_] for r in rows])
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_saved_dataset_with_splits_is_read_split_by_split(models: dict[str, Path], tmp_path: Path) -> None:
    from datasets import Dataset, DatasetDict

    statements = [{"id": s["id"], "text": s["text"], "stance": "Favor"} for s in _statements()]
    DatasetDict({"train": Dataset.from_list(statements[:10]), "test": Dataset.from_list(statements[10:])}).save_to_disk(
        str(tmp_path / "ds"))
    summary = predict_file(models["joint"], tmp_path / "ds", tmp_path / "out.jsonl", targets=[K], show_progress=False)
    rows = _read(tmp_path / "out.jsonl")
    assert summary.statements == len(statements)
    assert [r["split"] for r in rows] == ["train"] * 10 + ["test"] * (len(statements) - 10)
    assert all(r["input_stance"] == "Favor" for r in rows)  # a gold column of the same name is kept, renamed
    predict_file(models["joint"], tmp_path / "ds", tmp_path / "test.jsonl", targets=[K], split="test", show_progress=False)
    assert [r["id"] for r in _read(tmp_path / "test.jsonl")] == [s["id"] for s in statements[10:]]
    with pytest.raises(StanceError, match="no split 'dev'; it has train, test"):
        predict_file(models["joint"], tmp_path / "ds", tmp_path / "x.jsonl", targets=[K], split="dev", show_progress=False)


def test_folder_of_documents_is_segmented_on_the_fly(models: dict[str, Path], tmp_path: Path) -> None:
    from stance.segment import segment_paths

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "talks.txt").write_text(
        "Lavrov: Our position on the islands is well known. They became Russian after the war.\n\n"
        "Kono: Japan wants a peace treaty on the basis of the 1956 Declaration.\n", encoding="utf-8")
    summary = predict_file(models["joint"], docs, tmp_path / "out.jsonl", targets=[K], show_progress=False)
    rows = _read(tmp_path / "out.jsonl")
    assert summary.statements >= 2
    expected = [s.to_dict() for s in segment_paths([docs])]
    assert [r["id"] for r in rows] == [s["id"] for s in expected]
    assert all(r["doc_id"] == "talks" and r["stance"] in ("Favor", "Against", "None") for r in rows)
    assert {k: rows[0][k] for k in expected[0]} == expected[0]


# --------------------------------------------------------------------------------------------
# Resume


class _Interrupt(Exception):
    pass


def _stop_after(n: int) -> Any:
    def hook(index: int, done: int) -> None:
        if index + 1 == n:
            raise _Interrupt(f"stopped after chunk {index}")

    return hook


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_resume_after_interruption_gives_exactly_the_uninterrupted_rows(models: dict[str, Path], tmp_path: Path,
                                                                         suffix: str) -> None:
    full = tmp_path / f"full{suffix}"
    predict_file(models["joint"], STATEMENTS, full, chunk_size=3, show_progress=False)

    out = tmp_path / f"out{suffix}"
    with pytest.raises(_Interrupt):
        predict_file(models["joint"], STATEMENTS, out, chunk_size=3, show_progress=False, after_chunk=_stop_after(2))
    assert not out.exists()  # nothing half-written in place
    manifest = json.loads((tmp_path / f"out{suffix}.parts" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["chunks_done"] == 2 and manifest["statements_done"] == 6

    scored: list[int] = []
    summary = predict_file(models["joint"], STATEMENTS, out, chunk_size=3, show_progress=False, resume=True,
                           after_chunk=lambda i, done: scored.append(i))
    assert scored == [2, 3, 4]  # chunks 0 and 1 were not recomputed
    assert summary.resumed_statements == 6
    assert summary.statements == 14 and summary.rows_written == 28
    assert _read(out) == _read(full)
    if suffix != ".parquet":
        assert out.read_bytes() == full.read_bytes()
    assert not (tmp_path / f"out{suffix}.parts").exists()


def test_resume_refuses_a_changed_input(models: dict[str, Path], tmp_path: Path) -> None:
    inp = _write(tmp_path / "in.jsonl", _statements())
    out = tmp_path / "out.jsonl"
    with pytest.raises(_Interrupt):
        predict_file(models["joint"], inp, out, chunk_size=3, show_progress=False, after_chunk=_stop_after(1))
    _write(inp, _statements()[::-1])
    with pytest.raises(StanceError, match="cannot resume into .*the input file changed"):
        predict_file(models["joint"], inp, out, chunk_size=3, show_progress=False, resume=True)
    with pytest.raises(StanceError, match="the options differ"):
        _write(inp, _statements())
        predict_file(models["joint"], inp, out, chunk_size=5, show_progress=False, resume=True)


def test_rerun_without_resume_starts_over(models: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with pytest.raises(_Interrupt):
        predict_file(models["joint"], STATEMENTS, out, chunk_size=3, show_progress=False, after_chunk=_stop_after(1))
    summary = predict_file(models["joint"], STATEMENTS, out, chunk_size=3, show_progress=False)
    assert summary.resumed_statements == 0
    assert len(_read(out)) == 28


def test_resume_after_killing_the_cli_process(models: dict[str, Path], tmp_path: Path) -> None:
    """A real kill (SIGKILL) in the middle of a run, then `--resume`."""
    import os
    import signal
    import subprocess
    import sys
    import time

    big = tmp_path / "big.jsonl"
    _write(big, [{"id": f"s{i}", "text": f"{s['text']} ({i})"} for i in range(400) for s in _statements()[i % 14: i % 14 + 1]])
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "stance.cli", "predict", str(models["joint"]), str(big), "-o", str(out),
           "--chunk-size", "20", "--no-progress"]
    script = "import sys; from stance.cli import main; sys.argv = ['stance'] + sys.argv[1:]; main()"
    proc = subprocess.Popen([sys.executable, "-c", script, *cmd[3:]])
    manifest = tmp_path / "out.jsonl.parts" / "manifest.json"
    deadline = time.time() + 60
    while time.time() < deadline:
        if manifest.exists() and json.loads(manifest.read_text(encoding="utf-8") or "{}").get("chunks_done", 0) >= 2:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if out.exists():
        pytest.skip("the run finished before it could be killed")
    result = CliRunner().invoke(app, cmd[3:] + ["--resume"])
    assert result.exit_code == 0, result.output
    assert "resumed after" in result.output
    full = tmp_path / "full.jsonl"
    predict_file(models["joint"], big, full, chunk_size=20, show_progress=False)
    assert out.read_bytes() == full.read_bytes()


# --------------------------------------------------------------------------------------------
# Two-stage


PROCEDURAL = [  # statements that take no position: the role stage should drop most of them
    "The minister arrived in Moscow on Tuesday for talks.",
    "The press conference lasted about two hours.",
    "Both delegations exchanged views on the regional situation.",
]


def test_two_stage_matches_running_both_models_by_hand(models: dict[str, Path], tmp_path: Path) -> None:
    inp = _write(tmp_path / "in.jsonl", _statements() + [{"id": f"p{i}", "text": t} for i, t in enumerate(PROCEDURAL)])
    out = tmp_path / "out.jsonl"
    summary = predict_file(models["stance"], inp, out, role_model_dir=models["role"], two_stage=True,
                           targets=[K, T], show_progress=False, chunk_size=5)
    rows = _read(out)
    from stance.models import load_model

    role, stance = load_model(models["role"]), load_model(models["stance"])
    names = _target_names()
    X = [{"text": r["text"], "target": names[r["target"]]} for r in rows]
    role_p = role.predict_proba(X)
    role_lab = [str(c) for c in role.classes_]
    expected_roles = [role_lab[i] for i in role_p.argmax(1)]
    assert [r["role"] for r in rows] == expected_roles
    kept = [i for i, lab in enumerate(expected_roles) if lab in ("Claim", "Premise")]
    assert 0 < len(kept) < len(rows), "the fixture should exercise both branches"
    stance_p = stance.predict_proba([X[i] for i in kept])
    stance_lab = [str(c) for c in stance.classes_]
    for j, i in enumerate(kept):
        assert rows[i]["stage"] == "stance"
        assert rows[i]["stance"] == stance_lab[int(stance_p[j].argmax())]
        assert [rows[i]["stance_scores"][lab] for lab in stance_lab] == pytest.approx(stance_p[j].tolist(), abs=1e-9)
    for i in set(range(len(rows))) - set(kept):
        assert rows[i]["stage"] == "role" and rows[i]["stance"] is None and rows[i]["stance_scores"] is None
    for i, row in enumerate(rows):
        assert [row["role_scores"][lab] for lab in role_lab] == pytest.approx(role_p[i].tolist(), abs=1e-9)
        assert row["role_model_version"] == role.metadata["model_version"]
        assert row["model_version"] == stance.metadata["model_version"]
    assert summary.pairs == len(rows) and summary.role_kept == len(kept) == summary.stance_scored


def test_two_stage_folder_turns_two_stage_mode_on(models: dict[str, Path], tmp_path: Path) -> None:
    by_folder = predict_file(models["two"], STATEMENTS, tmp_path / "a.jsonl", targets=[K], show_progress=False)
    assert by_folder.role_kept is not None
    by_hand = predict_file(models["two"] / "stance", STATEMENTS, tmp_path / "b.jsonl", targets=[K], two_stage=True,
                           role_model_dir=models["two"] / "role", show_progress=False)
    assert _read(tmp_path / "a.jsonl") == _read(tmp_path / "b.jsonl")
    assert by_folder.role_kept == by_hand.role_kept


def test_role_model_without_two_stage_scores_every_pair(models: dict[str, Path], tmp_path: Path) -> None:
    summary = predict_file(models["joint"], STATEMENTS, tmp_path / "o.jsonl", role_model_dir=models["role"], targets=[K],
                           show_progress=False)
    rows = _read(tmp_path / "o.jsonl")
    assert summary.role_kept is None and summary.stance_scored == len(rows) == 14
    assert all(r["role"] in ("Claim", "Premise", "None") and r["stance"] is not None and "stage" not in r for r in rows)


# --------------------------------------------------------------------------------------------
# Bad rows and errors


BAD_JSONL = (
    b'{"id": "a", "text": "Russia will never hand over the islands."}\n'
    b'{"id": "b", "text": ""}\n'
    b'{"id": "c"}\n'
    b'{"id": "d", "text": "Caf\xe9 talks resumed in Moscow."}\n'
    b'{"id": "e", "text": "A peace treaty is overdue."\n'
    b'["not", "an", "object"]\n'
    b'{"id": "f", "text": "   "}\n'
    b'{"id": "g", "text": "Tokyo wants all four islands back."}\n'
)


def test_bad_rows_are_skipped_and_reported_with_line_numbers(models: dict[str, Path], tmp_path: Path) -> None:
    inp = tmp_path / "bad.jsonl"
    inp.write_bytes(BAD_JSONL)
    summary = predict_file(models["joint"], inp, tmp_path / "out.jsonl", targets=[K], show_progress=False)
    assert [r["id"] for r in _read(tmp_path / "out.jsonl")] == ["a", "g"]
    assert summary.statements == 8 and summary.bad_rows == 6
    reported = [str(b) for b in summary.bad_examples]
    assert reported == [
        "bad.jsonl line 2: empty 'text'",
        "bad.jsonl line 3: no 'text' field",
        "bad.jsonl line 4: undecodable bytes (invalid continuation byte at byte 24); file is not UTF-8",
        "bad.jsonl line 5: not valid JSON (Expecting ',' delimiter at column 49)",
        "bad.jsonl line 6: expected a JSON object, found list",
        "bad.jsonl line 7: empty 'text'",
    ]


def test_on_error_fail_stops_at_the_first_bad_row(models: dict[str, Path], tmp_path: Path) -> None:
    inp = tmp_path / "bad.jsonl"
    inp.write_bytes(BAD_JSONL)
    with pytest.raises(StanceError, match=r"bad.jsonl line 2: empty 'text' \(hint: .*--on-error skip"):
        predict_file(models["joint"], inp, tmp_path / "out.jsonl", targets=[K], on_error="fail", show_progress=False)
    assert not (tmp_path / "out.jsonl").exists()


def test_bad_csv_rows_are_reported_with_line_numbers(models: dict[str, Path], tmp_path: Path) -> None:
    inp = tmp_path / "bad.csv"
    inp.write_bytes(b'id,text\na,"Russia will keep the islands,\nall of them."\nb,\nc,Caf\xe9 talks\nd,too,many\n'
                    b"e,The treaty matters.\n")
    summary = predict_file(models["joint"], inp, tmp_path / "out.csv", targets=[K], show_progress=False)
    assert [r["id"] for r in _read(tmp_path / "out.csv")] == ["a", "e"]
    assert [str(b) for b in summary.bad_examples] == [
        "bad.csv line 4: empty 'text'",
        "bad.csv line 5: undecodable bytes; file is not UTF-8",
        "bad.csv line 6: has 3 fields, the header has 2",
    ]


def test_missing_target_field_is_a_bad_row(models: dict[str, Path], tmp_path: Path) -> None:
    inp = _write(tmp_path / "in.jsonl", [{"text": "The islands are Russian.", "target": K}, {"text": "No target here."}])
    summary = predict_file(models["joint"], inp, tmp_path / "o.jsonl", target_field="target", show_progress=False)
    assert [str(b) for b in summary.bad_examples] == ["in.jsonl line 2: no target in field 'target'"]


def test_unknown_target_is_refused_before_any_work(models: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(StanceError, match=r"--targets: target 'whaling' is unknown to model .* kuril_sovereignty, "
                                          r"treaty_1956_basis"):
        predict_file(models["joint"], STATEMENTS, tmp_path / "o.jsonl", targets=[K, "whaling"], show_progress=False)
    assert not (tmp_path / "o.jsonl.parts").exists()


def test_unknown_target_in_a_row_names_the_line(models: dict[str, Path], tmp_path: Path) -> None:
    inp = _write(tmp_path / "in.jsonl", [{"text": "The islands are Russian.", "target": K},
                                         {"text": "Whaling must stop.", "target": "whaling"}])
    with pytest.raises(StanceError, match=r"in.jsonl line 2: target 'whaling' is unknown to model"):
        predict_file(models["joint"], inp, tmp_path / "o.jsonl", target_field="target", on_error="fail",
                     show_progress=False)


def test_missing_model_folder(tmp_path: Path) -> None:
    with pytest.raises(StanceError, match=r"model folder .*nowhere does not exist"):
        predict_file(tmp_path / "nowhere", STATEMENTS, tmp_path / "o.jsonl", show_progress=False)


def test_folder_without_metadata_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(StanceError, match="is not a stance model folder: stance_model.json is missing"):
        predict_file(tmp_path / "empty", STATEMENTS, tmp_path / "o.jsonl", show_progress=False)


def test_corrupt_model_file_gives_a_clear_error(models: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(models["joint"], broken)
    data = (broken / "model.skops").read_bytes()
    (broken / "model.skops").write_bytes(data[: len(data) // 2])
    with pytest.raises(StanceError, match=r"could not be loaded|damaged|incomplete"):
        predict_file(broken, STATEMENTS, tmp_path / "o.jsonl", show_progress=False)
    (broken / "stance_model.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(StanceError, match=r"stance_model.json line 1 column 2: not valid JSON"):
        predict_file(broken, STATEMENTS, tmp_path / "o.jsonl", show_progress=False)


def test_role_model_as_stance_model_is_refused(models: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(StanceError, match="is a role model .* expected a stance model"):
        predict_file(models["role"], STATEMENTS, tmp_path / "o.jsonl", show_progress=False)
    with pytest.raises(StanceError, match="a role model predicts None/Claim/Premise"):
        predict_file(models["joint"], STATEMENTS, tmp_path / "o.jsonl", role_model_dir=models["stance"], show_progress=False)


def test_two_stage_without_role_model_is_refused(models: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(StanceError, match="--two-stage needs a role model"):
        predict_file(models["stance"], STATEMENTS, tmp_path / "o.jsonl", two_stage=True, show_progress=False)


def test_missing_input_and_bad_output_suffix(models: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(StanceError, match="input .*missing.jsonl does not exist"):
        predict_file(models["joint"], tmp_path / "missing.jsonl", tmp_path / "o.jsonl", show_progress=False)
    with pytest.raises(StanceError, match=r"unknown format 'xml' \(hint: use one of jsonl, csv, parquet"):
        predict_file(models["joint"], STATEMENTS, tmp_path / "o.xml", fmt="xml", show_progress=False)
    # An output suffix that names no format: the input's format is kept.
    assert predict_file(models["joint"], STATEMENTS, tmp_path / "o.txt", targets=[K], show_progress=False).format == "jsonl"


def test_predict_rows_works_on_records_in_memory(models: dict[str, Path]) -> None:
    model, _ = load_predictor(models["joint"])
    rows, counts = predict_rows([{"text": "The southern Kurils are Russian territory."}], model, targets=[K, T])
    assert counts == {"pairs": 2, "role_kept": 0, "stance_scored": 2}
    assert [r["target"] for r in rows] == [K, T]
    assert sum(rows[0]["stance_scores"].values()) == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# CLI


def test_cli_predicts_and_summarises(models: dict[str, Path], tmp_path: Path) -> None:
    inp = tmp_path / "bad.jsonl"
    inp.write_bytes(BAD_JSONL)
    result = CliRunner().invoke(app, ["predict", str(models["two"]), str(inp), "-o", str(tmp_path / "o.parquet"),
                                      "--targets", f"{K},{T}", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "skipped bad.jsonl line 2: empty 'text'" in result.output
    assert "read 8 statements (6 bad, skipped); wrote 4 rows" in result.output
    assert "two-stage: role stage scored 4 statement-target pairs and kept" in result.output
    assert len(_read(tmp_path / "o.parquet")) == 4


def test_cli_error_is_one_line_and_exit_code_1(models: dict[str, Path], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["predict", str(models["joint"]), str(STATEMENTS), "-o", str(tmp_path / "o.jsonl"),
                                      "--targets", "whaling", "--no-progress"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("error: --targets: target 'whaling' is unknown")


# --------------------------------------------------------------------------------------------
# Transformer path


@pytest.fixture(scope="module")
def transformer_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A MiniLM joint model fine-tuned for a few steps on the hand-labelled fixture."""
    pytest.importorskip("torch")
    from stance.config import TrainConfig, TransformerParams
    from stance.models import build_model, save_model
    from stance.models.base import data_fingerprint, make_metadata

    names = _target_names()
    rows = [json.loads(line) for line in (DATA / "predict_train.jsonl").open(encoding="utf-8")]
    X = [{"text": r["text"], "target": names[r["target"]]} for r in rows]
    y = [r["stance"] for r in rows]
    cfg = TrainConfig(model="transformer", task="joint",
                      params=TransformerParams(max_steps=3, batch_size=8, max_length=64, progress=False))
    model = build_model(cfg).fit(X, y)
    meta = make_metadata(kind="transformer", task="joint", labels=[str(c) for c in model.classes_], config=cfg.to_dict(),
                         fingerprint=data_fingerprint([x["text"] for x in X], [x["target"] for x in X], y),
                         targets={r["target"]: names[r["target"]] for r in rows}, schema_version="1")
    folder = tmp_path_factory.mktemp("transformer") / "joint"
    save_model(model, folder, meta)
    return folder


@pytest.mark.slow
def test_transformer_path_matches_the_plain_pipeline_and_quantize_runs(transformer_model: Path, tmp_path: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    out = tmp_path / "out.jsonl"
    summary = predict_file(transformer_model, STATEMENTS, out, targets=[K, T], batch_size=4, chunk_size=5,
                           show_progress=False)
    rows = _read(out)
    assert summary.rows_written == len(rows) == 28
    names = _target_names()
    # the folder is a sentence-transformers model whose output is the logits of "target [SEP] statement"
    st = SentenceTransformer(str(transformer_model), device="cpu")
    labels = [st[0].auto_model.config.id2label[i] for i in range(3)]
    logits = st.encode([f"{names[r['target']]} [SEP] {r['text']}" for r in rows], convert_to_tensor=True)
    expected = torch.softmax(logits, -1).numpy()
    for row, probs in zip(rows, expected):
        by_label = dict(zip(labels, probs.tolist()))
        assert row["stance_scores"] == pytest.approx(by_label, abs=1e-4)
        assert row["stance"] == max(by_label, key=by_label.get)

    q = predict_file(transformer_model, STATEMENTS, tmp_path / "q.jsonl", targets=[K, T], quantize=True,
                     show_progress=False)
    quantized = _read(tmp_path / "q.jsonl")
    assert q.rows_written == 28
    diffs = [abs(a["stance_scores"][lab] - b["stance_scores"][lab]) for a, b in zip(rows, quantized) for lab in a["stance_scores"]]
    assert 0 < max(diffs) < 0.2  # int8 really ran, and stayed close


# --------------------------------------------------------------------------------------------
# Issue 12: nothing lost, nothing clobbered


def test_resume_recomputes_a_truncated_part(models: dict[str, Path], tmp_path: Path) -> None:
    full = tmp_path / "full.jsonl"
    predict_file(models["joint"], STATEMENTS, full, chunk_size=3, show_progress=False)
    out = tmp_path / "out.jsonl"
    with pytest.raises(_Interrupt):
        predict_file(models["joint"], STATEMENTS, out, chunk_size=3, show_progress=False, after_chunk=_stop_after(3))
    part = tmp_path / "out.jsonl.parts" / "chunk-000001.jsonl"
    data = part.read_bytes()
    part.write_bytes(data[: len(data) - 40])  # a half-written last line, as after a crash of the disk cache
    scored: list[int] = []
    summary = predict_file(models["joint"], STATEMENTS, out, chunk_size=3, show_progress=False, resume=True,
                           after_chunk=lambda i, done: scored.append(i))
    assert scored == [1, 2, 3, 4]  # the damaged part and everything after it, nothing before
    assert out.read_bytes() == full.read_bytes()
    assert summary.rows_written == 28 and summary.statements == 14
    assert any("chunk-000001.jsonl" in w and "sha256" in w for w in summary.warnings)


def test_resume_recomputes_a_part_whose_row_count_differs(models: dict[str, Path], tmp_path: Path) -> None:
    full = tmp_path / "full.csv"
    predict_file(models["joint"], STATEMENTS, full, chunk_size=3, show_progress=False)
    out = tmp_path / "out.csv"
    with pytest.raises(_Interrupt):
        predict_file(models["joint"], STATEMENTS, out, chunk_size=3, show_progress=False, after_chunk=_stop_after(2))
    parts = tmp_path / "out.csv.parts"
    manifest = json.loads((parts / "manifest.json").read_text(encoding="utf-8"))
    manifest["parts"][0]["rows"] += 1  # the file hashes right, but holds fewer rows than recorded
    (parts / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    scored: list[int] = []
    summary = predict_file(models["joint"], STATEMENTS, out, chunk_size=3, show_progress=False, resume=True,
                           after_chunk=lambda i, done: scored.append(i))
    assert scored == [0, 1, 2, 3, 4]
    assert out.read_bytes() == full.read_bytes()
    assert any("holds 6 rows, the manifest records 7" in w for w in summary.warnings)


def test_stale_temporaries_of_killed_runs_are_removed(models: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with pytest.raises(_Interrupt):
        predict_file(models["joint"], STATEMENTS, out, chunk_size=3, show_progress=False, after_chunk=_stop_after(1))
    # What a SIGKILL in the middle of atomic writes leaves behind: the joined output and a part being written.
    stale_out = tmp_path / ".out.jsonl.k2j4x9_q.part"
    stale_out.write_bytes(b'{"id": "half' * 1000)
    stale_part = tmp_path / "out.jsonl.parts" / ".chunk-000001.jsonl.a8b7c6.part"
    stale_part.write_bytes(b'{"id": "half')
    other = tmp_path / ".notes.txt.abc.part"  # another file's temporary is not ours to remove
    other.write_text("keep", encoding="utf-8")
    summary = predict_file(models["joint"], STATEMENTS, out, chunk_size=3, show_progress=False, resume=True)
    assert not stale_out.exists() and not stale_part.exists()
    assert other.exists()
    assert len(_read(out)) == 28
    assert any("left by an interrupted run" in w for w in summary.warnings)


def test_csv_without_a_text_column_stops_and_names_the_columns(models: dict[str, Path], tmp_path: Path) -> None:
    inp = _write(tmp_path / "tweets.csv", [{"id": "t1", "Tweet": "The islands are Russian.", "Target": "kurils"}])
    with pytest.raises(StanceError, match=r"tweets.csv has no 'text' column; its columns are 'id', 'Tweet', 'Target' "
                                          r"\(hint: .*--text-field Tweet\)"):
        predict_file(models["joint"], inp, tmp_path / "o.csv", targets=[K], show_progress=False)
    assert not (tmp_path / "o.csv").exists()
    summary = predict_file(models["joint"], inp, tmp_path / "o.csv", targets=[K], text_field="Tweet", show_progress=False)
    assert summary.rows_written == 1


def test_one_unknown_target_under_skip_is_a_bad_row(models: dict[str, Path], tmp_path: Path) -> None:
    rows = [{"id": f"s{i}", "text": s["text"], "target": K if i % 2 else T} for i, s in enumerate(_statements()[:10])]
    rows[3]["target"] = "whaling"
    inp = _write(tmp_path / "in.jsonl", rows)
    summary = predict_file(models["joint"], inp, tmp_path / "o.jsonl", target_field="target", show_progress=False)
    assert summary.bad_rows == 1 and summary.rows_written == 9
    assert len(summary.bad_examples) == 1
    assert str(summary.bad_examples[0]).startswith("in.jsonl line 4: target 'whaling' is unknown to model")
    assert [r["id"] for r in _read(tmp_path / "o.jsonl")] == [r["id"] for i, r in enumerate(rows) if i != 3]


def test_empty_input_warns(models: dict[str, Path], tmp_path: Path) -> None:
    inp = tmp_path / "empty.jsonl"
    inp.write_text("\n", encoding="utf-8")
    summary = predict_file(models["joint"], inp, tmp_path / "o.jsonl", targets=[K], show_progress=False)
    assert summary.statements == 0
    assert any("holds no statements" in w for w in summary.warnings)
    result = CliRunner().invoke(app, ["predict", str(models["joint"]), str(inp), "-o", str(tmp_path / "o2.jsonl"),
                                      "--targets", K, "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "warning: " in result.output and "holds no statements" in result.output


def test_edited_kind_in_the_metadata_names_the_mismatch(models: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(models["joint"], folder)
    meta = json.loads((folder / "stance_model.json").read_text(encoding="utf-8"))
    meta["kind"] = "transformer"
    (folder / "stance_model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(StanceError, match=r"stance_model.json says kind 'transformer', but the folder holds a tfidf model"):
        predict_file(folder, STATEMENTS, tmp_path / "o.jsonl", show_progress=False)


def test_metadata_that_is_a_list_says_so(models: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(models["joint"], folder)
    (folder / "stance_model.json").write_text(json.dumps([{"format": "stance.model.v1"}]), encoding="utf-8")
    with pytest.raises(StanceError, match=r"stance_model.json holds a JSON list, expected a JSON object") as info:
        predict_file(folder, STATEMENTS, tmp_path / "o.jsonl", show_progress=False)
    assert "format 'list'" not in str(info.value)


def test_symlink_to_itself_is_named_as_a_loop(models: dict[str, Path], tmp_path: Path) -> None:
    loop = tmp_path / "statements.jsonl"
    loop.symlink_to(loop)
    with pytest.raises(StanceError, match=r"input .*statements.jsonl is a symbolic link that loops"):
        predict_file(models["joint"], loop, tmp_path / "o.jsonl", show_progress=False)
    model_loop = tmp_path / "model"
    model_loop.symlink_to(model_loop)
    with pytest.raises(StanceError, match=r"model folder .*model is a symbolic link that loops"):
        predict_file(model_loop, STATEMENTS, tmp_path / "o.jsonl", show_progress=False)


def test_immutable_output_names_the_output_not_the_temporary(models: dict[str, Path], tmp_path: Path) -> None:
    import shutil
    import subprocess

    out = tmp_path / "preds.jsonl"
    out.write_text("earlier results\n", encoding="utf-8")
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(out)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here (needs root and an ext4-like file system)")
    try:
        with pytest.raises(StanceError) as info:
            predict_file(models["joint"], STATEMENTS, out, targets=[K], show_progress=False)
    finally:
        subprocess.run(["chattr", "-i", str(out)], check=True)
    message = str(info.value)
    assert message.startswith(f"cannot write {out}:") and ".part" not in message
    assert "immutable" in message and "lsattr" in message
    assert out.read_text(encoding="utf-8") == "earlier results\n"


def test_cli_reports_each_bad_row_once(models: dict[str, Path], tmp_path: Path) -> None:
    import subprocess
    import sys

    inp = tmp_path / "bad.jsonl"
    inp.write_bytes(BAD_JSONL)
    script = "import sys; from stance.cli import main; sys.argv = ['stance'] + sys.argv[1:]; main()"
    proc = subprocess.run([sys.executable, "-c", script, "predict", str(models["joint"]), str(inp), "-o",
                           str(tmp_path / "o.jsonl"), "--targets", K, "--no-progress"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for line in (2, 3, 4, 5, 6, 7):
        assert proc.stderr.count(f"bad.jsonl line {line}:") == 1, proc.stderr


def test_output_that_is_the_input_through_a_hard_link_is_refused(models: dict[str, Path], tmp_path: Path) -> None:
    import os

    inp = _write(tmp_path / "in.jsonl", _statements())
    os.link(inp, tmp_path / "alias.jsonl")
    with pytest.raises(StanceError, match=r"output .*alias.jsonl is the input .*in.jsonl"):
        predict_file(models["joint"], inp, tmp_path / "alias.jsonl", show_progress=False)
    assert _read(inp) == _statements()


# --------------------------------------------------------------------------------------------
# Issue 14: the rows' own target field by default; targets never seen in training


def test_rows_with_a_target_field_use_it_by_default(models: dict[str, Path], tmp_path: Path) -> None:
    rows = [{"id": s["id"], "text": s["text"], "target": K if i % 2 else T} for i, s in enumerate(_statements())]
    inp = _write(tmp_path / "test.csv", rows)
    summary = predict_file(models["joint"], inp, tmp_path / "o.jsonl", show_progress=False)
    out = _read(tmp_path / "o.jsonl")
    assert len(out) == len(rows) and [r["target"] for r in out] == [r["target"] for r in rows]
    assert "input_target" not in out[0]
    assert summary.target_source.startswith("each row's 'target' field")
    # --all-targets (or --targets) overrides: every row against each target of the model.
    summary = predict_file(models["joint"], inp, tmp_path / "all.jsonl", all_targets=True, show_progress=False)
    every = _read(tmp_path / "all.jsonl")
    assert len(every) == 2 * len(rows) and every[0]["input_target"] == rows[0]["target"]
    assert summary.target_source == "all 2 targets of the model"
    predict_file(models["joint"], inp, tmp_path / "t.jsonl", targets=[K], show_progress=False)
    assert [r["target"] for r in _read(tmp_path / "t.jsonl")] == [K] * len(rows)
    result = CliRunner().invoke(app, ["predict", str(models["joint"]), str(inp), "-o", str(tmp_path / "cli.jsonl"),
                                      "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "targets: each row's 'target' field" in result.output
    with pytest.raises(StanceError, match="give only one of --targets, --all-targets"):
        predict_file(models["joint"], inp, tmp_path / "x.jsonl", targets=[K], all_targets=True, show_progress=False)


def test_a_target_never_seen_in_training_is_named(models: dict[str, Path], tmp_path: Path) -> None:
    new = "Commercial whaling in the North Pacific"
    rows = [{"id": "a", "text": "Japan should stop hunting whales.", "target": new},
            {"id": "b", "text": "The islands are Russian.", "target": K}]
    inp = _write(tmp_path / "in.jsonl", rows)
    summary = predict_file(models["joint"], inp, tmp_path / "o.jsonl", show_progress=False)
    assert summary.unseen_targets == [new] and summary.rows_written == 2
    assert any(new in w and "never seen in training" in w for w in summary.warnings)
    result = CliRunner().invoke(app, ["predict", str(models["joint"]), str(STATEMENTS), "-o", str(tmp_path / "c.jsonl"),
                                      "--targets", f"{K},{new}", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert f"warning: target(s) never seen in training, scored zero-shot: '{new}'" in result.output
    seen = predict_file(models["joint"], STATEMENTS, tmp_path / "k.jsonl", targets=[K], show_progress=False)
    assert seen.unseen_targets == [] and not seen.warnings


def test_predictions_record_their_lineage(models: dict[str, Path], tmp_path: Path) -> None:
    from stance.lineage import read_lineage
    from stance.models import load_model

    out = tmp_path / "o.jsonl"
    predict_file(models["joint"], STATEMENTS, out, targets=[K], show_progress=False)
    record = read_lineage(out)
    assert record is not None and record.kind == "predictions"
    assert record.details["model_version"] == load_model(models["joint"]).model_version
    kinds = {i["kind"]: i for i in record.inputs}
    assert kinds["statements"]["path"] == str(STATEMENTS.resolve())
    assert kinds["model"]["model_version"] == record.details["model_version"]
    assert kinds["model"]["fingerprint"].startswith("sha256:")


def test_jsonl_with_a_byte_order_mark_loses_no_row(models: dict[str, Path], tmp_path: Path) -> None:
    inp = tmp_path / "notepad.jsonl"
    inp.write_bytes(b"\xef\xbb\xbf" + "".join(json.dumps(s) + "\r\n" for s in _statements()[:3]).encode("utf-8"))
    summary = predict_file(models["joint"], inp, tmp_path / "o.jsonl", targets=[K], show_progress=False)
    assert summary.bad_rows == 0 and summary.rows_written == 3


def test_parquet_without_a_text_column_stops(models: dict[str, Path], tmp_path: Path) -> None:
    inp = _write(tmp_path / "in.parquet", [{"id": "a", "sentence": "The islands are Russian."}])
    with pytest.raises(StanceError, match=r"in.parquet has no 'text' column; its columns are 'id', 'sentence' "
                                          r"\(hint: .*--text-field sentence\)"):
        predict_file(models["joint"], inp, tmp_path / "o.jsonl", targets=[K], show_progress=False)
