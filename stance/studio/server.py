"""A real local Label Studio, run from the ``label-studio`` package (``pip install 'stance[studio]'``).

``start`` launches ``label-studio start`` detached, bound to 127.0.0.1 only, with signup and the
version check off, and waits for ``/health``. On the first start of a data folder it generates an
admin password and an API token and keeps them in ``credentials.json`` (mode 0600) in that folder;
the token is handed to the server through its environment and is never printed or logged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stance.errors import StanceError

__all__ = [
    "StudioStatus",
    "Credentials",
    "default_data_dir",
    "resolve_data_dir",
    "read_credentials",
    "start",
    "stop",
    "status",
    "INSTALL_HINT",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

INSTALL_HINT = "pip install 'stance[studio]'"
CREDENTIALS_FILE = "credentials.json"
PID_FILE = "studio.pid.json"
LOG_FILE = "label-studio.log"
DEFAULT_PORT = 8080
DEFAULT_EMAIL = "admin@stance.local"
HOST = "127.0.0.1"
# First start runs the database migrations (about 60 s here); later starts take about 10 s.
START_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Credentials:
    """The local studio's admin login and API token (kept in a 0600 file, never printed)."""

    email: str
    password: str
    token: str

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return f"Credentials(email={self.email!r}, password=***, token=***)"


@dataclass(frozen=True)
class StudioStatus:
    """Where a local studio stands.

    Attributes:
        running: The recorded process is alive.
        healthy: ``/health`` answers 200.
        url: Its address, e.g. ``http://127.0.0.1:8080``.
        pid: Process id of the server (None when not running).
        data_dir: Its data folder (database, media, credentials, log).
        email: The admin login email.
        credentials_file: Where the password and token are kept.
        log_file: The server's log.
    """

    running: bool
    healthy: bool
    url: str | None
    pid: int | None
    data_dir: str
    email: str | None
    credentials_file: str
    log_file: str

    def as_dict(self) -> dict[str, Any]:
        """A plain dict (for JSON output)."""
        return asdict(self)


