"""Shared pytest fixtures: the repository root and a real Label Studio server.

The ``studio`` fixture, in order of preference:

1. ``STANCE_TEST_STUDIO_URL`` is set (``.ci/run`` starts a server and sets it): use that
   server, with the API key from ``STANCE_TEST_STUDIO_API_KEY`` or the credentials file in
   ``STANCE_TEST_STUDIO_DIR`` (a folder started by ``stance studio start``);
2. ``label-studio`` is installed: start one with :func:`stance.studio.start` in a temporary
   folder on a free port for this session (first start takes about a minute) and stop it after;
3. otherwise every ``@pytest.mark.studio`` test is skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (holds ``labels/``, ``seeds/``, ``tests/data/``)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def fixtures_dir(repo_root: Path) -> Path:
    """The hand-made fixtures folder ``tests/data``."""
    return repo_root / "tests" / "data"


@dataclass(frozen=True)
class StudioServer:
    """A running Label Studio for tests.

    Attributes:
        url: Base URL on 127.0.0.1.
        api_key: The admin's API token (never print it).
        data_dir: Its data folder when the credentials file is local, else None.
        started_here: True when this test session started (and will stop) it.
    """

    url: str
    api_key: str
    data_dir: Path | None
    started_here: bool

    def __repr__(self) -> str:
        return f"StudioServer(url={self.url!r}, data_dir={self.data_dir!r})"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _label_studio_installed() -> bool:
    return Path(sys.executable).with_name("label-studio").is_file() or shutil.which("label-studio") is not None


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioServer]:
    """A real Label Studio server for ``@pytest.mark.studio`` tests (see the module docstring)."""
    from stance.studio.server import read_credentials, start, stop

    url = os.environ.get("STANCE_TEST_STUDIO_URL")
    if url:
        folder = os.environ.get("STANCE_TEST_STUDIO_DIR")
        key = os.environ.get("STANCE_TEST_STUDIO_API_KEY") or (read_credentials(folder).token if folder else None)
        if not key:
            pytest.fail("STANCE_TEST_STUDIO_URL is set but neither STANCE_TEST_STUDIO_API_KEY nor STANCE_TEST_STUDIO_DIR")
        yield StudioServer(url=url.rstrip("/"), api_key=key, data_dir=Path(folder) if folder else None, started_here=False)
        return
    if not _label_studio_installed():
        pytest.skip("Label Studio is not installed (pip install 'stance[studio]') and STANCE_TEST_STUDIO_URL is unset")
    folder = tmp_path_factory.mktemp("studio")
    st = start(folder, port=_free_port())
    try:
        yield StudioServer(url=str(st.url), api_key=read_credentials(folder).token, data_dir=folder, started_here=True)
    finally:
        stop(folder)
