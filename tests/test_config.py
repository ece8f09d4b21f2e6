"""Training configs: YAML files in configs/ load; typos, bad types and bad values are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from stance.config import TfidfParams, TrainConfig, TransformerParams, config_from_dict, load_config
from stance.errors import StanceError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.parametrize("name", ["tfidf.yaml", "transformer.yaml", "transformer-tiny.yaml", "ukp-transformer.yaml"])
def test_shipped_configs_load(name: str) -> None:
    cfg = load_config(CONFIGS / name)
    assert cfg.model in ("tfidf", "transformer")
    assert isinstance(cfg.params, TfidfParams if cfg.model == "tfidf" else TransformerParams)


def test_yaml_values_are_typed(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("model: transformer\ntask: stance\nparams:\n  learning_rate: 3e-5\n  max_length: 96\n")
    cfg = load_config(path)
    assert cfg.task == "stance"
    assert cfg.params.learning_rate == pytest.approx(3e-5)  # YAML reads 3e-5 as a string
    assert cfg.params.max_length == 96


def test_config_is_frozen() -> None:
    cfg = TrainConfig()
    with pytest.raises(AttributeError):
        cfg.task = "role"  # type: ignore[misc]


def test_unknown_top_level_key_named_with_closest(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("model: tfidf\ntaks: joint\n")
    with pytest.raises(StanceError, match=r"c\.yaml: unknown key 'taks'.*did you mean 'task'"):
        load_config(path)


def test_param_typo_named_with_closest() -> None:
    with pytest.raises(StanceError, match=r"unknown key params\.learning_rat .*did you mean 'learning_rate'"):
        config_from_dict({"model": "transformer", "params": {"learning_rat": 1e-4}})


def test_param_of_other_model_refused() -> None:
    with pytest.raises(StanceError, match=r"unknown key params\.epochs for model 'tfidf'"):
        config_from_dict({"model": "tfidf", "params": {"epochs": 3}})


def test_bad_value_named() -> None:
    with pytest.raises(StanceError, match=r"C = -1\.0 is out of range.*must be > 0"):
        config_from_dict({"model": "tfidf", "params": {"C": -1.0}})


def test_bad_type_named() -> None:
    with pytest.raises(StanceError, match=r"params\.epochs = 'three' should be an integer"):
        config_from_dict({"model": "transformer", "params": {"epochs": "three"}})


def test_bad_ngram_range_named() -> None:
    with pytest.raises(StanceError, match=r"word_ngrams = \[2, 1\] is not an n-gram range"):
        config_from_dict({"model": "tfidf", "params": {"word_ngrams": [2, 1]}})


def test_unknown_model_type() -> None:
    with pytest.raises(StanceError, match=r"unknown model type 'bert'"):
        config_from_dict({"model": "bert"})
    with pytest.raises(StanceError, match=r"did you mean 'tfidf'"):
        TrainConfig(model="tfdif")


def test_unknown_task() -> None:
    with pytest.raises(StanceError, match=r"unknown task setting 'stanse'.*did you mean 'stance'"):
        TrainConfig(task="stanse")


def test_broken_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("model: tfidf\nparams:\n  C: [1\n")
    with pytest.raises(StanceError, match=r"c\.yaml line \d+: not valid YAML"):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StanceError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_replace_switches_model_and_keeps_validation() -> None:
    cfg = TrainConfig().replace(model="transformer", task="role")
    assert isinstance(cfg.params, TransformerParams) and cfg.task == "role"
    assert cfg.replace(params={"epochs": 1}).params.epochs == 1
    with pytest.raises(StanceError, match="epochs"):
        cfg.replace(params={"epochs": 0})
    assert TrainConfig().to_dict()["params"]["word_ngrams"] == [1, 2]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("  learning_rate: 2.0\n", r"params\.learning_rate = 2\.0 is out of range.*learning_rate must be ≤ 1\.0"),
        ("  max_length: 4\n", r"params\.max_length = 4 is out of range"),
        ("  pooler_init: mean\n", r"params\.pooler_init = 'mean' is not allowed"),
    ],
)
def test_range_errors_name_the_file_and_the_key(tmp_path: Path, params: str, message: str) -> None:
    path = tmp_path / "training.transformer.yaml"
    path.write_text("model: transformer\ntask: joint\nparams:\n  epochs: 2\n" + params)
    with pytest.raises(StanceError, match=r"training\.transformer\.yaml: " + message):
        load_config(path)


def test_unknown_task_in_a_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("model: tfidf\ntask: stanse\n")
    with pytest.raises(StanceError, match=r"run\.yaml: unknown task setting 'stanse'.*did you mean 'stance'"):
        load_config(path)
