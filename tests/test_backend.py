"""The live ML backend against a real Label Studio (``@pytest.mark.studio``), and its retrainer.

Label Studio 1.23 refuses ML backends and webhooks at local addresses unless it runs with
``ML_BLOCK_LOCAL_IP=false`` and ``SSRF_PROTECTION_ENABLED=false``. The ``ml_studio`` fixture
uses, in order: ``STANCE_TEST_ML_STUDIO_URL`` (+ ``STANCE_TEST_ML_STUDIO_DIR``); the ``studio``
server when it accepts a local backend; else a Label Studio started here by
``stance studio start`` (which sets both), about a minute.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stance.backend import BackendOptions, serve
from stance.backend.live import LiveModel, Retrainer
from stance.backend.service import Backend, project_controls, remap_result
from stance.errors import StanceError
from stance.schema import load_schema
from stance.studio import StudioClient, connect, push
from stance.tasks import build_tasks, read_statements

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "seeds" / "schema.yaml"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _title(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _accepts_local_backend(client: StudioClient) -> bool:
    ls = client.ls
    project = ls.projects.create(title=_title("learn-probe"),
                                 label_config='<View><Text name="text" value="$text"/></View>')
    try:
        ls.ml.create(url=f"http://127.0.0.1:{_free_port()}", project=project.id, title="probe")
    except Exception as exc:  # noqa: BLE001 - 403 reserved address, or 400 cannot connect
        return "reserved network address" not in str(getattr(exc, "body", exc))
    finally:
        ls.projects.delete(id=project.id)
    return True


@pytest.fixture(scope="session")
def ml_studio(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``(url, api_key)`` of a Label Studio that may call a backend on 127.0.0.1."""
    from stance.studio.server import read_credentials, start, stop

    url = os.environ.get("STANCE_TEST_ML_STUDIO_URL")
    if url:
        yield url, read_credentials(os.environ["STANCE_TEST_ML_STUDIO_DIR"]).token
        return
    studio = request.getfixturevalue("studio")
    if _accepts_local_backend(connect(studio.url, studio.api_key)):
        yield studio.url, studio.api_key
        return
    folder = tmp_path_factory.mktemp("ml-studio")
    st = start(folder, port=_free_port())
    try:
        yield str(st.url), read_credentials(folder).token
    finally:
        stop(folder)


