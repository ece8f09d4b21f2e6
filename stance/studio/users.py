"""Label Studio users: the connected user, and annotators created through the API when missing."""

from __future__ import annotations

import logging
import secrets
from typing import Any

__all__ = ["current_user_id", "ensure_user"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


def current_user_id(client: Any) -> int:
    """The id of the user the client is connected as.

    Example:
        >>> current_user_id(connect())  # doctest: +SKIP
        1
    """
    return int(client.call("reading the current user", client.ls.users.whoami).id)


def ensure_user(client: Any, email: str, username: str) -> int:
    """The id of the user with this email, created (random password, never shown) if missing.

    Example:
        >>> ensure_user(client, "annotator_2@stance.local", "annotator_2")  # doctest: +SKIP
        2
    """
    def _find() -> int | None:
        for user in client.ls.users.list():
            if (getattr(user, "email", "") or "").lower() == email.lower():
                return int(user.id)
        return None

    found = client.call("listing users", _find)
    if found is not None:
        return found
    user = client.call(f"creating the user {username}", client.ls.users.create, email=email, username=username,
                       password=secrets.token_urlsafe(18))
    logger.info("created Label Studio user %s", email)
    return int(user.id)
