"""The Label Studio round trip against a real server (``@pytest.mark.studio``; see conftest.py).

Push (twice, then a longer file), annotate as two users with an edit, a skip, a cancel, a ground
truth and a draft, pull, and check that everything is in the export; kill a push halfway and
rerun it; unreachable server, wrong key, schema mismatch; the API key never leaks.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.studio import PushResult, connect, find_project, pull, push
from stance.studio.client import StudioClient, recorded_schema
from stance.tasks import read_statements

SCHEMA = Path(__file__).resolve().parents[1] / "seeds" / "schema.yaml"

pytestmark = pytest.mark.studio

_OUTPUTS: list[str] = []  # every CLI output of this module, grepped for the key at the end


def push_statements(client: StudioClient, statements: list[dict[str, Any]], title: str, *, mode: str = "pair",
                    targets: list[str] | None = None, predictor: Any = None, model_version: str | None = None,
                    **options: Any) -> PushResult:
    """What `stance push` does: build tasks (stance.tasks), then push them with stance.studio.push,
    predicting only for the tasks the project lacks."""
    from stance.schema import load_schema
    from stance.tasks import add_predictions, build_tasks

    schema = load_schema(SCHEMA)
    tasks = build_tasks(statements, schema, mode=mode, targets=targets)

    def _predict(new: list[dict[str, Any]]) -> None:
        add_predictions(new, schema, predictor, mode=mode, targets=targets, model_version=model_version)

    return push(client, title, tasks, schema, mode=mode, targets=targets,
                prepare=_predict if predictor is not None else None, **options)


def _title(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def client(studio: Any) -> StudioClient:
    return connect(studio.url, studio.api_key)


@pytest.fixture()
def env(studio: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("LABEL_STUDIO_URL", studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", studio.api_key)
    return {"LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": studio.api_key}


def _cli(*args: str) -> Any:
    command = next(a for a in args if not a.startswith("-"))
    if command in ("push", "tasks") and "--schema" not in args:
        args = (*args, "--schema", str(SCHEMA))
    result = CliRunner().invoke(app, list(args))
    _OUTPUTS.append(result.output)
    return result


@pytest.fixture(scope="module")
def statements(fixtures_dir: Path) -> list[dict[str, Any]]:
    return read_statements(fixtures_dir / "statements_small.jsonl")


def _write_statements(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _task_keys(client: StudioClient, project_id: int) -> list[str]:
    tasks = client.ls.tasks.list(project=project_id, fields="task_only", include="id,data", page_size=1000)
    return [t.data["task_key"] for t in tasks]


# --- configs and idempotent push ---------------------------------------------------------------


def test_config_of_each_mode_is_accepted(client: StudioClient, statements: list[dict[str, Any]]) -> None:
    for mode, n in (("pair", len(statements) * 5), ("discovery", len(statements))):
        title = _title(f"cfg {mode}")
        result = push_statements(client, statements, title, mode=mode)
        assert result.created_project and result.added == n
        project = client.ls.projects.get(id=result.project_id)
        assert recorded_schema(project) == ("1", mode)
        assert ('name="stance"' in project.label_config) == (mode == "pair")
        assert ('name="stance_us_japan_alliance"' in project.label_config) == (mode == "discovery")


def test_push_again_adds_nothing_and_a_longer_file_adds_only_new(
    env: dict[str, str], client: StudioClient, statements: list[dict[str, Any]], tmp_path: Path
) -> None:
    title = _title("idem")
    short = _write_statements(tmp_path / "short.jsonl", statements[:8])
    full = _write_statements(tmp_path / "full.jsonl", statements)
    r1 = _cli("push", str(short), "--project", title, "--no-progress")
    assert r1.exit_code == 0, r1.output
    assert "created project" in r1.output and "40 new task(s) added, 0 skipped" in r1.output
    r2 = _cli("push", str(short), "--project", title, "--no-progress")
    assert r2.exit_code == 0, r2.output
    assert "0 new task(s) added, 40 skipped as already present" in r2.output
    r3 = _cli("push", str(full), "--project", title, "--no-progress")
    assert r3.exit_code == 0, r3.output
    assert "30 new task(s) added, 40 skipped as already present" in r3.output
    project = find_project(client, title)
    keys = _task_keys(client, project.id)
    assert len(keys) == 70 and len(set(keys)) == 70


def test_schema_version_mismatch_is_refused_unless_forced(
    env: dict[str, str], client: StudioClient, statements: list[dict[str, Any]], tmp_path: Path, repo_root: Path
) -> None:
    title = _title("schema")
    path = _write_statements(tmp_path / "s.jsonl", statements[:4])
    assert _cli("push", str(path), "--project", title, "--no-progress").exit_code == 0
    raw = yaml.safe_load((repo_root / "seeds" / "schema.yaml").read_text(encoding="utf-8"))
    raw["version"] = "2"
    v2 = tmp_path / "schema.v2.yaml"
    v2.write_text(yaml.safe_dump(raw), encoding="utf-8")
    refused = _cli("push", str(path), "--project", title, "--schema", str(v2), "--no-progress")
    assert refused.exit_code == 1
    assert "has schema version 1; the tasks use schema version 2" in refused.output
    assert "--force-schema" in refused.output
    wrong_mode = _cli("push", str(path), "--project", title, "--mode", "discovery", "--no-progress")
    assert wrong_mode.exit_code == 1 and "holds pair-mode tasks" in wrong_mode.output
    forced = _cli("push", str(path), "--project", title, "--schema", str(v2), "--force-schema", "--no-progress")
    assert forced.exit_code == 0, forced.output
    assert "0 new task(s) added, 20 skipped" in forced.output
    assert recorded_schema(client.ls.projects.get(id=find_project(client, title).id)) == ("2", "pair")


def test_push_with_predictions_runs_the_model_only_on_new_tasks(
    client: StudioClient, statements: list[dict[str, Any]], tmp_path: Path
) -> None:
    from stance.models.tfidf import TfidfStanceClassifier
    from stance_fixture import ROWS, TARGETS

    model = TfidfStanceClassifier(calibration="none", min_df=1, char_ngrams=None).fit(
        [{"text": r[1], "target": TARGETS[r[0]]} for r in ROWS], [r[3] for r in ROWS])
    seen: list[int] = []
    real = model.predict_proba
    model.predict_proba = lambda X: (seen.append(len(X)), real(X))[1]  # count rows, keep the real model
    title = _title("pred")
    first = push_statements(client, statements[:6], title, targets=["treaty_1956_basis"], predictor=model,
                            model_version="tfidf-test-1")
    assert first.added == 6 and sum(seen) == 6
    again = push_statements(client, statements, title, targets=["treaty_1956_basis"], predictor=model,
                            model_version="tfidf-test-1")
    assert (again.added, again.skipped) == (8, 6) and sum(seen) == 14
    pull(client, title, tmp_path / "p.json")
    exported = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert all(len(task["predictions"]) == 1 for task in exported)  # the JSON export lists prediction ids
    preds = list(client.ls.predictions.list(project=again.project_id))
    assert len(preds) == 14
    for pred in preds:
        assert pred.model_version == "tfidf-test-1" and 0 < pred.score <= 1
        assert pred.result[0]["from_name"] == "stance" and pred.result[0]["value"]["choices"][0] in model.classes_


# --- annotations round trip --------------------------------------------------------------------


def _pair_result(role: str, stance: str) -> list[dict[str, Any]]:
    return [
        {"from_name": "role", "to_name": "text", "type": "choices", "value": {"choices": [role]}},
        {"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": [stance]}},
    ]


@pytest.fixture(scope="module")
def second_user(client: StudioClient) -> Any:
    name = f"annotator{uuid.uuid4().hex[:6]}"
    return client.ls.users.create(username=name, email=f"{name}@example.org", password=uuid.uuid4().hex)


def test_pull_keeps_every_annotation_edit_and_flag(
    env: dict[str, str], client: StudioClient, statements: list[dict[str, Any]], second_user: Any, tmp_path: Path
) -> None:
    title = _title("round")
    result = push_statements(client, statements[:4], title, targets=["kuril_sovereignty", "us_japan_alliance"])
    me = client.ls.users.whoami()
    tasks = sorted(client.ls.tasks.list(project=result.project_id, fields="task_only", include="id,data", page_size=100),
                   key=lambda t: t.id)
    a, b, c, d, e, f = (t.id for t in tasks[:6])
    ls = client.ls
    # Real disagreement: two users, same task, different stance.
    ls.annotations.create(id=a, result=_pair_result("Claim", "Favor"), lead_time=12.5)
    ls.annotations.create(id=a, result=_pair_result("Claim", "Against"), completed_by=second_user.id, lead_time=8.25)
    # Edited after submission: the export must hold the latest version.
    edited = ls.annotations.create(id=b, result=_pair_result("Premise", "Favor"), lead_time=3.0)
    ls.annotations.update(id=edited.id, result=_pair_result("Premise", "Against"), lead_time=9.0)
    # Skipped by the second user, cancelled by the admin: kept and flagged.
    ls.annotations.create(id=c, result=[], was_cancelled=True, completed_by=second_user.id)
    ls.annotations.create(id=d, result=[], was_cancelled=True)
    # Ground truth.
    gt = ls.annotations.create(id=e, result=_pair_result("None", "None"), lead_time=1.5)
    ls.annotations.update(id=gt.id, ground_truth=True)
    # A draft is not an annotation.
    resp = ls._client_wrapper.httpx_client.request(f"api/tasks/{f}/drafts", method="POST",
                                                   json={"result": _pair_result("Claim", "Favor"), "lead_time": 2.0})
    assert resp.status_code == 201, resp.text

    out = tmp_path / "export.json"
    pulled = _cli("pull", "--project", title, "-o", str(out))
    assert pulled.exit_code == 0, pulled.output
    assert "with 6 annotation(s) by 2 annotator(s) (2 cancelled/skipped, 1 ground truth; 1 draft(s) kept apart)" in pulled.output
    export = {t["id"]: t for t in json.loads(out.read_text(encoding="utf-8"))}
    assert len(export) == 8  # every task, annotated or not

    def choices(ann: dict[str, Any]) -> dict[str, str]:
        return {r["from_name"]: r["value"]["choices"][0] for r in ann["result"]}

    both = export[a]["annotations"]
    assert {x["completed_by"] for x in both} == {me.id, second_user.id}
    assert sorted(choices(x)["stance"] for x in both) == ["Against", "Favor"]
    assert sorted(x["lead_time"] for x in both) == [8.25, 12.5]
    (latest,) = export[b]["annotations"]
    assert choices(latest) == {"role": "Premise", "stance": "Against"} and latest["lead_time"] == 9.0
    assert latest["updated_at"] > latest["created_at"]
    (skip,) = export[c]["annotations"]
    assert skip["was_cancelled"] is True and skip["completed_by"] == second_user.id
    (cancel,) = export[d]["annotations"]
    assert cancel["was_cancelled"] is True and cancel["completed_by"] == me.id
    (truth,) = export[e]["annotations"]
    assert truth["ground_truth"] is True and truth["lead_time"] == 1.5
    assert export[f]["annotations"] == [] and len(export[f]["drafts"]) == 1
    for task in export.values():
        assert task["data"]["schema_version"] == "1" and task["data"]["task_key"]
    # Lineage: which project and server the export came from, and when (the key is never written).
    lineage = json.loads((tmp_path / "export.json.lineage.json").read_text(encoding="utf-8"))
    details = lineage["details"]
    assert lineage["kind"] == "export" and details["project_id"] == result.project_id
    assert details["project_title"] == title and details["pulled_at"][:4].isdigit()
    assert details["server"].startswith("http") and "@" not in details["server"] and "?" not in details["server"]


def test_discovery_round_trip_keeps_spans_and_relations(
    client: StudioClient, statements: list[dict[str, Any]], tmp_path: Path
) -> None:
    title = _title("disc")
    result = push_statements(client, statements[:2], title, mode="discovery")
    task = min(client.ls.tasks.list(project=result.project_id, fields="task_only", include="id,data", page_size=10),
               key=lambda t: t.id)
    text = task.data["text"]
    cut = text.index(",")
    ann = [
        {"id": "c1", "from_name": "span", "to_name": "text", "type": "labels",
         "value": {"start": 0, "end": cut, "text": text[:cut], "labels": ["Claim"]}},
        {"id": "p1", "from_name": "span", "to_name": "text", "type": "labels",
         "value": {"start": cut + 2, "end": len(text), "text": text[cut + 2 :], "labels": ["Premise"]}},
        {"from_id": "p1", "to_id": "c1", "type": "relation", "direction": "right", "labels": ["supports"]},
        {"from_name": "targets", "to_name": "text", "type": "choices", "value": {"choices": ["kuril_sovereignty"]}},
        {"from_name": "stance_kuril_sovereignty", "to_name": "text", "type": "choices", "value": {"choices": ["Against"]}},
    ]
    client.ls.annotations.create(id=task.id, result=ann, lead_time=30.0)
    r = pull(client, title, tmp_path / "disc.json")
    assert (r.tasks, r.annotations) == (2, 1)
    exported = next(t for t in json.loads((tmp_path / "disc.json").read_text(encoding="utf-8")) if t["id"] == task.id)
    types = Counter(x["type"] for x in exported["annotations"][0]["result"])
    assert types == {"labels": 2, "relation": 1, "choices": 2}


# --- interruption ------------------------------------------------------------------------------


def test_push_killed_halfway_then_rerun_has_no_duplicates(
    studio: Any, client: StudioClient, statements: list[dict[str, Any]], tmp_path: Path, repo_root: Path
) -> None:
    import hashlib

    rows = []
    for i in range(1500):
        s = dict(statements[i % len(statements)])
        s["text"] = f"{s['text']} (variant {i})"
        s["id"] = f"{s['doc_id']}:{hashlib.sha1(s['text'].encode()).hexdigest()[:10]}"
        s["index"], s["start"], s["end"] = i, None, None
        rows.append(s)
    path = _write_statements(tmp_path / "big.jsonl", rows)
    title = _title("killed")
    expected = len(rows) * 2
    cmd = [str(Path(sys.executable).with_name("stance")), "push", str(path), "--project", title,
           "--targets", "kuril_sovereignty,treaty_1956_basis", "--chunk-size", "50", "--no-progress", "--schema", str(SCHEMA)]
    proc_env = {**os.environ, "LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": studio.api_key}
    proc = subprocess.Popen(cmd, env=proc_env, cwd=repo_root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    at_kill = 0
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            project = find_project(client, title)
            if project is not None:
                at_kill = client.ls.projects.get(id=project.id).task_number or 0
                if at_kill >= 200:
                    break
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert 0 < at_kill < expected, f"the push was not interrupted halfway ({at_kill} of {expected} tasks)"
    project = find_project(client, title)
    before = len(_task_keys(client, project.id))
    assert before < expected
    rerun = subprocess.run(cmd, env=proc_env, cwd=repo_root, capture_output=True, text=True, timeout=300)
    _OUTPUTS.append(rerun.stdout + rerun.stderr)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{expected - before} new task(s) added, {before} skipped as already present" in rerun.stdout
    keys = _task_keys(client, project.id)
    assert len(keys) == expected and len(set(keys)) == expected


def test_personal_access_token_works(
    studio: Any, client: StudioClient, statements: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for old in client.ls.tokens.list():  # one personal access token per user: revoke a leftover one
        client.ls.tokens.blacklist(refresh=old.token)
    pat = client.call("creating a personal access token", client.ls.tokens.create).token  # a JWT refresh token
    try:
        with_pat = connect(studio.url, pat)
        assert with_pat.ls._client_wrapper._tokens_client._use_legacy_token is False  # Bearer, refreshed access token
        title = _title("pat")
        assert push_statements(with_pat, statements[:2], title, targets=["ru_jp_cooperation"]).added == 2
        monkeypatch.setenv("LABEL_STUDIO_URL", studio.url)
        monkeypatch.setenv("LABEL_STUDIO_API_KEY", pat)
        out = tmp_path / "pat.json"
        result = _cli("pull", "--project", title, "-o", str(out))
        assert result.exit_code == 0, result.output
        assert pat not in result.output and pat not in out.read_text(encoding="utf-8")
    finally:
        client.ls.tokens.blacklist(refresh=pat)


# --- faults ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_names_the_url(
    studio: Any, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setenv("LABEL_STUDIO_URL", url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", studio.api_key)
    monkeypatch.setenv("STANCE_STUDIO_RETRIES", "1")
    result = _cli("push", str(fixtures_dir / "statements_small.jsonl"), "--project", "never created", "--no-progress")
    assert result.exit_code == 1
    assert result.output.startswith(f"error: cannot reach Label Studio at {url} while checking the API key")
    assert result.output.strip().count("\n") == 0


def test_wrong_key_is_refused(studio: Any, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0" * 40)
    for args in (["push", str(fixtures_dir / "statements_small.jsonl"), "--project", "never created", "--no-progress"],
                 ["pull", "--project", "never created", "-o", str(tmp_path / "x.json")]):
        result = _cli(*args)
        assert result.exit_code == 1
        assert f"error: Label Studio at {studio.url} refused the API key while checking the API key (HTTP 401" in result.output
        assert not (tmp_path / "x.json").exists()


def test_transient_errors_are_retried(client: StudioClient) -> None:
    import httpx

    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:  # a dropped connection cannot be produced on demand against a healthy server
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return "ok"

    quick = StudioClient(ls=client.ls, url=client.url, retries=3, backoff=0.01)
    assert quick.call("testing", flaky) == "ok" and len(calls) == 3


def test_unknown_project_on_pull(client: StudioClient, tmp_path: Path) -> None:
    with pytest.raises(StanceError, match=r"no project called 'no such project' at http://127.0.0.1"):
        pull(client, "no such project", tmp_path / "x.json")


# --- the local server manager -------------------------------------------------------------------


def test_local_studio_status_and_credentials(studio: Any) -> None:
    if studio.data_dir is None:
        pytest.skip("the server under test was not started by `stance studio start`")
    from stance.studio import start, status
    from stance.studio.server import CREDENTIALS_FILE

    st = status(studio.data_dir)
    assert st.running and st.healthy and st.url == studio.url
    creds = Path(studio.data_dir) / CREDENTIALS_FILE
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    again = start(studio.data_dir, port=int(studio.url.rsplit(":", 1)[1]))  # already running: just its status
    assert again.pid == st.pid
    result = _cli("studio", "status", "--data-dir", str(studio.data_dir))
    assert result.exit_code == 0 and studio.url in result.output and "credentials in" in result.output
    # Listens on 127.0.0.1 only (not 0.0.0.0).
    port = int(studio.url.rsplit(":", 1)[1])
    listening = [ln.split()[1] for ln in Path("/proc/net/tcp").read_text().splitlines()[1:] if ln.split()[3] == "0A"]
    assert f"0100007F:{port:04X}" in listening and f"00000000:{port:04X}" not in listening


def test_port_in_use_is_refused(studio: Any, tmp_path: Path) -> None:
    from stance.studio import start

    port = int(studio.url.rsplit(":", 1)[1])
    with pytest.raises(StanceError, match=rf"port {port} on 127.0.0.1 is already in use"):
        start(tmp_path / "other", port=port)


def test_stop_and_status_without_a_server(tmp_path: Path) -> None:
    folder = tmp_path / "nothing"
    status_out = _cli("studio", "status", "--data-dir", str(folder))
    assert status_out.exit_code == 0 and f"Label Studio is not running (data folder {folder})" in status_out.output
    stop_out = _cli("studio", "stop", "--data-dir", str(folder))
    assert stop_out.exit_code == 0 and f"no Label Studio was running for {folder}" in stop_out.output


def test_default_data_dir_is_per_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from stance.studio import default_data_dir

    monkeypatch.delenv("STANCE_STUDIO_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "stance" / "studio"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_data_dir() == Path.home() / ".local" / "share" / "stance" / "studio"
    monkeypatch.setenv("STANCE_STUDIO_DIR", str(tmp_path / "mine"))
    assert default_data_dir() == tmp_path / "mine"


def test_no_server_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    with pytest.raises(StanceError, match=r"no Label Studio to connect to: LABEL_STUDIO_URL is not set and the local studio is not running"):
        connect(data_dir=tmp_path)


def test_missing_label_studio_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stance.studio import start

    # An environment without the package cannot be produced inside this venv: hide the executable.
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(StanceError, match=r"Label Studio is not installed .*pip install 'stance\[studio\]'"):
        start(tmp_path / "data", port=_free_port())


# --- the key never leaks (runs last in this module) --------------------------------------------


def test_key_never_appears_in_outputs(
    studio: Any, env: dict[str, str], client: StudioClient, statements: list[dict[str, Any]], tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    title = _title("leak")
    path = _write_statements(tmp_path / "s.jsonl", statements[:3])
    produced = [
        _cli("--verbose", "tasks", str(path), "-o", str(tmp_path / "tasks.json")),
        _cli("--verbose", "push", str(path), "--project", title, "--no-progress"),
        _cli("--verbose", "pull", "--project", title, "-o", str(tmp_path / "export.json")),
    ]
    assert all(r.exit_code == 0 for r in produced), [r.output for r in produced]
    try:
        connect(studio.url, studio.api_key + "x", retries=0)
    except StanceError as exc:
        _OUTPUTS.append(str(exc))
    key = studio.api_key
    files = [p.read_text(encoding="utf-8") for p in tmp_path.iterdir() if p.is_file()]
    assert len(files) >= 4
    for text in [*_OUTPUTS, *files, caplog.text, repr(client), repr(studio)]:
        assert key not in text
    assert len(_OUTPUTS) > 10
