"""Quantize once, keep the int8 model in the model folder, and check it against fp32.

``stance quantize MODEL_DIR`` exports the fine-tuned transformer to ONNX and quantizes every
weight MatMul with ONNX Runtime's dynamic int8 kernels (per-channel weights, per-tensor
activations). It measures label agreement with fp32 on check pairs: unlabelled, so thousands
of them (train splits, statements x every target), never test rows. When agreement misses the
target it can keep in fp32 the Linear layers whose exclusion removes the most flips, ranked by
running the int8 kernels (:func:`measured_ranking`), and it keeps the fp32 graph to rescore near
ties (:func:`choose_recheck`): int8 moves probabilities by a few hundredths, so labels only flip
where fp32's top two classes are that close. It writes ``MODEL_DIR/model.int8.onnx`` (and
``model.fp32.onnx`` for the recheck); ``stance_model.json`` gets an ``int8`` record: the layers
kept fp32, the recheck margin, the agreement on the check pairs, and the sha256 of the fp32
weights it was made from and of the files themselves, so ``--quantize`` can refuse a stale or
altered file.

``TransformerStanceClassifier.quantize()`` loads those files when they are there (the fp32 torch
weights are then never read); without them, it falls back to torch's dynamic quantization and
logs how to do better.

Why ONNX Runtime: its int8 kernels (``DynamicQuantizeMatMul``) with graph fusions are faster
than torch's eager ``quantize_dynamic`` on CPU, the file loads in a fraction of a second,
and ``nodes_to_exclude`` keeps chosen layers in fp32 without hand-written graph surgery.
Static (calibrated) activation quantization, per-tensor weights and ``reduce_range`` were
measured and flip more labels (docs/notes/int8.md).
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

__all__ = ["INT8_FILE", "OrtClassifier", "agreement", "FP32_FILE", "build_int8", "choose_recheck", "export_onnx", "file_sha256",
           "linear_names", "load_int8", "margins", "measured_ranking", "quantize_estimator", "quantize_onnx", "saved_int8",
           "scores_with", "weight_files", "weights_sha256"]

INT8_FILE = "model.int8.onnx"
FP32_FILE = "model.fp32.onnx"  # kept only for the near-tie recheck
_HINT_EXTRA = "install the int8 extra: pip install 'stance[int8]' (onnx and onnxruntime)"


def _need_ort() -> Any:
    try:
        import onnxruntime as ort
    except ImportError:
        raise StanceError("the saved int8 model needs onnxruntime, which is not installed", hint=_HINT_EXTRA) from None
    return ort


def weight_files(model_dir: str | os.PathLike[str]) -> list[Path]:
    """The fp32 weights files of a transformers folder, the head's (``2_Dense/`` of a sentence-transformers folder) included."""
    model_dir = Path(model_dir)
    return sorted(p for p in model_dir.rglob("*") if p.suffix in (".safetensors", ".bin") and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(model_dir).parts))


def file_sha256(path: str | os.PathLike[str], h: Any = None) -> str:
    """``sha256:HEX`` of one file (or feed it into ``h`` and return its digest so far)."""
    h = h or hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def weights_sha256(model_dir: str | os.PathLike[str]) -> str:
    """sha256 of the fp32 weights file(s) of a transformers folder (what the int8 file was made from)."""
    model_dir = Path(model_dir)
    files = weight_files(model_dir)
    if not files:
        raise StanceError(f"{model_dir}: no weights file (model.safetensors)", hint="the model folder is incomplete; retrain it")
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(model_dir)).encode())
        file_sha256(f, h)
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


def _session(onnx_path: Path, num_threads: int | None) -> Any:
    ort = _need_ort()
    from stance.models._inference import available_cores

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = num_threads or int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or available_cores()
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])


def softmax_margins(logits: np.ndarray) -> np.ndarray:
    """:func:`margins` of the softmax of ``logits``."""
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return margins(z / z.sum(axis=1, keepdims=True))


