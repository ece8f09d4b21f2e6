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

__all__ = ["DemoResult", "run_demo", "repo_root", "studio_label_sets"]

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
        if c is not None and (c / "seeds").is_dir() and (c / "seeds" / "schema.yaml").is_file():
            return c
    raise StanceError(
        "cannot find the bundled seed corpus (seeds/ and seeds/schema.yaml)",
        hint="run `stance demo` from the root of a stance source checkout (it holds seeds/ and labels/)",
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


@dataclass
class _Run:
    """What every step of the demo shares."""

    root: Path
    out: Path
    schema: Any
    steps: _Steps
    result: DemoResult
    progress: bool

    @property
    def paths(self) -> dict[str, Path]:
        return self.result.paths


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
        >>> r = run_demo("out/demo", studio=False)  # doctest: +SKIP
        >>> sorted(r.scores)  # doctest: +SKIP
        ['tfidf', 'transformer']
    """
    from stance.schema import load_schema

    root = repo_root(Path(repo) if repo else None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    run = _Run(root, out, load_schema(root / "seeds" / "schema.yaml"), _Steps(say), DemoResult(out_dir=out),
               progress)
    statements = _segment(run)
    gold = _gold(run, statements)
    if studio:
        export_path = _studio(run, statements, gold, Path(studio_dir) if studio_dir else out / "studio", port)
    else:
        export_path = run.paths["export"] = _bundled_export(root)
    _dataset(run, export_path)
    tconf = Path(transformer_config) if transformer_config else root / "configs" / "demo-transformer.yaml"
    _models(run, tconf)
    _predict(run)
    run.result.seconds = run.steps.seconds
    return run.result


def _bundled_export(root: Path) -> Path:
    from stance.gold import GOLD_EXPORT

    return root / "labels" / GOLD_EXPORT


def _segment(run: _Run) -> list[dict[str, Any]]:
    """Step 1: segment the seeds into statements."""
    from stance.io import write_jsonl
    from stance.segment import segment_paths

    run.paths["statements"] = run.out / "statements.jsonl"
    statements = run.steps.run("segment", f"segmenting {run.root / 'seeds'}",
                               lambda: [s.to_dict() for s in segment_paths([run.root / "seeds"])])
    write_jsonl(run.paths["statements"], statements)
    run.result.counts["documents"] = len({s["doc_id"] for s in statements})
    run.result.counts["statements"] = len(statements)
    return statements


def _gold(run: _Run, statements: list[dict[str, Any]]) -> Any:
    """Step 2: the bundled gold labels must still fit the segmentation: a drift fails loudly here."""
    from stance.gold import check_gold, read_gold

    gold = run.steps.run("gold", "checking the bundled gold labels against the segmentation",
                         lambda: read_gold(run.root / "labels", run.schema))
    check_gold(statements, gold, run.schema)
    return gold


def _save_dataset(export_path: Path, schema: Any, out: Path) -> dict[str, Any]:
    from stance.dataset import DatasetOptions, build_dataset, save_dataset
    from stance.export import read_export

    dd, meta = build_dataset(read_export(export_path, schema), schema, options=DatasetOptions())
    save_dataset(dd, meta, out, export_path=export_path)
    return meta


def _studio(run: _Run, statements: list[dict[str, Any]], gold: Any, data_dir: Path, port: int) -> Path:
    """Steps 3-5: a quick TF-IDF baseline for pre-annotations (trained on the bundled export), then the
    Label Studio round trip."""
    from stance.training import train

    work = run.out / "work"
    work.mkdir(exist_ok=True)

    def _baseline() -> Path:
        _save_dataset(_bundled_export(run.root), run.schema, work / "baseline-dataset")
        train(work / "baseline-dataset", work / "baseline-model", config=_config(run.root, "tfidf.yaml"),
              progress=False)
        return work / "baseline-model"

    baseline = run.steps.run("baseline", "training a quick TF-IDF baseline for pre-annotations", _baseline)
    run.paths["export"] = run.out / "export.json"
    run.result.studio = run.steps.run(
        "studio", "starting Label Studio, pushing pre-annotated tasks and the gold annotations, pulling the export",
        lambda: _studio_round_trip(statements, gold, run.schema, baseline, run.paths["export"],
                                   data_dir=data_dir, port=port, progress=run.progress),
    )
    return run.paths["export"]


def _dataset(run: _Run, export_path: Path) -> None:
    """Step 6: the dataset, with agreement figures."""
    run.paths["dataset"] = run.out / "dataset"
    meta = run.steps.run("dataset", f"building the dataset from {export_path}",
                         lambda: _save_dataset(export_path, run.schema, run.paths["dataset"]))
    run.result.counts["pairs"] = sum(meta["splits"].values())
    run.result.counts["splits"] = meta["splits"]
    run.result.counts["annotations"] = meta["counts"]
    run.result.agreement = meta.get("agreement") or {}


def _models(run: _Run, transformer_config: Path) -> None:
    """Steps 7-8: train and evaluate both model types on the joint (None/Favor/Against) setting."""
    from stance.config import load_config
    from stance.evaluation import evaluate
    from stance.training import train

    data = run.paths["dataset"]
    against: Path | None = None  # the transformer is compared with the TF-IDF model on the same rows
    for kind, conf in (("tfidf", _config(run.root, "tfidf.yaml")), ("transformer", load_config(transformer_config))):
        model_dir = run.out / "models" / kind
        report_dir = run.out / "reports" / kind
        run.steps.run(f"train_{kind}", f"training the {kind} model (joint setting: None/Favor/Against)",
                      lambda c=conf, m=model_dir: train(data, m, config=c, progress=run.progress))
        ev = run.steps.run(f"evaluate_{kind}", f"evaluating the {kind} model on the test split",
                           lambda m=model_dir, r=report_dir, a=against: evaluate(m, data, r, progress=run.progress,
                                                                                 against=a))
        run.paths[f"model_{kind}"] = model_dir
        run.paths[f"report_{kind}"] = report_dir / "report.md"
        boot = ev.metrics.get("bootstrap") or {}
        run.result.scores[kind] = {k: ev.metrics.get(k)
                                   for k in ("n", "macro_f1", "semeval_score", "accuracy", "expected_calibration_error")}
        run.result.scores[kind]["macro_f1_interval"] = (boot.get("intervals") or {}).get("macro_f1")
        if boot.get("difference"):
            run.result.scores[kind]["against_tfidf"] = boot["difference"]["macro_f1"]
        against = model_dir


def _predict(run: _Run) -> None:
    """Step 9: batch prediction, every statement against every target."""
    from stance.predict import predict_file

    run.paths["predictions"] = run.out / "predictions.jsonl"
    summary = run.steps.run("predict", "predicting the stance of every statement toward every target",
                            lambda: predict_file(run.paths["model_transformer"], run.paths["statements"],
                                                 run.paths["predictions"], show_progress=run.progress))
    run.result.counts["predictions"] = summary.rows_written


def studio_label_sets(client: Any, gold: Any) -> list[tuple[int, Any, bool]]:
    """Map each annotator of ``gold`` to a Label Studio user, for :func:`stance.gold.attach_annotations`.

    ``annotator_1`` is the connected user; ``annotator_2`` and the adjudicator are users created
    through the API when missing. Only the adjudications are ground truth.

    Example:
        >>> [gt for _, _, gt in studio_label_sets(client, read_gold("labels", schema))]  # doctest: +SKIP
        [False, False, True]
    """
    from stance.gold import ADJUDICATOR, ADJUDICATOR_EMAIL, ANNOTATOR_2, ANNOTATOR_2_EMAIL, label_sets
    from stance.studio.users import current_user_id, ensure_user

    second = ensure_user(client, ANNOTATOR_2_EMAIL, ANNOTATOR_2) if gold.second else None
    adjudicator = ensure_user(client, ADJUDICATOR_EMAIL, ADJUDICATOR) if gold.adjudicated else None
    return label_sets(gold, current_user_id(client), second, adjudicator)


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
    from stance.gold import attach_annotations
    from stance.models import load_model
    from stance.studio import connect, pull, push, start
    from stance.tasks import build_tasks

    st = start(data_dir, port=port)
    client = connect(data_dir=data_dir)
    predictor = load_model(baseline)
    version = predictor.model_version
    tasks = build_tasks(statements, schema, mode="pair", predictor=predictor, model_version=version, progress=progress)
    label_sets = studio_label_sets(client, gold)
    pushed = push(client, PROJECT_TITLE, attach_annotations(tasks, label_sets), schema, mode="pair",
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

