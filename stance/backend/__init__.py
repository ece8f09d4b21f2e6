"""A live ML backend for Label Studio: serve a stance model, retrain it while people label.

- :mod:`stance.backend.live`: the served model (atomic swap) and the debounced retrainer;
- :mod:`stance.backend.service`: predictions for Label Studio tasks, the retrain pipeline
  (incremental pull → dataset → train → swap), the work folder;
- :mod:`stance.backend.app`: the ML backend protocol over HTTP (FastAPI);
- :mod:`stance.backend.connect`: attaching it to a project through the Label Studio API;
- :func:`serve`: all of it in one call (``stance serve``).

Importing this package imports neither FastAPI nor Label Studio's SDK.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from stance.backend.live import LiveModel, Retrainer
from stance.backend.service import Backend, BackendOptions, default_work_dir
from stance.errors import StanceError

__all__ = ["Backend", "BackendOptions", "LiveModel", "Retrainer", "default_work_dir", "serve", "ServeHandle"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


class ServeHandle:
    """A backend running in this process (uvicorn in a thread): ``url``, ``backend``, :meth:`stop`."""

    def __init__(self, backend: Backend, server: Any, thread: threading.Thread, url: str,
                 attachment: Any = None) -> None:
        self.backend, self.server, self.thread, self.url, self.attachment = backend, server, thread, url, attachment

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and retraining (a retrain in progress finishes in the background)."""
        self.server.should_exit = True
        self.thread.join(timeout)
        self.backend.retrainer.stop(timeout=0.1)


def serve(options: BackendOptions, *, client: Any = None, host: str = "127.0.0.1", port: int = 9090,
          public_url: str | None = None, basic_auth: tuple[str, str] | None = None, attach_to_project: bool = True,
          start_timeout: float = 30.0) -> ServeHandle:
    """Start the backend (HTTP server in a thread, retrainer), then attach it to the project.

    Args:
        options: What to serve and how to retrain.
        client: A connected :class:`stance.studio.StudioClient` (needed to attach and retrain).
        host: Address to listen on (127.0.0.1 by default: only this machine).
        port: Port to listen on.
        public_url: The URL Label Studio must call (default ``http://HOST:PORT``).
        basic_auth: ``(user, password)`` to require basic auth (also given to Label Studio).
        attach_to_project: Register the backend with the project through the API.
        start_timeout: Seconds to wait for the server to listen.

    Returns:
        A :class:`ServeHandle`; call ``handle.thread.join()`` to serve until interrupted.

    Raises:
        StanceError: unknown project, the port is taken, Label Studio refuses the backend.
    """
    import uvicorn

    from stance.backend.app import create_app
    from stance.backend.connect import attach

    project = None
    if client is not None:
        from stance.studio import find_project

        project = find_project(client, options.project)
        if project is None:
            raise StanceError(f"no project called {options.project!r} at {client.url}",
                              hint="check --project, or create it with `stance push`")
    backend = Backend(options, client)
    backend.project_id = int(project.id) if project is not None else None
    app = create_app(backend, basic_auth=basic_auth)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="stance-backend-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive():
            raise StanceError(f"the backend could not listen on {host}:{port}", hint="choose another --port")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise StanceError(f"the backend did not start listening on {host}:{port} within {start_timeout:.0f} s")
        time.sleep(0.05)
    if options.retrain and client is not None:
        backend.retrainer.start()
    url = (public_url or f"http://{host}:{port}").rstrip("/")
    handle = ServeHandle(backend, server, thread, url)
    if attach_to_project and client is not None and project is not None:
        try:
            handle.attachment = attach(client, int(project.id), url, basic_auth=basic_auth)
        except StanceError:
            handle.stop()
            raise
    logger.info("serving %s (model version %s) at %s", Path(options.model_dir), backend.live.model_version, url)
    return handle