class OrtClassifier:
    """An ONNX Runtime session that looks like a ``transformers`` classifier to ``score_pairs``.

    ``model(input_ids=..., attention_mask=...).logits`` returns a torch tensor; ``config``
    is the fp32 model's config. With ``recheck=(FP32_ONNX, MARGIN)``, rows whose two most
    probable classes lie within ``MARGIN`` of each other are scored again by the fp32 graph:
    int8 only moves probabilities by a few hundredths, so labels flip only on such near ties.
    """

    def __init__(self, onnx_path: str | os.PathLike[str], config: Any, num_threads: int | None = None,
                 recheck: tuple[str | os.PathLike[str], float] | None = None) -> None:
        self.session = _session(Path(onnx_path), num_threads)
        self.config = config
        self.path = Path(onnx_path)
        self._inputs = [i.name for i in self.session.get_inputs()]
        self._stance_forward_args = set(self._inputs)
        self.recheck_margin = float(recheck[1]) if recheck else 0.0
        self.fp32 = _session(Path(recheck[0]), num_threads) if recheck and recheck[1] > 0 else None
        self.rows = self.rechecked = 0

    def eval(self) -> OrtClassifier:
        """No-op (kept for ``score_pairs``)."""
        return self

    def forward(self, recheck: bool = True, **inputs: Any) -> Any:
        """Logits for one padded batch of torch int64 tensors (near ties from the fp32 graph when set).

        ``recheck=False`` leaves the near ties to the caller, which collects them over many
        batches and rescores them in full batches with :meth:`rescore` (``score_pairs`` does).
        """
        import torch

        feed = {k: v.numpy() for k, v in inputs.items() if k in self._stance_forward_args}
        (logits,) = self.session.run(["logits"], feed)
        self.rows += len(logits)
        if self.fp32 is not None and recheck:
            near = np.flatnonzero(softmax_margins(logits) < self.recheck_margin)
            if len(near):
                (logits[near],) = self.fp32.run(["logits"], {k: v[near] for k, v in feed.items()})
                self.rechecked += len(near)
        return SimpleNamespace(logits=torch.from_numpy(logits))

    __call__ = forward

    def near_ties(self, probs: np.ndarray) -> np.ndarray:
        """Positions of the rows of ``probs`` (int8 probabilities) that the fp32 graph must rescore."""
        if self.fp32 is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(margins(probs) < self.recheck_margin)

    def rescore(self, **inputs: Any) -> Any:
        """fp32 logits for one padded batch (the near ties :meth:`near_ties` picked)."""
        import torch

        assert self.fp32 is not None
        feed = {k: v.numpy() for k, v in inputs.items() if k in self._stance_forward_args}
        (logits,) = self.fp32.run(["logits"], feed)
        self.rechecked += len(logits)
        return SimpleNamespace(logits=torch.from_numpy(logits))


def saved_int8(model_dir: str | os.PathLike[str], metadata: dict[str, Any]) -> Path | None:
    """The saved int8 file when there is one and it was made from these weights; ``None`` when there is none.

    Two checks, both against the ``int8`` record ``stance quantize`` wrote in ``stance_model.json``:
    the int8 file's own sha256 (it is the very file whose agreement was measured), and the
    sha256 of the fp32 weights (it was made from the weights now in the folder). When the fp32
    weights are absent or unreadable (a folder trimmed for deployment), the first check alone
    stands: those weights are then not used at all, so the predictions come from exactly the
    file that was checked. Hashing both costs about 0.1 s for MiniLM.

    Raises:
        StanceError: the file is there but stale (the weights changed since), changed itself,
            unrecorded, or recorded but missing.
    """
    model_dir = Path(model_dir)
    path = model_dir / INT8_FILE
    entry = metadata.get("int8")
    if not path.is_file() and not entry:
        return None
    again = f"run `stance quantize {model_dir}` again"
    if not path.is_file():
        raise StanceError(f"{model_dir}: stance_model.json records an int8 model but {INT8_FILE} is missing", hint=again)
    if not entry:
        raise StanceError(f"{path} is not recorded in stance_model.json (its origin is unknown)",
                          hint=f"delete it and run `stance quantize {model_dir}`")
    if entry.get("int8_sha256") and file_sha256(path) != entry["int8_sha256"]:
        raise StanceError(f"{path} changed since `stance quantize` checked it (sha256 differs)", hint=again)
    recorded = entry.get("weights_files")
    try:
        present = [str(f.relative_to(model_dir)) for f in weight_files(model_dir)]
        current = weights_sha256(model_dir) if (present and (recorded is None or present == recorded)) else None
    except OSError:  # unreadable weights file: as if absent
        current = None
    if current is None:
        if not entry.get("int8_sha256"):
            raise StanceError(f"{model_dir}: the fp32 weights are missing or unreadable, and {INT8_FILE} has no "
                              "recorded sha256 to check it by", hint=f"restore the weights and {again}")
        logger.info("%s: fp32 weights absent or unreadable; %s checked by its own sha256", model_dir, INT8_FILE)
    elif entry.get("weights_sha256") != current:
        raise StanceError(f"{path} is stale: the weights in {model_dir} changed since it was made",
                          hint=f"{again}, or predict without --quantize")
    return path


def _recheck(model_dir: Path, entry: dict[str, Any]) -> tuple[Path, float] | None:
    """The fp32 graph and margin of the near-tie recheck, after checking the file is the one recorded."""
    rec = entry.get("recheck")
    if not rec or not rec.get("margin"):
        return None
    path = model_dir / rec["file"]
    if not path.is_file() or file_sha256(path) != rec.get("sha256"):
        raise StanceError(f"{path} is {'missing' if not path.is_file() else 'changed'} (stance quantize kept it "
                          "to rescore near ties)", hint=f"run `stance quantize {model_dir}` again")
    return path, float(rec["margin"])


