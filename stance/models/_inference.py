"""Fast batched inference for sequence-pair classifiers (the transformer path of ``stance predict``).

What makes it faster than ``transformers.pipeline`` on a CPU:

- one bulk call to the (Rust) fast tokenizer for all inputs, no per-row Python work;
- rows sorted by token length so each batch is padded only to its own longest row
  (dynamic padding wastes almost nothing on varied statement lengths);
- padding done with numpy into one preallocated array per batch;
- ``torch.inference_mode()`` and a thread count that matches the cores we may use;
- probabilities scattered back into input order at the end.

The results equal the pipeline's up to float rounding: attention masks make padding
invisible to a BERT encoder, so batch composition does not change a row's output.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["score_pairs", "available_cores", "configure_threads"]


def available_cores() -> int:
    """Number of CPU cores this process may run on (respects affinity masks and cgroup pinning).

    Returns:
        At least 1.

    Example:
        >>> available_cores() >= 1
        True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def configure_threads(num_threads: int | None = None) -> int:
    """Set torch's intra-op thread count once, unless the user already chose one.

    More threads than usable cores makes matmuls slower (threads fight for cores), and
    torch's default counts every core of the machine, not the ones we are allowed to use.
    ``OMP_NUM_THREADS`` or an explicit ``num_threads`` wins.

    Args:
        num_threads: Threads to use; ``None`` picks ``OMP_NUM_THREADS`` or the available cores.

    Returns:
        The thread count torch now uses.

    Example:
        >>> configure_threads(2)
        2
    """
    import torch

    if num_threads is None:
        env = os.environ.get("OMP_NUM_THREADS") or os.environ.get("STANCE_NUM_THREADS")
        num_threads = int(env) if env and env.isdigit() and int(env) > 0 else available_cores()
    if torch.get_num_threads() != num_threads:
        torch.set_num_threads(num_threads)
    return torch.get_num_threads()


def _pad_batch(ids: list[list[int]], type_ids: list[list[int]] | None, pad_id: int) -> tuple[Any, Any, Any]:
    """Right-pad one batch into int64 tensors (input_ids, attention_mask, token_type_ids or None)."""
    import torch

    width = max(len(row) for row in ids)
    n = len(ids)
    input_ids = np.full((n, width), pad_id, dtype=np.int64)
    mask = np.zeros((n, width), dtype=np.int64)
    types = np.zeros((n, width), dtype=np.int64) if type_ids is not None else None
    for i, row in enumerate(ids):
        k = len(row)
        input_ids[i, :k] = row
        mask[i, :k] = 1
        if types is not None:
            types[i, :k] = type_ids[i]  # type: ignore[index]
    return (
        torch.from_numpy(input_ids),
        torch.from_numpy(mask),
        torch.from_numpy(types) if types is not None else None,
    )


