"""Stance and argument-role classifiers (scikit-learn estimator contract) and their model folders.

``build_model(config)`` makes an unfitted estimator from a :class:`stance.config.TrainConfig`;
``load_model(dir)`` reads a folder written by :func:`stance.train.train`. Importing this package
does not import torch: the transformer module is loaded only when a transformer is used.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from stance.config import TrainConfig
from stance.errors import StanceError
from stance.models.base import METADATA_FILE, MODEL_FORMAT, TASK_LABELS, read_metadata

__all__ = ["build_model", "load_model", "save_model", "read_metadata", "METADATA_FILE", "MODEL_FORMAT", "TASK_LABELS"]

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


def load_model(model_dir: str | os.PathLike[str]) -> Any:
    """Load a fitted estimator from a model folder.

    Args:
        model_dir: A folder written by ``stance train``.

    Returns:
        The estimator (``predict``, ``predict_proba``, ``classes_``); its metadata is on ``.metadata_``.

    Raises:
        StanceError: when the folder is missing, incomplete, or from an incompatible schema version.

    Example:
        >>> model = load_model("runs/tfidf")
        >>> model.predict([{"text": "The islands are Russian.", "target": "Kuril sovereignty"}])
    """
    meta = read_metadata(model_dir)
    params = dict(meta.get("config", {}).get("params", {}))
    if meta["kind"] == "tfidf":
        from stance.models.tfidf import TfidfStanceClassifier

        model = TfidfStanceClassifier.load(model_dir, params)
    elif meta["kind"] == "transformer":
        from stance.models.transformer import TransformerStanceClassifier

        model = TransformerStanceClassifier.load(model_dir, params)
    else:
        raise StanceError(f"{model_dir}: unknown model kind {meta['kind']!r}", hint="expected tfidf or transformer")
    model.metadata_ = meta
    return model
