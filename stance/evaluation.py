"""Model folder + dataset split → ``metrics.json``, two pictures and ``report.md`` (``stance evaluate``).

Metrics (all on the task setting the model was trained for):

- macro-F1 and per-class precision / recall / F1 / support, accuracy;
- the SemEval-2016 stance score, the mean F1 of Favor and Against (joint and stance settings);
- Cohen's kappa between model and gold, comparable to the annotators' kappa;
- per-target, per-genre and per-holder-type breakdowns;
- expected calibration error (10 equal-width confidence bins) and the reliability curve;
- 95 % bootstrap confidence intervals of macro-F1, accuracy and the SemEval score, resampling
  statements (every pair of one statement together), and, with ``against=`` a second model, the
  paired difference between the two on the same rows.

Test splits of a labelling project are small (the seed demo's has 37 Favor/Against pairs), so
a difference of a few points between two models is often noise: the intervals say how much.

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

__all__ = ["EvaluationResult", "bootstrap_intervals", "classification_metrics", "expected_calibration_error", "evaluate",
           "render_report"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

BREAKDOWNS = {"target": "target_id", "genre": "genre", "holder_type": "holder_type"}
TASK_DESCRIPTION = {
    "joint": "joint setting: None / Favor / Against on every statement-target pair",
    "stance": "stance setting: Favor / Against on position-taking pairs only (gold stance ≠ None)",
    "role": "role setting: None / Claim / Premise on every statement-target pair",
}
AGREEMENT_CONTROL = {"joint": "stance", "stance": "stance", "role": "role"}
#: The metrics given a bootstrap interval, in the order the statistic returns them.
INTERVAL_METRICS = ("macro_f1", "accuracy", "semeval_score")


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


def _scores(gold: np.ndarray, pred: np.ndarray, k: int, semeval: Sequence[int]) -> np.ndarray:
    """Macro-F1, accuracy and SemEval score from label codes (``k`` = an unknown prediction).

    The same definitions as :func:`classification_metrics` (F1 = 0 for a class never gold nor
    predicted, as scikit-learn's ``zero_division=0``), in numpy, fast enough for 1,000 resamples.
    """
    cm = np.bincount(gold * (k + 1) + pred, minlength=(k + 1) ** 2).reshape(k + 1, k + 1)
    tp = np.diag(cm)[:k].astype(np.float64)
    denom = 2 * tp + (cm.sum(axis=0)[:k] - tp) + (cm.sum(axis=1)[:k] - tp)
    f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
    accuracy = float(tp.sum() / max(len(gold), 1))
    return np.array([f1.mean(), accuracy, f1[list(semeval)].mean() if semeval else np.nan])


def _codes(values: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(labels)}
    return np.asarray([index.get(str(v), len(labels)) for v in values], dtype=np.int64)


def _units(groups: Sequence[Any] | None, n: int) -> list[np.ndarray]:
    """Row indices per resampling unit: one unit per group (statement), else one per row."""
    if groups is None:
        return [np.array([i]) for i in range(n)]
    _, inverse = np.unique(np.asarray([str(g) for g in groups], dtype=object), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(inverse[order])) + 1)


def bootstrap_intervals(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str], *,
                        groups: Sequence[Any] | None = None, against: Sequence[str] | None = None,
                        resamples: int = 1000, level: float = 0.95, seed: int = 13) -> dict[str, Any] | None:
    """Percentile bootstrap intervals of macro-F1, accuracy and the SemEval score.

    Resampling draws whole groups (pass the rows' ``statement_id``: the pairs of one statement
    share its text, so they are not independent) with replacement, ``resamples`` times, using
    ``scipy.stats.bootstrap``. With ``against`` (a second model's predictions on the same rows)
    the same resamples also give that model's intervals and the paired difference, this model
    minus the other, with the share of resamples in which this model scores higher.

    Args:
        gold: Gold labels.
        pred: This model's predictions.
        labels: The task's label set.
        groups: One group key per row (rows of a group are resampled together); ``None``: rows.
        against: Another model's predictions on the same rows, or ``None``.
        resamples: Number of bootstrap resamples.
        level: Confidence level of the intervals.
        seed: Seed of the resampling (the same seed gives the same intervals).

    Returns:
        ``{"method", "level", "resamples", "unit", "n_units", "intervals": {metric: [low, high]}}``
        and, with ``against``, ``"against_intervals"`` and ``"difference"``
        (``{metric: {"value", "interval", "share_better"}}``); ``None`` with fewer than 2 units.

    Example:
        >>> bootstrap_intervals(["Favor", "Against"] * 20, ["Favor"] * 40, ["Favor", "Against"])["intervals"]["accuracy"]
        [0.35, 0.65]
    """
    from scipy.stats import bootstrap

    labels = [str(lab) for lab in labels]
    gold_c, pred_c = _codes(gold, labels), _codes(pred, labels)
    other_c = _codes(against, labels) if against is not None else None
    units = _units(groups, len(gold_c))
    if len(units) < 2:
        return None
    k, semeval = len(labels), [labels.index(x) for x in ("Favor", "Against") if x in labels]
    if len(semeval) < 2:
        semeval = []

    def statistic(picked: np.ndarray) -> np.ndarray:
        rows = np.concatenate([units[int(u)] for u in picked])
        mine = _scores(gold_c[rows], pred_c[rows], k, semeval)
        if other_c is None:
            return mine
        theirs = _scores(gold_c[rows], other_c[rows], k, semeval)
        return np.concatenate([mine, theirs, mine - theirs])

    with warnings.catch_warnings():  # a constant statistic (a perfect model) is a legitimate, if degenerate, case
        warnings.simplefilter("ignore")
        res = bootstrap((np.arange(len(units)),), statistic, vectorized=False, n_resamples=resamples,
                        confidence_level=level, method="percentile", random_state=np.random.default_rng(seed))
    low, high = res.confidence_interval.low, res.confidence_interval.high
    m = len(INTERVAL_METRICS)
    wanted = [i for i, name in enumerate(INTERVAL_METRICS) if name != "semeval_score" or semeval]

    def block(offset: int) -> dict[str, list[float | None]]:
        return {INTERVAL_METRICS[i]: [_r(float(low[offset + i])), _r(float(high[offset + i]))] for i in wanted}

    out: dict[str, Any] = {"method": "percentile bootstrap (scipy.stats.bootstrap)", "level": level,
                           "resamples": resamples, "seed": seed, "unit": "row" if groups is None else "statement",
                           "n_units": len(units), "intervals": block(0)}
    if other_c is not None:
        full = np.concatenate([_scores(gold_c, pred_c, k, semeval), _scores(gold_c, other_c, k, semeval)])
        dist = np.asarray(res.bootstrap_distribution)
        out["against_intervals"] = block(m)
        out["difference"] = {INTERVAL_METRICS[i]: {"value": _r(float(full[i] - full[m + i])),
                                                   "interval": [_r(float(low[2 * m + i])), _r(float(high[2 * m + i]))],
                                                   "share_better": _r(float(np.mean(dist[2 * m + i] > 0)))}
                             for i in wanted}
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
             report_dir: str | os.PathLike[str], *, split: str = "test", progress: bool = True,
             against: str | os.PathLike[str] | None = None, resamples: int = 1000) -> EvaluationResult:
    """Score a model on a dataset split and write ``metrics.json``, the PNGs and ``report.md``.

    Args:
        model_dir: A folder from ``stance train``.
        data_dir: A folder from ``stance dataset``.
        report_dir: Output folder (created).
        split: Split to evaluate on (``test`` by default).
        progress: Progress bars while scoring (transformer).
        against: A second model folder (same task setting) scored on the same rows; the report
            gives its figures and the paired bootstrap difference.
        resamples: Bootstrap resamples for the confidence intervals (0: no intervals).

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
    probs, classes = _scored(model, td.X, progress)
    pred = np.asarray(classes, dtype=object)[probs.argmax(axis=1)]
    gold = td.y
    labels = list(meta.get("labels") or td.labels)
    other = _against(against, task, td.X, progress) if against is not None else None
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
    if other is not None:
        metrics["against"] = {**other["about"], **classification_metrics(gold, other["pred"], labels)}
    if resamples > 0:
        groups = td.X["statement_id"].tolist() if "statement_id" in td.X.columns else None
        metrics["bootstrap"] = bootstrap_intervals(gold, pred, labels, groups=groups, resamples=resamples,
                                                   against=None if other is None else other["pred"])
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    write_json(report_dir / "metrics.json", metrics)
    plot_confusion(metrics, report_dir / "confusion_matrix.png")
    plot_reliability(metrics, report_dir / "reliability.png")
    with atomic_write(report_dir / "report.md") as fh:
        fh.write(render_report(metrics))
    return EvaluationResult(report_dir=report_dir, metrics=metrics)


def _scored(model: Any, X: Any, progress: bool) -> tuple[np.ndarray, list[str]]:
    """The model's probabilities on ``X`` and its class order."""
    if "progress" in model.estimator.get_params(deep=False):
        model.estimator.set_params(progress=progress)
    return np.asarray(model.predict_proba(X), dtype=np.float64), [str(c) for c in model.classes_]


def _against(model_dir: str | os.PathLike[str], task: str, X: Any, progress: bool) -> dict[str, Any]:
    """A second model's predictions on the same rows, for the paired comparison."""
    from stance.models import load_model

    other = load_model(model_dir)
    other_task = other.metadata.get("task")
    if other_task != task:
        raise StanceError(f"--against {model_dir} was trained for the {other_task!r} task, the evaluated model for {task!r}",
                          hint="compare two models of the same task setting")
    probs, classes = _scored(other, X, progress)
    return {"pred": np.asarray(classes, dtype=object)[probs.argmax(axis=1)],
            "about": {"model_dir": str(model_dir), "model_version": other.metadata.get("model_version"),
                      "model_kind": other.metadata.get("kind")}}


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


def _interval(pair: Sequence[float | None] | None) -> str:
    return "–" if not pair or None in pair else f"{pair[0]:.3f} to {pair[1]:.3f}"


def _comparison_lines(m: Mapping[str, Any]) -> list[str]:
    """The report's section on the ``--against`` model: both models' figures and the paired difference."""
    other = m.get("against")
    if not other:
        return []
    boot = m.get("bootstrap") or {}
    theirs, diff = boot.get("against_intervals") or {}, boot.get("difference") or {}
    lines = ["## Against another model", "",
             f"`{other.get('model_version')}` ({other.get('model_kind')}, `{other['model_dir']}`), scored on the same "
             f"{m['n']} pairs. Difference = this model minus the other; \"better\" = the share of bootstrap "
             "resamples in which this model scores higher.", "",
             "| metric | this model | other model | difference | interval of the difference | better |",
             "| --- | --- | --- | --- | --- | --- |"]
    for key, name in (("macro_f1", "macro-F1"), ("accuracy", "accuracy"), ("semeval_score", "SemEval score")):
        if m.get(key) is None:
            continue
        d = diff.get(key) or {}
        lines.append(f"| {name} | {_fmt(m[key])} | {_fmt(other.get(key))} ({_interval(theirs.get(key))}) | "
                     f"{_fmt(d.get('value'))} | {_interval(d.get('interval'))} | {_fmt(d.get('share_better'))} |")
    return lines + [""]


def render_report(metrics: Mapping[str, Any]) -> str:
    """The Markdown report: headline numbers, per-class table, breakdowns, pictures and human agreement.

    Example:
        >>> render_report(metrics).splitlines()[0]
        '# Evaluation: joint setting, test split'
    """
    m = metrics
    boot = m.get("bootstrap") or {}
    ci = boot.get("intervals") or {}
    level = f"{100 * boot['level']:g} % interval" if boot else "interval"
    lines = [f"# Evaluation: {m['task']} setting, {m['split']} split", "",
             f"Task setting **{m['task']}** ({m['task_description']}). Model `{m.get('model_version')}` "
             f"({m.get('model_kind')}), dataset `{m['data_dir']}`, {m['n']} pairs.", "",
             f"| metric | value | {level} |", "| --- | --- | --- |",
             f"| macro-F1 | {_fmt(m['macro_f1'])} | {_interval(ci.get('macro_f1'))} |",
             f"| accuracy | {_fmt(m['accuracy'])} | {_interval(ci.get('accuracy'))} |"]
    if m.get("semeval_score") is not None:
        lines.append(f"| SemEval score (mean F1 of Favor and Against) | {_fmt(m['semeval_score'])} | "
                     f"{_interval(ci.get('semeval_score'))} |")
    lines += [f"| Cohen's kappa, model vs gold | {_fmt(m.get('cohen_kappa'))} | |",
              f"| expected calibration error (10 bins) | {_fmt(m['expected_calibration_error'])} | |", ""]
    if boot:
        together = " (every pair of a statement drawn together)" if boot["unit"] == "statement" else ""
        lines += [f"Intervals: {boot['method']}, {boot['resamples']} resamples of the {boot['n_units']} "
                  f"{boot['unit']}s{together}, seed {boot['seed']}.", ""]
    lines += _comparison_lines(m) + [
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