def score_pairs(
    model: Any,
    tokenizer: Any,
    firsts: Sequence[str],
    seconds: Sequence[str] | None,
    *,
    batch_size: int = 64,
    max_length: int = 128,
    show_progress: bool = False,
) -> np.ndarray:
    """Class probabilities for texts or text pairs, in input order.

    Args:
        model: A ``transformers`` sequence-classification model (eval mode is set here).
        tokenizer: Its tokenizer; a fast (Rust) tokenizer is strongly preferred.
        firsts: First segments (for stance models: the target text).
        seconds: Second segments (the statements), same length as ``firsts``, or ``None``
            to classify ``firsts`` alone.
        batch_size: Rows per forward pass.
        max_length: Token limit per row; longer pairs are truncated (longest segment first).
        show_progress: Show a tqdm bar counting rows.

    Returns:
        ``float32`` array of shape ``(n, num_labels)``; row ``i`` belongs to input ``i``
        and sums to 1.

    Example:
        >>> probs = score_pairs(model, tok, ["abortion"], ["It is her choice."])
        >>> probs.shape
        (1, 3)
    """
    import torch

    n = len(firsts)
    if seconds is not None and len(seconds) != n:
        raise ValueError(f"firsts has {n} rows but seconds has {len(seconds)}")
    num_labels = int(getattr(model.config, "num_labels", 0) or 0)
    if n == 0:
        return np.zeros((0, num_labels), dtype=np.float32)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")

    configure_threads()
    model.eval()

    encoded = tokenizer(
        list(firsts),
        list(seconds) if seconds is not None else None,
        truncation=True,
        max_length=max_length,
        padding=False,
        return_attention_mask=False,
        return_token_type_ids=True,
    )
    all_ids: list[list[int]] = encoded["input_ids"]
    all_types: list[list[int]] | None = encoded.get("token_type_ids")
    # Models without segment embeddings (RoBERTa, DistilBERT) do not take token_type_ids.
    wants_types = all_types is not None and "token_type_ids" in _forward_args(model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    lengths = np.fromiter((len(row) for row in all_ids), dtype=np.int64, count=n)
    # Stable sort: ties keep input order, so results are deterministic run to run.
    order = np.argsort(lengths, kind="stable")
    out: np.ndarray | None = None
    # An int8 model with an fp32 recheck (stance.models.quantize.OrtClassifier): its near ties are
    # collected over all batches and rescored in full batches at the end, not a few rows a batch.
    near_ties = getattr(model, "near_ties", None)
    pending: list[np.ndarray] = []

    bar = None
    if show_progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, unit="row", desc="scoring", smoothing=0.1)
    try:
        with torch.inference_mode():
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                ids = [all_ids[i] for i in idx]
                types = [all_types[i] for i in idx] if wants_types else None  # type: ignore[index]
                input_ids, mask, type_tensor = _pad_batch(ids, types, pad_id)
                kwargs = {"input_ids": input_ids, "attention_mask": mask}
                if type_tensor is not None:
                    kwargs["token_type_ids"] = type_tensor
                logits = (model(**kwargs, recheck=False) if near_ties is not None else model(**kwargs)).logits
                probs = torch.softmax(logits.float(), dim=-1).numpy()
                if out is None:  # width from the model's actual output, not only its config
                    out = np.empty((n, probs.shape[1]), dtype=np.float32)
                out[idx] = probs
                if near_ties is not None:
                    pending.append(idx[near_ties(probs)])
                if bar is not None:
                    bar.update(len(idx))
            if pending:
                _rescore(model, np.concatenate(pending), all_ids, all_types if wants_types else None,
                         pad_id, batch_size, out)
    finally:
        if bar is not None:
            bar.close()
    assert out is not None
    return out


def _rescore(model: Any, rows: np.ndarray, all_ids: list[list[int]], all_types: list[list[int]] | None,
             pad_id: int, batch_size: int, out: np.ndarray) -> None:
    """Overwrite ``out[rows]`` with ``model.rescore``'s probabilities, in full batches (rows in length order)."""
    import torch

    for start in range(0, len(rows), batch_size):
        idx = rows[start : start + batch_size]
        types = [all_types[i] for i in idx] if all_types is not None else None
        input_ids, mask, type_tensor = _pad_batch([all_ids[i] for i in idx], types, pad_id)
        kwargs = {"input_ids": input_ids, "attention_mask": mask}
        if type_tensor is not None:
            kwargs["token_type_ids"] = type_tensor
        out[idx] = torch.softmax(model.rescore(**kwargs).logits.float(), dim=-1).numpy()


def _forward_args(model: Any) -> set[str]:
    """Names the model's ``forward`` accepts (cached on the model object)."""
    cached = getattr(model, "_stance_forward_args", None)
    if cached is not None:
        return cached
    import inspect

    try:
        names = set(inspect.signature(model.forward).parameters)
    except (TypeError, ValueError):
        names = {"input_ids", "attention_mask", "token_type_ids"}
    try:
        model._stance_forward_args = names
    except AttributeError:
        pass
    return names


def quantize_module(model: Any) -> Any:
    """An int8 dynamic-quantized copy of a torch model's Linear layers (CPU inference).

    Per-channel weight scales: on a trained MiniLM they kept 97% of fp32 labels against 94%
    per-tensor, at the same speed (benchmarks/predict_speed.py).
    """
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig

    with warnings.catch_warnings():  # torch marks eager dynamic quantization deprecated; it still works in 2.x
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model.eval(), {torch.nn.Linear: per_channel_dynamic_qconfig},
                                                      dtype=torch.qint8)
