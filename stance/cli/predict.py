"""CLI commands for the predict stage (registered on import by stance.cli)."""

from __future__ import annotations

from stance.cli._app import app, cli_command  # noqa: F401
