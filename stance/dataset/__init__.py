"""Where parsed Label Studio exports become a Hugging Face ``DatasetDict`` (DESIGN.md section 3).

- :mod:`stance.dataset.aggregate`: voting, one row per (statement, target);
- :mod:`stance.dataset.splits`: train/validation/test by whole documents, and the build options;
- :mod:`stance.dataset.features`: the Arrow column types;
- :mod:`stance.dataset.build`: :func:`build_dataset`, all of the above with the metadata;
- :mod:`stance.dataset.card`: the dataset card;
- :mod:`stance.dataset.store`: :func:`save_dataset` (atomic, never deletes a user's files) and
  :func:`load_dataset_dir`, the one loader of training, evaluation and prediction.

Review tasks for disagreements live in :mod:`stance.adjudication`.
"""

from __future__ import annotations

from stance.dataset.aggregate import aggregate, label_names, vote
from stance.dataset.build import FORMAT, build_dataset
from stance.dataset.card import dataset_card
from stance.dataset.splits import SPLITS, TIES, DatasetOptions, assign_splits
from stance.dataset.store import INFO_FILE, load_dataset_dir, save_dataset

__all__ = [
    "FORMAT",
    "SPLITS",
    "TIES",
    "INFO_FILE",
    "DatasetOptions",
    "vote",
    "aggregate",
    "assign_splits",
    "build_dataset",
    "save_dataset",
    "load_dataset_dir",
    "dataset_card",
    "label_names",
]
