"""Attach a running backend to a Label Studio project through its API.

What it sets, and why:

- an ML backend (``POST /api/ml``) with the backend's URL, ``auto_update=True`` (Label Studio
  takes the ``model_version`` that ``/setup`` answers, so a retrained model is asked again) and
  basic auth when the backend asks for it; Label Studio then adds a webhook ``URL/webhook``
  for all events of the project, which is how annotations reach the backend;
- the project's ``show_collab_predictions=True`` (annotators see predictions) and
  ``model_version`` = the backend's title (the "Prelabeling" choice in the project settings:
  use this backend's predictions), and ``evaluate_predictions_automatically=True``: Label
  Studio asks the backend when a task without predictions is opened, and the Data Manager's
  "Retrieve predictions" action asks it for any selection of tasks.

Label Studio 1.23 refuses ML backends and webhooks on local addresses unless it runs with
``ML_BLOCK_LOCAL_IP=false`` and ``SSRF_PROTECTION_ENABLED=false`` (``stance studio start``
sets both; it listens on 127.0.0.1 only). A refusal becomes a StanceError that says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from stance.errors import StanceError

__all__ = ["Attachment", "attach", "detach"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

TITLE_PREFIX = "stance"


@dataclass(frozen=True)
class Attachment:
    """Where a backend was attached.

    Attributes:
        project_id: The project.
        ml_backend_id: Label Studio's id of the ML backend record.
        title: Its title (also the project's ``model_version`` setting).
        webhook: True when Label Studio holds a webhook to ``URL/webhook`` (retraining on events).
        created: False when an ML backend with this URL was already attached.
    """

    project_id: int
    ml_backend_id: int
    title: str
    webhook: bool
    created: bool


def _local_refusal(client: Any, exc: StanceError, url: str) -> StanceError:
    text = str(exc)
    if "reserved network address" in text or "SSRF" in text or "resolves to" in text:
        return StanceError(
            f"Label Studio at {client.url} refuses a backend at {url}: it blocks local addresses",
            hint="start Label Studio with ML_BLOCK_LOCAL_IP=false and SSRF_PROTECTION_ENABLED=false "
                 "(`stance studio start` does), or serve the backend on an address it may reach (--host)",
        )
    return exc


def attach(client: Any, project_id: int, url: str, *, title: str | None = None,
           basic_auth: tuple[str, str] | None = None) -> Attachment:
    """Register the backend at ``url`` for the project (reusing a record with the same URL).

    Args:
        client: A connected :class:`stance.studio.StudioClient`.
        project_id: The project id.
        url: The backend's base URL as Label Studio must call it.
        title: The ML backend's title (default ``stance <host:port>``).
        basic_auth: ``(user, password)`` when the backend requires basic auth.

    Returns:
        An :class:`Attachment`.

    Raises:
        StanceError: Label Studio refuses the URL (see the module docstring) or cannot reach it.
    """
    ls = client.ls
    url = url.rstrip("/")
    title = title or f"{TITLE_PREFIX} {url.split('://', 1)[-1]}"
    auth: dict[str, Any] = {"auth_method": "NONE"}
    if basic_auth:
        auth = {"auth_method": "BASIC_AUTH", "basic_auth_user": basic_auth[0], "basic_auth_pass": basic_auth[1]}
    existing = [m for m in client.call("listing ML backends", ls.ml.list, project=project_id)
                if (getattr(m, "url", "") or "").rstrip("/") == url]
    try:
        if existing:
            ml = client.call("updating the ML backend", ls.ml.update, id=existing[0].id, url=url, project=project_id,
                             title=title, auto_update=True, is_interactive=False, **auth)
        else:
            ml = client.call("adding the ML backend", ls.ml.create, url=url, project=project_id, title=title,
                             auto_update=True, is_interactive=False, **auth)
    except StanceError as exc:
        raise _local_refusal(client, exc, url) from None
    client.call("switching on predictions", ls.projects.update, id=project_id, show_collab_predictions=True,
                evaluate_predictions_automatically=True, model_version=title)
    webhook = _ensure_webhook(client, project_id, url)
    logger.info("attached backend %s to project %s as ML backend %s", url, project_id, ml.id)
    return Attachment(project_id=project_id, ml_backend_id=int(ml.id), title=title, webhook=webhook,
                      created=not existing)


def _ensure_webhook(client: Any, project_id: int, url: str) -> bool:
    """Label Studio adds the webhook itself when it may; add it when it did not."""
    hook = f"{url}/webhook"
    hooks = client.call("listing webhooks", client.ls.webhooks.list, project=str(project_id))
    if any((getattr(h, "url", "") or "").rstrip("/") == hook for h in hooks):
        return True
    try:
        client.call("adding the webhook", client.ls.webhooks.create, url=hook, project=project_id, send_payload=True,
                    send_for_all_actions=True)
    except StanceError as exc:
        logger.warning("Label Studio refused the webhook %s (%s): the backend will not retrain on annotations; "
                       "start Label Studio with SSRF_PROTECTION_ENABLED=false to allow it", hook, exc)
        return False
    return True


def detach(client: Any, attachment: Attachment, url: str) -> None:
    """Remove the ML backend record and its webhook (the project's predictions stay)."""
    hook = f"{url.rstrip('/')}/webhook"
    for h in client.call("listing webhooks", client.ls.webhooks.list, project=str(attachment.project_id)):
        if (getattr(h, "url", "") or "").rstrip("/") == hook:
            client.call("removing the webhook", client.ls.webhooks.delete, id=h.id)
    client.call("removing the ML backend", client.ls.ml.delete, id=attachment.ml_backend_id)