def load_int8(model_dir: str | os.PathLike[str], metadata: dict[str, Any], config: Any) -> OrtClassifier | None:
    """The saved int8 model of a folder as an :class:`OrtClassifier`, or ``None`` when none was saved."""
    path = saved_int8(model_dir, metadata)
    if path is None:
        return None
    started = time.perf_counter()
    model = OrtClassifier(path, config, recheck=_recheck(Path(model_dir), metadata["int8"]))
    logger.info("loaded %s in %.2f s", path, time.perf_counter() - started)
    return model


def margins(probs: np.ndarray) -> np.ndarray:
    """Per row, the most probable class's probability minus the runner-up's."""
    top = np.sort(probs, axis=1)
    return top[:, -1] - top[:, -2] if probs.shape[1] > 1 else np.ones(len(probs))


def _flips_kl(ref: np.ndarray, p: np.ndarray) -> tuple[int, float]:
    flips = int(np.sum(np.argmax(ref, axis=1) != np.argmax(p, axis=1)))
    kl = float(np.mean(np.sum(ref * (np.log(ref + 1e-9) - np.log(p + 1e-9)), axis=1))) if len(ref) else 0.0
    return flips, kl


def measured_ranking(est: Any, fp32: Path, X: Any, ref: np.ndarray, candidates: Sequence[str],
                     scratch: Path) -> list[tuple[str, int, float]]:
    """For each candidate Linear layer kept fp32 (the rest ONNX Runtime int8): (name, label flips, mean KL) on ``X``.

    Measured with the int8 kernels that will run, not estimated from torch's quantization of
    one layer. Sorted best first: the layer whose exclusion leaves the fewest flips (then the
    lowest KL). Run it on check pairs only, never test rows.
    """
    config = getattr(est, "config_", None) or est.model_.config
    out = []
    for name in candidates:
        path = scratch / "rank.onnx"
        quantize_onnx(fp32, path, [name])
        flips, kl = _flips_kl(ref, scores_with(est, OrtClassifier(path, config), X))
        out.append((name, flips, kl))
        logger.info("int8 with %s in fp32: %d flips, KL %.2e", name, flips, kl)
    out.sort(key=lambda t: (t[1], t[2]))
    return out


