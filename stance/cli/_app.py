"""The typer application and the one place where errors become exit codes."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from stance.errors import StanceError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="stance",
    help="Stance and argument annotation: segment documents, label them in Label Studio, "
    "build datasets, train and run stance classifiers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts carry literal brackets ("[default: all targets]"); rich markup would eat them.
    rich_markup_mode=None,
)


#: The one spelling of the progress flag, shared by every command. Neither flag given: bars only
#: when stderr is a terminal (piped or logged runs get no carriage-return updates).
PROGRESS_OPTION: Any = typer.Option(
    None, "--progress/--no-progress", show_default=False,
    help="Show progress bars on stderr [default: only when stderr is a terminal].",
)


def progress_enabled(flag: bool | None) -> bool:
    """Resolve ``--progress/--no-progress``: the flag when given, else whether stderr is a terminal.

    Example:
        >>> progress_enabled(False)
        False
    """
    if flag is not None:
        return flag
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


def fail(message: str) -> None:
    """Print one clean error line to stderr and exit with code 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def cli_command(func: F) -> F:
    """Wrap a command so that expected failures print one line and exit 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except StanceError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            typer.echo("interrupted; outputs written so far are complete, rerun to continue", err=True)
            raise typer.Exit(code=130) from None
        except MemoryError:
            fail("out of memory; try a smaller --batch-size or chunk size")
        except OSError as exc:  # disk full, permissions: name the file, no traceback
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            fail(f"{exc.strerror or exc}{where}")

    return wrapper  # type: ignore[return-value]


def setup_logging(verbose: bool) -> None:
    """Configure logging for CLI use only; the library never touches logging levels."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
