"""Quantize once, keep the int8 model in the model folder, and check it against fp32.

``stance quantize MODEL_DIR`` exports the fine-tuned transformer to ONNX and quantizes every
weight MatMul with ONNX Runtime's dynamic per-channel int8 kernels. When label agreement with
fp32 on the check pairs (validation, never test rows) misses the target, it ranks the
feed-forward projections and the head by sensitivity and keeps the most sensitive in fp32.
It writes ``MODEL_DIR/model.int8.onnx``; ``stance_model.json`` gets an ``int8`` entry: the layers
kept in fp32, the agreement on the check pairs, and the sha256 of the fp32 weights it was made
from, so ``--quantize`` can refuse a stale int8 file.

``TransformerStanceClassifier.quantize()`` loads that file when it is there (no quantizing at
load time); without it, it falls back to torch's dynamic quantization and logs how to do better.

Why ONNX Runtime: its int8 kernels (``DynamicQuantizeMatMul``) with graph fusions are faster
than torch's eager ``quantize_dynamic`` on CPU, the file loads in a fraction of a second,
and ``nodes_to_exclude`` keeps chosen layers in fp32 without hand-written graph surgery.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from stance.errors import StanceError

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["INT8_FILE", "OrtClassifier", "agreement", "build_int8", "default_candidates", "export_onnx",
           "layer_sensitivity", "linear_names", "load_int8", "quantize_estimator", "quantize_onnx", "saved_int8",
           "scores_with", "weights_sha256"]

INT8_FILE = "model.int8.onnx"
_HINT_EXTRA = "install the int8 extra: pip install 'stance[int8]' (onnx and onnxruntime)"


def _need_ort() -> Any:
    try:
        import onnxruntime as ort
    except ImportError:
        raise StanceError("the saved int8 model needs onnxruntime, which is not installed", hint=_HINT_EXTRA) from None
    return ort


def weights_sha256(model_dir: str | os.PathLike[str]) -> str:
    """sha256 of the fp32 weights file(s) of a transformers folder (what the int8 file was made from)."""
    model_dir = Path(model_dir)
    # every weights file, the head's (2_Dense/ of a sentence-transformers folder) included
    files = sorted(p for p in model_dir.rglob("*") if p.suffix in (".safetensors", ".bin") and p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(model_dir).parts))
    if not files:
        raise StanceError(f"{model_dir}: no weights file (model.safetensors)", hint="the model folder is incomplete; retrain it")
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(model_dir)).encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                h.update(chunk)
    return "sha256:" + h.hexdigest()


def _logits_module(model: Any) -> Any:
    import torch

    class Logits(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
            kw = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                kw["token_type_ids"] = token_type_ids
            out = self.inner(**kw)
            return out.logits if hasattr(out, "logits") else out

    return Logits(model).eval()


def _wants_types(model: Any) -> bool:
    from stance.models._inference import _forward_args

    return "token_type_ids" in _forward_args(model)


def export_onnx(model: Any, path: str | os.PathLike[str]) -> Path:
    """Export a sequence-pair classifier (inputs ids/mask[/types] → logits) to ONNX with dynamic batch and length."""
    import torch

    path = Path(path)
    wrapped = _logits_module(model)
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if _wants_types(model) else [])
    dummy = tuple(torch.ones((2, 8), dtype=torch.int64) for _ in names)
    axes = {n: {0: "batch", 1: "length"} for n in names}
    axes["logits"] = {0: "batch"}
    import warnings

    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapped, dummy, str(path), input_names=names, output_names=["logits"],
                          dynamic_axes=axes, opset_version=17, do_constant_folding=True, dynamo=False)
    return path


def linear_names(model: Any) -> list[str]:
    """Qualified names of the model's Linear layers, in order."""
    import torch

    return [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]


