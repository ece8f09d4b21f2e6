"""The TF-IDF baseline: word and character n-grams, target-conditioned, a calibrated linear model.

Target awareness follows "frustratingly easy domain adaptation": every statement's text
features appear twice, once in a block shared by all targets and once in the block of its
own target, so the linear model learns general stance cues plus per-target corrections
(and a target bias). A target unseen in training uses the shared block only.

Speed: the text is vectorised once per distinct statement; the target blocks are the same
sparse rows with shifted column indices, so scoring one statement against many targets
(:meth:`TfidfStanceClassifier.predict_proba_grid`) costs one vectorisation.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from stance.errors import StanceError
from stance.models.base import as_frame_columns, check_labels

__all__ = ["TargetTextFeatures", "TemperatureCalibratedClassifier", "TfidfStanceClassifier", "MODEL_FILE", "TRUSTED_TYPES"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

MODEL_FILE = "model.skops"

#: Types a saved TF-IDF model may contain beyond what skops trusts by default. Loading refuses
#: anything else, so a tampered file cannot run arbitrary code.
TRUSTED_TYPES = (
    "stance.models.tfidf.TargetTextFeatures",
    "stance.models.tfidf.TemperatureCalibratedClassifier",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.pipeline.Pipeline",
    "sklearn.model_selection._split.StratifiedKFold",
    "builtins.frozenset",
    "numpy.float64",
    "numpy.int64",
    "numpy.dtype",
    "numpy.ndarray",
    "scipy.sparse._csr.csr_matrix",
    "scipy.interpolate._interpolate.interp1d",
)


class TargetTextFeatures(TransformerMixin, BaseEstimator):
    """Sparse features of (statement, target) rows: shared text block + per-target block + target bias.

    Args:
        word_ngrams: Word n-gram range.
        char_ngrams: ``char_wb`` n-gram range, or ``None`` for no character features.
        min_df: Minimum document frequency.
        max_features: Vocabulary cap per analyzer.
        sublinear_tf: ``1 + log(tf)`` term weighting.
        target_features: Add the per-target block and target bias.
        mention_features: Add whether (and how much of) the target's content words occur in the
            statement, and a copy of the text block gated by that mention. Unlike the per-target
            block this carries over to targets unseen in training.
        mask_target: Replace the target's words in the statement by one placeholder token, so that
            "ban zztopic" learned on one target transfers to another (a cross-target habit).

    Example:
        >>> feats = TargetTextFeatures().fit([{"text": "Return the islands.", "target": "Kurils"}] * 3)
    """

    def __init__(self, word_ngrams: tuple[int, int] = (1, 2), char_ngrams: tuple[int, int] | None = None,
                 min_df: int = 2, max_features: int | None = 200_000, sublinear_tf: bool = True,
                 target_features: bool = True, mention_features: bool = True, mask_target: bool = False) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.target_features = target_features
        self.mention_features = mention_features
        self.mask_target = mask_target

    def _vectorizers(self, n_docs: int) -> list[TfidfVectorizer]:
        # A tiny training set cannot satisfy min_df; fall back to 1 instead of failing.
        min_df = self.min_df if n_docs >= 5 * self.min_df else 1
        out = [TfidfVectorizer(ngram_range=tuple(self.word_ngrams), min_df=min_df, max_features=self.max_features,
                               sublinear_tf=self.sublinear_tf, lowercase=True, dtype=np.float32)]
        if self.char_ngrams is not None:
            out.append(TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(self.char_ngrams), min_df=min_df,
                                       max_features=self.max_features, sublinear_tf=self.sublinear_tf,
                                       lowercase=True, dtype=np.float32))
        return out

    def fit(self, X: Any, y: Any = None) -> TargetTextFeatures:
        """Learn the vocabularies (on distinct statements) and the training targets."""
        texts, targets = as_frame_columns(X)
        texts, _ = self.prepare(texts, targets)
        unique = list(dict.fromkeys(texts))
        self.vectorizers_ = [v.fit(unique) for v in self._vectorizers(len(unique))]
        self.n_text_features_ = int(sum(len(v.vocabulary_) for v in self.vectorizers_))
        self.targets_ = sorted(set(targets))
        weights = self.n_text_features_ * (len(self.targets_) + 1)
        if self.target_features and weights > MAX_TARGET_BLOCK_FEATURES:
            raise StanceError(
                f"{len(self.targets_)} targets × {self.n_text_features_} text features would need {weights:,} weights "
                f"per class (more than {MAX_TARGET_BLOCK_FEATURES:,}: tens of GB)",
                hint="set target_features: false in the config (many targets: the shared block and mention "
                     "features transfer), or lower max_features")
        return self

    def vectorize_texts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Text block of distinct texts, each vectorised once; rows follow ``texts``.

        Example:
            >>> feats.vectorize_texts(["Return the islands."]).shape[0]
            1
        """
        check_is_fitted(self, "vectorizers_")
        index: dict[str, int] = {}
        rows = np.fromiter((index.setdefault(t, len(index)) for t in texts), dtype=np.int64, count=len(texts))
        unique = list(index)
        blocks = [v.transform(unique) for v in self.vectorizers_]
        mat = sp.hstack(blocks, format="csr", dtype=np.float32) if len(blocks) > 1 else blocks[0].tocsr()
        return mat if len(unique) == len(texts) else mat[rows]

    def prepare(self, texts: Sequence[str], targets: Sequence[str]) -> tuple[list[str], np.ndarray | None]:
        """Texts as the vectorisers see them and, when target words are masked, the mention shares.

        Without ``mask_target`` the texts are returned unchanged and the mention shares are ``None``:
        :meth:`combine` then reads them off the vectorised text (no per-row Python work).
        """
        out = list(texts)
        if not self.mask_target:
            return out, None
        mention = np.zeros(len(out), dtype=np.float32)
        targets_arr = np.asarray(targets, dtype=object)
        for target in set(targets_arr.tolist()):
            pattern, stems = _target_pattern(target)
            if pattern is None:
                continue
            for i in np.flatnonzero(targets_arr == target):
                found = {next(st for st in stems if g.lower().startswith(st)) for g in pattern.findall(out[i])}
                if found:
                    mention[i] = len(found) / len(stems)
                    out[i] = pattern.sub(MASK_TOKEN, out[i])
        return out, mention

    def _mention_from_block(self, text_block: sp.csr_matrix, targets: Sequence[str]) -> np.ndarray:
        """Share of each row's target stems present among its word unigrams (same rule as :meth:`prepare`)."""
        vocab = self.vectorizers_[0].vocabulary_
        words = np.asarray([w for w in vocab if " " not in w])
        cols = np.asarray([vocab[w] for w in words], dtype=np.int64)
        mention = np.zeros(text_block.shape[0], dtype=np.float32)
        targets_arr = np.asarray(targets, dtype=object)
        block = text_block.tocsc()
        for target in set(targets_arr.tolist()):
            _, stems = _target_pattern(target)
            if not stems:
                continue
            rows = np.flatnonzero(targets_arr == target)
            hits = np.zeros(text_block.shape[0], dtype=np.float32)
            for stem in stems:
                stem_cols = cols[np.char.startswith(words, stem)] if words.size else cols
                if stem_cols.size:
                    hits += block[:, stem_cols].getnnz(axis=1) > 0
            mention[rows] = hits[rows] / len(stems)
        return mention

    def combine(self, text_block: sp.csr_matrix, targets: Sequence[str], mention: np.ndarray | None = None) -> sp.csr_matrix:
        """Full feature rows from a text block, one target per row and the mention shares.

        A target unseen in training is treated as the average training target: its text features
        and bias are spread over every target block with weight 1/K, so it gets the shared weights
        plus the mean of the per-target weights (a zero block would leave it without the targets'
        share of the intercept and skew its predictions).
        """
        if self.mention_features:
            if mention is None:
                mention = self._mention_from_block(text_block, targets)
            gated = sp.diags((mention > 0).astype(np.float32)) @ text_block
            extra = sp.csr_matrix(np.column_stack([mention > 0, mention]).astype(np.float32))
            text_block = sp.hstack([text_block, gated, extra], format="csr", dtype=np.float32)
        return self._with_targets(text_block, targets)

    def _with_targets(self, text_block: sp.csr_matrix, targets: Sequence[str]) -> sp.csr_matrix:
        if not self.target_features:
            return text_block
        n, d = text_block.shape
        k = len(self.targets_)
        lookup = {t: i for i, t in enumerate(self.targets_)}
        tid = np.fromiter((lookup.get(t, -1) for t in targets), dtype=np.int64, count=n)
        text_block = text_block.tocsr()
        known = tid >= 0
        if known.all():
            nnz = np.diff(text_block.indptr)
            offsets = np.repeat(tid * d, nnz)
            per_target = sp.csr_matrix((text_block.data, text_block.indices + offsets, text_block.indptr),
                                       shape=(n, d * k))
            bias = sp.csr_matrix((np.ones(n, dtype=np.float32), tid, np.arange(n + 1)), shape=(n, k))
            return sp.hstack([text_block, per_target, bias], format="csr", dtype=np.float32)
        # Mixed or unseen targets: build both parts and put the rows back in input order.
        seen_rows, unseen_rows = np.flatnonzero(known), np.flatnonzero(~known)
        parts = []
        if seen_rows.size:
            parts.append(self._with_targets(text_block[seen_rows], [self.targets_[i] for i in tid[seen_rows]]))
        if unseen_rows.size:
            unseen = text_block[unseen_rows]
            spread = sp.hstack([unseen] * k, format="csr") * (1.0 / k)
            bias = sp.csr_matrix(np.full((unseen_rows.size, k), 1.0 / k, dtype=np.float32))
            parts.append(sp.hstack([unseen, spread, bias], format="csr", dtype=np.float32))
        stacked = sp.vstack(parts, format="csr")
        order = np.concatenate([seen_rows, unseen_rows])
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.size)
        return stacked[inverse]

    def transform(self, X: Any) -> sp.csr_matrix:
        """Features of (statement, target) rows."""
        texts, targets = as_frame_columns(X)
        prepared, mention = self.prepare(texts, targets)
        return self.combine(self.vectorize_texts(prepared), targets, mention)


