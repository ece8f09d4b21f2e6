"""Command-line interface: a thin layer that parses arguments, calls the library and renders.

Each pipeline stage has its own module here; importing them registers their commands.
"""

from __future__ import annotations

import typer

from stance.cli._app import app, setup_logging

# Registration by import, in pipeline order; `init` starts a project, `info` reads any artifact's lineage.
from stance.cli import init as _init  # noqa: E402,F401
from stance.cli import segment as _segment  # noqa: E402,F401
from stance.cli import studio as _studio  # noqa: E402,F401
from stance.cli import dataset as _dataset  # noqa: E402,F401
from stance.cli import train as _train  # noqa: E402,F401
from stance.cli import predict as _predict  # noqa: E402,F401
from stance.cli import demo as _demo  # noqa: E402,F401
from stance.cli import serve as _serve  # noqa: E402,F401
from stance.cli import learn as _learn  # noqa: E402,F401
from stance.cli import info as _info  # noqa: E402,F401
from stance.cli import quantize as _quantize  # noqa: E402,F401

__all__ = ["app", "main"]


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details to stderr.")) -> None:
    setup_logging(verbose)


def main() -> None:
    """Entry point of the ``stance`` console script."""
    app()
