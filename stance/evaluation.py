"""Model folder + dataset split → ``metrics.json``, two pictures and ``report.md`` (``stance evaluate``).

Metrics (all on the task setting the model was trained for):

- macro-F1 and per-class precision / recall / F1 / support, accuracy;
- the SemEval-2016 stance score, the mean F1 of Favor and Against (joint and stance settings);
- Cohen's kappa between model and gold, comparable to the annotators' kappa;
- per-target, per-genre and per-holder-type breakdowns;
- expected calibration error (10 equal-width confidence bins) and the reliability curve.

When the dataset's ``stance_dataset.json`` carries agreement figures, the report sets the model
beside the agreement between annotators (the ceiling a model can be expected to reach).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.io import atomic_write, write_json

__all__ = ["EvaluationResult", "classification_metrics", "expected_calibration_error", "evaluate", "render_report"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

BREAKDOWNS = {"target": "target_id", "genre": "genre", "holder_type": "holder_type"}
TASK_DESCRIPTION = {
    "joint": "joint setting: None / Favor / Against on every statement-target pair",
    "stance": "stance setting: Favor / Against on position-taking pairs only (gold stance ≠ None)",
    "role": "role setting: None / Claim / Premise on every statement-target pair",
}
AGREEMENT_CONTROL = {"joint": "stance", "stance": "stance", "role": "role"}


@dataclass
class EvaluationResult:
    """Where the report went and the metrics it holds."""

    report_dir: Path
    metrics: dict[str, Any]


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), digits)


def expected_calibration_error(probs: np.ndarray, gold_index: np.ndarray, *, bins: int = 10) -> tuple[float, list[dict[str, Any]]]:
    """ECE of the top-class confidence over equal-width bins, and the per-bin reliability data.

    Args:
        probs: ``(n, k)`` class probabilities.
        gold_index: ``(n,)`` column index of the gold class (-1 when the gold class is not a model class).
        bins: Number of equal-width confidence bins on [0, 1].

    Returns:
        ``(ece, bins)`` where each bin has ``low``, ``high``, ``n``, ``confidence``, ``accuracy``.

    Example:
        >>> expected_calibration_error(np.array([[0.8, 0.2], [0.6, 0.4]]), np.array([0, 1]))[0]
        0.3
    """
    n = len(gold_index)
    if n == 0:
        return 0.0, []
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == gold_index
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    table = []
    for b in range(bins):
        sel = which == b
        m = int(sel.sum())
        entry = {"low": round(float(edges[b]), 2), "high": round(float(edges[b + 1]), 2), "n": m,
                 "confidence": None, "accuracy": None}
        if m:
            c, a = float(conf[sel].mean()), float(correct[sel].mean())
            ece += m / n * abs(c - a)
            entry.update(confidence=round(c, 4), accuracy=round(a, 4))
        table.append(entry)
    return round(float(ece), 6), table


def classification_metrics(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Macro-F1, accuracy, per-class P/R/F1, SemEval score, kappa and confusion matrix.

    Args:
        gold: Gold label strings.
        pred: Predicted label strings.
        labels: The task's label set (fixes the order of classes and the confusion matrix).

    Returns:
        A JSON-ready dict.

    Example:
        >>> classification_metrics(["Favor", "Against"], ["Favor", "Favor"], ["Favor", "Against"])["accuracy"]
        0.5
    """
    from sklearn.metrics import cohen_kappa_score, confusion_matrix, precision_recall_fscore_support

    gold = np.asarray(gold, dtype=object)
    pred = np.asarray(pred, dtype=object)
    labels = list(labels)
    if len(gold) == 0:
        return {"n": 0}
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    per_class = {lab: {"precision": _r(p[i]), "recall": _r(r[i]), "f1": _r(f[i]), "support": int(s[i])}
                 for i, lab in enumerate(labels)}
    out: dict[str, Any] = {
        "n": int(len(gold)),
        "macro_f1": _r(float(np.mean(f))),
        "accuracy": _r(float(np.mean(gold == pred))),
        "per_class": per_class,
        "semeval_score": _r(float(np.mean([f[labels.index(k)] for k in ("Favor", "Against")])))
        if {"Favor", "Against"} <= set(labels) else None,
    }
    both = set(gold) | set(pred)
    out["cohen_kappa"] = _r(float(cohen_kappa_score(gold, pred, labels=labels))) if len(both) > 1 else None
    with warnings.catch_warnings():  # a one-class breakdown group is legitimate here, not a misuse
        warnings.simplefilter("ignore", UserWarning)
        matrix = confusion_matrix(gold, pred, labels=labels).tolist()
    out["confusion_matrix"] = {"labels": labels, "rows_gold_cols_predicted": matrix}
    return out


