"""The optimisation loop of the transformer models, kept apart from the estimator (as SetFit
keeps its Trainer apart from its model).

:func:`train_loop` runs AdamW with linear warm-up and decay over shuffled, length-bucketed
batches, clips gradients, validates every ``eval_every`` steps, keeps the best parameters by
validation macro-F1 and stops early after ``patience`` validations without improvement. The
estimator supplies only two callables: the loss of a batch of row indices and the validation
score. The number of epochs actually used is thus chosen on validation rows.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["LoopSettings", "batches", "param_groups", "train_loop"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


@dataclass(frozen=True)
class LoopSettings:
    """How long and how to train: epochs, step cap, batch size, schedule, validation and stopping."""

    epochs: int = 3
    max_steps: int | None = None
    batch_size: int = 32
    warmup_ratio: float = 0.1
    eval_every: int | None = None
    patience: int = 2
    progress: bool = False
    seed: int = 13
    desc: str = "fine-tuning"


def batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator) -> list[list[int]]:
    """One epoch of batches: shuffled, sorted by length inside chunks of 50 batches (little padding).

    Example:
        >>> len(batches([5, 3, 9, 4], 2, np.random.default_rng(0)))
        2
    """
    order = rng.permutation(len(lengths))
    chunk = batch_size * 50
    out: list[list[int]] = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c : c + chunk].tolist(), key=lambda i: lengths[i])
        out += [part[b : b + batch_size] for b in range(0, len(part), batch_size)]
    return [out[i] for i in rng.permutation(len(out))]


def param_groups(named: Sequence[tuple[str, Any]], head: Sequence[Any], *, lr: float, head_lr: float,
                 weight_decay: float) -> list[dict[str, Any]]:
    """AdamW groups: body weights (decayed), body biases and LayerNorms (not decayed), head (own lr).

    Args:
        named: ``model.named_parameters()`` of the trainable model.
        head: The parameters of the (new) head.
        lr: Body learning rate.
        head_lr: Head learning rate.
        weight_decay: Decay of the body weights.
    """
    head_ids = {id(p) for p in head}
    body = [(n, p) for n, p in named if p.requires_grad and id(p) not in head_ids]
    no_decay = lambda n: n.endswith("bias") or "LayerNorm" in n  # noqa: E731
    groups = [
        {"params": [p for n, p in body if not no_decay(n)], "lr": lr, "weight_decay": weight_decay},
        {"params": [p for n, p in body if no_decay(n)], "lr": lr, "weight_decay": 0.0},
        {"params": [p for p in head if p.requires_grad], "lr": head_lr, "weight_decay": 0.0},
    ]
    return [g for g in groups if g["params"]]


def train_loop(model: Any, lengths: Sequence[int], batch_loss: Callable[[list[int]], Any],
               groups: list[dict[str, Any]], settings: LoopSettings,
               evaluate: Callable[[], float] | None = None) -> dict[str, Any]:
    """Optimise ``model`` over rows ``0..len(lengths)-1``; restore the best validated parameters.

    Args:
        model: The torch module (its trainable parameters are snapshotted at each best validation).
        lengths: Token length of each training row (for length bucketing).
        batch_loss: Loss tensor of a batch of row indices (forward pass included).
        groups: Optimiser parameter groups (:func:`param_groups`).
        settings: Epochs, steps, batch size, schedule, validation cadence and patience.
        evaluate: Validation macro-F1 of the current model, or ``None`` (no early stopping).

    Returns:
        The log: steps, best step, validation curve, seconds, examples per second.
    """
    import torch

    rng = np.random.default_rng(settings.seed)
    optimizer = torch.optim.AdamW(groups)
    steps_per_epoch = math.ceil(len(lengths) / settings.batch_size)
    total = steps_per_epoch * settings.epochs
    if settings.max_steps is not None:
        total = min(total, settings.max_steps)
    warmup = int(settings.warmup_ratio * total)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / max(1, warmup) if s < warmup else max(0.0, (total - s) / max(1, total - warmup)))
    eval_every = settings.eval_every or steps_per_epoch
    params = [p for g in groups for p in g["params"]]
    log: dict[str, Any] = {"recipe_phase": settings.desc, "steps_per_epoch": steps_per_epoch, "planned_steps": total,
                           "evaluations": []}
    best = {"f1": -1.0, "state": None, "step": 0, "bad": 0}
    bar = _bar(total, settings.desc, settings.progress)
    started, step, running, stop = time.perf_counter(), 0, 0.0, False
    model.train()
    while step < total and not stop:
        epoch = step // steps_per_epoch + 1
        for idx in batches(lengths, settings.batch_size, rng):
            loss = batch_loss(idx)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{running:.3f}")
            if evaluate is not None and (step % eval_every == 0 or step == total):
                stop = _validate(model, evaluate, step, epoch, running, best, log, settings.patience)
            if step >= total or stop:
                break
    if bar is not None:
        bar.close()
    if best["state"] is not None:
        with torch.no_grad():
            named = dict(model.named_parameters())
            for n, v in best["state"].items():
                named[n].copy_(v)
    model.eval()
    seconds = time.perf_counter() - started
    log.update({"steps": step, "best_step": best["step"] if best["state"] is not None else step,
                "best_val_macro_f1": round(best["f1"], 4) if best["f1"] >= 0 else None, "early_stopped": stop,
                "train_seconds": round(seconds, 1),
                "examples_per_second": round(step * settings.batch_size / max(seconds, 1e-9), 1)})
    return log


def _validate(model: Any, evaluate: Callable[[], float], step: int, epoch: int, running: float,
              best: dict[str, Any], log: dict[str, Any], patience: int) -> bool:
    """Score, keep the best trainable parameters, and say whether to stop."""
    f1 = evaluate()
    model.train()
    log["evaluations"].append({"step": step, "epoch": epoch, "val_macro_f1": round(f1, 4), "train_loss": round(running, 4)})
    logger.info("step %d: validation macro-F1 %.4f", step, f1)
    if f1 > best["f1"]:
        best.update(f1=f1, step=step, bad=0,
                    state={n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad})
        return False
    best["bad"] += 1
    return best["bad"] >= patience


def _bar(total: int, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step", smoothing=0.05, disable=None)
