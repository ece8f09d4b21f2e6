"""Stance and argument-role classifiers (scikit-learn estimator contract) and their model folders.

``build_model(config)`` makes an unfitted estimator from a :class:`stance.config.TrainConfig`;
``load_model(dir)`` reads a folder written by :func:`stance.training.train`. Importing this package
does not import torch: the transformer module is loaded only when a transformer is used.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from stance.config import TrainConfig
from stance.errors import StanceError
from stance.models.base import METADATA_FILE, MODEL_FORMAT, TASK_LABELS, StanceModel, read_metadata

__all__ = ["StanceModel", "build_model", "load_model", "save_model", "read_metadata", "METADATA_FILE", "MODEL_FORMAT", "TASK_LABELS"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


def build_model(config: TrainConfig, **overrides: Any) -> Any:
    """An unfitted estimator for ``config.model`` with ``config.params`` and ``config.seed``.

    Args:
        config: The training configuration.
        **overrides: Extra constructor arguments (e.g. ``progress=False``).

    Example:
        >>> build_model(TrainConfig(model="tfidf")).C
        2.0
    """
    params = config.to_dict()["params"]
    if config.model == "tfidf":
        from stance.models.tfidf import TfidfStanceClassifier

        params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
        return TfidfStanceClassifier(**{**params, "random_state": config.seed, **overrides})
    if config.model == "transformer":
        from stance.models.transformer import TransformerStanceClassifier

        return TransformerStanceClassifier(**{**params, "seed": config.seed, **overrides})
    raise StanceError(f"unknown model type {config.model!r}", hint="choose tfidf or transformer")


def save_model(model: Any, model_dir: str | os.PathLike[str], meta: dict[str, Any]) -> None:
    """Save a fitted estimator and its ``stance_model.json`` into ``model_dir`` (created if needed)."""
    from pathlib import Path

    from stance.models.base import write_metadata

    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    model.save(model_dir, **({"meta": meta} if meta.get("kind") == "transformer" else {}))
    write_metadata(model_dir, meta)  # last: a folder with metadata is a complete folder


#: The file that holds the fitted weights of each model kind.
_KIND_FILES = {"tfidf": "model.skops", "transformer": "config.json"}


def load_model(model_dir: str | os.PathLike[str]) -> StanceModel:
    """Load a model folder: the fitted estimator with its metadata.

    Args:
        model_dir: A folder written by ``stance train``.

    Returns:
        A :class:`StanceModel` (``.estimator``, ``.metadata``, ``.path``, ``.task``, ``.labels``,
        ``.targets``, ``.model_version``; ``predict``/``predict_proba``/``classes_`` too).

    Raises:
        StanceError: when the folder is missing, incomplete, damaged, or from an incompatible schema version.

    Example:
        >>> model = load_model("runs/tfidf")
        >>> model.predict([{"text": "The islands are Russian.", "target": "Kuril sovereignty"}])
    """
    from pathlib import Path

    path = Path(model_dir)
    meta = read_metadata(path)
    kind = meta["kind"]
    if kind not in _KIND_FILES:
        raise StanceError(f"{path / METADATA_FILE}: unknown model kind {kind!r}",
                          hint="expected tfidf or transformer; restore the file or retrain the model")
    if not (path / _KIND_FILES[kind]).is_file():
        others = [k for k, f in _KIND_FILES.items() if k != kind and (path / f).is_file()]
        if others:
            raise StanceError(
                f"{path / METADATA_FILE} says kind {kind!r}, but the folder holds a {others[0]} model "
                f"({_KIND_FILES[others[0]]})",
                hint=f"set \"kind\": \"{others[0]}\" in {METADATA_FILE} again, or retrain the model",
            )
    try:
        estimator = _load_estimator(path, kind, dict(meta.get("config", {}).get("params", {})))
    except StanceError:
        raise
    except Exception as exc:  # a damaged weights or pickle file surfaces as many exception types
        raise StanceError(
            f"model {path} could not be loaded ({type(exc).__name__}: {str(exc)[:200]})",
            hint="the folder looks damaged or incomplete; copy it again or retrain it with `stance train`",
        ) from None
    return StanceModel(estimator=estimator, metadata=meta, path=path)


def _load_estimator(path: Any, kind: str, params: dict[str, Any]) -> Any:
    if kind == "tfidf":
        from stance.models.tfidf import TfidfStanceClassifier

        return TfidfStanceClassifier.load(path, params)
    from stance.models.transformer import TransformerStanceClassifier

    return TransformerStanceClassifier.load(path, params)
