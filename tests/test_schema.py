"""Schema loading/validation and the generated Label Studio configs (no server needed)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from stance.errors import StanceError
from stance.schema import Schema, labeling_config, load_schema, schema_from_dict


@pytest.fixture(scope="module")
def schema(repo_root: Path) -> Schema:
    return load_schema(repo_root / "seeds" / "schema.yaml")


def _raw(repo_root: Path) -> dict:
    return yaml.safe_load((repo_root / "seeds" / "schema.yaml").read_text(encoding="utf-8"))


def _write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "schema.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_bundled_schema_loads(schema: Schema) -> None:
    assert schema.version == "1"
    assert schema.roles == ("Claim", "Premise", "None")
    assert schema.stances == ("Favor", "Against", "None")
    assert schema.target_ids == (
        "kuril_sovereignty", "treaty_1956_basis", "us_japan_alliance", "japan_sanctions_g7", "ru_jp_cooperation",
    )
    assert all(t.name and len(t.definition) > 100 for t in schema.targets)
    assert schema.span_labels == ("Claim", "Premise")


def test_schema_is_frozen(schema: Schema) -> None:
    with pytest.raises(AttributeError):
        schema.version = "2"  # type: ignore[misc]


def test_unknown_top_level_key_is_refused(tmp_path: Path, repo_root: Path) -> None:
    raw = _raw(repo_root) | {"colours": ["red"]}
    with pytest.raises(StanceError, match=r"schema .*schema.yaml: unknown key\(s\) colours"):
        load_schema(_write(tmp_path, raw))


def test_unknown_target_key_is_refused(tmp_path: Path, repo_root: Path) -> None:
    raw = _raw(repo_root)
    raw["targets"][1]["label"] = "x"
    with pytest.raises(StanceError, match=r"targets\[1\] has unknown key\(s\) label"):
        load_schema(_write(tmp_path, raw))


def test_bad_target_id_is_named(tmp_path: Path, repo_root: Path) -> None:
    raw = _raw(repo_root)
    raw["targets"][2]["id"] = "US alliance"
    with pytest.raises(StanceError, match=r"targets\[2\]\.id 'US alliance' is not a valid target id"):
        load_schema(_write(tmp_path, raw))


def test_repeated_target_id_is_refused(tmp_path: Path, repo_root: Path) -> None:
    raw = _raw(repo_root)
    raw["targets"][3]["id"] = raw["targets"][0]["id"]
    with pytest.raises(StanceError, match=r"targets\[3\]\.id 'kuril_sovereignty' is used twice"):
        load_schema(_write(tmp_path, raw))


def test_missing_version_is_refused(tmp_path: Path, repo_root: Path) -> None:
    raw = _raw(repo_root)
    del raw["version"]
    with pytest.raises(StanceError, match=r"missing key\(s\) version"):
        load_schema(_write(tmp_path, raw))


def test_version_must_be_a_plain_string(tmp_path: Path, repo_root: Path) -> None:
    raw = _raw(repo_root) | {"version": "1 -- beta"}
    with pytest.raises(StanceError, match=r"`version` must be a string such as"):
        load_schema(_write(tmp_path, raw))


def test_null_label_is_refused(tmp_path: Path, repo_root: Path) -> None:
    path = tmp_path / "schema.yaml"
    text = (repo_root / "seeds" / "schema.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("roles: [Claim, Premise, None]", "roles: [Claim, Premise, ~]"), encoding="utf-8")
    with pytest.raises(StanceError, match=r"`roles` has a value that is not a non-empty string: None"):
        load_schema(path)


def test_stances_need_none(tmp_path: Path, repo_root: Path) -> None:
    raw = _raw(repo_root) | {"stances": ["Favor", "Against"]}
    with pytest.raises(StanceError, match=r"`stances` must include \"None\""):
        load_schema(_write(tmp_path, raw))


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text("version: '1'\nroles: [Claim, Premise\nstances: [x]\n", encoding="utf-8")
    with pytest.raises(StanceError, match=r"schema .*schema.yaml line \d+: not valid YAML"):
        load_schema(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StanceError, match=r"schema file .*nope.yaml does not exist"):
        load_schema(tmp_path / "nope.yaml")


def test_select_unknown_target(schema: Schema) -> None:
    with pytest.raises(StanceError, match=r"unknown target id\(s\) crimea .*choose from: kuril_sovereignty"):
        schema.select_targets(["us_japan_alliance", "crimea"])


def _choices(root: ET.Element, name: str) -> ET.Element:
    found = [el for el in root.iter("Choices") if el.get("name") == name]
    assert len(found) == 1, f"expected one Choices named {name}"
    return found[0]


def test_pair_config(schema: Schema) -> None:
    xml = labeling_config(schema, "pair")
    root = ET.fromstring(xml)
    names = sorted(el.get("name") for el in root.iter() if el.tag in {"Choices", "Labels", "Relations"})
    assert names == ["role", "stance"]
    assert [c.get("value") for c in _choices(root, "role")] == ["Claim", "Premise", "None"]
    assert [c.get("value") for c in _choices(root, "stance")] == ["Favor", "Against", "None"]
    assert _choices(root, "stance").get("toName") == "text"
    values = {el.get("value") for el in root.iter() if el.get("value", "").startswith("$")}
    assert values == {"$text", "$target_name", "$target_definition", "$holder", "$title", "$prev_text", "$next_text"}
    assert "stance-schema=1" in xml and "mode=pair" in xml


def test_discovery_config(schema: Schema) -> None:
    root = ET.fromstring(labeling_config(schema, "discovery"))
    targets = _choices(root, "targets")
    assert targets.get("choice") == "multiple"
    assert [c.get("value") for c in targets] == list(schema.target_ids)
    for t in schema.targets:
        views = [v for v in root.iter("View") if v.get("whenChoiceValue") == t.id]
        assert len(views) == 1
        assert views[0].get("visibleWhen") == "choice-selected" and views[0].get("whenTagName") == "targets"
        inner = [c.get("name") for c in views[0].iter("Choices")]
        assert inner == [f"stance_{t.id}"]
    labels = [el for el in root.iter("Labels")]
    assert len(labels) == 1 and labels[0].get("name") == "span"
    assert [lb.get("value") for lb in labels[0]] == ["Claim", "Premise"]
    assert [r.get("value") for r in root.iter("Relation")] == ["supports", "attacks"]


def test_discovery_config_with_target_subset(schema: Schema) -> None:
    chosen = schema.select_targets(["us_japan_alliance"])
    root = ET.fromstring(labeling_config(schema, "discovery", targets=chosen))
    assert [c.get("value") for c in _choices(root, "targets")] == ["us_japan_alliance"]


def test_names_are_escaped(repo_root: Path) -> None:
    raw = _raw(repo_root)
    raw["roles"] = ["Claim <main>", "Premise & evidence", "None"]
    raw["stances"] = ['Favor "strongly"', "Against", "None"]
    raw["targets"][0]["name"] = 'Islands <b>"Kurils" & Co</b>'
    schema = schema_from_dict(raw)
    for mode in ("pair", "discovery"):
        root = ET.fromstring(labeling_config(schema, mode))  # would raise on broken XML
        values = {el.get("value") for el in root.iter()}
        assert 'Favor "strongly"' in values
        if mode == "pair":
            assert "Claim <main>" in values and "Premise & evidence" in values
        else:
            assert "Stance toward: Islands <b>\"Kurils\" & Co</b>" in values
            assert {lb.get("value") for lb in root.iter("Label")} == {"Claim <main>", "Premise & evidence"}


def test_unknown_mode(schema: Schema) -> None:
    with pytest.raises(StanceError, match=r"unknown mode 'triples'"):
        labeling_config(schema, "triples")


def test_no_default_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A schema in the current folder is not picked up behind the caller's back: every caller names its file.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "schema.v1.yaml").write_text("version: '1'\n", encoding="utf-8")
    with pytest.raises(StanceError, match=r"no label schema given.*--schema FILE.*stance init"):
        load_schema()


def test_template_ships_in_the_package() -> None:
    from importlib.resources import files

    assert (files("stance") / "resources" / "schema.template.yaml").is_file()