def build_int8(est: Any, model_dir: str | os.PathLike[str], X: Any, *, target: float = 0.995,
               max_keep: int = 0, margin: float = 0.1, rank_rows: int = 1000, recheck: bool = True) -> dict[str, Any]:
    """Quantize once: keep in fp32 the fewest Linear layers that reach ``target`` label agreement on ``X``.

    ``X`` are check pairs: unlabelled, so the more the better (a train split, statements x every
    target), never test rows. A label can only flip where fp32's top two classes are close, so
    the layer ranking (:func:`measured_ranking`) runs on the ``rank_rows`` check pairs of least
    fp32 margin and each try (1, 2, 4, ... layers kept fp32) on the pairs within ``margin``;
    the all-int8 model and the chosen one are measured on every check pair. Writes
    ``model_dir/model.int8.onnx`` atomically and returns the ``int8`` record for
    ``stance_model.json`` (the caller writes it).

    With ``recheck``, when the int8 file alone misses ``target``, it also keeps the fp32 graph
    (``model.fp32.onnx``) and the smallest near-tie margin (:func:`choose_recheck`) whose fp32
    rescoring reaches ``target`` on the check pairs.
    """
    model_dir = Path(model_dir)
    started = time.perf_counter()
    X = X[["text", "target"]].to_dict("records") if hasattr(X, "to_dict") else list(X)
    ref = scores_with(est, est.model_, X)
    m = margins(ref)
    near = np.flatnonzero(m < margin)
    config = est.model_.config
    with tmp_dir(model_dir) as tmp:
        fp32 = export_onnx(est.model_, Path(tmp) / "fp32.onnx")
        quantize_onnx(fp32, Path(tmp) / "int8-0.onnx", [])
        flips, _ = _flips_kl(ref, scores_with(est, OrtClassifier(Path(tmp) / "int8-0.onnx", config), X))
        tried = [{"fp32_layers": 0, "agreement": round(1 - flips / len(ref), 4), "measured_on": len(ref)}]
        best = (1 - flips / len(ref), Path(tmp) / "int8-0.onnx", [])
        ranking: list[tuple[str, int, float]] = []
        for k in sorted({min(1 << i, max_keep) for i in range(max_keep.bit_length() + 1)} - {0}):
            if best[0] >= target:
                break
            if not ranking:
                low = np.argsort(m, kind="stable")[:rank_rows]
                ranking = measured_ranking(est, fp32, [X[i] for i in low], ref[low], linear_names(est.model_), Path(tmp))
            keep = [n for n, _, _ in ranking[:k]]
            out = Path(tmp) / f"int8-{k}.onnx"
            quantize_onnx(fp32, out, keep)
            flips, _ = _flips_kl(ref[near], scores_with(est, OrtClassifier(out, config), [X[i] for i in near]))
            agree = 1 - flips / len(ref)  # no flip outside the near pairs (the final file is checked on all below)
            tried.append({"fp32_layers": k, "agreement": round(agree, 4), "measured_on": int(len(near))})
            logger.info("int8 with %d layer(s) in fp32: agreement %.4f", k, agree)
            if agree > best[0]:
                best = (agree, out, keep)
        agree, path, keep = best
        p8 = scores_with(est, OrtClassifier(path, config), X)
        agree = agreement(ref, p8)
        tau, with_recheck, share = choose_recheck(ref, p8, target) if recheck and agree < target else (0.0, agree, 0.0)
        os.replace(path, model_dir / INT8_FILE)
        if tau > 0:
            os.replace(fp32, model_dir / FP32_FILE)
        elif (model_dir / FP32_FILE).is_file():  # from an earlier run
            (model_dir / FP32_FILE).unlink()
    rec = {"file": FP32_FILE, "sha256": file_sha256(model_dir / FP32_FILE), "margin": tau,
           "share": round(share, 4)} if tau > 0 else None
    return {"file": INT8_FILE, "int8_sha256": file_sha256(model_dir / INT8_FILE), "recheck": rec,
            "int8_only_agreement": round(agree, 4),
            "weights_sha256": weights_sha256(model_dir),
            "weights_files": [str(f.relative_to(model_dir)) for f in weight_files(model_dir)],
            "method": "onnxruntime dynamic int8 (MatMulInteger), per-channel weights, per-tensor activations",
            "fp32_layers": keep, "check_pairs": len(ref), "check_agreement": round(with_recheck, 4), "target": target,
            "selection": f"layers ranked by measured label flips with each kept fp32, on the {min(rank_rows, len(ref))} "
                         f"check pairs of least fp32 margin; tries on the {len(near)} pairs within {margin} margin",
            "ranking": [{"layer": n, "flips": f, "kl": round(kl, 6)} for n, f, kl in ranking[:12]],
            "tried": tried, "seconds": round(time.perf_counter() - started, 1),
            "onnxruntime": _need_ort().__version__, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def choose_recheck(ref: np.ndarray, p8: np.ndarray, target: float, step: float = 0.0025,
                   top: float = 0.3) -> tuple[float, float, float]:
    """The smallest near-tie margin whose fp32 rescoring brings label agreement to ``target``.

    A row is rescored when its int8 probabilities' top two lie within the margin; it then gets
    fp32's label. Returns ``(margin, agreement, share of rows rescored)``, computed on the check
    pairs without running anything again; the largest margin tried when none reaches ``target``.
    """
    same = np.argmax(p8, axis=1) == np.argmax(ref, axis=1)
    m8 = margins(p8)
    tau = 0.0
    for tau in np.arange(0.0, top + step / 2, step):
        if float(np.mean(same | (m8 < tau))) >= target:
            break
    tau = round(float(tau), 4)
    return tau, float(np.mean(same | (m8 < tau))), float(np.mean(m8 < tau))


def quantize_estimator(est: Any) -> Any:
    """What ``TransformerStanceClassifier.quantize()`` does: the saved int8 model if any, else torch dynamic int8.

    Returns the model to put in ``est.model_``. With a saved int8 file the fp32 torch model is
    never read (``TransformerStanceClassifier.load`` defers it).
    """
    import json

    from stance.models._inference import quantize_module

    model_dir = getattr(est, "model_dir_", None)
    meta: dict[str, Any] = {}
    if model_dir is not None and (Path(model_dir) / "stance_model.json").is_file():
        meta = json.loads((Path(model_dir) / "stance_model.json").read_text(encoding="utf-8"))
    path = saved_int8(model_dir, meta) if model_dir is not None else None
    if path is not None:
        started = time.perf_counter()
        model = OrtClassifier(path, getattr(est, "config_", None) or est.model_.config,
                              recheck=_recheck(Path(model_dir), meta["int8"]))
        logger.info("loaded %s in %.2f s", path, time.perf_counter() - started)
        return model
    logger.warning("no saved int8 model in %s: quantizing at load time (slower, less accurate); "
                   "run `stance quantize %s` once", model_dir or "this model", model_dir or "MODEL_DIR")
    return quantize_module(est.model_)


def tmp_dir(near: Path) -> tempfile.TemporaryDirectory:
    """A scratch folder beside ``near`` (same file system, so the final move is a rename)."""
    return tempfile.TemporaryDirectory(prefix=".int8-", dir=near)