def _breakdown(values: Sequence[Any], gold: np.ndarray, pred: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    out = {}
    values = np.asarray([str(v) for v in values], dtype=object)
    for value in sorted(set(values)):
        sel = values == value
        # Classes absent from a group (neither gold nor predicted) would count as F1 = 0: leave them out.
        present = [lab for lab in labels if lab in set(gold[sel]) | set(pred[sel])]
        m = classification_metrics(gold[sel], pred[sel], present)
        out[value] = {k: m[k] for k in ("n", "macro_f1", "accuracy", "semeval_score")}
    return out


def _agreement(info: Mapping[str, Any] | None, task: str) -> dict[str, Any] | None:
    """The annotators' agreement for the task's control (pooled and per target), from ``stance_dataset.json``."""
    if not info or not isinstance(info.get("agreement"), Mapping):
        return None
    control = AGREEMENT_CONTROL[task]
    rows = [c for c in info["agreement"].get("controls", []) if isinstance(c, Mapping) and c.get("control") == control]
    if not rows:
        return None
    keys = ("n_items", "n_annotators", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "observed")
    pooled = next((r for r in rows if r.get("target") is None), None)
    return {"control": control,
            "pooled": {k: pooled.get(k) for k in keys} if pooled else None,
            "per_target": {r["target"]: {k: r.get(k) for k in keys} for r in rows if r.get("target") is not None}}


def evaluate(model_dir: str | os.PathLike[str], data_dir: str | os.PathLike[str],
             report_dir: str | os.PathLike[str], *, split: str = "test", progress: bool = True) -> EvaluationResult:
    """Score a model on a dataset split and write ``metrics.json``, the PNGs and ``report.md``.

    Args:
        model_dir: A folder from ``stance train``.
        data_dir: A folder from ``stance dataset``.
        report_dir: Output folder (created).
        split: Split to evaluate on (``test`` by default).
        progress: Progress bars while scoring (transformer).

    Returns:
        An :class:`EvaluationResult`.

    Raises:
        StanceError: missing split or columns, no labeled rows, incompatible schema versions.

    Example:
        >>> evaluate("runs/tfidf", "out/dataset", "runs/tfidf-report").metrics["macro_f1"]
        0.61
    """
    from stance.models import load_model
    from stance.dataset import load_dataset_dir
    from stance.models.base import check_schema_version
    from stance.training import task_data

    model = load_model(model_dir)
    meta = model.metadata
    task = meta["task"]
    ds, info = load_dataset_dir(data_dir)
    check_schema_version((info or {}).get("schema_version"), where=f"dataset {data_dir}")
    m_schema, d_schema = meta.get("schema_version"), (info or {}).get("schema_version")
    if m_schema is not None and d_schema is not None and str(m_schema).split(".")[0] != str(d_schema).split(".")[0]:
        raise StanceError(f"model {model_dir} was trained on label schema {m_schema!r} but dataset {data_dir} uses {d_schema!r}",
                          hint="evaluate on a dataset of the same schema, or retrain the model")
    td = task_data(ds, split, task, data_dir=data_dir)
    if len(td) == 0:
        raise StanceError(f"dataset {data_dir}: split {split!r} has no labeled rows for the {task!r} task",
                          hint="choose another --split, or label more statements")
    if "progress" in model.estimator.get_params(deep=False):
        model.estimator.set_params(progress=progress)
    probs = np.asarray(model.predict_proba(td.X), dtype=np.float64)
    classes = [str(c) for c in model.classes_]
    pred = np.asarray(classes, dtype=object)[probs.argmax(axis=1)]
    gold = td.y
    labels = list(meta.get("labels") or td.labels)
    metrics = {"task": task, "task_description": TASK_DESCRIPTION[task], "split": split,
               "model_dir": str(model_dir), "model_version": meta.get("model_version"), "model_kind": meta.get("kind"),
               "data_dir": str(data_dir), "schema_version": d_schema}
    metrics.update(classification_metrics(gold, pred, labels))
    lookup = {c: i for i, c in enumerate(classes)}
    gold_index = np.asarray([lookup.get(g, -1) for g in gold])
    ece, bins = expected_calibration_error(probs, gold_index)
    metrics["expected_calibration_error"] = ece
    metrics["reliability"] = bins
    metrics["breakdowns"] = {name: _breakdown(td.X[col].tolist(), gold, pred, labels)
                             for name, col in BREAKDOWNS.items() if col in td.X.columns}
    metrics["human_agreement"] = _agreement(info, task)
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    write_json(report_dir / "metrics.json", metrics)
    plot_confusion(metrics, report_dir / "confusion_matrix.png")
    plot_reliability(metrics, report_dir / "reliability.png")
    with atomic_write(report_dir / "report.md") as fh:
        fh.write(render_report(metrics))
    return EvaluationResult(report_dir=report_dir, metrics=metrics)


def _savefig(fig: Any, path: Path) -> None:
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=120, bbox_inches="tight")


