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


# --------------------------------------------------------------------------- the import graph

import ast  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

PACKAGE = Path(__file__).resolve().parents[1] / "stance"

#: The stage order of DESIGN.md, earliest first. A module may import only from its own stage or
#: earlier ones. Keys are the first name under ``stance`` (a module or a subpackage).
STAGES: tuple[tuple[str, ...], ...] = (
    ("errors", "io", "lineage", "config", "resources", "info", "_util", "__init__"),
    ("segment",),
    ("schema", "project"),
    ("tasks",),
    ("studio",),
    ("export",),
    ("agreement",),
    ("dataset", "tabular"),
    ("adjudication",),
    ("models",),
    ("training", "evaluation"),
    ("predict",),
    ("backend", "select"),
    ("gold", "demo"),
    ("cli", "__main__"),
)
STAGE = {name: i for i, names in enumerate(STAGES) for name in names}

#: Known violations (importer, imported) waiting for the refactor of another module; each entry
#: must still occur (a fixed one has to be removed from here). Empty is the goal.
ALLOWED: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _lazy_names() -> dict[str, str]:
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


def _imports(path: Path, module: str) -> list[tuple[str, int]]:
    """Every ``stance`` module imported by a file, anywhere in it (also inside functions)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    lazy = _lazy_names()
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name.split(".")[0] == "stance"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.split(".")[0] != "stance":
                continue
            for alias in node.names:
                if base == "stance":  # `from stance import X`: a submodule, a lazy name or a base name
                    sub = PACKAGE / alias.name
                    target = (f"stance.{alias.name}" if sub.is_dir() or sub.with_suffix(".py").is_file()
                              else lazy.get(alias.name, "stance"))
                    found.append((target, node.lineno))
                else:
                    found.append((base, node.lineno))
    return found


def _stage_key(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _violations(path: Path, importer: str) -> list[tuple[str, str, int]]:
    own = STAGE[_stage_key(importer)]
    return [(importer, imported, line) for imported, line in _imports(path, importer)
            if STAGE.get(_stage_key(imported), -1) > own]


def _all_violations() -> list[tuple[str, str, int]]:
    return [v for path in sorted(PACKAGE.rglob("*.py")) for v in _violations(path, _module_name(path))]


def test_every_module_has_a_stage() -> None:
    keys = {_stage_key(_module_name(p)) for p in PACKAGE.rglob("*.py")}
    missing = sorted(keys - set(STAGE))
    assert not missing, f"give these modules a stage in STAGES (and DESIGN.md): {missing}"


def test_no_module_imports_a_later_stage() -> None:
    found = _all_violations()
    new = [f"{importer} line {line} imports {imported} (stage {STAGE[_stage_key(imported)]} > "
           f"{STAGE[_stage_key(importer)]})" for importer, imported, line in found
           if (importer, imported) not in ALLOWED]
    assert not new, "imports against the stage order (DESIGN.md):\n" + "\n".join(new)
    fixed = sorted(ALLOWED - {(i, m) for i, m, _ in found})
    assert not fixed, f"these allowed violations are gone; remove them from ALLOWED: {fixed}"


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    # The checker must find late imports hidden in functions, relative ones and lazy names,
    # or the test above proves nothing.
    probe = tmp_path / "probe.py"
    probe.write_text("import json\n\ndef f():\n    from stance.models import load_model\n"
                     "    from ..tasks import build_tasks\n    from stance import predict_file, __version__\n"
                     "    from . import clean\n", encoding="utf-8")
    assert _violations(probe, "stance.segment.probe") == [
        ("stance.segment.probe", "stance.models", 4), ("stance.segment.probe", "stance.tasks", 5),
        ("stance.segment.probe", _lazy_names()["predict_file"], 6)]
    assert ("stance.segment", 7) in _imports(probe, "stance.segment.probe")


@pytest.mark.parametrize("entry", ["stance", "stance.cli"])
def test_light_imports(entry: str) -> None:
    # `import stance` and the CLI's start-up load neither torch nor the Label Studio SDK.
    result = _run(f"import sys, {entry}\n"
                  "heavy = sorted(m for m in ('torch', 'transformers', 'label_studio_sdk') if m in sys.modules)\n"
                  "assert not heavy, heavy\n")
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- one spelling per flag

#: Commands still spelling the progress flag their own way (waiting for their module's owner).
PROGRESS_PENDING: set[str] = set()


def _commands() -> dict[str, object]:
    import click
    import typer

    from stance.cli import app

    out: dict[str, object] = {}
    todo = [("", typer.main.get_command(app))]
    while todo:
        prefix, group = todo.pop()
        for name, cmd in group.commands.items():  # type: ignore[attr-defined]
            full = f"{prefix}{name}"
            if isinstance(cmd, click.Group):
                todo.append((f"{full} ", cmd))
            else:
                out[full] = cmd
    return out


def test_progress_flag_has_one_spelling_and_defaults_to_the_terminal() -> None:
    wrong = []
    for name, cmd in sorted(_commands().items()):
        for param in cmd.params:  # type: ignore[attr-defined]
            if "progress" not in param.name:
                continue
            ok = (param.opts == ["--progress"] and param.secondary_opts == ["--no-progress"]
                  and param.default is None)
            if not ok and name not in PROGRESS_PENDING:
                wrong.append(f"stance {name}: {'/'.join(param.opts + param.secondary_opts)} default {param.default!r}")
    assert not wrong, "use PROGRESS_OPTION from stance.cli._app:\n" + "\n".join(wrong)
    fixed = sorted(n for n in PROGRESS_PENDING if n in _commands() and all(
        p.default is None for p in _commands()[n].params if "progress" in p.name))  # type: ignore[attr-defined]
    assert not fixed, f"these commands use the shared flag now; remove them from PROGRESS_PENDING: {fixed}"


def test_progress_enabled_follows_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from stance.cli._app import progress_enabled

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Tty())
    assert progress_enabled(None) is True and progress_enabled(False) is False
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress_enabled(None) is False and progress_enabled(True) is True
