"""Talking to a Label Studio server: connect, push tasks idempotently, pull the full export.

Works the same against the local studio (``stance studio start``) and a team's own server
(``LABEL_STUDIO_URL`` + ``LABEL_STUDIO_API_KEY``, a legacy token or a personal access token).

Idempotency: every task carries ``data.task_key``. A push first lists the keys already in the
project (task list restricted to ``id,data``, 1,000 a page: 5 to 13 s for 10,000 tasks here,
where a full export takes 25 to 35 s) and imports only the missing tasks, in bulk chunks. Each chunk is
one import request, which the server commits as a whole, so a push killed at any point and run
again completes without duplicates.

The API key is only ever handed to the SDK; it is redacted from every message this module makes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from stance.errors import StanceError
from stance.io import atomic_write, check_output_path
from stance.schema import SCHEMA_MARKER

__all__ = [
    "StudioClient",
    "PushResult",
    "PullResult",
    "connect",
    "find_project",
    "ensure_project",
    "existing_task_keys",
    "push_tasks",
    "push",
    "pull",
    "CHUNK_SIZE",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

T = TypeVar("T")

CHUNK_SIZE = 2000
RETRIES = 4
BACKOFF_S = 1.0
_MARKER_RE = re.compile(rf"{SCHEMA_MARKER}=(\S+?)(?:\s|\]|$).*?mode=(\w+)", re.S)


@dataclass
class StudioClient:
    """A connected Label Studio client.

    Attributes:
        ls: The ``label_studio_sdk.LabelStudio`` client (use it for anything not wrapped here).
        url: The server's base URL (safe to print).
        retries: How many times a transient failure (connection error, 5xx, 429) is retried.
        backoff: First wait in seconds; doubled on each retry.
    """

    ls: Any
    url: str
    retries: int = RETRIES
    backoff: float = BACKOFF_S
    _secret: str = ""

    def __repr__(self) -> str:
        return f"StudioClient(url={self.url!r})"

    def redact(self, text: str) -> str:
        """Remove the API key from a message (defence in depth; messages never include it)."""
        return text.replace(self._secret, "***") if self._secret else text

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one SDK call, retrying transient failures with exponential backoff.

        Args:
            what: A few words for error messages ("listing projects").
            fn: The SDK method.

        Raises:
            StanceError: server unreachable, key refused (401/403), or another API error.

        Example:
            >>> client.call("reading the project", client.ls.projects.get, id=3).title
            'Kuril statements'
        """
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return fn(*args, **kwargs)
            except httpx.TransportError as exc:
                problem: str = f"{type(exc).__name__}: {exc}"
                if attempt == self.retries:
                    raise StanceError(
                        self.redact(f"cannot reach Label Studio at {self.url} while {what} ({problem})"),
                        hint="start it with `stance studio start`, or check LABEL_STUDIO_URL",
                    ) from None
            except ApiError as exc:
                code = exc.status_code
                if code is not None and code < 500 and code != 429:
                    raise _api_error(self, what, exc) from None
                problem = f"HTTP {code}"
                if attempt == self.retries:
                    raise _api_error(self, what, exc) from None
            logger.warning("Label Studio at %s: %s while %s; retrying in %.0f s", self.url, problem, what, delay)
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("validation_errors") or body
        return json.dumps(detail, ensure_ascii=False)[:400] if not isinstance(detail, str) else detail[:400]
    return str(body)[:400]


def _api_error(client: StudioClient, what: str, exc: Any) -> StanceError:
    code = exc.status_code
    if code in (401, 403):
        return StanceError(
            client.redact(f"Label Studio at {client.url} refused the API key while {what} (HTTP {code}: {_detail(exc.body)})"),
            hint="check LABEL_STUDIO_API_KEY: a legacy token or a personal access token from Account & Settings",
        )
    return StanceError(client.redact(f"Label Studio at {client.url} answered HTTP {code} while {what}: {_detail(exc.body)}"))