@pytest.fixture(scope="module")
def base_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real TF-IDF joint model trained on the bundled pair export."""
    from stance.cli import app
    from typer.testing import CliRunner

    out = tmp_path_factory.mktemp("model")
    runner = CliRunner()
    r = runner.invoke(app, ["dataset", str(REPO / "tests/data/export_pair.json"), "-o", str(out / "ds"),
                                "--schema", str(SCHEMA)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["train", str(out / "ds"), "-o", str(out / "model"), "--model", "tfidf"])
    assert r.exit_code == 0, r.output
    return out / "model"


@pytest.fixture
def project(ml_studio: tuple[str, str]) -> Iterator[tuple[StudioClient, str, int]]:
    client = connect(*ml_studio)
    title = _title("learn-backend")
    rows = read_statements(REPO / "tests/data/statements_small.jsonl")
    schema = load_schema(SCHEMA)
    tasks = build_tasks(rows, schema, targets=["kuril_sovereignty"])
    result = push(client, title, tasks, schema, targets=["kuril_sovereignty"])
    try:
        yield client, title, result.project_id
    finally:
        client.ls.projects.delete(id=result.project_id)


def _choice(label: str) -> list[dict[str, Any]]:
    return [{"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": [label]}}]


def _versions(client: StudioClient, project_id: int) -> dict[int, set[str]]:
    return {int(t.id): {p.model_version if hasattr(p, "model_version") else p["model_version"]
                        for p in (t.predictions or [])}
            for t in client.ls.tasks.list(project=project_id, fields="all")}


def _retrieve(client: StudioClient, project_id: int) -> None:
    """Ask Label Studio (not the backend) for predictions: the Data Manager action."""
    client.ls.actions.create(id="retrieve_tasks_predictions", project=project_id,
                             selected_items={"all": True, "excluded": []})


@pytest.mark.studio
def test_backend_answers_health_and_setup_and_is_attached(project: Any, base_model: Path, tmp_path: Path) -> None:
    client, title, pid = project
    handle = serve(BackendOptions(schema_path=SCHEMA, model_dir=base_model, project=title, work_dir=tmp_path / "w",
                                  retrain=False),
                   client=client, port=_free_port())
    try:
        health = httpx.get(f"{handle.url}/health").json()
        assert health["status"] == "UP"
        setup = httpx.post(f"{handle.url}/setup", json={"project": f"{pid}.0", "schema": "<View/>"}).json()
        assert setup["model_version"] == health["model_version"]
        backends = client.ls.ml.list(project=pid)
        assert [b.url for b in backends] == [handle.url]
        settings = client.ls.projects.get(id=pid)
        assert settings.show_collab_predictions and settings.model_version == handle.attachment.title
        assert handle.attachment.webhook
    finally:
        handle.stop()


@pytest.mark.studio
def test_annotations_trigger_one_retrain_and_the_new_version_is_predicted(
        project: Any, base_model: Path, tmp_path: Path) -> None:
    client, title, pid = project
    handle = serve(BackendOptions(schema_path=SCHEMA, model_dir=base_model, project=title, work_dir=tmp_path / "w",
                                  retrain_every=4, quiet_s=600), client=client, port=_free_port())
    try:
        base_version = handle.backend.live.model_version
        _retrieve(client, pid)
        before = _versions(client, pid)
        assert all(v == {base_version} for v in before.values()), before
        ids = sorted(before)
        for task_id, label in zip(ids[:4], ["Favor", "Against", "None", "Favor"]):
            client.ls.annotations.create(id=task_id, result=_choice(label))
        assert handle.backend.retrainer.wait_idle(120)
        stats = handle.backend.retrainer.stats
        assert (stats.events, stats.started, stats.succeeded) == (4, 1, 1), stats
        new_version = handle.backend.live.model_version
        assert new_version == f"{base_version}.r1"
        _retrieve(client, pid)
        after = _versions(client, pid)
        assert all(new_version in v for v in after.values()), after
    finally:
        handle.stop()


@pytest.mark.studio
def test_killing_the_backend_mid_retrain_loses_nothing_and_it_serves_after_restart(
        project: Any, base_model: Path, tmp_path: Path, ml_studio: tuple[str, str]) -> None:
    client, title, pid = project
    port = _free_port()
    env = {**os.environ, "LABEL_STUDIO_URL": ml_studio[0], "LABEL_STUDIO_API_KEY": ml_studio[1],
           "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-c", "from stance.cli import main; main()", "serve", str(base_model), "--project", title,
           "--port", str(port), "--schema", str(SCHEMA), "--work-dir", str(tmp_path / "w"), "--retrain-every", "1", "--quiet", "0"]
    url = f"http://127.0.0.1:{port}"

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200 and client.ls.ml.list(project=pid):
                    return proc
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        proc.kill()
        raise AssertionError(proc.stdout.read().decode() if proc.stdout else "backend did not start")

    proc = start()
    tasks = sorted(int(t.id) for t in client.ls.tasks.list(project=pid))
    created = [client.ls.annotations.create(id=t, result=_choice(lab)).id
               for t, lab in zip(tasks[:3], ["Favor", "Against", "None"])]
    deadline = time.monotonic() + 60
    while not httpx.get(f"{url}/health").json()["retrain"]["running"]:
        assert time.monotonic() < deadline, "no retrain started"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    # Label Studio holds every annotation
    stored = [a.id for t in tasks[:3] for a in client.ls.annotations.list(id=t)]
    assert sorted(stored) == sorted(created)
    proc = start()
    try:
        health = httpx.get(f"{url}/health").json()
        assert health["status"] == "UP"
        assert not list((tmp_path / "w" / "models").glob(".tmp-*"))
        task = client.ls.tasks.get(id=tasks[5])
        out = httpx.post(f"{url}/predict", json={"tasks": [{"id": task.id, "data": task.data}]}).json()
        assert out["results"][0]["result"][0]["from_name"] == "stance"
        assert out["model_version"] == health["model_version"]
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.studio
def test_incremental_pull_fetches_only_changed_tasks_and_matches_a_full_pull(
        project: Any, tmp_path: Path) -> None:
    from stance.io import read_json
    from stance.studio import pull
    from stance.studio.incremental import pull_incremental

    client, title, pid = project
    export = tmp_path / "export.json"
    first = pull_incremental(client, title, export, overlap_s=0)
    assert first.full and first.tasks == 14
    tasks = sorted(int(t.id) for t in client.ls.tasks.list(project=pid))
    time.sleep(1.1)
    a = client.ls.annotations.create(id=tasks[0], result=_choice("Favor"))
    client.ls.annotations.create(id=tasks[1], result=_choice("Against"))
    second = pull_incremental(client, title, export, overlap_s=0)
    assert (second.full, second.fetched, second.added, second.tasks, second.annotations) == (False, 2, 0, 14, 2)
    client.ls.annotations.update(id=a.id, result=_choice("None"))
    third = pull_incremental(client, title, export, overlap_s=0)
    assert third.fetched == 1 and third.annotations == 2
    again = pull_incremental(client, title, export)  # with the default overlap: refetched, never duplicated
    assert again.annotations == 2 and again.tasks == 14
    pull(client, title, tmp_path / "full.json")

    def annotations(path: Path) -> dict[int, list[tuple[int, str]]]:
        return {t["id"]: sorted((x["id"], x["result"][0]["value"]["choices"][0]) for x in t["annotations"])
                for t in read_json(path)}

    assert annotations(export) == annotations(tmp_path / "full.json")


def test_two_events_at_once_start_one_retrain_and_a_failure_keeps_the_model() -> None:
    started = threading.Event()
    release = threading.Event()
    calls: list[float] = []

    def slow() -> None:
        calls.append(time.monotonic())
        started.set()
        release.wait(5)

    r = Retrainer(slow, every=2, quiet_s=60).start()
    try:
        threads = [threading.Thread(target=r.notify) for _ in range(2)]
        for t in threads:
            t.start()
        assert started.wait(5)
        r.notify()  # arrives during the retrain: served by the next one, not a parallel one
        time.sleep(0.2)
        assert len(calls) == 1 and r.stats.running
        release.set()
        assert r.wait_idle(1) is False  # one event pending below `every`, waiting for quiet
    finally:
        r.stop()
    assert r.stats.started == 1 and r.stats.succeeded == 1


def test_failed_retrain_keeps_serving_the_old_model(tmp_path: Path) -> None:
    live = LiveModel("old-model", "v1")

    def broken() -> None:
        raise StanceError("dataset has one class only")

    r = Retrainer(broken, every=1, quiet_s=0).start()
    try:
        r.notify()
        assert r.wait_idle(5)
    finally:
        r.stop()
    assert r.stats.failed == 1 and "one class" in (r.stats.last_error or "")
    assert live.snapshot() == ("old-model", "v1")


def test_results_take_the_projects_own_control_names() -> None:
    xml = ('<View><Text name="statement" value="$text"/><Choices name="position" toName="statement">'
           '<Choice value="Favor"/><Choice value="Against"/><Choice value="None"/></Choices></View>')
    controls = project_controls(xml)
    result = [{"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["Favor"]}}]
    assert remap_result(result, controls)[0] | {} == {**result[0], "from_name": "position", "to_name": "statement"}
    same = project_controls(xml.replace('name="position"', 'name="stance"'))
    assert remap_result(result, same)[0]["to_name"] == "statement"


def test_backend_without_studio_serves_predictions_with_basic_auth(base_model: Path, tmp_path: Path) -> None:
    handle = serve(BackendOptions(schema_path=SCHEMA, model_dir=base_model, project="offline",
                                  work_dir=tmp_path / "w"),
                   port=_free_port(), basic_auth=("ls", "s3cret"))
    try:
        assert httpx.get(f"{handle.url}/health").status_code == 401
        task = {"id": 1, "data": {"text": "The islands are Russian territory.", "target": "kuril_sovereignty"}}
        out = httpx.post(f"{handle.url}/predict", json={"tasks": [task]}, auth=("ls", "s3cret")).json()
        (res,) = out["results"]
        assert res["model_version"] == handle.backend.live.model_version
        assert res["result"][0]["value"]["choices"][0] in {"Favor", "Against", "None"}
        assert 0 < res["score"] <= 1
        assert isinstance(Backend, type)
    finally:
        handle.stop()
