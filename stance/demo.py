"""The main job: the whole loop on the bundled seed corpus, with real parts.

segment → Label Studio (push with pre-annotations, gold labels as annotations, pull)
→ dataset with agreement → TF-IDF and transformer models → evaluation reports → batch
prediction of every statement against every target.

``run_demo(studio=False)`` runs the same loop from the bundled export instead of a live
server, for machines where Label Studio cannot run.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.errors import StanceError

__all__ = ["DemoResult", "run_demo", "repo_root"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

PROJECT_TITLE = "stance demo: seed corpus"


@dataclass
class DemoResult:
    """Everything the demo produced: paths, counts, scores and (with a studio) where to log in."""

    out_dir: Path
    paths: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    agreement: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)
    studio: dict[str, Any] | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def repo_root(start: Path | None = None) -> Path:
    """The folder holding ``seeds/`` and ``labels/``: the current directory or the source checkout.

    Raises:
        StanceError: when neither has them (the demo needs the repository's bundled corpus).

    Example:
        >>> (repo_root() / "seeds").is_dir()
        True
    """
    candidates = [start] if start else [Path.cwd(), Path(__file__).resolve().parent.parent]
    for c in candidates:
        if c is not None and (c / "seeds").is_dir() and (c / "labels" / "schema.v1.yaml").is_file():
            return c
    raise StanceError(
        "cannot find the bundled seed corpus (seeds/ and labels/schema.v1.yaml)",
        hint="run the demo from the root of the stance repository, or pass --repo PATH",
    )


class _Steps:
    """Times each step and reports it through ``say``."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.seconds: dict[str, float] = {}

    def run(self, name: str, message: str, fn: Callable[[], Any]) -> Any:
        self.say(f"[{len(self.seconds) + 1}] {message} ...")
        t0 = time.perf_counter()
        value = fn()
        self.seconds[name] = round(time.perf_counter() - t0, 1)
        return value


def run_demo(
    out_dir: str | os.PathLike[str] = "out/demo",
    *,
    studio: bool = True,
    studio_dir: str | os.PathLike[str] | None = None,
    port: int = 8080,
    repo: str | os.PathLike[str] | None = None,
    transformer_config: str | os.PathLike[str] | None = None,
    progress: bool = True,
    say: Callable[[str], None] = logger.info,
) -> DemoResult:
    """Run the whole loop on the bundled seeds and return what it produced.

    Args:
        out_dir: Folder for every output (created).
        studio: Use a real local Label Studio; ``False`` reads the bundled gold export instead.
        studio_dir: Data folder of the local studio (default ``OUT_DIR/studio``, so a rerun
            reuses the same server and project and adds no task twice).
        port: Port of the local studio on 127.0.0.1.
        repo: Repository root with ``seeds/``, ``labels/`` and ``configs/`` (found when None).
        transformer_config: Training config of the transformer (default ``configs/demo-transformer.yaml``).
        progress: Progress bars.
        say: Receives one line per step (the CLI prints them).

    Returns:
        A :class:`DemoResult`.

    Raises:
        StanceError: from any stage, with its own message.

    Example:
        >>> r = run_demo("out/demo", studio=False)
        >>> sorted(r.scores)
        ['tfidf', 'transformer']
    """
    from stance.config import load_config
    from stance.dataset import DatasetOptions, build_dataset, save_dataset
    from stance.evaluate import evaluate
    from stance.gold import GOLD_EXPORT, check_gold, read_gold
    from stance.io import write_jsonl
    from stance.labels import read_export
    from stance.predict import predict_file
    from stance.schema import load_schema
    from stance.segment import segment_paths
    from stance.train import train

    root = repo_root(Path(repo) if repo else None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    steps = _Steps(say)
    result = DemoResult(out_dir=out)
    paths = result.paths
    schema = load_schema(root / "labels" / "schema.v1.yaml")

    # 1. segment
    paths["statements"] = out / "statements.jsonl"
    statements = steps.run("segment", f"segmenting {root / 'seeds'}",
                           lambda: [s.to_dict() for s in segment_paths([root / "seeds"])])
    write_jsonl(paths["statements"], statements)
    result.counts["documents"] = len({s["doc_id"] for s in statements})
    result.counts["statements"] = len(statements)

    # The bundled gold labels must still fit the segmentation: a drift fails loudly here.
    gold = steps.run("gold", "checking the bundled gold labels against the segmentation",
                     lambda: read_gold(root / "labels", schema))
    check_gold(statements, gold, schema)

    # A quick baseline for the pre-annotations, trained on the bundled export's train split.
    work = out / "work"
    work.mkdir(exist_ok=True)
    bundled = root / "labels" / GOLD_EXPORT

    def _baseline() -> Path:
        export = read_export(bundled, schema)
        dd, meta = build_dataset(export, schema, options=DatasetOptions())
        save_dataset(dd, meta, work / "baseline-dataset")
        train(work / "baseline-dataset", work / "baseline-model", config=_config(root, "tfidf.yaml"), progress=False)
        return work / "baseline-model"

    if studio:
        baseline = steps.run("baseline", "training a quick TF-IDF baseline for pre-annotations", _baseline)
        paths["export"] = out / "export.json"
        result.studio = steps.run(
            "studio", "starting Label Studio, pushing pre-annotated tasks and the gold annotations, pulling the export",
            lambda: _studio_round_trip(statements, gold, schema, baseline, paths["export"],
                                       data_dir=Path(studio_dir) if studio_dir else out / "studio", port=port,
                                       progress=progress),
        )
        export_path = paths["export"]
    else:
        export_path = bundled
        paths["export"] = bundled

    # 6. dataset with agreement
    paths["dataset"] = out / "dataset"

    def _dataset() -> dict[str, Any]:
        export = read_export(export_path, schema)
        dd, meta = build_dataset(export, schema, options=DatasetOptions())
        save_dataset(dd, meta, paths["dataset"])
        return meta

    meta = steps.run("dataset", f"building the dataset from {export_path}", _dataset)
    result.counts["pairs"] = sum(meta["splits"].values())
    result.counts["splits"] = meta["splits"]
    result.counts["annotations"] = meta["counts"]
    result.agreement = meta.get("agreement") or {}

    # 7-8. train and evaluate both model types, on the joint (None/Favor/Against) setting
    tconf = Path(transformer_config) if transformer_config else root / "configs" / "demo-transformer.yaml"
    for kind, conf in (("tfidf", _config(root, "tfidf.yaml")), ("transformer", load_config(tconf))):
        model_dir = out / "models" / kind
        report_dir = out / "reports" / kind
        steps.run(f"train_{kind}", f"training the {kind} model (joint setting: None/Favor/Against)",
                  lambda c=conf, m=model_dir: train(paths["dataset"], m, config=c, progress=progress))
        ev = steps.run(f"evaluate_{kind}", f"evaluating the {kind} model on the test split",
                       lambda m=model_dir, r=report_dir: evaluate(m, paths["dataset"], r, progress=progress))
        paths[f"model_{kind}"] = model_dir
        paths[f"report_{kind}"] = report_dir / "report.md"
        result.scores[kind] = {k: ev.metrics.get(k)
                               for k in ("n", "macro_f1", "semeval_score", "accuracy", "expected_calibration_error")}

    # 9. batch prediction: every statement against every target
    paths["predictions"] = out / "predictions.jsonl"
    summary = steps.run("predict", "predicting the stance of every statement toward every target",
                        lambda: predict_file(paths["model_transformer"], paths["statements"], paths["predictions"],
                                             show_progress=progress))
    result.counts["predictions"] = summary.rows_written
    result.seconds = steps.seconds
    return result


def _config(root: Path, name: str) -> Any:
    from stance.config import load_config

    return load_config(root / "configs" / name)


def _studio_round_trip(
    statements: list[dict[str, Any]],
    gold: Any,
    schema: Any,
    baseline: Path,
    export_path: Path,
    *,
    data_dir: Path,
    port: int,
    progress: bool,
) -> dict[str, Any]:
    """Start the studio, push tasks with predictions and gold annotations, pull the export."""
    from stance.gold import attach_annotations, studio_label_sets
    from stance.schema import labeling_config
    from stance.studio import connect, pull, push_tasks, start
    from stance.models import load_model
    from stance.tasks import build_tasks

    st = start(data_dir, port=port)
    client = connect(data_dir=data_dir)
    predictor = load_model(baseline)
    version = predictor.model_version
    tasks = build_tasks(statements, schema, mode="pair", predictor=predictor, model_version=version, progress=progress)
    label_sets = studio_label_sets(client, gold)
    pushed = push_tasks(client, PROJECT_TITLE, attach_annotations(tasks, label_sets), labeling_config(schema, "pair"),
                        schema_version=schema.version, mode="pair",
                        description="The bundled seed corpus, pre-annotated by a TF-IDF baseline, with the gold labels.",
                        progress=progress)
    pulled = pull(client, PROJECT_TITLE, export_path)
    return {
        "url": st.url,
        "project": PROJECT_TITLE,
        "project_url": f"{st.url}/projects/{pushed.project_id}/data",
        "email": st.email,
        "credentials_file": str(st.credentials_file),
        "data_dir": str(data_dir),
        "tasks_added": pushed.added,
        "tasks_skipped": pushed.skipped,
        "annotations": pulled.annotations,
    }

