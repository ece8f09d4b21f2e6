"""Label Studio's ML backend protocol over HTTP (FastAPI), as label-studio-ml-backend serves it.

- ``GET /health`` → ``{"status": "UP", "model_version": ...}`` (Label Studio waits 1 s);
- ``POST /setup`` ``{project, schema, hostname, access_token, ...}`` → ``{"model_version": ...}``;
  Label Studio calls it before each prediction run and skips tasks that already hold a
  prediction of that version, so a retrained model is asked again;
- ``POST /predict`` ``{tasks, project, label_config, params}`` → ``{"results": [{"result",
  "score", "model_version"}, ...], "model_version": ...}``, one result per task, in order;
- ``POST /webhook`` Label Studio's webhook payload ``{action, annotation, task, project}``:
  ``ANNOTATION_CREATED``/``ANNOTATION_UPDATED``/``ANNOTATIONS_DELETED`` count towards the
  next retrain, ``START_TRAINING`` asks for one now; ``POST /train`` (older servers) too;
- ``GET /versions`` → the versions served so far.

``label-studio-ml`` 1.0.9 (the PyPI release) pins Flask 1.1.2, Jinja2 3.0.3 and werkzeug
2.0.2, older than what label-studio 1.23 and torch need, so this is FastAPI on uvicorn.
Request bodies are never logged: ``/setup`` carries an access token.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from stance.backend.service import Backend

__all__ = ["create_app", "ANNOTATION_EVENTS"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

ANNOTATION_EVENTS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED", "ANNOTATIONS_DELETED")


def _event_project(payload: dict[str, Any]) -> int | None:
    project = payload.get("project")
    if isinstance(project, dict):
        project = project.get("id")
    if project is None:
        for key in ("annotation", "task"):
            item = payload.get(key)
            if isinstance(item, dict) and item.get("project") is not None:
                project = item["project"]
                break
    try:
        return int(str(project).split(".")[0]) if project is not None else None
    except ValueError:
        return None


def create_app(backend: Backend, *, basic_auth: tuple[str, str] | None = None) -> Any:
    """The FastAPI application serving ``backend``.

    Args:
        backend: The :class:`Backend`.
        basic_auth: ``(user, password)`` to require HTTP basic auth on every route, as Label
            Studio's "Basic Authentication" option of an ML backend sends it.
    """
    security = HTTPBasic(auto_error=False)

    def check(credentials: HTTPBasicCredentials | None = Depends(security)) -> None:
        if basic_auth is None:
            return
        ok = credentials is not None and secrets.compare_digest(credentials.username.encode(), basic_auth[0].encode()) \
            and secrets.compare_digest(credentials.password.encode(), basic_auth[1].encode())
        if not ok:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "basic auth required",
                                headers={"WWW-Authenticate": "Basic"})

    app = FastAPI(title="stance ML backend", dependencies=[Depends(check)], docs_url=None, redoc_url=None)
    versions: list[str] = [backend.live.model_version]

    def _seen() -> None:
        if versions[-1] != backend.live.model_version:
            versions.append(backend.live.model_version)

    @app.get("/health")
    @app.get("/")
    def health() -> dict[str, Any]:
        return backend.health()

    @app.post("/setup")
    async def setup(request: Request) -> dict[str, Any]:
        body = await _json(request)
        project = _event_project({"project": body.get("project")})
        if project is not None and backend.project_id is not None and project != backend.project_id:
            logger.warning("/setup for project %s, but this backend serves project %s", project, backend.project_id)
        _seen()
        return {"model_version": backend.live.model_version}

    @app.post("/predict")
    def predict(body: dict[str, Any]) -> dict[str, Any]:
        tasks = body.get("tasks") or []
        if not isinstance(tasks, list):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "tasks must be a list")
        results, version = backend.predict(tasks, body.get("label_config"))
        logger.info("predicted %d task(s) with model version %s", len(tasks), version)
        return {"results": results, "model_version": version}

    @app.post("/webhook")
    async def webhook(request: Request) -> dict[str, Any]:
        body = await _json(request)
        action = str(body.get("action", ""))
        project = _event_project(body)
        if backend.project_id is not None and project is not None and project != backend.project_id:
            return {"status": "ignored", "reason": f"project {project} is not served here"}
        if action == "START_TRAINING":
            backend.retrainer.notify(now=True)
        elif action in ANNOTATION_EVENTS:
            n = len(body.get("annotations") or []) if action == "ANNOTATIONS_DELETED" else 1
            backend.retrainer.notify(max(n, 1))
        else:
            return {"status": "ignored", "action": action}
        logger.info("webhook %s for project %s", action, project)
        return {"status": "ok", "action": action}

    @app.post("/train")
    def train() -> dict[str, Any]:
        backend.retrainer.notify(now=True)
        return {"status": "ok", "job": None}

    @app.get("/versions")
    def get_versions() -> dict[str, Any]:
        _seen()
        return {"versions": versions, "model_version": backend.live.model_version}

    return app


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
