"""The package's shape: public names that stay functions, and imports that flow one way."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_train_and_evaluate_stay_functions_whatever_is_imported() -> None:
    # Importing the modules behind the names must not turn `stance.train` into a module:
    # Python sets a submodule as an attribute of its package on import.
    code = (
        "import types, stance\n"
        "import stance.training, stance.evaluation, stance.cli.train\n"
        "assert isinstance(stance.train, types.FunctionType), type(stance.train)\n"
        "assert isinstance(stance.evaluate, types.FunctionType), type(stance.evaluate)\n"
        "assert stance.train is stance.training.train and stance.evaluate is stance.evaluation.evaluate\n"
        "from stance import train, evaluate\n"
        "assert callable(train) and callable(evaluate)\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
