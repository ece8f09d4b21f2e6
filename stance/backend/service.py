"""What a live backend does, without HTTP: predict for Label Studio tasks, retrain on the project.

State lives in a work folder (default ``MODEL_DIR.live/`` beside the model)::

    export.json, export.json.pull.json   the project's export, pulled incrementally
    data/                                 the dataset of the last retrain
    models/r0001/ ...                     retrained models; a folder appears only when complete
    current.json                          which model is served (written last, atomically)

A retrain killed at any point leaves ``current.json`` naming a complete model (or none: the
base model), so a restarted backend serves at once; half-written folders are removed then.
Annotations live in Label Studio, so killing the backend never loses one.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.backend.live import LiveModel, Retrainer
from stance.errors import StanceError
from stance.io import read_json, write_json

__all__ = ["Backend", "BackendOptions", "project_controls", "remap_result"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

CURRENT_FILE = "current.json"
_CONTROL_TAGS = {"choices": "choices", "labels": "labels", "relations": "relations", "textarea": "textarea"}


@dataclass(frozen=True)
class BackendOptions:
    """Settings of a live backend.

    Attributes:
        model_dir: The model it starts from (``stance train`` output).
        project: Label Studio project title.
        work_dir: Where exports, datasets and retrained models go.
        schema_path: Label schema YAML the project's tasks were built with (required).
        retrain_every: Retrain after this many annotation events…
        quiet_s: …or this many seconds after the last one.
        retrain: False serves the model without ever retraining.
    """

    model_dir: Path
    project: str
    work_dir: Path
    schema_path: Path | None = None
    retrain_every: int = 20
    quiet_s: float = 30.0
    retrain: bool = True


def project_controls(label_config: str | None) -> dict[str, dict[str, Any]]:
    """The control tags of a labeling config: ``{name: {"type", "to_name", "values"}}``.

    Example:
        >>> project_controls('<View><Text name="t" value="$text"/><Choices name="s" toName="t">'
        ...                  '<Choice value="Favor"/></Choices></View>')["s"]
        {'type': 'choices', 'to_name': 't', 'values': ['Favor']}
    """
    if not label_config:
        return {}
    try:
        root = ET.fromstring(label_config)
    except ET.ParseError:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for el in root.iter():
        kind = _CONTROL_TAGS.get(el.tag.lower())
        if kind and el.get("name"):
            values = [c.get("value") for c in el if c.get("value") is not None]
            out[el.get("name", "")] = {"type": kind, "to_name": el.get("toName", ""), "values": values}
    return out


def remap_result(result: list[dict[str, Any]], controls: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each result the ``from_name``/``to_name`` of the project's own config.

    A result whose ``from_name`` is a control of the config takes that control's ``toName``;
    otherwise the one control of the same type whose values hold the predicted value. Results
    that match no control are dropped (Label Studio would refuse them).
    """
    if not controls:
        return result
    out = []
    for item in result:
        name = item.get("from_name")
        if name not in controls:
            chosen = (item.get("value") or {}).get(item.get("type", ""), [])
            fits = [n for n, c in controls.items() if c["type"] == item.get("type")
                    and chosen and set(chosen) <= set(c["values"])]
            if len(fits) != 1:
                logger.debug("no control of the project's config fits prediction %r; left out", name)
                continue
            name = fits[0]
        out.append({**item, "from_name": name, "to_name": controls[name]["to_name"] or item.get("to_name")})
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "project"


