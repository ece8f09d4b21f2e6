"""``python -m stance``: the same as the ``stance`` command."""

from stance.cli import app

if __name__ == "__main__":
    app(prog_name="stance")
