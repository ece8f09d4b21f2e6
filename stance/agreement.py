"""Inter-annotator agreement on a parsed Label Studio export.

For every control (``role``, ``stance``; per target too) the figures are computed on the items
that two or more annotators answered:

- pairwise Cohen's kappa (:func:`sklearn.metrics.cohen_kappa_score`), averaged over annotator pairs;
- Fleiss' kappa (:func:`statsmodels.stats.inter_rater.fleiss_kappa`), on the items that have the
  most common number of answers (Fleiss' kappa assumes the same number of raters per item);
- Krippendorff's alpha, nominal (:func:`krippendorff.alpha`), on all multiply-answered items;
- observed agreement: the share of items where every annotator gave the same label.

Ground-truth annotations (an adjudicator's decisions, reference answers) are left out by
default: agreement is measured between independent annotations, and an adjudication that was
made after seeing both answers would inflate it. ``include_ground_truth=True`` counts them.

Discovery-mode spans get span-level F1 between annotator pairs, exact (same label and offsets)
and lenient (same label, overlapping offsets).
"""

from __future__ import annotations

import itertools
import logging
import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from stance._util import gc_paused
from stance.export import PAIR, LabelExport, Span, answers_by_target

__all__ = [
    "ControlAgreement",
    "cohen_pairwise",
    "fleiss",
    "krippendorff_nominal",
    "observed_agreement",
    "span_f1",
    "control_agreement",
    "export_agreement",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: ``{item: {annotator: label}}``
Ratings = Mapping[Hashable, Mapping[str, str]]


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _multi(ratings: Ratings) -> dict[Hashable, Mapping[str, str]]:
    return {item: r for item, r in ratings.items() if len(r) >= 2}


def cohen_pairwise(ratings: Ratings, *, min_items: int = 1) -> tuple[float | None, list[dict[str, Any]]]:
    """Cohen's kappa for every pair of annotators on the items both answered.

    Args:
        ratings: ``{item: {annotator: label}}``.
        min_items: Pairs sharing fewer items are left out.

    Returns:
        ``(mean kappa over pairs, [{"a", "b", "n_items", "kappa"}, ...])``; kappa is ``None``
        where it is undefined (both annotators used one and the same label throughout).

    Example:
        >>> cohen_pairwise({1: {"a": "x", "b": "x"}, 2: {"a": "y", "b": "x"}})[0]
        0.0
    """
    from sklearn.metrics import cohen_kappa_score

    by_pair: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for r in ratings.values():
        if len(r) == 2:  # the common case, without the combinations machinery
            (a, la), (b, lb) = sorted(r.items())
            ya, yb = by_pair.setdefault((a, b), ([], []))
            ya.append(la)
            yb.append(lb)
            continue
        for a, b in itertools.combinations(sorted(r), 2):
            ya, yb = by_pair.setdefault((a, b), ([], []))
            ya.append(r[a])
            yb.append(r[b])
    pairs = []
    for (a, b), (ya, yb) in sorted(by_pair.items()):
        if len(ya) < min_items:
            continue
        cats = sorted(set(ya) | set(yb))
        if len(cats) == 1:
            kappa = None  # chance agreement is 1: kappa is 0/0
        else:
            index = {c: i for i, c in enumerate(cats)}  # integer codes: much faster than strings in sklearn
            codes_a = np.fromiter((index[v] for v in ya), dtype=np.int64, count=len(ya))
            codes_b = np.fromiter((index[v] for v in yb), dtype=np.int64, count=len(yb))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                kappa = _finite(cohen_kappa_score(codes_a, codes_b, labels=list(range(len(cats)))))
        pairs.append({"a": a, "b": b, "n_items": len(ya), "kappa": kappa})
    values = [p["kappa"] for p in pairs if p["kappa"] is not None]
    return (float(np.mean(values)) if values else None), pairs


def _encode(ratings: Ratings) -> tuple[np.ndarray, list[str]]:
    """Items × categories count table (categories sorted) of multiply-answered items."""
    multi = [r for r in ratings.values() if len(r) >= 2]
    cats = sorted({label for r in multi for label in r.values()})
    index = {c: i for i, c in enumerate(cats)}
    rows: list[int] = []
    cols: list[int] = []
    for row, r in enumerate(multi):
        for label in r.values():
            rows.append(row)
            cols.append(index[label])
    table = np.zeros((len(multi), len(cats)), dtype=np.float64)
    np.add.at(table, (np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)), 1.0)
    return table, cats


