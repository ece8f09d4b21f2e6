"""The attribution benchmark on PolNeAR's dev split, with floors a little under the measured figures.

PolNeAR and ElecDeb are not in the repository (their licences forbid copying): they are read
from ``$STANCE_BENCHMARKS`` or ``REPO/../shared/benchmarks``; the test is skipped without them.
The floors (see docs/notes/attrib.md for the measured figures) make a later change that breaks
attribution fail CI. Offsets must give back every statement's text on every document.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = Path(os.environ.get("STANCE_BENCHMARKS", REPO.parent / "shared" / "benchmarks"))
POLNEAR = BENCHMARKS / "polnear-attribution"
DEBATES = BENCHMARKS / "elecdeb-debates"

# Measured on the dev split in rules mode after the fourth pass (docs/notes/attrib.md, "fourth
# pass": 67.2, 67.6, 49.4, 89.5 %; right person without first/second-person sources and indefinite
# descriptions, which the benchmark counts only "to a person"), minus about two points; narrative
# fell by 1.0 in that pass, so its floor stays at the third pass's.
FLOORS = {"named": 0.65, "descriptive_person": 0.65, "descriptive_right": 0.47, "narrative": 0.88}


def _benchmark():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("attribution_benchmark", REPO / "benchmarks" / "attribution.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.skipif(not POLNEAR.is_dir(), reason=f"PolNeAR not found at {POLNEAR} (set STANCE_BENCHMARKS)")
def test_polnear_dev_attribution_floors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANCE_ATTRIBUTION", "rules")
    bench = _benchmark()
    tally = bench.Tally()
    _, _, _, _, bad_offsets = bench.polnear(POLNEAR, "dev", None, tally)
    assert bad_offsets == 0
    rates = {key: tally.rate(key) for key in FLOORS}
    assert all(rates[key] >= floor for key, floor in FLOORS.items()), rates


@pytest.mark.slow
@pytest.mark.skipif(not DEBATES.is_dir(), reason=f"ElecDeb debates not found at {DEBATES} (set STANCE_BENCHMARKS)")
def test_debate_offsets_are_exact() -> None:
    bench = _benchmark()
    _, _, _, _, bad_offsets = bench.debates(DEBATES, 6, bench.Tally())
    assert bad_offsets == 0