def default_data_dir() -> Path:
    """The per-user data folder: ``$STANCE_STUDIO_DIR``, else ``$XDG_DATA_HOME/stance/studio``,
    else ``~/.local/share/stance/studio``.

    Example:
        >>> default_data_dir().name
        'studio'
    """
    env = os.environ.get("STANCE_STUDIO_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "stance" / "studio"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None) -> Path:
    """The data folder to use: the one given, else :func:`default_data_dir`, made absolute."""
    return (Path(data_dir).expanduser() if data_dir else default_data_dir()).resolve()


def _label_studio_executable() -> str:
    exe = Path(sys.executable).with_name("label-studio")
    if exe.is_file():
        return str(exe)
    found = shutil.which("label-studio")
    if not found:
        raise StanceError("Label Studio is not installed (no `label-studio` command found)",
                          hint=f"{INSTALL_HINT}, or point LABEL_STUDIO_URL at an existing server")
    return found


def read_credentials(data_dir: str | os.PathLike[str] | None = None) -> Credentials:
    """Read the local studio's credentials file.

    Args:
        data_dir: The studio data folder (default: :func:`default_data_dir`).

    Raises:
        StanceError: when the file is missing or broken.

    Example:
        >>> read_credentials("/tmp/studio").email
        'admin@stance.local'
    """
    path = resolve_data_dir(data_dir) / CREDENTIALS_FILE
    if not path.is_file():
        raise StanceError(f"no local studio credentials at {path}",
                          hint="run `stance studio start`, or set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(email=raw["email"], password=raw["password"], token=raw["token"])
    except (json.JSONDecodeError, KeyError, TypeError):
        raise StanceError(f"credentials file {path} is broken",
                          hint="stop the studio, remove the data folder and start again") from None


def _write_credentials(data_dir: Path, creds: Credentials) -> Path:
    path = data_dir / CREDENTIALS_FILE
    tmp = path.with_suffix(".json.part")
    # Created 0600 from the start: the secrets are never readable by others, not even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"email": creds.email, "password": creds.password, "token": creds.token}, fh)
        fh.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def _read_pid(data_dir: Path) -> dict[str, Any] | None:
    path = data_dir / PID_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return raw if isinstance(raw, dict) and isinstance(raw.get("pid"), int) else None
    except (OSError, json.JSONDecodeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of this very process still answers kill(0): reap it if it is ours.
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def _healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as resp:  # noqa: S310 (local URL)
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server itself does: a port left in TIME_WAIT by a studio just stopped is free;
        # one that another process listens on still fails to bind.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def status(data_dir: str | os.PathLike[str] | None = None) -> StudioStatus:
    """Report whether the local studio of ``data_dir`` runs and answers.

    Args:
        data_dir: The studio data folder (default: :func:`default_data_dir`).

    Returns:
        A :class:`StudioStatus`.

    Example:
        >>> status("/tmp/studio").running
        False
    """
    folder = resolve_data_dir(data_dir)
    rec = _read_pid(folder)
    running = bool(rec) and _alive(rec["pid"])  # type: ignore[index]
    url = rec.get("url") if rec else None
    email = None
    with contextlib.suppress(StanceError):
        email = read_credentials(folder).email
    return StudioStatus(
        running=running,
        healthy=bool(running and url and _healthy(url)),
        url=url if running else None,
        pid=rec["pid"] if running and rec else None,
        data_dir=str(folder),
        email=email,
        credentials_file=str(folder / CREDENTIALS_FILE),
        log_file=str(folder / LOG_FILE),
    )


def _log_tail(path: Path, n: int = 5) -> str:
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return " | ".join(lines[-n:])


def start(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    port: int = DEFAULT_PORT,
    email: str = DEFAULT_EMAIL,
    timeout: float = START_TIMEOUT_S,
) -> StudioStatus:
    """Start a local Label Studio in the background and wait until it answers.

    Starting a studio that already runs for this folder returns its status. The first start of a
    folder creates the admin user with a random password and API token (legacy tokens enabled
    when the database is created) and writes them to ``credentials.json`` with mode 0600.

    Args:
        data_dir: Data folder (default: :func:`default_data_dir`).
        port: TCP port on 127.0.0.1.
        email: Admin login email (used on the first start only).
        timeout: Seconds to wait for ``/health``.

    Returns:
        The :class:`StudioStatus` of the running server.

    Raises:
        StanceError: when ``label-studio`` is missing, the port is taken, or the server does not
            come up (with the end of its log).

    Example:
        >>> st = start("/tmp/studio", port=8091)
        >>> st.url
        'http://127.0.0.1:8091'
    """
    folder = resolve_data_dir(data_dir)
    current = status(folder)
    if current.running:
        if current.url and not _healthy(current.url):
            _wait_healthy(current.url, current.pid or 0, folder, timeout)
        return status(folder)
    exe = _label_studio_executable()
    if not _port_free(port):
        raise StanceError(f"port {port} on {HOST} is already in use", hint="choose another one with --port")
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)

    cred_path = folder / CREDENTIALS_FILE
    if cred_path.is_file():
        creds = read_credentials(folder)
    else:
        creds = Credentials(email=email, password=secrets.token_urlsafe(18), token=secrets.token_hex(20))
        _write_credentials(folder, creds)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "DJANGO_"))}
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(folder),
        "LABEL_STUDIO_USERNAME": creds.email,
        "LABEL_STUDIO_PASSWORD": creds.password,
        "LABEL_STUDIO_USER_TOKEN": creds.token,
        # Only read when the database is created; later starts keep what the organisation stored.
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        # Let it reach an ML backend and its webhook on this machine (`stance serve` listens on
        # 127.0.0.1): Label Studio 1.23 refuses local addresses for both by default. This studio
        # itself listens on 127.0.0.1 only, with signup off.
        "ML_BLOCK_LOCAL_IP": os.environ.get("ML_BLOCK_LOCAL_IP", "false"),
        "SSRF_PROTECTION_ENABLED": os.environ.get("SSRF_PROTECTION_ENABLED", "false"),
    })
    url = f"http://{HOST}:{port}"
    log_path = folder / LOG_FILE
    cmd = [exe, "start", "--no-browser", "--port", str(port), "--internal-host", HOST,
           "--data-dir", str(folder)]
    logger.info("starting Label Studio at %s (data in %s)", url, folder)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(  # noqa: S603 (fixed argument list)
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            cwd=folder, start_new_session=True, close_fds=True,
        )
    pid_path = folder / PID_FILE
    pid_path.write_text(json.dumps({"pid": proc.pid, "port": port, "url": url}) + "\n", encoding="utf-8")
    _wait_healthy(url, proc.pid, folder, timeout)
    return status(folder)


def _wait_healthy(url: str, pid: int, folder: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _healthy(url):
            logger.info("Label Studio answers at %s", url)
            return
        if pid and not _alive(pid):
            with contextlib.suppress(FileNotFoundError):
                (folder / PID_FILE).unlink()
            raise StanceError(f"Label Studio exited while starting: {_log_tail(folder / LOG_FILE)}",
                              hint=f"see the full log in {folder / LOG_FILE}")
        time.sleep(1.0)
    raise StanceError(f"Label Studio did not answer at {url}/health within {timeout:.0f} s",
                      hint=f"see {folder / LOG_FILE}; stop it with `stance studio stop`")


def stop(data_dir: str | os.PathLike[str] | None = None, *, timeout: float = 30.0) -> bool:
    """Stop the local studio of ``data_dir`` (its whole process group, started by :func:`start`).

    Args:
        data_dir: The studio data folder (default: :func:`default_data_dir`).
        timeout: Seconds to wait after SIGTERM before SIGKILL.

    Returns:
        True when a running server was stopped, False when none was running.

    Example:
        >>> stop("/tmp/studio")
        True
    """
    folder = resolve_data_dir(data_dir)
    rec = _read_pid(folder)
    pid_path = folder / PID_FILE
    if not rec or not _alive(rec["pid"]):
        with contextlib.suppress(FileNotFoundError):
            pid_path.unlink()
        return False
    pid = rec["pid"]
    # start() put the server in its own session, so its process group id is its pid.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.3)
    if _alive(pid):
        logger.warning("Label Studio (pid %d) ignored SIGTERM; killing it", pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        pid_path.unlink()
    return True
