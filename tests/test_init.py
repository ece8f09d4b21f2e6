"""`stance init`: a project's schema and config files, written from the package's own resources."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from stance.cli import app
from stance.config import TrainConfig, load_config
from stance.errors import StanceError
from stance.project import PROJECT_FILES, init_project, parse_targets
from stance.schema import load_schema, render_schema, schema_from_dict, schema_template
from stance.segment.clean import load_cleaning_config

TARGETS = ("Remote work as the default: Favor: the statement argues that office jobs should be done from home "
           "unless there is a reason not to. Against: it argues for a return to the office.; "
           "Four-day week: Favor: it argues for a 32-hour week at full pay. Against: it rejects it.")


def test_template_is_a_valid_generic_schema() -> None:
    schema = schema_from_dict(yaml.safe_load(schema_template()), where="template")
    assert schema.target_ids == ("example_position",)
    assert schema.roles == ("Claim", "Premise", "None") and schema.stances == ("Favor", "Against", "None")
    assert "kuril" not in schema_template().lower()  # the demo corpus's schema is not the default


def test_parse_targets_makes_ids_from_names() -> None:
    targets = parse_targets(TARGETS)
    assert [t.id for t in targets] == ["remote_work_as_the_default", "four_day_week"]
    assert targets[1].name == "Four-day week"
    assert targets[1].definition == "Favor: it argues for a 32-hour week at full pay. Against: it rejects it."
    assert parse_targets("2024 election: who wins")[0].id == "t_2024_election"


@pytest.mark.parametrize(("spec", "message"), [
    ("Remote work", r"--targets part 1 \('Remote work'\) is not 'Name: definition'"),
    ("Remote work: a; : no name", r"part 2 \(': no name'\)"),
    ("Remote work: a; remote-work: b", r"'Remote work' and 'remote-work' both give the target id 'remote_work'"),
    (" ; ", r"--targets is empty"),
])
def test_parse_targets_refuses_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(StanceError, match=message):
        parse_targets(spec)


def test_init_writes_files_that_load(tmp_path: Path) -> None:
    folder = tmp_path / "remote-work"
    result = init_project(folder, targets=parse_targets(TARGETS))
    assert [p.name for p in result.files] == list(PROJECT_FILES)
    schema = load_schema(folder / "schema.yaml")
    assert schema.target_ids == ("remote_work_as_the_default", "four_day_week")
    assert schema.name == "remote-work"
    assert "# - targets:" in (folder / "schema.yaml").read_text(encoding="utf-8")  # the template's comments stay
    for model in ("tfidf", "transformer"):
        assert load_config(folder / f"training.{model}.yaml") == TrainConfig(model=model)
    assert load_cleaning_config(folder / "cleaning.yaml") == load_cleaning_config()


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    (tmp_path / "schema.yaml").write_text("my edited schema\n", encoding="utf-8")
    with pytest.raises(StanceError, match=r"schema\.yaml already exist.*nothing written.*--force"):
        init_project(tmp_path)
    assert (tmp_path / "schema.yaml").read_text(encoding="utf-8") == "my edited schema\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schema.yaml"]  # nothing else written either
    init_project(tmp_path, force=True)
    assert load_schema(tmp_path / "schema.yaml").target_ids == ("example_position",)


def test_render_schema_escapes_yaml_specials() -> None:
    targets = parse_targets('Tariffs: "yes" #1 - Favor: {all} [of] them: & more')
    raw = yaml.safe_load(render_schema(targets, name="a: b # c"))
    assert raw["name"] == "a: b # c"
    assert raw["targets"][0]["definition"] == '"yes" #1 - Favor: {all} [of] them: & more'


def test_cli_init(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["init", str(tmp_path / "p"), "--targets", TARGETS])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "remote_work_as_the_default, four_day_week" in result.output
    again = runner.invoke(app, ["init", str(tmp_path / "p")])
    assert again.exit_code == 1
    assert "already exist" in again.output and "Traceback" not in again.output
    assert runner.invoke(app, ["init", str(tmp_path / "p"), "--force"]).exit_code == 0


def test_python_dash_m_stance_runs_the_cli(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    result = subprocess.run([sys.executable, "-m", "stance", "init", str(tmp_path)], capture_output=True, text=True,
                            env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "schema.yaml").is_file()
