"""stance: a toolkit for stance and argument annotation.

Pipeline, one module per stage, data flowing one way (DESIGN.md has the stage order that
``tests/test_architecture.py`` enforces)::

    documents → statements → tasks → export → dataset → model → predictions

    stance.segment     documents → attributed statements with exact offsets
    stance.schema      the label schema → Label Studio labeling configs (stance.project: ``stance init``)
    stance.tasks       statements → Label Studio tasks (stance.studio pushes them and pulls exports)
    stance.export      a Label Studio export → validated annotation records
    stance.agreement   inter-annotator agreement
    stance.dataset     annotations → a Hugging Face DatasetDict (stance.adjudication: review tasks)
    stance.models      TF-IDF and transformer classifiers (stance.train, stance.evaluate)
    stance.predict     batch prediction over large inputs
    stance.lineage     what each artifact was made from (stance.info walks the chain back)

Importing this package is cheap: the names below are loaded on first use, and torch,
transformers and Label Studio only by the functions that need them.
"""

from __future__ import annotations

import importlib
from typing import Any

from stance.errors import StanceError

__version__ = "0.1.0"

_LAZY = {
    "segment_paths": "stance.segment",
    "segment_document": "stance.segment",
    "Statement": "stance.segment",
    "load_schema": "stance.schema",
    "labeling_config": "stance.schema",
    "build_tasks": "stance.tasks",
    "read_export": "stance.export",
    "build_dataset": "stance.dataset",
    "save_dataset": "stance.dataset",
    "export_agreement": "stance.agreement",
    "load_config": "stance.config",
    "init_project": "stance.project",
    "load_model": "stance.models",
    "train": "stance.training",
    "evaluate": "stance.evaluation",
    "predict_file": "stance.predict",
    "run_demo": "stance.demo",
}

__all__ = ["StanceError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'stance' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
