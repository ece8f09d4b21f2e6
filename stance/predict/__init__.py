"""Batch stance prediction: stream statements through a trained model, chunk by chunk.

``predict_file(MODEL_DIR, INPUT, OUTPUT)`` reads a JSONL, CSV or Parquet file of statements,
a folder of raw documents (segmented on the fly by :mod:`stance.segment`) or a saved
Hugging Face dataset, pairs each statement with its targets, and writes every input row
back with ``stance``, ``stance_scores`` (label → probability), ``model_version`` and, when a
role model is used, ``role``/``role_scores`` (see DESIGN.md section 5).

The package, one concern a module:

- :mod:`~stance.predict.loading`: the stance model and the optional role model (two-stage folders);
- :mod:`~stance.predict.inputs`: the readers (JSONL, CSV, Parquet, documents, saved dataset);
- :mod:`~stance.predict.scoring`: one chunk of rows → output records (:func:`predict_rows`);
- :mod:`~stance.predict.outputs`: part files, the verified manifest, the final join;
- :mod:`~stance.predict.run`: :func:`predict_file` with its run/resume logic.
"""

from __future__ import annotations

from stance.predict.inputs import FORMATS, BadRow, detect_format
from stance.predict.loading import POSITION_ROLES, load_predictor
from stance.predict.run import PredictOptions, PredictSummary, predict_file
from stance.predict.scoring import predict_rows

__all__ = [
    "FORMATS",
    "POSITION_ROLES",
    "BadRow",
    "PredictOptions",
    "PredictSummary",
    "detect_format",
    "load_predictor",
    "predict_file",
    "predict_rows",
]