def connect(
    url: str | None = None,
    api_key: str | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    timeout: float = 300.0,
    retries: int | None = None,
    check: bool = True,
) -> StudioClient:
    """Connect to Label Studio and check that the key is accepted.

    Resolution order: the arguments; else ``LABEL_STUDIO_URL`` and ``LABEL_STUDIO_API_KEY``;
    else the local studio started by ``stance studio start`` (its URL and credentials file).

    Args:
        url: Server URL, e.g. ``http://127.0.0.1:8080``.
        api_key: A legacy API token or a personal access token (JWT refresh token).
        data_dir: Local studio data folder, used when no URL/key is given.
        timeout: Seconds per HTTP request (exports of large projects take a while).
        retries: Retries for transient failures (default ``$STANCE_STUDIO_RETRIES`` or 4).
        check: Call ``/api/current-user/whoami`` once, so a bad URL or key fails here.

    Returns:
        A :class:`StudioClient`.

    Raises:
        StanceError: no server configured, server unreachable (URL named), key refused.

    Example:
        >>> client = connect()  # the local studio
        >>> client.url
        'http://127.0.0.1:8080'
    """
    url = url or os.environ.get("LABEL_STUDIO_URL") or None
    api_key = api_key or os.environ.get("LABEL_STUDIO_API_KEY") or None
    if not url or not api_key:
        from stance.studio.server import read_credentials, status

        local = status(data_dir)
        if not url:
            if not local.running or not local.url:
                raise StanceError(
                    "no Label Studio to connect to: LABEL_STUDIO_URL is not set and the local studio is not running",
                    hint="run `stance studio start`, or set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY",
                )
            url = local.url
        if not api_key:
            if local.url and url.rstrip("/") == local.url.rstrip("/"):
                api_key = read_credentials(data_dir).token
            else:
                raise StanceError(f"no API key for Label Studio at {url}",
                                  hint="set LABEL_STUDIO_API_KEY (Account & Settings → Access Token in Label Studio)")
    if retries is None:
        raw = os.environ.get("STANCE_STUDIO_RETRIES", str(RETRIES))
        if not raw.isdigit():
            raise StanceError(f"STANCE_STUDIO_RETRIES must be a whole number, found {raw!r}")
        retries = int(raw)
    url = url.rstrip("/")
    if not re.match(r"^https?://", url):
        raise StanceError(f"Label Studio URL {url!r} does not start with http:// or https://",
                          hint="e.g. LABEL_STUDIO_URL=http://127.0.0.1:8080")
    try:
        from label_studio_sdk import LabelStudio
        from label_studio_sdk.core.api_error import ApiError
    except ImportError:  # pragma: no cover - a core dependency
        raise StanceError("label-studio-sdk is not installed", hint="pip install stance") from None

    placeholder = StudioClient(ls=None, url=url, retries=retries, _secret=api_key)
    try:
        # Retries are ours (StudioClient.call): an import retried blindly could duplicate tasks.
        ls = LabelStudio(base_url=url, api_key=api_key, timeout=timeout, max_retries=0)
    except ApiError as exc:  # an expired or malformed personal access token is refused right here
        raise _api_error(placeholder, "reading the API key", exc) from None
    client = StudioClient(ls=ls, url=url, retries=retries, _secret=api_key)
    if check:
        user = client.call("checking the API key", ls.users.whoami)
        logger.info("connected to Label Studio at %s as user %s", url, getattr(user, "id", "?"))
    return client


@dataclass(frozen=True)
class PushResult:
    """What a push did.

    Attributes:
        project_id: The Label Studio project id.
        project: Its title.
        created_project: True when the project was created by this push.
        added: Tasks imported now.
        skipped: Tasks already present (same ``task_key``), not imported again.
        total: Tasks given.
        seconds: Wall time of the push.
    """

    project_id: int
    project: str
    created_project: bool
    added: int
    skipped: int
    total: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """A plain dict (for JSON output)."""
        return asdict(self)


@dataclass(frozen=True)
class PullResult:
    """What a pull wrote.

    Attributes:
        project_id: The Label Studio project id.
        path: The export file.
        tasks: Tasks in the export.
        annotations: Annotations (submitted, including cancelled/skipped ones).
        cancelled: Annotations flagged ``was_cancelled`` (skipped tasks).
        ground_truth: Annotations flagged ``ground_truth``.
        annotators: Distinct ``completed_by`` user ids.
        drafts: Drafts (kept under ``drafts`` in the export; they are not annotations).
        seconds: Wall time of the pull.
    """

    project_id: int
    path: str
    tasks: int
    annotations: int
    cancelled: int
    ground_truth: int
    annotators: int
    drafts: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """A plain dict (for JSON output)."""
        return asdict(self)


def _check_title(title: str) -> str:
    title = title.strip()
    if not 3 <= len(title) <= 50:
        raise StanceError(f"project name {title!r} has {len(title)} characters; Label Studio needs 3 to 50",
                          hint="choose another --project")
    return title


