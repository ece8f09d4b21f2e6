"""Agreement figures, each checked against a case small enough to compute by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from stance.agreement import (
    cohen_pairwise,
    control_agreement,
    export_agreement,
    fleiss,
    krippendorff_nominal,
    observed_agreement,
    span_f1,
)
from stance.export import Span, read_export
from stance.schema import load_schema

DATA = Path(__file__).parent / "data"

# Three items, three raters:  item 1: x x x   item 2: x x y   item 3: y y y
THREE = {
    1: {"a": "x", "b": "x", "c": "x"},
    2: {"a": "x", "b": "x", "c": "y"},
    3: {"a": "y", "b": "y", "c": "y"},
}


def test_cohen_kappa_by_hand() -> None:
    # a = x x y y, b = x y y y: observed 3/4; chance 0.5*0.25 + 0.5*0.75 = 0.5; kappa = 0.25/0.5
    ratings = {i: {"a": la, "b": lb} for i, (la, lb) in enumerate(zip("xxyy", "xyyy"))}
    mean, pairs = cohen_pairwise(ratings)
    assert mean == pytest.approx(0.5)
    assert pairs == [{"a": "a", "b": "b", "n_items": 4, "kappa": pytest.approx(0.5)}]


def test_cohen_kappa_averages_pairs() -> None:
    # pairs on THREE: (a,b) agree everywhere -> 1.0; (a,c) and (b,c): observed 2/3,
    # chance (2/3*1/3 + 1/3*2/3) = 4/9, kappa = (2/3 - 4/9) / (5/9) = 0.4; mean = (1 + 0.4 + 0.4) / 3 = 0.6
    mean, pairs = cohen_pairwise(THREE)
    assert [p["kappa"] for p in pairs] == [pytest.approx(1.0), pytest.approx(0.4), pytest.approx(0.4)]
    assert mean == pytest.approx(0.6)


def test_cohen_kappa_undefined_when_one_label_only() -> None:
    mean, pairs = cohen_pairwise({1: {"a": "x", "b": "x"}, 2: {"a": "x", "b": "x"}})
    assert mean is None and pairs[0]["kappa"] is None


def test_fleiss_kappa_by_hand() -> None:
    # P_i = 1, 1/3, 1 -> mean 7/9; p_x = 5/9, p_y = 4/9 -> P_e = 41/81; kappa = (63-41)/(81-41) = 0.55
    kappa, n = fleiss(THREE)
    assert kappa == pytest.approx(0.55)
    assert n == 3


def test_fleiss_uses_items_with_the_most_common_number_of_raters() -> None:
    ratings = {**THREE, 4: {"a": "x", "b": "y"}, 5: {"a": "x"}}
    kappa, n = fleiss(ratings)
    assert n == 3 and kappa == pytest.approx(0.55)


def test_krippendorff_alpha_by_hand() -> None:
    # Coincidences: o_xx = 3 + 1 = 4, o_xy = o_yx = 1, o_yy = 3; n_x = 5, n_y = 4, n = 9.
    # D_o = 2/9, D_e = 2*5*4 / (9*8) = 5/9, alpha = 1 - (2/9)/(5/9) = 0.6
    assert krippendorff_nominal(THREE) == pytest.approx(0.6)
    # A singly-coded item carries no pairable value and changes nothing.
    assert krippendorff_nominal({**THREE, 9: {"a": "x"}}) == pytest.approx(0.6)


def test_krippendorff_alpha_undefined_with_one_value() -> None:
    assert krippendorff_nominal({1: {"a": "x", "b": "x"}}) is None


def test_observed_agreement() -> None:
    assert observed_agreement(THREE) == pytest.approx(2 / 3)


def test_control_agreement_counts_multiply_annotated_items_only() -> None:
    report = control_agreement({**THREE, 4: {"a": "x"}}, "stance", "t1")
    assert report.n_items == 3
    assert report.n_annotators == 3
    assert report.fleiss_kappa == pytest.approx(0.55)
    assert report.krippendorff_alpha == pytest.approx(0.6)
    assert report.observed == pytest.approx(2 / 3)


def _s(start: int, end: int, label: str) -> Span:
    return Span(f"{start}-{end}", label, start, end, "x" * (end - start))


def test_span_f1_by_hand() -> None:
    a = [_s(0, 5, "Claim"), _s(10, 20, "Premise")]
    b = [_s(0, 5, "Claim"), _s(12, 20, "Premise"), _s(30, 40, "Claim")]
    got = span_f1({1: {"a": a, "b": b}})
    # exact: one shared span -> 2*1 / (2+3) = 0.4; overlap: 2 of a and 2 of b matched -> 4/5
    assert got["exact_f1"] == pytest.approx(0.4)
    assert got["overlap_f1"] == pytest.approx(0.8)
    assert got["n_items"] == 1 and got["n_pairs"] == 1


def test_span_f1_label_must_match_and_empty_pairs_are_skipped() -> None:
    got = span_f1({1: {"a": [_s(0, 5, "Claim")], "b": [_s(0, 5, "Premise")]}, 2: {"a": [], "b": []}})
    assert got["exact_f1"] == 0.0 and got["overlap_f1"] == 0.0
    assert got["n_pairs"] == 1 and got["n_items"] == 2


def test_export_agreement_pair_fixture() -> None:
    export = read_export(DATA / "export_pair.json", load_schema(DATA.parent.parent / "seeds" / "schema.yaml"))
    report = export_agreement(export)
    rows = {(r["control"], r["target"]): r for r in report["controls"]}
    # japan_sanctions_g7 stance: tasks 104 (None, None; a skip), 109 (Against x2), 110 (Against x3)
    g7 = rows[("stance", "japan_sanctions_g7")]
    assert g7["n_items"] == 3 and g7["observed"] == pytest.approx(1.0) and g7["krippendorff_alpha"] == pytest.approx(1.0)
    # treaty_1956_basis stance: 103 (Favor vs None: a tie), 107 (Favor x2 after anna's cancel)
    treaty = rows[("stance", "treaty_1956_basis")]
    assert treaty["n_items"] == 2 and treaty["observed"] == pytest.approx(0.5)
    # 11 annotated tasks, of which 111 has one answer and 112 only a skip: 9 items pooled
    assert rows[("stance", None)]["n_items"] == 9
    assert report["spans"] is None


def test_export_agreement_discovery_spans() -> None:
    export = read_export(DATA / "export_discovery.json", load_schema(DATA.parent.parent / "seeds" / "schema.yaml"))
    report = export_agreement(export)
    spans = report["spans"]
    # 201: claim identical, premises overlap but differ (1 exact of 2+2); 202: same claim (1 of 1+1);
    # 203: one shared premise, chen has one more (1 of 1+2). exact = 2*(1+1+1) / (4+2+3) = 6/9
    assert spans["exact_f1"] == pytest.approx(6 / 9)
    # overlap: 201 all four match, 202 both, 203 two of three -> 8/9
    assert spans["overlap_f1"] == pytest.approx(8 / 9)
    assert spans["n_items"] == 3
