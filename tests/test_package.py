"""The package's public surface: cheap to import, every advertised name resolves."""

from __future__ import annotations

import subprocess
import sys


def test_import_is_light_and_public_names_resolve() -> None:
    code = (
        "import sys, stance\n"
        "heavy = [m for m in ('torch', 'transformers', 'label_studio_sdk', 'datasets') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "import logging; assert logging.getLogger().level == logging.WARNING\n"
        "missing = [n for n in stance.__all__ if getattr(stance, n, None) is None]\n"
        "assert not missing, missing\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_unknown_attribute_is_an_attribute_error() -> None:
    import pytest

    import stance

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        stance.nope  # noqa: B018