def _onnx_matmul_nodes(onnx_path: Path) -> dict[str, str]:
    """Map of torch Linear name (``bert.encoder.layer.0.output.dense``) → ONNX MatMul/Gemm node name."""
    import onnx

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    found: dict[str, str] = {}
    for node in graph.node:
        if node.op_type not in ("MatMul", "Gemm"):
            continue
        parts = [p for p in node.name.split("/") if p and p not in ("inner",)]
        if len(parts) < 2:
            continue
        found[".".join(parts[:-1])] = node.name
    return found


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share of rows whose most probable class is the same in both probability arrays."""
    return float(np.mean(np.argmax(a, axis=1) == np.argmax(b, axis=1))) if len(a) else 1.0


def scores_with(est: Any, module: Any, X: Any) -> np.ndarray:
    """``est.predict_proba(X)`` computed with ``module`` in place of ``est.model_`` (the estimator builds its own inputs)."""
    saved = est.model_
    est.model_ = module
    try:
        return np.asarray(est.predict_proba(X))
    finally:
        est.model_ = saved


def layer_sensitivity(est: Any, X: Any, candidates: Sequence[str] | None = None) -> list[tuple[str, float, float]]:
    """For each Linear layer alone quantized (torch dynamic, per-channel): (name, mean KL to fp32, agreement).

    Run it on validation pairs only, never test rows. Sorted most sensitive first.
    ``candidates`` limits the layers tried (default: all Linear layers).
    """
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig

    model = est.model_
    ref = scores_with(est, model, X)
    out = []
    for name in candidates if candidates is not None else linear_names(model):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            q = torch.ao.quantization.quantize_dynamic(model, {name: per_channel_dynamic_qconfig},
                                                       dtype=torch.qint8, inplace=False)
        p = scores_with(est, q, X)
        kl = float(np.mean(np.sum(ref * (np.log(ref + 1e-9) - np.log(p + 1e-9)), axis=1)))
        out.append((name, kl, agreement(ref, p)))
    out.sort(key=lambda t: -t[1])
    return out


def quantize_onnx(fp32_path: Path, int8_path: Path, keep_fp32: Sequence[str] = ()) -> list[str]:
    """ONNX Runtime dynamic int8 (per-channel weights) of every MatMul except the Linear layers in ``keep_fp32``.

    Returns the ONNX node names left in fp32.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    nodes = _onnx_matmul_nodes(fp32_path)
    missing = [n for n in keep_fp32 if n not in nodes]
    if missing:
        logger.warning("no ONNX node found for %s", ", ".join(missing))
    exclude = [nodes[n] for n in keep_fp32 if n in nodes]
    quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Gemm"], nodes_to_exclude=exclude,
                     extra_options={"MatMulConstBOnly": True})
    return exclude


class OrtClassifier:
    """An ONNX Runtime session that looks like a ``transformers`` classifier to ``score_pairs``.

    ``model(input_ids=..., attention_mask=...).logits`` returns a torch tensor; ``config``
    is the fp32 model's config.
    """

    def __init__(self, onnx_path: str | os.PathLike[str], config: Any, num_threads: int | None = None) -> None:
        ort = _need_ort()
        from stance.models._inference import available_cores

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = num_threads or int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or available_cores()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        self.config = config
        self.path = Path(onnx_path)
        self._inputs = [i.name for i in self.session.get_inputs()]
        self._stance_forward_args = set(self._inputs)

    def eval(self) -> OrtClassifier:
        """No-op (kept for ``score_pairs``)."""
        return self

    def forward(self, **inputs: Any) -> Any:
        """Logits for one padded batch of torch int64 tensors."""
        import torch

        feed = {k: v.numpy() for k, v in inputs.items() if k in self._stance_forward_args}
        (logits,) = self.session.run(["logits"], feed)
        return SimpleNamespace(logits=torch.from_numpy(logits))

    __call__ = forward


def saved_int8(model_dir: str | os.PathLike[str], metadata: dict[str, Any]) -> Path | None:
    """The saved int8 file when there is one and it was made from these weights; ``None`` when there is none.

    Raises:
        StanceError: the file is there but stale (the weights changed since) or unrecorded.
    """
    model_dir = Path(model_dir)
    path = model_dir / INT8_FILE
    entry = metadata.get("int8")
    if not path.is_file() and not entry:
        return None
    if not path.is_file():
        raise StanceError(f"{model_dir}: stance_model.json records an int8 model but {INT8_FILE} is missing",
                          hint=f"run `stance quantize {model_dir}` again")
    if not entry:
        raise StanceError(f"{path} is not recorded in stance_model.json (its origin is unknown)",
                          hint=f"delete it and run `stance quantize {model_dir}`")
    if entry.get("weights_sha256") != weights_sha256(model_dir):
        raise StanceError(f"{path} is stale: the weights in {model_dir} changed since it was made",
                          hint=f"run `stance quantize {model_dir}` again, or predict without --quantize")
    return path