class Backend:
    """A model served to one Label Studio project, retrained in the background.

    Args:
        options: :class:`BackendOptions`.
        client: A connected :class:`stance.studio.StudioClient` (None: never retrains).
    """

    def __init__(self, options: BackendOptions, client: Any = None) -> None:
        from stance.schema import load_schema
        from stance.models import load_model

        self.options = options
        self.client = client
        self.schema = load_schema(options.schema_path)
        self.project_id: int | None = None
        self.work_dir = Path(options.work_dir)
        (self.work_dir / "models").mkdir(parents=True, exist_ok=True)
        base = load_model(options.model_dir)
        self.base_meta: dict[str, Any] = dict(base.metadata)
        self.base_version = base_version = base.model_version
        self._train_lock = threading.Lock()
        self.live = LiveModel(base, base_version)
        self._resume()
        self.retrainer = Retrainer(self.retrain, every=options.retrain_every, quiet_s=options.quiet_s)

    # -- serving ------------------------------------------------------------------------
    def _resume(self) -> None:
        """Serve the last complete retrained model, if any; drop half-written folders."""
        from stance.models import load_model

        for tmp in (self.work_dir / "models").glob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)
        current = self.work_dir / CURRENT_FILE
        if not current.is_file():
            return
        state = read_json(current, what="backend state")
        try:
            predictor = load_model(state["model_dir"])
        except (StanceError, KeyError) as exc:
            logger.warning("cannot load the retrained model named in %s (%s); serving the base model", current, exc)
            return
        self.live.swap(predictor, state["model_version"])

    def predict(self, tasks: list[dict[str, Any]], label_config: str | None = None) -> tuple[list[dict[str, Any]], str]:
        """Predictions for Label Studio tasks: one ``{"result", "score", "model_version"}`` per task.

        Uses the model served when the call starts, even if a retrain swaps it meanwhile.
        """
        from stance.tasks import add_predictions

        predictor, version = self.live.snapshot()
        controls = project_controls(label_config)
        pair = [{"data": dict(t.get("data") or {})} for t in tasks]
        targets = self.base_meta.get("targets") or {}
        is_pair = all(t["data"].get("target") for t in pair) if pair else True
        for t in pair:
            d = t["data"]
            if is_pair and not d.get("target_name"):
                d["target_name"] = targets.get(str(d.get("target")), str(d.get("target")))
            d.setdefault("text", "")
        try:
            add_predictions(pair, self.schema, predictor, mode="pair" if is_pair else "discovery", model_version=version)
        except StanceError as exc:
            logger.warning("cannot predict for %d task(s): %s", len(tasks), exc)
            return [{"result": [], "score": 0.0, "model_version": version} for _ in tasks], version
        out = []
        for t in pair:
            p = (t.get("predictions") or [{}])[0]
            out.append({"result": remap_result(p.get("result", []), controls), "score": float(p.get("score") or 0.0),
                        "model_version": version})
        return out, version

    # -- retraining ---------------------------------------------------------------------
    def _next_number(self) -> int:
        found = [int(m.group(1)) for p in (self.work_dir / "models").iterdir()
                 if (m := re.fullmatch(r"r(\d+)", p.name))]
        return max(found, default=0) + 1

    def retrain(self) -> dict[str, Any]:
        """Pull the project's changes, rebuild the dataset, train, swap the model in.

        Raises:
            StanceError: no client, nothing to train on, a training failure; the served
            model stays as it was.
        """
        if self.client is None:
            raise StanceError("no Label Studio connection to pull annotations from")
        with self._train_lock:
            return self._retrain_locked()

    def _retrain_locked(self) -> dict[str, Any]:
        from stance.backend.retrain import train_on_export
        from stance.config import config_from_dict
        from stance.studio.incremental import pull_incremental
        from stance.models import load_model

        export = self.work_dir / "export.json"
        pulled = pull_incremental(self.client, self.options.project, export)
        config = config_from_dict(dict(self.base_meta.get("config") or {}), source=f"{self.options.model_dir}")
        number = self._next_number()
        final = self.work_dir / "models" / f"r{number:04d}"
        result = train_on_export(export, self.schema, config, data_dir=self.work_dir / "data", model_dir=final,
                                 project_title=self.options.project)
        predictor = load_model(final)
        version = f"{self.base_version}.r{number}"
        write_json(self.work_dir / CURRENT_FILE, {"model_dir": str(final), "model_version": version})
        self.live.swap(predictor, version)
        return {"model_version": version, "n_train": result.n_train, "fetched_tasks": pulled.fetched}

    def health(self) -> dict[str, Any]:
        """What ``GET /health`` answers."""
        s = self.retrainer.stats
        return {"status": "UP", "model_class": "stance", "model_version": self.live.model_version,
                "retrain": {"events": s.events, "started": s.started, "succeeded": s.succeeded, "failed": s.failed,
                            "running": s.running, "last_error": s.last_error, "last_seconds": s.last_seconds}}


def default_work_dir(model_dir: Path, project: str) -> Path:
    """``MODEL_DIR.live/<project>`` beside the model folder."""
    return model_dir.parent / f"{model_dir.name}.live" / _slug(project)
