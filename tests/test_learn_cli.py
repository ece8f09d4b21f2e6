"""`stance push --select`, `stance next` and `stance pull --incremental` against a real Label Studio."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.studio import StudioClient, connect, find_project

pytestmark = pytest.mark.studio
REPO = Path(__file__).resolve().parent.parent
SCHEMA = str(REPO / "seeds" / "schema.yaml")


@pytest.fixture
def env(studio: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", studio.api_key)


@pytest.fixture
def title(studio: Any) -> Iterator[str]:
    name = f"learn-cli-{uuid.uuid4().hex[:8]}"
    yield name
    client = connect(studio.url, studio.api_key)
    project = find_project(client, name)
    if project is not None:
        client.ls.projects.delete(id=project.id)


def _run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def _keys(client: StudioClient, title: str) -> list[str]:
    project = find_project(client, title)
    return [t.data["task_key"] for t in client.ls.tasks.list(project=project.id, fields="task_only")]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("learn-model")
    _run("dataset", str(REPO / "tests/data/export_pair.json"), "-o", str(out / "ds"), "--schema", SCHEMA)
    _run("train", str(out / "ds"), "-o", str(out / "model"), "--model", "tfidf")
    return out / "model"


def test_push_select_adds_only_new_statements_each_round(env: None, studio: Any, title: str, model: Path) -> None:
    pool = str(REPO / "tests/data/statements_small.jsonl")
    common = ["push", pool, "--project", title, "--targets", "kuril_sovereignty", "--no-progress", "--schema", SCHEMA]
    _run(*common, "--select", "random", "--n", "5")
    _run(*common, "--select", "margin", "--n", "4", "--model", str(model))
    client = connect(studio.url, studio.api_key)
    keys = _keys(client, title)
    assert len(keys) == 9 and len(set(keys)) == 9
    tasks = list(client.ls.tasks.list(project=find_project(client, title).id, fields="all"))
    assert sum(bool(t.predictions) for t in tasks) == 4  # the model's picks carry its predictions
    bad = CliRunner().invoke(app, [*common, "--select", "margin", "--n", "2"])
    assert bad.exit_code == 1 and "needs --model" in bad.output


def test_next_trains_on_the_labels_and_never_pushes_a_statement_twice(
        env: None, studio: Any, title: str, tmp_path: Path) -> None:
    pool = str(REPO / "tests/data/statements_small.jsonl")
    common = ["next", "--project", title, "--pool", pool, "--targets", "kuril_sovereignty", "--n", "6",
              "--work-dir", str(tmp_path / "rounds"), "--no-progress", "--json", "--schema", SCHEMA]
    first = json.loads(_run(*common).output)
    assert first["strategy"] == "random" and first["push"]["added"] == 6  # nothing to learn from yet
    client = connect(studio.url, studio.api_key)
    project = find_project(client, title)
    for task, label in zip(client.ls.tasks.list(project=project.id), ["Favor", "Against", "None"] * 2):
        client.ls.annotations.create(id=task.id, result=[{"from_name": "stance", "to_name": "text", "type": "choices",
                                                          "value": {"choices": [label]}}])
    second = json.loads(_run(*common).output)
    assert second["strategy"] == "margin" and second["labelled"] == 6 and second["model_dir"]
    assert second["already_in_project"] == 6 and second["push"]["added"] == 6
    third = json.loads(_run(*common).output)  # 2 statements left in the pool of 14
    assert third["push"]["added"] == 2
    keys = _keys(client, title)
    assert len(keys) == 14 and not [k for k, c in Counter(keys).items() if c > 1]
    fourth = json.loads(_run(*common).output)
    assert fourth["selected"] == 0 and fourth["push"] is None


def test_pull_incremental_cli_merges_changes(env: None, studio: Any, title: str, tmp_path: Path) -> None:
    pool = str(REPO / "tests/data/statements_small.jsonl")
    _run("push", pool, "--project", title, "--targets", "kuril_sovereignty", "--no-progress", "--schema", SCHEMA)
    out = tmp_path / "export.json"
    assert "full export" in _run("pull", "--project", title, "-o", str(out), "--incremental").output
    client = connect(studio.url, studio.api_key)
    task = next(iter(client.ls.tasks.list(project=find_project(client, title).id)))
    client.ls.annotations.create(id=task.id, result=[{"from_name": "stance", "to_name": "text", "type": "choices",
                                                      "value": {"choices": ["Favor"]}}])
    text = _run("pull", "--project", title, "-o", str(out), "--incremental").output
    assert "14 task(s) with 1 annotation(s)" in text
    assert sum(len(t["annotations"]) for t in json.loads(out.read_text())) == 1
