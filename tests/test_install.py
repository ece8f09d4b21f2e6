"""An installed wheel behaves like the checkout: `pip install .` (not editable), then run it elsewhere.

The fresh venv borrows the test environment's packages through a ``.pth`` line (so nothing is
downloaded and the install takes seconds) but not its editable ``stance``: ``.pth`` files inside
a borrowed folder are not processed, and the venv's own site-packages come first anyway.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_SKIP = shutil.ignore_patterns(".git", ".venv", "out", "runs", "build", "dist", "*.egg-info", "__pycache__",
                               ".pytest_cache", ".studio", "*.part")

pytestmark = pytest.mark.slow


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh venv holding a non-editable install of this checkout."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    shutil.copytree(REPO, source, ignore=_SKIP)  # build from a copy: the build writes into its source tree
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root)
    purelib = Path(_run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        cwd=root).stdout.strip())
    (purelib / "_borrowed_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
          "--quiet", str(source)], cwd=root)
    return venv / "bin"


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "HF_HUB_OFFLINE": "1"}


def test_installed_copy_is_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    code = "import stance, stance.resources as r; print(stance.__file__); print(r.resource('schema.template.yaml'))"
    out = _run([str(installed / "python"), "-c", code], cwd=tmp_path, env=_clean_env()).stdout.splitlines()
    assert not out[0].startswith(str(REPO)), out  # imported from the venv, not from this checkout
    assert "site-packages" in out[1]


def test_segment_seeds_from_another_folder_matches_the_checkout(installed: Path, tmp_path: Path) -> None:
    seeds = REPO / "seeds"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _run([str(installed / "stance"), "segment", str(seeds), "-o", str(elsewhere / "statements.jsonl"), "--no-progress"],
         cwd=elsewhere, env=_clean_env())
    checkout_env = {**_clean_env(), "PYTHONPATH": str(REPO)}
    _run([sys.executable, "-m", "stance", "segment", str(seeds), "-o", str(tmp_path / "checkout.jsonl"), "--no-progress"],
         cwd=REPO, env=checkout_env)
    installed_bytes = (elsewhere / "statements.jsonl").read_bytes()
    assert installed_bytes.count(b"\n") > 100
    assert installed_bytes == (tmp_path / "checkout.jsonl").read_bytes()


def test_init_from_the_installed_copy(installed: Path, tmp_path: Path) -> None:
    _run([str(installed / "stance"), "init", "project", "--targets", "Remote work: Favor: from home. Against: office."],
         cwd=tmp_path, env=_clean_env())
    assert "remote_work" in (tmp_path / "project" / "schema.yaml").read_text(encoding="utf-8")
    assert (tmp_path / "project" / "cleaning.yaml").read_text(encoding="utf-8").startswith("# Cleaning rules")