def load_int8(model_dir: str | os.PathLike[str], metadata: dict[str, Any], config: Any) -> OrtClassifier | None:
    """The saved int8 model of a folder as an :class:`OrtClassifier`, or ``None`` when none was saved."""
    path = saved_int8(model_dir, metadata)
    if path is None:
        return None
    started = time.perf_counter()
    model = OrtClassifier(path, config)
    logger.info("loaded %s in %.2f s", path, time.perf_counter() - started)
    return model


def default_candidates(model: Any) -> list[str]:
    """The layers worth testing: feed-forward in/out projections and the head.

    On the demo MiniLM, these were the most sensitive when all 38 Linear layers were tried
    (docs/notes/int8.md); trying only them takes a third of the time.
    """
    names = linear_names(model)
    ffn = [n for n in names if n.endswith("intermediate.dense") or (n.endswith("output.dense") and "attention" not in n)]
    return ffn + [n for n in names[-2:] if n not in ffn]


def build_int8(est: Any, model_dir: str | os.PathLike[str], X: Any, *, target: float = 0.99,
               max_keep: int = 8) -> dict[str, Any]:
    """Quantize once: export, rank layers by sensitivity on (validation) pairs, keep the fewest in fp32 that reach ``target``.

    Writes ``model_dir/model.int8.onnx`` atomically and returns the ``int8`` record for
    ``stance_model.json`` (the caller writes it).

    Args:
        est: The fitted fp32 transformer estimator (``model_`` a torch module).
        model_dir: Its model folder.
        X: Check rows (``text``/``target``): validation pairs, never test rows.
        target: Label agreement with fp32 to reach on the check rows.
        max_keep: At most this many Linear layers stay fp32.
    """
    model_dir = Path(model_dir)
    model = est.model_
    started = time.perf_counter()
    ref = scores_with(est, model, X)
    with tmp_dir(model_dir) as tmp:
        fp32 = export_onnx(model, Path(tmp) / "fp32.onnx")
        tried: list[dict[str, Any]] = []
        ranked: list[str] | None = None
        k, keep, best = 0, [], None
        while True:
            out = Path(tmp) / f"int8-{k}.onnx"
            quantize_onnx(fp32, out, keep)
            agree = agreement(ref, scores_with(est, OrtClassifier(out, model.config), X))
            tried.append({"fp32_layers": len(keep), "agreement": round(agree, 4)})
            logger.info("int8 with %d layer(s) in fp32: agreement %.4f", len(keep), agree)
            if best is None or agree > best[0]:
                best = (agree, out, list(keep))
            if agree >= target or k >= max_keep:
                break
            if ranked is None:
                ranked = [n for n, _, _ in layer_sensitivity(est, X, default_candidates(model))]
            k = min(max_keep, max(1, 2 * k))
            keep = ranked[:k]
        agree, path, keep = best
        os.replace(path, model_dir / INT8_FILE)
    return {"file": INT8_FILE, "weights_sha256": weights_sha256(model_dir),
            "method": "onnxruntime dynamic int8, per-channel weights", "fp32_layers": keep,
            "check_pairs": len(ref), "check_agreement": round(agree, 4), "target": target, "tried": tried,
            "seconds": round(time.perf_counter() - started, 1), "onnxruntime": _need_ort().__version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def quantize_estimator(est: Any) -> Any:
    """What ``TransformerStanceClassifier.quantize()`` does: the saved int8 model if any, else torch dynamic int8.

    Returns the model to put in ``est.model_``.
    """
    import json

    from stance.models._inference import quantize_module

    model_dir = getattr(est, "model_dir_", None)
    meta: dict[str, Any] = {}
    if model_dir is not None and (Path(model_dir) / "stance_model.json").is_file():
        meta = json.loads((Path(model_dir) / "stance_model.json").read_text(encoding="utf-8"))
    loaded = load_int8(model_dir, meta, est.model_.config) if model_dir is not None else None
    if loaded is not None:
        return loaded
    logger.warning("no saved int8 model in %s: quantizing at load time (slower, less accurate); "
                   "run `stance quantize %s` once", model_dir or "this model", model_dir or "MODEL_DIR")
    return quantize_module(est.model_)


def tmp_dir(near: Path) -> tempfile.TemporaryDirectory:
    """A scratch folder beside ``near`` (same file system, so the final move is a rename)."""
    return tempfile.TemporaryDirectory(prefix=".int8-", dir=near)
