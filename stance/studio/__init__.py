"""Label Studio: a local server manager and a client for pushing tasks and pulling exports.

- :mod:`stance.studio.server`: ``start``/``stop``/``status`` of a real local Label Studio.
- :mod:`stance.studio.client`: ``connect``, idempotent ``push``/``push_tasks``, ``pull``;
- :mod:`stance.studio.users`: Label Studio users (annotators) made through the API.

This package never builds tasks: the caller passes tasks from :func:`stance.tasks.build_tasks`.

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
    push,
    push_tasks,
)
from stance.studio.server import StudioStatus, default_data_dir, read_credentials, start, status, stop
from stance.studio.users import ensure_user

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
    "push",
    "ensure_user",
    "pull",
    "start",
    "stop",
    "status",
    "default_data_dir",
    "read_credentials",
]
