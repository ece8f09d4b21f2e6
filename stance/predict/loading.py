"""Loading the models of a prediction run: one model folder, or a two-stage folder (``role/`` + ``stance/``)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from stance.errors import StanceError
from stance.models import StanceModel, load_model

__all__ = ["POSITION_ROLES", "is_two_stage_folder", "load_predictor"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Roles that take a position on the target; two-stage mode predicts stance only for these.
POSITION_ROLES = frozenset({"Claim", "Premise"})


def is_two_stage_folder(path: Path) -> bool:
    """Whether ``path`` holds ``role/`` and ``stance/`` model folders rather than one model."""
    return (path / "role").is_dir() and (path / "stance").is_dir() and not (path / "stance_model.json").exists()


def _load_one(path: Path, *, what: str, quantize: bool, batch_size: int | None) -> StanceModel:
    try:
        model = load_model(path)
    except StanceError as exc:
        if what != "model" and str(exc).startswith("model "):
            raise StanceError(what + str(exc)[len("model"):], hint=exc.hint) from None
        raise
    if batch_size is not None:
        model.set_batch_size(batch_size)
    if quantize and model.kind == "transformer":
        model.quantize()  # a stale saved int8 model is an error, not a reason to ignore --quantize
    elif quantize:
        try:
            model.quantize()
        except StanceError:
            logger.warning("--quantize ignored for %s: not a transformer model", path)
    return model


def load_predictor(
    model_dir: str | os.PathLike[str],
    *,
    role_model_dir: str | os.PathLike[str] | None = None,
    quantize: bool = False,
    batch_size: int | None = None,
) -> tuple[StanceModel, StanceModel | None]:
    """Load the stance model and the optional role model.

    ``model_dir`` may be a model folder or a two-stage folder holding ``role/`` and
    ``stance/`` model folders; an explicit ``role_model_dir`` wins over ``role/``.

    Args:
        model_dir: Stance model folder, or two-stage folder.
        role_model_dir: Role model folder (task ``role``).
        quantize: int8 dynamic quantization of transformer models (faster on CPU, slightly
            different scores); ignored with a warning for TF-IDF models.
        batch_size: Inference batch size, set through the estimator's ``set_params``.

    Returns:
        ``(stance_model, role_model_or_None)``.

    Raises:
        StanceError: for a missing or damaged folder, or a role model whose task is not ``role``.

    Example:
        >>> stance_model, role_model = load_predictor("runs/two-stage")
    """
    model_dir = Path(model_dir)
    if not model_dir.exists():
        from stance._util import missing_path_error

        raise missing_path_error(model_dir, "model folder",
                                 hint="train one with `stance train DATA_DIR -o MODEL_DIR`, or check the path")
    role_path: Path | None = Path(role_model_dir) if role_model_dir is not None else None
    stance_path = model_dir
    if is_two_stage_folder(model_dir):
        stance_path = model_dir / "stance"
        role_path = role_path or model_dir / "role"
    stance_model = _load_one(stance_path, what="model", quantize=quantize, batch_size=batch_size)
    if stance_model.task == "role":
        raise StanceError(f"{stance_path} is a role model (task 'role'), expected a stance model",
                          hint="pass it with --role-model and give a stance or joint model as MODEL_DIR")
    role_model = None
    if role_path is not None:
        role_model = _load_one(role_path, what="role model", quantize=quantize, batch_size=batch_size)
        if role_model.task != "role" or not POSITION_ROLES & set(role_model.labels):
            raise StanceError(
                f"{role_path} has task {role_model.task!r} and labels {role_model.labels}; a role model "
                f"predicts None/Claim/Premise",
                hint="train one with `stance train DATA_DIR --task role -o ROLE_DIR`",
            )
    return stance_model, role_model