def find_project(client: StudioClient, title: str) -> Any | None:
    """Return the project with exactly this title, or None.

    Raises:
        StanceError: when several projects share the title (their ids are named).

    Example:
        >>> find_project(client, "Kuril statements").id
        3
    """
    title = _check_title(title)

    def _list() -> list[Any]:
        return [p for p in client.ls.projects.list(title=title, page_size=100) if (p.title or "").strip() == title]

    found = client.call("listing projects", _list)
    if len(found) > 1:
        raise StanceError(f"{len(found)} projects are called {title!r} (ids {', '.join(str(p.id) for p in found)})",
                          hint="rename all but one in Label Studio, or choose another --project")
    return found[0] if found else None


def _marker(schema_version: str | None, mode: str | None) -> str:
    return f"[{SCHEMA_MARKER}={schema_version} mode={mode}]"


def recorded_schema(project: Any) -> tuple[str | None, str | None]:
    """The ``(schema_version, mode)`` a project was created with, from its description or config.

    Example:
        >>> recorded_schema(project)
        ('1', 'pair')
    """
    for text in (getattr(project, "description", None) or "", getattr(project, "label_config", None) or ""):
        m = _MARKER_RE.search(text)
        if m:
            return m.group(1), m.group(2)
    return None, None


def ensure_project(
    client: StudioClient,
    title: str,
    label_config: str,
    *,
    schema_version: str | None = None,
    mode: str | None = None,
    description: str = "",
    force: bool = False,
) -> tuple[Any, bool]:
    """Find the project by title or create it; check its recorded schema version and mode.

    Args:
        client: From :func:`connect`.
        title: Project title (3 to 50 characters).
        label_config: The labeling config XML (used when creating, or with ``force``).
        schema_version: Recorded in a new project; an existing one must match unless ``force``.
        mode: Task mode recorded beside the version; a different mode is always refused.
        description: Free text for a new project's description (the marker is appended).
        force: Accept an existing project with another (or no) schema version, and update its
            config and recorded version to the given ones.

    Returns:
        ``(project, created)``.

    Raises:
        StanceError: on a schema version or mode mismatch.

    Example:
        >>> project, created = ensure_project(client, "Kuril statements", xml, schema_version="1", mode="pair")
    """
    project = find_project(client, title)
    full_description = f"{description.strip()}\n\n{_marker(schema_version, mode)}".strip() if schema_version else description
    if project is None:
        created = client.call("creating the project", client.ls.projects.create,
                              title=_check_title(title), label_config=label_config, description=full_description)
        logger.info("created project %r (id %s)", title, created.id)
        return created, True
    if schema_version is None:
        return project, False
    project = client.call("reading the project", client.ls.projects.get, id=project.id)
    have_version, have_mode = recorded_schema(project)
    if have_mode and mode and have_mode != mode:
        raise StanceError(
            f"project {title!r} (id {project.id}) holds {have_mode}-mode tasks; this push makes {mode}-mode tasks",
            hint=f"use --mode {have_mode}, or push to another --project",
        )
    if have_version != schema_version:
        found = f"schema version {have_version}" if have_version else "no recorded schema version"
        if not force:
            raise StanceError(
                f"project {title!r} (id {project.id}) has {found}; the tasks use schema version {schema_version}",
                hint="push to a new --project, or pass --force-schema to switch the project to this schema",
            )
        logger.warning("project %r: switching from %s to schema version %s (forced)", title, found, schema_version)
        old = re.sub(r"\s*\[" + SCHEMA_MARKER + r"=[^\]]*\]", "", getattr(project, "description", "") or "").strip()
        project = client.call("updating the project's schema", client.ls.projects.update, id=project.id,
                              label_config=label_config, description=f"{old}\n\n{_marker(schema_version, mode)}".strip())
    return project, False


def existing_task_keys(client: StudioClient, project_id: int, *, page_size: int = 1000) -> set[str]:
    """The ``task_key`` of every task in a project.

    Lists tasks with only ``id`` and ``data`` (no annotations or predictions), one page at a time.
    Tasks without a ``task_key`` (added by hand) are ignored.

    Example:
        >>> len(existing_task_keys(client, 3))
        10000
    """

    def _fetch() -> set[str]:
        keys: set[str] = set()
        pager = client.ls.tasks.list(project=project_id, fields="task_only", include="id,data", page_size=page_size)
        for task in pager:
            key = (task.data or {}).get("task_key")
            if key:
                keys.add(str(key))
        return keys

    return client.call("listing the project's tasks", _fetch)