def plot_confusion(metrics: Mapping[str, Any], path: Path) -> Path:
    """Confusion matrix PNG (counts, rows = gold) with the task setting in the title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(metrics["confusion_matrix"]["rows_gold_cols_predicted"])
    labels = metrics["confusion_matrix"]["labels"]
    fig, ax = plt.subplots(figsize=(1.2 * len(labels) + 2.2, 1.1 * len(labels) + 1.8))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    top = cm.max() if cm.size else 0
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", color="white" if cm[i, j] > top / 2 else "black")
    ax.set_title(f"{metrics['task']} setting, {metrics['split']} split (n={metrics['n']})\n"
                 f"macro-F1 {metrics['macro_f1']:.3f}", fontsize=10)
    _savefig(fig, path)
    plt.close(fig)
    return path


def plot_reliability(metrics: Mapping[str, Any], path: Path) -> Path:
    """Reliability diagram PNG: accuracy against confidence per bin, with the diagonal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = [b for b in metrics["reliability"] if b["n"]]
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.plot([0, 1], [0, 1], "--", color="grey", linewidth=1, label="perfect calibration")
    if bins:
        centers = [(b["low"] + b["high"]) / 2 for b in bins]
        ax.bar(centers, [b["accuracy"] for b in bins], width=0.09, alpha=0.7, label="accuracy per bin")
        ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o-", color="C3", label="mean confidence")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top-class probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{metrics['task']} setting: ECE {metrics['expected_calibration_error']:.3f}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    _savefig(fig, path)
    plt.close(fig)
    return path


def _fmt(x: Any) -> str:
    return "–" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def render_report(metrics: Mapping[str, Any]) -> str:
    """The Markdown report: headline numbers, per-class table, breakdowns, pictures and human agreement.

    Example:
        >>> render_report(metrics).splitlines()[0]
        '# Evaluation: joint setting, test split'
    """
    m = metrics
    lines = [f"# Evaluation: {m['task']} setting, {m['split']} split", "",
             f"Task setting **{m['task']}** ({m['task_description']}). Model `{m.get('model_version')}` "
             f"({m.get('model_kind')}), dataset `{m['data_dir']}`, {m['n']} pairs.", "",
             "| metric | value |", "| --- | --- |",
             f"| macro-F1 | {_fmt(m['macro_f1'])} |", f"| accuracy | {_fmt(m['accuracy'])} |"]
    if m.get("semeval_score") is not None:
        lines.append(f"| SemEval score (mean F1 of Favor and Against) | {_fmt(m['semeval_score'])} |")
    lines += [f"| Cohen's kappa, model vs gold | {_fmt(m.get('cohen_kappa'))} |",
              f"| expected calibration error (10 bins) | {_fmt(m['expected_calibration_error'])} |", "",
              "## Per class", "", "| class | precision | recall | F1 | support |", "| --- | --- | --- | --- | --- |"]
    for lab, c in m["per_class"].items():
        lines.append(f"| {lab} | {_fmt(c['precision'])} | {_fmt(c['recall'])} | {_fmt(c['f1'])} | {c['support']} |")
    lines += ["", "![confusion matrix](confusion_matrix.png) ![reliability diagram](reliability.png)", ""]
    agreement = m.get("human_agreement")
    lines += ["## Beside human agreement", ""]
    if agreement and agreement.get("pooled"):
        a = agreement["pooled"]
        lines += [f"Agreement between annotators on the `{agreement['control']}` control "
                  f"({a.get('n_items')} items with two or more annotators, {a.get('n_annotators')} annotators), "
                  "from the dataset's `stance_dataset.json`. The model's kappa against the gold labels is the "
                  "comparable figure; annotator agreement is the ceiling a model can be expected to reach.", "",
                  "| | Cohen's kappa | Krippendorff's alpha | Fleiss' kappa | observed agreement |",
                  "| --- | --- | --- | --- | --- |",
                  f"| annotators | {_fmt(a.get('cohen_kappa'))} | {_fmt(a.get('krippendorff_alpha'))} | "
                  f"{_fmt(a.get('fleiss_kappa'))} | {_fmt(a.get('observed'))} |",
                  f"| model vs gold | {_fmt(m.get('cohen_kappa'))} | | | {_fmt(m['accuracy'])} (accuracy) |", ""]
        if m["task"] == "stance":
            lines += ["Note: annotator agreement covers all three stance values; the model is scored on "
                      "Favor / Against pairs only, so the two are not strictly comparable.", ""]
    else:
        lines += ["The dataset carries no agreement figures (one annotator per item, or no `stance_dataset.json`).", ""]
    titles = {"target": "Per target", "genre": "Per genre", "holder_type": "Per holder type"}
    per_target_agreement = (agreement or {}).get("per_target") or {}
    for name, rows in m.get("breakdowns", {}).items():
        extra = name == "target" and per_target_agreement
        lines += [f"## {titles.get(name, name)}", "",
                  "| value | n | macro-F1 | accuracy | SemEval |" + (" annotator kappa |" if extra else ""),
                  "| --- | --- | --- | --- | --- |" + (" --- |" if extra else "")]
        for value, r in rows.items():
            row = f"| {value} | {r['n']} | {_fmt(r['macro_f1'])} | {_fmt(r['accuracy'])} | {_fmt(r.get('semeval_score'))} |"
            if extra:
                row += f" {_fmt((per_target_agreement.get(value) or {}).get('cohen_kappa'))} |"
            lines.append(row)
        lines.append("")
    lines += ["Small groups give unstable figures: read a breakdown row together with its n.", ""]
    return "\n".join(lines)