def _fleiss_table(table: np.ndarray) -> tuple[float | None, int]:
    from statsmodels.stats.inter_rater import fleiss_kappa

    if table.shape[0] == 0:
        return None, 0
    n = table.sum(axis=1)
    sizes, freq = np.unique(n, return_counts=True)
    best = max(zip(freq.tolist(), sizes.tolist()))[1]  # most common size, the larger on a draw
    used = table[n == best]
    used = used[:, used.sum(axis=0) > 0]
    if used.shape[1] < 2:
        return None, int(used.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _finite(fleiss_kappa(used, method="fleiss")), int(used.shape[0])


def _krippendorff_table(table: np.ndarray) -> float | None:
    import krippendorff

    if table.shape[0] == 0 or table.shape[1] < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _finite(krippendorff.alpha(value_counts=table, level_of_measurement="nominal"))


def fleiss(ratings: Ratings) -> tuple[float | None, int]:
    """Fleiss' kappa on the multiply-answered items with the most common number of answers.

    Args:
        ratings: ``{item: {annotator: label}}``; items with one answer are ignored.

    Returns:
        ``(kappa, number of items used)``; kappa is ``None`` when undefined (one label only).

    Example:
        >>> fleiss({1: {"a": "x", "b": "x"}, 2: {"a": "y", "b": "y"}})
        (1.0, 2)
    """
    return _fleiss_table(_encode(ratings)[0])


def krippendorff_nominal(ratings: Ratings) -> float | None:
    """Krippendorff's alpha (nominal) over all items with two or more answers.

    Returns:
        alpha, or ``None`` when undefined (fewer than two labels used in all).

    Example:
        >>> krippendorff_nominal({1: {"a": "x", "b": "x"}, 2: {"a": "y", "b": "y"}})
        1.0
    """
    return _krippendorff_table(_encode(ratings)[0])


def observed_agreement(ratings: Ratings) -> float | None:
    """Share of multiply-answered items on which every annotator gave the same label.

    Example:
        >>> observed_agreement({1: {"a": "x", "b": "x"}, 2: {"a": "y", "b": "x"}})
        0.5
    """
    multi = _multi(ratings)
    if not multi:
        return None
    return sum(len(set(r.values())) == 1 for r in multi.values()) / len(multi)


@dataclass(frozen=True)
class ControlAgreement:
    """Agreement figures for one control (optionally one target)."""

    control: str
    target: str | None
    n_items: int  # items answered by two or more annotators
    n_annotators: int
    cohen_kappa: float | None  # mean over annotator pairs
    fleiss_kappa: float | None
    fleiss_items: int
    krippendorff_alpha: float | None
    observed: float | None
    pairs: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


def control_agreement(ratings: Ratings, control: str, target: str | None = None) -> ControlAgreement:
    """All figures for one control.

    Args:
        ratings: ``{item: {annotator: label}}``.
        control: Control name (``role``, ``stance``).
        target: Target id, or ``None`` for all targets pooled.

    Returns:
        A :class:`ControlAgreement`.

    Example:
        >>> control_agreement({1: {"a": "x", "b": "x"}}, "stance").n_items
        1
    """
    multi = _multi(ratings)
    mean, pairs = cohen_pairwise(multi)
    table, _ = _encode(multi)
    fk, fk_items = _fleiss_table(table)
    annotators = {a for r in multi.values() for a in r}
    return ControlAgreement(
        control=control,
        target=target,
        n_items=len(multi),
        n_annotators=len(annotators),
        cohen_kappa=mean,
        fleiss_kappa=fk,
        fleiss_items=fk_items,
        krippendorff_alpha=_krippendorff_table(table),
        observed=float((table.max(axis=1) == table.sum(axis=1)).mean()) if len(multi) else None,
        pairs=pairs,
    )


def _overlap_matches(a: Sequence[Span], b: Sequence[Span], *, exact: bool) -> int:
    if exact:
        keys_b = {(s.start, s.end, s.label) for s in b}
        return sum((s.start, s.end, s.label) in keys_b for s in a)
    return sum(any(s.label == t.label and s.start < t.end and t.start < s.end for t in b) for s in a)


def span_f1(spans: Mapping[Hashable, Mapping[str, Sequence[Span]]]) -> dict[str, Any]:
    """Span-level F1 between annotators, micro-averaged over annotator pairs and items.

    For two annotators with span sets A and B, F1 = (matched(A) + matched(B)) / (|A| + |B|):
    with exact matching (same label, start and end) this is 2|A ∩ B| / (|A| + |B|); lenient
    matching counts a span as matched when the other annotator has an overlapping span of the same
    label. Items where both annotators marked nothing are left out.

    Args:
        spans: ``{item: {annotator: [Span, ...]}}``; items with one annotator are ignored.

    Returns:
        ``{"n_items", "n_pairs", "exact_f1", "overlap_f1"}`` (F1 ``None`` without any span).

    Example:
        >>> span_f1({1: {"a": [Span("1", "Claim", 0, 5, "Japan")], "b": [Span("2", "Claim", 0, 5, "Japan")]}})["exact_f1"]
        1.0
    """
    num_exact = num_overlap = denom = 0
    n_items = n_pairs = 0
    for by_annotator in spans.values():
        if len(by_annotator) < 2:
            continue
        n_items += 1
        for x, y in itertools.combinations(sorted(by_annotator), 2):
            a, b = by_annotator[x], by_annotator[y]
            if not a and not b:
                continue
            n_pairs += 1
            denom += len(a) + len(b)
            num_exact += _overlap_matches(a, b, exact=True) + _overlap_matches(b, a, exact=True)
            num_overlap += _overlap_matches(a, b, exact=False) + _overlap_matches(b, a, exact=False)
    return {
        "n_items": n_items,
        "n_pairs": n_pairs,
        "exact_f1": num_exact / denom if denom else None,
        "overlap_f1": num_overlap / denom if denom else None,
    }


def collect_ratings(
    export: LabelExport, *, include_ground_truth: bool = False
) -> dict[tuple[str, str | None], dict[Hashable, dict[str, str]]]:
    """Gather ``{(control, target or None): {item: {annotator: label}}}`` from an export.

    Items are ``(task_id, target)``; only voting annotations with a value for the control count,
    and ground-truth annotations only when ``include_ground_truth`` is set.

    Example:
        >>> ratings = collect_ratings(export)
        >>> sorted(ratings)[:1]
        [('role', None)]
    """
    out: dict[tuple[str, str | None], dict[Hashable, dict[str, str]]] = {}
    for task in export.tasks:
        for target, answers in answers_by_target(task, export.mode).items():
            item = (task.task_id, target)
            if not include_ground_truth:
                answers = [ans for ans in answers if not ans[0].ground_truth]
            for control, pos in (("role", 1), ("stance", 2)):
                given = {ans[0].annotator: ans[pos] for ans in answers if ans[pos] is not None}
                if not given:
                    continue
                if export.mode != PAIR and control == "role":
                    # Discovery roles belong to the statement, not to a target: count each task once.
                    out.setdefault((control, None), {})[(task.task_id, None)] = given
                    continue
                out.setdefault((control, None), {})[item] = given
                out.setdefault((control, target), {})[item] = given
    return out


def export_agreement(export: LabelExport, *, include_ground_truth: bool = False) -> dict[str, Any]:
    """Agreement for every control of an export, pooled and per target, plus span F1.

    Args:
        export: A parsed export (:func:`stance.export.read_export`).
        include_ground_truth: Count ground-truth annotations (adjudications) as answers too.

    Returns:
        ``{"mode", "controls": [ControlAgreement.to_dict(), ...], "spans": {...} or None}``;
        controls pooled over targets come first (``target`` is ``None``).

    Example:
        >>> report = export_agreement(read_export("export.json", load_schema("seeds/schema.yaml")))
        >>> report["controls"][0]["control"]
        'role'
    """
    with gc_paused():
        ratings = collect_ratings(export, include_ground_truth=include_ground_truth)
    order = sorted(ratings, key=lambda k: (k[0], k[1] is not None, k[1] or ""))
    controls = [control_agreement(ratings[key], key[0], key[1]).to_dict() for key in order]
    spans = None
    if export.mode != PAIR:
        by_item = {t.task_id: {a.annotator: list(a.spans) for a in t.valid} for t in export.tasks}
        spans = span_f1(by_item)
    return {"mode": export.mode, "include_ground_truth": include_ground_truth, "controls": controls, "spans": spans}