def _import_chunk(client: StudioClient, project_id: int, chunk: Sequence[dict[str, Any]]) -> int:
    """Import one chunk; after a transient failure, re-check which tasks arrived before retrying."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    pending = list(chunk)
    delay = client.backoff
    for attempt in range(client.retries + 1):
        try:
            client.ls.projects.import_tasks(id=project_id, request=pending)
            return len(pending)
        except (httpx.TransportError, ApiError) as exc:
            code = getattr(exc, "status_code", None)
            if isinstance(exc, ApiError) and code is not None and code < 500 and code != 429:
                raise _api_error(client, "importing tasks", exc) from None
            if attempt == client.retries:
                if isinstance(exc, ApiError):
                    raise _api_error(client, "importing tasks", exc) from None
                raise StanceError(client.redact(f"cannot reach Label Studio at {client.url} while importing tasks ({exc})"),
                                  hint="rerun the same push: tasks already imported are skipped") from None
            logger.warning("import of %d tasks failed (%s); retrying in %.0f s", len(pending), code or type(exc).__name__, delay)
            time.sleep(delay)
            delay *= 2
            # The server may have committed the chunk before the connection dropped.
            have = existing_task_keys(client, project_id)
            pending = [t for t in pending if t["data"]["task_key"] not in have]
            if not pending:
                return 0
    return 0  # pragma: no cover


def push_tasks(
    client: StudioClient,
    project_title: str,
    tasks: Sequence[dict[str, Any]],
    label_config: str,
    *,
    schema_version: str | None = None,
    mode: str | None = None,
    description: str = "",
    force: bool = False,
    chunk_size: int = CHUNK_SIZE,
    progress: bool = False,
    prepare: Callable[[list[dict[str, Any]]], Any] | None = None,
) -> PushResult:
    """Import tasks into a project (created if missing), skipping tasks already there.

    Args:
        client: From :func:`connect`.
        project_title: The project; created with ``label_config`` when missing.
        tasks: Label Studio tasks, each with a unique ``data.task_key``.
        label_config: Labeling config XML for a new project.
        schema_version: Recorded in a new project and checked against an existing one.
        mode: Task mode, recorded and checked with the version.
        description: Description of a new project.
        force: Accept an existing project with a different schema version.
        chunk_size: Tasks per import request.
        progress: Show a progress bar.
        prepare: Called once with the tasks that will be imported (only those), before the
            first import, e.g. to add model predictions without spending model time on tasks
            the project already has.

    Returns:
        A :class:`PushResult` (tasks added and skipped).

    Raises:
        StanceError: missing ``task_key``, schema mismatch, server errors.

    Example:
        >>> r = push_tasks(client, "Kuril statements", tasks, xml, schema_version="1", mode="pair")
        >>> r.added, r.skipped
        (60, 0)
    """
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    seen: set[str] = set()
    unique: list[dict[str, Any]] = []
    for i, task in enumerate(tasks):
        key = (task.get("data") or {}).get("task_key") if isinstance(task, dict) else None
        if not key:
            raise StanceError(f"task {i + 1} has no data.task_key", hint="build tasks with `stance tasks` / stance.tasks.build_tasks")
        if key not in seen:
            seen.add(key)
            unique.append(task)
    if chunk_size < 1:
        raise StanceError(f"chunk size must be at least 1, found {chunk_size}")

    project, created = ensure_project(client, project_title, label_config, schema_version=schema_version,
                                      mode=mode, description=description, force=force)
    have = set() if created else existing_task_keys(client, project.id)
    new = [t for t in unique if t["data"]["task_key"] not in have]
    if prepare is not None and new:
        prepare(new)
    added = 0
    with tqdm(total=len(new), desc="importing", unit="task", disable=not progress or not new) as bar:
        for i in range(0, len(new), chunk_size):
            chunk = new[i : i + chunk_size]
            added += _import_chunk(client, project.id, chunk)
            bar.update(len(chunk))
            logger.info("imported %d/%d new tasks into project %s", added, len(new), project.id)
    return PushResult(project_id=int(project.id), project=project_title.strip(), created_project=created,
                      added=added, skipped=len(unique) - len(new), total=len(tasks),
                      seconds=round(time.perf_counter() - t0, 3))


def push(
    client: StudioClient,
    project_title: str,
    tasks: Sequence[dict[str, Any]],
    schema: Any,
    *,
    mode: str = "pair",
    targets: Sequence[str] | None = None,
    force: bool = False,
    chunk_size: int = CHUNK_SIZE,
    progress: bool = False,
    prepare: Callable[[list[dict[str, Any]]], Any] | None = None,
    description: str | None = None,
) -> PushResult:
    """Push tasks built by :func:`stance.tasks.build_tasks` into a project made for their schema.

    The labelling config and the recorded schema version come from ``schema`` (and ``mode``,
    ``targets``), so a project always matches its tasks. This is what ``stance push`` runs.

    Args:
        client: From :func:`connect`.
        project_title: Project to create or extend.
        tasks: Tasks from :func:`stance.tasks.build_tasks` with this schema and mode.
        schema: The :class:`stance.schema.Schema` they were built with.
        mode: ``"pair"`` or ``"discovery"``.
        targets: The target ids the tasks cover (all when None); discovery mode offers only these.
        force: Accept a project with another schema version.
        chunk_size: Tasks per import request.
        progress: Show a progress bar.
        prepare: Called with the tasks the project lacks, before importing them (e.g. to add
            model predictions only where needed: :func:`stance.tasks.add_predictions`).
        description: A new project's description (default: the schema name, mode and guidelines version).

    Returns:
        A :class:`PushResult`.

    Example:
        >>> tasks = build_tasks(read_statements("statements.jsonl"), schema)  # doctest: +SKIP
        >>> push(connect(), "Kuril statements", tasks, schema).added  # doctest: +SKIP
        60
    """
    from stance.schema import labeling_config

    chosen = schema.select_targets(list(targets) if targets else None)
    xml = labeling_config(schema, mode, targets=chosen if mode == "discovery" else None)
    if description is None:
        description = f"{schema.name or 'stance'}: {mode}-mode tasks, guidelines version {schema.guidelines_version}."
    return push_tasks(client, project_title, tasks, xml, schema_version=str(schema.version), mode=mode,
                      description=description, force=force, chunk_size=chunk_size, progress=progress,
                      prepare=prepare)


def pull(client: StudioClient, project_title: str, out: str | os.PathLike[str]) -> PullResult:
    """Write the project's full JSON export (all tasks, every annotation) atomically.

    The export keeps each annotation's latest result (edits overwrite in place, ``updated_at``
    moves), ``completed_by`` (user id), ``was_cancelled`` (skipped), ``ground_truth`` and
    ``lead_time``; drafts stay apart under each task's ``drafts``.

    Args:
        client: From :func:`connect`.
        project_title: The project.
        out: The export file (JSON list of tasks).

    Returns:
        A :class:`PullResult` with counts.

    Raises:
        StanceError: unknown project, or the server sent something that is not a JSON list.

    Example:
        >>> pull(client, "Kuril statements", "export.json").annotations
        42
    """
    t0 = time.perf_counter()
    path = check_output_path(out)
    project = find_project(client, project_title)
    if project is None:
        raise StanceError(f"no project called {project_title!r} at {client.url}",
                          hint="check --project, or create it with `stance push`")

    def _download() -> bytes:
        chunks = client.ls.projects.exports.download_sync(project.id, export_type="JSON", download_all_tasks=True)
        return b"".join(chunks)

    raw = client.call("exporting the project", _download)
    try:
        tasks = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise StanceError(f"the export of project {project.id} is not valid JSON ({exc.msg}); nothing written",
                          hint="rerun `stance pull`") from None
    if not isinstance(tasks, list):
        raise StanceError(f"the export of project {project.id} is not a list of tasks; nothing written")
    with atomic_write(Path(path), "wb") as fh:
        fh.write(raw)
    _export_lineage(client, project, Path(path))
    annotations = [a for t in tasks for a in t.get("annotations") or []]
    return PullResult(
        project_id=int(project.id),
        path=str(path),
        tasks=len(tasks),
        annotations=len(annotations),
        cancelled=sum(bool(a.get("was_cancelled")) for a in annotations),
        ground_truth=sum(bool(a.get("ground_truth")) for a in annotations),
        annotators=len({a.get("completed_by") for a in annotations if a.get("completed_by") is not None}),
        drafts=sum(len(t.get("drafts") or []) for t in tasks),
        seconds=round(time.perf_counter() - t0, 3),
    )


def _server_url(url: str) -> str:
    """The server's address without credentials, query or fragment, fit for a lineage record."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _export_lineage(client: StudioClient, project: Any, path: Path) -> None:
    """Record where an export came from: the project (id and title), the server and the pull time."""
    import datetime as _dt

    from stance.lineage import write_lineage

    details = {
        "project_id": int(project.id),
        "project_title": getattr(project, "title", None),
        "server": client.redact(_server_url(client.url)),
        "pulled_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    write_lineage(path, "export", details=details)