class TemperatureCalibratedClassifier(ClassifierMixin, BaseEstimator):
    """A linear classifier whose softmax is rescaled by one temperature fitted on cross-validated scores.

    Unlike sigmoid or isotonic calibration, one temperature keeps every row's most probable class:
    a class-weighted model keeps its balanced decisions (what macro-F1 rewards) while its
    confidence is fitted to how often it is right. (Sigmoid calibration restores the class prior
    and, measured on UKP cloning, cut macro-F1 from 50.8 to 45.0.)

    Args:
        estimator: An unfitted classifier with ``decision_function``.
        folds: Cross-validation folds for the out-of-fold scores.
        random_state: Seed of the folds.

    Example:
        >>> TemperatureCalibratedClassifier(LogisticRegression()).fit(X, y).temperature_
        1.7
    """

    def __init__(self, estimator: Any = None, folds: int = 3, random_state: int = 13) -> None:
        self.estimator = estimator
        self.folds = folds
        self.random_state = random_state

    @staticmethod
    def _logits(scores: np.ndarray) -> np.ndarray:
        return np.column_stack([np.zeros_like(scores), scores]) if scores.ndim == 1 else scores

    @staticmethod
    def _softmax(z: np.ndarray) -> np.ndarray:
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def fit(self, X: Any, y: Any) -> TemperatureCalibratedClassifier:
        """Fit the temperature on out-of-fold scores, then the estimator on all rows."""
        from scipy.optimize import minimize_scalar
        from sklearn.base import clone
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        y = np.asarray(y)
        self.classes_ = np.unique(y)
        _, counts = np.unique(y, return_counts=True)
        folds = min(self.folds, int(counts.min()))
        self.temperature_ = 1.0
        if folds >= 2:
            cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
            z = self._logits(cross_val_predict(clone(self.estimator), X, y, cv=cv, method="decision_function"))
            gold = np.searchsorted(self.classes_, y)

            def nll(log_t: float) -> float:
                p = self._softmax(z / np.exp(log_t))
                return float(-np.mean(np.log(np.clip(p[np.arange(len(gold)), gold], 1e-12, None))))

            self.temperature_ = float(np.exp(minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded").x))
        else:
            logger.warning("too few examples of the rarest class to fit a temperature; using 1.0")
        self.estimator_ = clone(self.estimator).fit(X, y)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The estimator's scores divided by the temperature."""
        return self.estimator_.decision_function(X) / self.temperature_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Temperature-scaled class probabilities."""
        return self._softmax(self._logits(self.decision_function(X)))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class (the same as the uncalibrated estimator's)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class TfidfStanceClassifier(ClassifierMixin, BaseEstimator):
    """Target-aware TF-IDF + logistic regression with calibrated probabilities (scikit-learn estimator).

    Args:
        word_ngrams, char_ngrams, min_df, max_features, sublinear_tf, target_features, mention_features,
            mask_target: see
            :class:`TargetTextFeatures`.
        C: Inverse regularisation strength.
        class_weight: ``balanced`` or ``none``.
        calibration: ``temperature`` (keeps the decisions), ``sigmoid``, ``isotonic`` or ``none``.
        calibration_folds: Cross-validation folds for the calibration.
        max_iter: Solver iterations.
        random_state: Seed of the calibration folds.

    Example:
        >>> clf = TfidfStanceClassifier(calibration="none").fit(rows, labels)
        >>> clf.predict([{"text": "The islands are Russian.", "target": "Kuril sovereignty"}])
        array(['Favor'], dtype=object)
    """

    def __init__(self, word_ngrams: tuple[int, int] = (1, 2), char_ngrams: tuple[int, int] | None = None,
                 min_df: int = 2, max_features: int | None = 200_000, sublinear_tf: bool = True,
                 target_features: bool = True, mention_features: bool = True, mask_target: bool = False,
                 C: float = 2.0,
                 class_weight: str = "balanced",
                 calibration: str = "temperature", calibration_folds: int = 3, max_iter: int = 2000,
                 select: str = "grid", random_state: int = 13) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.target_features = target_features
        self.mention_features = mention_features
        self.mask_target = mask_target
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.calibration_folds = calibration_folds
        self.max_iter = max_iter
        self.select = select
        self.random_state = random_state

    def _features(self, **changes: Any) -> TargetTextFeatures:
        kw = {"word_ngrams": self.word_ngrams, "char_ngrams": self.char_ngrams, "min_df": self.min_df,
              "max_features": self.max_features, "sublinear_tf": self.sublinear_tf,
              "target_features": self.target_features, "mention_features": self.mention_features,
              "mask_target": self.mask_target}
        return TargetTextFeatures(**{**kw, **{k: v for k, v in changes.items() if k in kw}})

    def _linear(self, **changes: Any) -> LogisticRegression:
        C = changes.get("C", self.C)
        weight = changes.get("class_weight", self.class_weight)
        return LogisticRegression(C=C, class_weight=None if weight == "none" else weight,
                                  max_iter=self.max_iter, random_state=self.random_state)

    def _build(self, y: np.ndarray, **chosen: Any) -> Pipeline:
        features = self._features(**chosen)
        linear = self._linear(**chosen)
        clf: Any = linear
        if self.calibration == "temperature":
            clf = TemperatureCalibratedClassifier(linear, folds=self.calibration_folds, random_state=self.random_state)
        elif self.calibration != "none":
            _, counts = np.unique(y, return_counts=True)
            folds = min(self.calibration_folds, int(counts.min()))
            if folds >= 2:
                from sklearn.model_selection import StratifiedKFold

                cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
                clf = CalibratedClassifierCV(linear, method=self.calibration, cv=cv, ensemble=False)
            else:
                logger.warning("too few examples of the rarest class for %s calibration; using raw probabilities",
                               self.calibration)
        return Pipeline([("features", features), ("clf", clf)])

    def fit(self, X: Any, y: Any, *, validation: tuple[Any, Any] | None = None) -> TfidfStanceClassifier:
        """Fit on rows with ``text`` and ``target`` and their label strings.

        With ``select="grid"`` the settings of :data:`stance.models.tfidf_select.GRID` (character n-grams on/off, ``C``) are first scored by macro-F1 on ``validation`` or, without validation rows,
        by stratified 3-fold cross-validation inside the training rows; the best is refitted on all
        training rows. The choice and every score are in ``training_log_`` (written to
        ``stance_model.json`` by ``stance train`` and to the model card).

        Raises:
            StanceError: for no rows or a single class.
        """
        texts, targets = as_frame_columns(X)
        labels = check_labels(y)
        if len(labels) != len(texts):
            raise StanceError(f"{len(texts)} input rows but {len(labels)} labels", hint="pass one label per row")
        rows = _frame(texts, targets)
        chosen: dict[str, Any] = {}
        self.training_log_ = None
        if self.select == "grid":
            from stance.models.tfidf_select import select_settings

            chosen, self.training_log_ = select_settings(self, rows, labels, validation)
        elif self.select != "none":
            raise StanceError(f"tfidf select = {self.select!r} is not allowed", hint="use grid or none")
        self.chosen_params_ = {**self.get_params(), **chosen}
        fitted = self.training_log_.pop("_fitted", None) if self.training_log_ else None
        if fitted is not None and self.calibration == "none":  # the grid already fitted it on these rows
            self.pipeline_ = Pipeline([("features", fitted[0]), ("clf", fitted[1])])
        else:
            self.pipeline_ = self._build(labels, **chosen).fit(rows, labels)
        self.classes_ = np.asarray(self.pipeline_.classes_, dtype=object)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of :attr:`classes_`."""
        check_is_fitted(self, "pipeline_")
        texts, targets = as_frame_columns(X)
        if not texts:
            return np.zeros((0, len(self.classes_)))
        return self.pipeline_.predict_proba(_frame(texts, targets))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable label string per row."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_proba_grid(self, texts: Sequence[str], targets: Sequence[str]) -> np.ndarray:
        """Probabilities of every text against every target, vectorising each text once.

        Args:
            texts: Statements.
            targets: Target texts.

        Returns:
            Array of shape ``(len(texts), len(targets), len(classes_))``.

        Example:
            >>> clf.predict_proba_grid(["The islands are Russian."], ["Kuril sovereignty", "Peace treaty"]).shape
            (1, 2, 3)
        """
        check_is_fitted(self, "pipeline_")
        features: TargetTextFeatures = self.pipeline_.named_steps["features"]
        clf = self.pipeline_.named_steps["clf"]
        out = np.zeros((len(texts), len(targets), len(self.classes_)), dtype=np.float64)
        if len(texts) == 0:
            return out
        texts = list(texts)
        block = features.vectorize_texts(texts)
        n = len(texts)
        for j, target in enumerate(targets):
            prepared, mention = features.prepare(texts, [target] * n)
            rows = block
            if mention is not None:  # target words masked: re-vectorise only the texts that mention it
                changed = np.flatnonzero(mention > 0)
                if changed.size:
                    sub = features.vectorize_texts([prepared[i] for i in changed])
                    index = np.arange(n)
                    index[changed] = n + np.arange(changed.size)
                    rows = sp.vstack([block, sub], format="csr")[index]
            out[:, j, :] = clf.predict_proba(features.combine(rows, [target] * n, mention))
        return out

    # Saving ---------------------------------------------------------------------------------
    def save(self, model_dir: str | os.PathLike[str]) -> Path:
        """Write the fitted pipeline to ``model_dir/model.skops`` (skops: no pickle code execution on load)."""
        import skops.io as sio

        check_is_fitted(self, "pipeline_")
        path = Path(model_dir) / MODEL_FILE
        tmp = path.with_name(f".{path.name}.part")
        sio.dump(self.pipeline_, tmp)
        os.replace(tmp, path)
        from stance.io import atomic_write

        with atomic_write(Path(model_dir) / "README.md") as fh:
            fh.write(self.model_card())
        return path

    def model_card(self) -> str:
        """The README.md of the model folder: the settings used and how they were chosen."""
        params = getattr(self, "chosen_params_", None) or self.get_params()
        log = getattr(self, "training_log_", None) or {}
        lines = ["# Stance model: TF-IDF + logistic regression", "",
                 f"Labels: {', '.join(map(str, self.classes_))}. Load with `stance.models.load_model(DIR)`.", "",
                 "## Settings", ""]
        lines += [f"- {k}: {list(v) if isinstance(v, tuple) else v}" for k, v in sorted(params.items())]
        if log.get("grid"):
            lines += ["", f"## Selection: {log['selection']} on {log['selected_on']} ({log['metric']})", "",
                      "| char n-grams | C | class weight | macro-F1 |", "| --- | --- | --- | --- |"]
            lines += [f"| {r['char_ngrams']} | {r['C']} | {r['class_weight']} | {r['macro_f1']:.4f} |" for r in log["grid"]]
            lines += ["", f"Chosen: {log['chosen']}. Test rows are never used to choose."]
        return "\n".join(lines) + "\n"

    @classmethod
    def load(cls, model_dir: str | os.PathLike[str], params: dict[str, Any] | None = None) -> TfidfStanceClassifier:
        """Load a pipeline saved by :meth:`save`, refusing any type outside :data:`TRUSTED_TYPES`."""
        import skops.io as sio

        path = Path(model_dir) / MODEL_FILE
        if not path.is_file():
            raise StanceError(f"{model_dir}: {MODEL_FILE} is missing", hint="the model folder is incomplete; retrain it")
        untrusted = sio.get_untrusted_types(file=path)
        unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if unknown:
            raise StanceError(f"{path} contains types this release does not trust: {', '.join(unknown)}",
                              hint="only load models you trained yourself; retrain with this stance release")
        pipeline = sio.load(path, trusted=list(untrusted))
        est = cls(**_known_params(cls, params or {}))
        est.pipeline_ = pipeline
        est.classes_ = np.asarray(pipeline.classes_, dtype=object)
        return est


MASK_TOKEN = " zztopic "
#: Cap on the size of the per-target block (text features × targets): above it the dense weights
#: of the linear model would not fit in memory (VAST's 4,000 targets × 200,000 features did not).
MAX_TARGET_BLOCK_FEATURES = 50_000_000


@functools.lru_cache(maxsize=4096)
def _target_pattern(target: str) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    """Regex for a target's content words and their stems (prefix match: "clone", "clones" and
    "cloning" all hit the stem of "cloning")."""
    words = sorted({w for w in re.findall(r"[a-z0-9]+", target.lower()) if len(w) > 2 and w not in _STOP})
    if not words:
        return None, ()
    stems = tuple(sorted({_stem(w) for w in words}, key=len, reverse=True))
    return re.compile(r"\b(?:" + "|".join(re.escape(st) for st in stems) + r")\w*", re.IGNORECASE), stems


def _stem(word: str) -> str:
    """Strip one common English suffix, keeping at least 4 letters ("cloning" → "clon")."""
    for suffix in ("ation", "ing", "ion", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


_STOP = frozenset("the and for with from that this over into under against about between their of on in to an a by "
                  "its it is be as at or".split())


def _known_params(cls: type, params: dict[str, Any]) -> dict[str, Any]:
    names = cls._get_param_names()
    return {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items() if k in names}


def _frame(texts: list[str], targets: list[str]) -> Any:
    import pandas as pd

    return pd.DataFrame({"text": texts, "target": targets})
