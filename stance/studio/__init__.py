"""Label Studio: a local server manager and a client for pushing tasks and pulling exports.

- :mod:`stance.studio.server`: ``start``/``stop``/``status`` of a real local Label Studio.
- :mod:`stance.studio.client`: ``connect``, idempotent ``push_tasks``/``push_statements``, ``pull``.

Importing this package does not import ``label_studio_sdk``; the functions do, when called.
"""

from __future__ import annotations

from stance.studio.client import (
    PullResult,
    PushResult,
    StudioClient,
    connect,
    ensure_project,
    existing_task_keys,
    find_project,
    pull,
    push_statements,
    push_tasks,
)
from stance.studio.server import StudioStatus, default_data_dir, read_credentials, start, status, stop

__all__ = [
    "StudioClient",
    "PushResult",
    "PullResult",
    "StudioStatus",
    "connect",
    "find_project",
    "ensure_project",
    "existing_task_keys",
    "push_tasks",
    "push_statements",
    "pull",
    "start",
    "stop",
    "status",
    "default_data_dir",
    "read_credentials",
]
