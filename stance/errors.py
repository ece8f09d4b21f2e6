"""The one exception type the CLI turns into a clean, one-line error and exit code 1."""

from __future__ import annotations

__all__ = ["StanceError"]


class StanceError(Exception):
    """A user-facing error: what was expected, what was found, where, and how to fix it.

    Library code raises this for bad input; only the CLI turns it into an exit code.

    Args:
        message: What went wrong, naming the file, line or ids involved.
        hint: How to fix it (optional).

    Example:
        >>> raise StanceError("statements.jsonl line 3: not JSON", hint="re-run `stance segment`")
        Traceback (most recent call last):
        ...
        stance.errors.StanceError: statements.jsonl line 3: not JSON (hint: re-run `stance segment`)
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message
