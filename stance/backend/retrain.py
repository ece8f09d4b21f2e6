"""Export → dataset → model: the one place a live backend and an active-learning round retrain.

Both train on every labelled row (no validation or test split: the model is for proposing
labels and choosing the next batch, not for reporting a score) and write the model folder
beside its final place first, so a run killed halfway leaves no half-written model.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

__all__ = ["train_on_export"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


def train_on_export(export: Path, schema: Any, config: Any, *, data_dir: Path, model_dir: Path,
                    project_title: str | None = None, progress: bool = False) -> Any:
    """Build the dataset of a Label Studio export and train ``config``'s model on all of it.

    Args:
        export: The JSON export (``stance pull``).
        schema: The label schema.
        config: A :class:`stance.config.TrainConfig`.
        data_dir: The dataset folder to write (replaced).
        model_dir: The model folder to create; it appears only once complete.
        project_title: For the dataset card.
        progress: Progress bars.

    Returns:
        The :class:`stance.training.TrainResult`.

    Raises:
        StanceError: no labels, a single class, a bad export; nothing is left at ``model_dir``.
    """
    from stance.dataset import DatasetOptions, build_dataset, save_dataset
    from stance.export import read_export
    from stance.training import train

    dd, meta = build_dataset(read_export(export, schema), schema, options=DatasetOptions(test_size=0.0, val_size=0.0),
                             project_title=project_title)
    save_dataset(dd, meta, data_dir)
    tmp = model_dir.with_name(f".tmp-{model_dir.name}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        result = train(data_dir, tmp, config=config, progress=progress)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.replace(tmp, model_dir)
    result.model_dir = model_dir
    return result
