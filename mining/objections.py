"""Objection detection: a calibrated classifier over embedding, stance, dialogue context and cues.

An objection is resistance to what the business proposed: a reason not to go ahead (price,
timing, trust, need, authority, a competitor, ...), a deferral ("let me think about it"), a
counter-offer in a negotiation, or a refusal. Topic words are not objections: "your price is
fair" is agreement.

Each customer text (a sentence unit, or a whole message) becomes one feature row:

- the sentence embedding (all-MiniLM-L6-v2 by default);
- stance and dialogue-context flags from :mod:`mining.stance` (refusing, hesitating, doubting,
  stating a constraint, counter-offering versus agreeing, praising, committing, thanking; a
  question; negations; an amount of money; whether the agent turn it answers named a price,
  made a proposal or asked for something);
- cue evidence from the taxonomy (:class:`mining.cues.CueMatcher`): whether an objection cue
  counts, whether one was negated ("not too expensive").

A class-balanced logistic regression on the standardised rows is fitted on examples the project
wrote (the taxonomy's category examples and ``negative_examples``, and the dialogue examples in
``mining/data/objection_examples.yaml``), plus, when given, the user's own labels. Its score is
stacked with an example-neighbour margin (:func:`knn_margin`: nearer the 10 nearest objection
examples than the 10 nearest other examples, comparing unit embedding and standardised stance
features) by a logistic regression fitted on 5-fold out-of-fold values of both, which also
turns them into a probability (Platt scaling), so the probability is calibrated on held-out
examples at a balanced prior: 0.7 means that among
held-out texts scored 0.7, about 70% were objections when objections and non-objections are
equally common. A text is an objection when its probability is at least ``threshold``
(``Settings.tagging.objection_threshold``, default 0.5).

The category is chosen by a multinomial logistic regression on the embedding and the
per-category cue flags, fitted on the written objection examples (and the user's labelled
categories). When its top probability is below ``category_threshold_`` (chosen in
:meth:`ObjectionDetector.fit` so that, out of fold, the written examples given a category get
the right one at least ``category_precision`` of the time) the category is the one whose cue
matched, and ``other`` when no cue matched: the objection fits no category well.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from mining.cues import CueMatcher, cue_processes, spacy_name
from mining.embed import embed_texts
from mining.errors import ConfigError, Errors, InputError, NotFittedError
from mining.persist import embedder_name, write_model_files
from mining.prototypes import Prototypes
from mining.stance import STANCE_FEATURES, is_question, is_request, stance_features, stance_flags
from mining.taxonomy import TaxonomyFile, load_taxonomy

__all__ = ["ObjectionDetector", "OTHER", "EXAMPLES_FILE", "load_examples", "reply_context",
           "is_question", "is_request", "knn_margin"]

#: The category of an objection that fits no taxonomy category well.
OTHER = "other"
#: The packaged dialogue examples (positives by category, hard negatives by kind).
EXAMPLES_FILE = Path(__file__).resolve().parent / "data" / "objection_examples.yaml"
#: Names of the non-embedding features, after the embedding dimensions.
FEATURES = (*STANCE_FEATURES, "cue", "negated_cue")
#: Folds of the out-of-fold scores used for calibration and for choosing label_C.
FOLDS = 5
#: L2 strengths tried for the correction learned from the user's labels when label_C="auto".
LABEL_CS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
#: The parts of a saved detector's score: the feature rows, then the example-neighbour margin.
MODEL_FEATURES = (*FEATURES, "example_knn")
#: Nearest written examples of each class averaged in the example-neighbour margin.
KNN_K = 10
#: Weight of the standardised stance, cue and context features (beside the unit embedding) in
#: the rows the example-neighbour margin compares: 0 compares meaning only.
KNN_FEATURE_WEIGHT = 0.5
#: Rows scored at once by the example-neighbour margin (bounds its memory).
KNN_CHUNK = 4096


def knn_margin(vectors: np.ndarray, examples: np.ndarray, labels: np.ndarray,
               k: int = KNN_K) -> np.ndarray:
    """How much nearer a text is to the objection examples than to the other examples (cosine).

    Args:
        vectors: ``(n, dim)`` rows of the texts.
        examples: ``(m, dim)`` rows of the examples.
        labels: ``(m,)`` 1 for an objection example, 0 for a non-objection one.
        k: Nearest examples of each class averaged (fewer when a class has fewer).

    Returns:
        ``(n,)``: mean cosine to the ``k`` nearest objection examples minus mean cosine to the
        ``k`` nearest non-objection examples (0 when either class has no example).
    """
    def unit(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, np.float32)
        return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)

    labels = np.asarray(labels)
    out = np.zeros(len(vectors))
    groups = [unit(examples[labels == c]) for c in (1, 0)]
    if not len(vectors) or not all(len(g) for g in groups):
        return out
    for start in range(0, len(vectors), KNN_CHUNK):
        v = unit(vectors[start:start + KNN_CHUNK])
        means = []
        for g in groups:
            kk = min(k, len(g))
            sims = v @ g.T
            means.append(np.partition(sims, len(g) - kk, axis=1)[:, -kk:].mean(axis=1))
        out[start:start + len(v)] = means[0] - means[1]
    return out


def load_examples(path: str | Path | None = None) -> pd.DataFrame:
    """Read a dialogue examples file (``mining/data/objection_examples.yaml`` by default).

    The file has two sections: ``objections`` (category -> examples) and ``not_objections``
    (kind -> examples). An example is a string or a mapping ``{text, context}`` where
    ``context`` is the agent turn it replies to.

    Args:
        path: The YAML file; None for the packaged one.

    Returns:
        Columns ``text``, ``context`` (str, "" when none), ``is_objection`` (int 0/1),
        ``category`` (the objection category, or the kind of non-objection).

    Raises:
        ConfigError: [E510] when the file is missing or malformed.
    """
    p = Path(path) if path is not None else EXAMPLES_FILE
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(Errors.E510.format(path=p, detail=str(err).splitlines()[0])) from None
    rows: list[tuple[str, str, int, str]] = []
    for section, label in (("objections", 1), ("not_objections", 0)):
        groups = (data or {}).get(section) or {}
        if not isinstance(groups, dict):
            raise ConfigError(Errors.E510.format(path=p, detail=f"'{section}' is not a mapping"))
        for group, items in groups.items():
            for item in items or []:
                if isinstance(item, str):
                    rows.append((item, "", label, str(group)))
                elif isinstance(item, dict) and isinstance(item.get("text"), str):
                    rows.append((item["text"], str(item.get("context") or ""), label, str(group)))
                else:
                    raise ConfigError(Errors.E510.format(
                        path=p, detail=f"{section} -> {group}: an example is not text"))
    return pd.DataFrame(rows, columns=["text", "context", "is_objection", "category"])


def reply_context(frame: pd.DataFrame) -> pd.Series:
    """The agent turn each message replies to: the last agent message before it.

    Args:
        frame: Messages in conversation order (e.g. from ``mining.journeys.build_journeys``),
            with ``role``, ``conversation_id`` (else ``journey_id``, else one conversation) and
            ``clean_text`` (or ``text``); without ``role`` every context is empty.

    Returns:
        A string Series aligned with ``frame`` ("" when no agent message came before in the
        same conversation).
    """
    col = "clean_text" if "clean_text" in frame.columns else "text"
    if col not in frame.columns or "role" not in frame.columns:
        return pd.Series("", index=frame.index, dtype="string")
    text = frame[col].astype("string")
    agent = (frame["role"].astype("string") == "agent").fillna(False).to_numpy(bool)
    key = next((c for c in ("conversation_id", "journey_id") if c in frame.columns), None)
    conv = frame[key].astype("string").fillna("").to_numpy() if key else np.zeros(len(frame))
    out, last, prev_conv = [], "", None
    for t, a, c in zip(text.tolist(), agent, conv, strict=True):
        if c != prev_conv:
            last, prev_conv = "", c
        out.append(last)
        if a and isinstance(t, str):
            last = t
    return pd.Series(out, index=frame.index, dtype="string")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


#: The built-in training rows of the last fit with a named embedder (reused by refits with
#: labels in the same process: the benchmark's learning curve, `label --labels`).
_BUILTIN_CACHE: dict[Any, Any] = {}


@functools.lru_cache(maxsize=1)
def _packaged_taxonomy() -> Any:
    """The packaged taxonomy, validated once per process (read only)."""
    return load_taxonomy(None)


def _category_rows(vectors: np.ndarray, cue_counts: np.ndarray) -> np.ndarray:
    """Category features: the embedding scaled to about unit variance per dimension, cue flags."""
    v = np.asarray(vectors, np.float64)
    return np.hstack([v * np.sqrt(max(v.shape[1], 1)), 3.0 * np.minimum(cue_counts, 1.0)])


def _balanced(y: np.ndarray) -> np.ndarray:
    pos = y == 1
    return np.where(pos, 0.5 / max(pos.sum(), 1), 0.5 / max((~pos).sum(), 1)) * len(y)


def _correction(Z: np.ndarray, y: np.ndarray, C: float,
                weight: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """The correction learned from labels: its weights and intercept.

    An L2 logistic regression, classes balanced (``weight``: per-row weights instead).
    """
    # heavy: sklearn.linear_model loads only when _correction() runs
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=float(C), max_iter=2000)
    lr.fit(Z, y, sample_weight=_balanced(y) if weight is None else weight)
    return lr.coef_[0], float(lr.intercept_[0])


class ObjectionDetector(ClassifierMixin, BaseEstimator):
    """Score customer texts as objections and name their category (a scikit-learn classifier).

    Args:
        taxonomy: A ``mining.taxonomy.Taxonomy``, a taxonomy folder, or None for the packaged
            one; its objection categories, examples, cues and ``negative_examples`` are used.
        embedder: Embedder name or object for ``mining.embed.embed_texts``; None uses settings.
        settings: ``mining.config.Settings`` (embedder defaults, cache folder).
        threshold: Probability at or above which a text is an objection.
        C: Inverse L2 strength of the logistic regression (on standardised features).
        label_C: Inverse L2 strength of the correction learned from the user's labels, or
            "auto" to choose it from :data:`LABEL_CS` by cross-validation on the labels.
        pseudo_weight: When taught with labels and given unlabelled texts of the same corpus:
            the weight of the unlabelled texts the correction is sure about, with the label
            it gives them, relative to the user's labels (0.5: half as much in all); 0 turns
            this self-training off.
        pseudo_confidence: Probability (or 1 minus it) from which an unlabelled text counts
            as sure.
        category_precision: Held-out precision a named category must reach; below the
            matching probability the category is ``other``.
        examples: Dialogue examples file; None for the packaged one.
        top_k: Nearest examples averaged for the ``similarity`` column and theme mapping.
    """

    def __init__(self, taxonomy: Any = None, embedder: Any = None, settings: Any = None,
                 threshold: float = 0.5, C: float = 0.05, label_C: Any = "auto",
                 category_precision: float = 0.8, examples: Any = None, top_k: int = 3,
                 pseudo_weight: float = 0.5, pseudo_confidence: float = 0.9) -> None:
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.settings = settings
        self.threshold = threshold
        self.C = C
        self.label_C = label_C
        self.category_precision = category_precision
        self.examples = examples
        self.top_k = top_k
        self.pseudo_weight = pseudo_weight
        self.pseudo_confidence = pseudo_confidence

    # ---------------------------------------------------------------------------- helpers
    def _embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return embed_texts(list(texts), model=self.embedder, settings=self.settings,
                           progress=progress)

    def _design(self, texts: Sequence[str], vectors: np.ndarray,
                contexts: Sequence[str] | None) -> tuple[np.ndarray, Any]:
        """Feature rows ``[embedding, stance, cue, negated_cue]`` and the cue result."""
        cues = self.matcher_.match(list(texts))
        counted = (cues.counts.sum(axis=1) > 0).astype(float)
        negated = ((cues.negated.sum(axis=1) > 0) | cues.cancelled).astype(float) * (1 - counted)
        st = stance_features(list(texts), contexts)
        X = np.hstack([np.asarray(vectors, np.float64), st, counted[:, None], negated[:, None]])
        return X, cues

    def _check(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(Errors.E500.format(name=type(self).__name__))

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "coef_")

    # -------------------------------------------------------------------------------- fit
    def _builtin(self) -> tuple[TaxonomyFile, pd.DataFrame]:
        tax = self.taxonomy
        if tax is None:
            tax = _packaged_taxonomy()
        elif isinstance(tax, (str, Path)):
            tax = load_taxonomy(tax)
        tf = tax.objections
        rows = [(e, "", 1, name) for name in tf.names for e in tf.categories[name].examples]
        rows += [(e, "", 0, "negative") for e in tf.negative_examples]
        frame = pd.concat([pd.DataFrame(rows, columns=["text", "context", "is_objection",
                                                       "category"]),
                           load_examples(self.examples)], ignore_index=True)
        frame = frame.drop_duplicates(["text", "context"], keep="first").reset_index(drop=True)
        if (frame["is_objection"] == 0).sum() < 2 or (frame["is_objection"] == 1).sum() < 2:
            raise ConfigError(Errors.E504.format(name="The objection detector",
                                                 what="at least 2 examples of each class",
                                                 got=len(frame)))
        return tf, frame

    def fit(self, X: Any = None, y: Any = None, *, vectors: np.ndarray | None = None,
            context: Sequence[str] | None = None, categories: Sequence[Any] | None = None,
            unlabelled: Any = None, unlabelled_vectors: np.ndarray | None = None,
            progress: bool = False) -> ObjectionDetector:
        """Fit on the built-in examples, plus the user's labelled texts when given.

        Args:
            X: None, or the user's labelled texts (a sequence of str, or a DataFrame with
                ``text`` and optional ``context`` and ``category`` columns).
            y: Their labels (1/True: objection, 0/False: not), one per text.
            vectors: The texts' vectors from the detector's embedder; None embeds them.
            context: Per labelled text, the agent turn it replies to.
            categories: Per labelled text, an objection category, ``other`` or None.
            unlabelled: With labels: unlabelled texts of the same corpus (a sequence of str, or
                a DataFrame with ``text`` and optional ``context``) for self-training; None: none.
            unlabelled_vectors: Their vectors from the detector's embedder; None embeds them.
            progress: Show a progress bar while embedding.

        Returns:
            self
        """
        # small linear models: one BLAS thread is much faster than many on a shared machine
        with threadpool_limits(1, user_api="blas"):
            return self._fit(X, y, vectors=vectors, context=context, categories=categories,
                             unlabelled=(unlabelled, unlabelled_vectors), progress=progress)

    def _fit(self, X: Any, y: Any, *, vectors: np.ndarray | None,
             context: Sequence[str] | None, categories: Sequence[Any] | None,
             unlabelled: tuple[Any, Any], progress: bool) -> ObjectionDetector:
        tax_key = self.taxonomy if self.taxonomy is None or isinstance(self.taxonomy, str) \
            else str(getattr(self.taxonomy, "source", self.taxonomy))
        key = (self.embedder, tax_key, str(self.examples)) \
            if isinstance(self.embedder, str) else None
        if key is not None and key in _BUILTIN_CACHE:
            tf, builtin, bvec, Xb, cues_b = _BUILTIN_CACHE[key]
            self.matcher_ = CueMatcher(tf, spacy_name(self.settings),
                                       cue_processes(self.settings))
        else:
            tf, builtin = self._builtin()
            self.matcher_ = CueMatcher(tf, spacy_name(self.settings),
                                       cue_processes(self.settings))
            bvec = self._embed(builtin["text"].tolist(), progress)
            Xb, cues_b = self._design(builtin["text"].tolist(), bvec,
                                      builtin["context"].tolist())
            if key is not None:
                _BUILTIN_CACHE.clear()
                _BUILTIN_CACHE[key] = (tf, builtin, bvec, Xb, cues_b)
        self.taxonomy_ = tf
        yb = builtin["is_objection"].to_numpy(int)
        user = _user_frame(X, y, context, categories, tf.names)
        pos = (yb == 1) & builtin["category"].isin(tf.names).to_numpy(bool)
        cat_texts = builtin.loc[pos, "text"].tolist()
        cat_vecs, cat_cues = bvec[pos], cues_b.counts[pos]
        cat_labels = builtin.loc[pos, "category"].tolist()
        self.labels_report_: dict[str, Any] = {}
        if user is not None:
            uvec = vectors if vectors is not None else self._embed(user["text"].tolist(),
                                                                    progress)
            uvec = np.asarray(uvec)
            Xu, cues_u = self._design(user["text"].tolist(), uvec, user["context"].tolist())
            yu = user["is_objection"].to_numpy(int)
            has_cat = user["category"].isin(tf.names).to_numpy(bool) & (yu == 1)
            cat_texts += user.loc[has_cat, "text"].tolist()
            cat_vecs = np.vstack([cat_vecs, uvec[has_cat]])
            cat_cues = np.vstack([cat_cues, cues_u.counts[has_cat]])
            cat_labels += user.loc[has_cat, "category"].tolist()
        self._memo(("binary", key, self.C), ("mean_", "scale_", "calibration_", "coef_",
                                             "intercept_", "oof_score_", "knn_weight_",
                                             "knn_vectors_", "knn_labels_"),
                   lambda: self._fit_binary(Xb, yb, _balanced(yb)))
        if user is not None:
            self._teach(Xu, yu, self._unlabelled_rows(*unlabelled, progress=progress))
        # the category model depends on the user's labels only through their categories
        self._memo(("categories", key, self.category_precision)
                   if int(pos.sum()) == len(cat_labels) else None,
                   ("category_coef_", "category_intercept_", "category_threshold_",
                    "category_oof_"),
                   lambda: self._fit_categories(tf, cat_vecs, cat_cues, cat_labels))
        self.prototypes_ = Prototypes(tf.names, cat_texts,
                                      np.asarray([tf.names.index(c) for c in cat_labels]),
                                      np.asarray(cat_vecs, np.float32))
        self.categories_ = list(tf.names)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = Xb.shape[1]
        p = self._proba(Xb)
        self.training_ = {"n_positive": int(yb.sum()), "n_negative": int((yb == 0).sum()),
                          "n_labels": 0 if user is None else len(user),
                          "recall_train": float((p[yb == 1] >= self.threshold).mean()),
                          "false_positive_rate_train":
                              float((p[yb == 0] >= self.threshold).mean())}
        return self

    def _memo(self, key: Any, attrs: tuple[str, ...], compute: Any) -> None:
        """Run ``compute`` (which sets ``attrs``), or reuse its result for the same key.

        Fits on the built-in examples alone are the same for every refit with labels in a
        process (the benchmark's learning curve); None as the key (or as its cache key part)
        always computes.
        """
        if key is None or key[1] is None:
            compute()
            return
        if key in _BUILTIN_CACHE:
            for name, value in zip(attrs, _BUILTIN_CACHE[key], strict=True):
                setattr(self, name, value)
            return
        compute()
        _BUILTIN_CACHE[key] = tuple(getattr(self, name) for name in attrs)

    def _linear(self, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
        """A weighted L2 logistic regression on standardised X; weights in raw units."""
        # heavy: sklearn.linear_model loads only when _linear() runs
        from sklearn.linear_model import LogisticRegression

        mean, scale = self.mean_, self.scale_
        lr = LogisticRegression(C=self.C, max_iter=3000)
        lr.fit((X - mean) / scale, y, sample_weight=w)
        coef = lr.coef_[0] / scale
        return coef, float(lr.intercept_[0] - coef @ mean)

    def _oof(self, X: np.ndarray, y: np.ndarray,
             w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Out-of-fold linear scores and example-neighbour margins (each fold's own examples)."""
        # heavy: sklearn.model_selection loads only when _oof() runs
        from sklearn.model_selection import StratifiedKFold

        oof, knn = np.zeros(len(y)), np.zeros(len(y))
        rows = self._knn_space(X)
        for tr, te in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(X, y):
            c, b = self._linear(X[tr], y[tr], w[tr])
            oof[te] = X[te] @ c + b
            knn[te] = knn_margin(rows[te], rows[tr], y[tr])
        return oof, knn

    def _knn_space(self, X: np.ndarray) -> np.ndarray:
        """Rows the neighbour margin compares: unit embedding, then the other features.

        The stance, cue and context features are standardised with the built-in examples'
        mean and scale and weighted :data:`KNN_FEATURE_WEIGHT` in all, so that a neighbour must
        be alike in stance as well as in meaning ("money isn't the problem" is not near
        "money is the problem").
        """
        dim = X.shape[1] - len(FEATURES)
        e = np.asarray(X[:, :dim], np.float64)
        e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
        f = (X[:, dim:] - self.mean_[dim:]) / self.scale_[dim:]
        return np.hstack([e, KNN_FEATURE_WEIGHT * f / np.sqrt(len(FEATURES))])

    def _fit_binary(self, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> None:
        """Fit the classifier; stack it with the example-neighbour margin, out of fold.

        The probability is a logistic regression on two out-of-fold inputs of the training
        examples: the linear model's score and :func:`knn_margin` to the other folds' examples.
        It calibrates the score (Platt scaling) and weighs the two at once.
        """
        # heavy: sklearn.linear_model loads only when _fit_binary() runs
        from sklearn.linear_model import LogisticRegression

        self.mean_ = X.mean(axis=0)
        sd = X.std(axis=0)
        self.scale_ = np.where(sd > 1e-9, sd, 1.0)
        oof, knn = self._oof(X, y, w)
        cal = LogisticRegression(C=1e4, max_iter=1000).fit(np.column_stack([oof, knn]), y,
                                                           sample_weight=w)
        self.calibration_ = (float(cal.coef_[0, 0]), float(cal.intercept_[0]))
        self.knn_weight_ = float(cal.coef_[0, 1])
        self.coef_, self.intercept_ = self._linear(X, y, w)
        self.knn_vectors_ = np.asarray(self._knn_space(X), np.float32)
        self.knn_labels_ = np.asarray(y, np.int64)
        self.oof_score_ = oof

    def _unlabelled_rows(self, texts: Any, vectors: Any, *, progress: bool) -> np.ndarray | None:
        """Feature rows of the unlabelled texts given to :meth:`fit` (None without any)."""
        if texts is None or self.pseudo_weight <= 0:
            return None
        ntexts, nctx = _texts_and_context(texts, None)
        if not ntexts:
            return None
        vecs = vectors if vectors is not None else self._embed(ntexts, progress)
        return self._design(ntexts, np.asarray(vecs), nctx)[0]

    def _teach(self, Xu: np.ndarray, yu: np.ndarray, Xn: np.ndarray | None = None) -> None:
        """Learn from the user's labels: a correction on top of the built-in model.

        A logistic regression is fitted on the labels alone with two kinds of input: the
        built-in model's calibrated logit, and the standardised features; classes are weighted
        to a balanced prior, like the built-in model (the labelled sample's share of objections
        is not the corpus's: half of it is chosen for uncertainty). Its L2 strength is
        chosen by cross-validated log-loss on the labels: with few labels it stays close to the
        built-in model, with many it learns what the built-in examples did not say. Both stages
        are linear, so they fold into one weight vector (``coef_``, ``intercept_``).

        With unlabelled rows ``Xn`` of the same corpus (self-training), the correction then
        labels them; those it is sure about (probability at least ``pseudo_confidence``, or
        at most 1 minus it) are added with that label, classes balanced among them and
        weighted ``pseudo_weight`` in all relative to the labels, and the correction is fitted
        again with the same L2 strength. So the many unlabelled messages of the user's corpus
        carry what a few labels taught to their near neighbours.
        """
        # heavy: sklearn.metrics loads only when _teach() runs
        from sklearn.metrics import roc_auc_score

        a, b = self.calibration_
        logit0 = self._logit(Xu)
        base = _sigmoid(logit0)
        report = {"n_labels": int(len(yu)), "n_objections": int(yu.sum()),
                  "builtin_agreement": round(float(((base >= self.threshold) == yu).mean()), 4),
                  "builtin_auc": round(float(roc_auc_score(yu, base)), 4)}
        Z = np.column_stack([logit0, (Xu - self.mean_) / self.scale_])
        C, cv_auc = self._choose_label_C(Z, yu)
        if cv_auc is not None:
            report["cross_validated_auc"] = cv_auc
        w, b2 = _correction(Z, yu, C)
        if Xn is not None and len(Xn):
            Zn = np.column_stack([self._logit(Xn), (Xn - self.mean_) / self.scale_])
            pn = _sigmoid(Zn @ w + b2)
            sure = (pn >= self.pseudo_confidence) | (pn <= 1.0 - self.pseudo_confidence)
            yn = (pn[sure] >= 0.5).astype(int)
            report["unlabelled"], report["pseudo_labels"] = int(len(Xn)), int(sure.sum())
            report["pseudo_objections"] = int(yn.sum())
            if len(set(yn.tolist())) == 2:
                share = self.pseudo_weight * len(yu) / len(yn)
                weight = np.r_[_balanced(yu), _balanced(yn) * share]
                w, b2 = _correction(np.vstack([Z, Zn[sure]]), np.r_[yu, yn], C, weight)
        rest = w[1:] / self.scale_
        self.coef_ = w[0] * a * self.coef_ + rest
        self.intercept_ = float(w[0] * (a * self.intercept_ + b) - rest @ self.mean_ + b2)
        self.knn_weight_ = float(w[0] * self.knn_weight_)
        self.calibration_ = (1.0, 0.0)
        report["label_C"] = float(C)
        self.labels_report_ = report

    def _choose_label_C(self, Z: np.ndarray, yu: np.ndarray) -> tuple[float, float | None]:
        """The correction's L2 strength and the cross-validated ROC AUC at it.

        ``label_C``, or the one of :data:`LABEL_CS` with the least cross-validated log-loss on
        the labels (the ROC AUC is None when not cross-validated).
        """
        # heavy: these sklearn modules load only when _choose_label_C() runs
        from sklearn.metrics import log_loss, roc_auc_score
        from sklearn.model_selection import StratifiedKFold

        if self.label_C != "auto":
            return float(self.label_C), None
        k = int(min(FOLDS, np.bincount(yu, minlength=2).min()))
        if k < 2:
            return LABEL_CS[1], None
        folds = list(StratifiedKFold(k, shuffle=True, random_state=0).split(Z, yu))
        losses, aucs = {}, {}
        for c in LABEL_CS:
            oof = np.zeros(len(yu))
            for tr, te in folds:
                w, b = _correction(Z[tr], yu[tr], c)
                oof[te] = _sigmoid(Z[te] @ w + b)
            losses[c], aucs[c] = log_loss(yu, oof, labels=[0, 1]), roc_auc_score(yu, oof)
        C = min(losses, key=losses.get)
        return C, round(float(aucs[C]), 4)

    def _fit_categories(self, tf: TaxonomyFile, vecs: np.ndarray, cues: np.ndarray,
                        labels: list[str]) -> None:
        """Multinomial category model; the ``other`` threshold from out-of-fold precision."""
        # heavy: these sklearn modules load only when _fit_categories() runs
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        X = _category_rows(vecs, cues)
        y = np.asarray([tf.names.index(c) for c in labels])
        make = LogisticRegression(C=0.2, max_iter=500)
        k = int(min(FOLDS, np.bincount(y).min()))
        proba = cross_val_predict(make, X, y, method="predict_proba",
                                  cv=StratifiedKFold(k, shuffle=True, random_state=0))
        lr = make.fit(X, y)
        top, right = proba.max(axis=1), lr.classes_[proba.argmax(axis=1)] == y
        order = np.argsort(-top)
        prec = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
        ok = np.flatnonzero(prec >= self.category_precision)
        self.category_threshold_ = float(top[order][ok[-1]]) if len(ok) else 1.0
        full = np.zeros((len(tf.names), X.shape[1]))
        inter = np.full(len(tf.names), -50.0)
        full[lr.classes_] = lr.coef_ if len(lr.classes_) > 2 else 0.0
        inter[lr.classes_] = lr.intercept_ if len(lr.classes_) > 2 else 0.0
        self.category_coef_, self.category_intercept_ = full, inter
        self.category_oof_ = {"precision_named": round(float(prec[ok[-1]]), 4) if len(ok)
                              else None, "share_named": round(float(len(ok) / len(y)), 4)}

    # -------------------------------------------------------------------------- predict
    def _logit(self, X: np.ndarray) -> np.ndarray:
        """The log-odds of an objection: calibrated linear score plus the neighbour margin."""
        a, b = self.calibration_
        z = a * (X @ self.coef_ + self.intercept_) + b
        if self.knn_weight_ and len(X):
            z = z + self.knn_weight_ * knn_margin(self._knn_space(X), self.knn_vectors_,
                                                  self.knn_labels_)
        return z

    def _proba(self, X: np.ndarray) -> np.ndarray:
        return _sigmoid(self._logit(X))

    def _categories(self, vectors: np.ndarray, cues: Any) -> tuple[np.ndarray, np.ndarray]:
        X = _category_rows(vectors, cues.counts)
        z = X @ self.category_coef_.T + self.category_intercept_
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        return p.argmax(axis=1), p.max(axis=1)

    def transform(self, texts: Sequence[str], vectors: np.ndarray,
                  context: Sequence[str] | None = None) -> pd.DataFrame:
        """Score texts (customer units or messages) as objections.

        Args:
            texts: The texts.
            vectors: Their ``(n, dim)`` vectors from the detector's embedder.
            context: Per text, the agent turn it replies to (None: unknown).

        Returns:
            One row per text: ``probability`` (float), ``is_objection`` (bool), ``category``
            (an objection category or ``other``, set for every row), ``similarity`` (mean cosine
            to that category's nearest examples), ``cue`` (an objection cue counted),
            ``evidence`` (dict: cues with their negation, nearest example, stance flags,
            probabilities).

        Raises:
            NotFittedError: [E500] before :meth:`fit` or :meth:`load`.
        """
        self._check()
        texts = ["" if not isinstance(t, str) else t for t in texts]
        ctx = list(context) if context is not None else [""] * len(texts)
        vectors = np.asarray(vectors)
        X, cues = self._design(texts, vectors, ctx)
        proba = self._proba(X)
        best, cat_p = self._categories(vectors, cues)
        sims, nearest = self.prototypes_.scores(vectors, top_k=self.top_k)
        named = cat_p >= self.category_threshold_
        by_cue = cues.counts.argmax(axis=1) if len(texts) else np.zeros(0, int)
        has_cue = cues.counts.max(axis=1) > 0 if len(texts) else np.zeros(0, bool)
        cats = [self.categories_[b] if ok else self.categories_[c] if hc else OTHER
                for b, ok, c, hc in zip(best, named, by_cue, has_cue, strict=True)]
        n_st = len(STANCE_FEATURES)
        dim = vectors.shape[1] if vectors.ndim == 2 else 0
        evidence = []
        for i in range(len(texts)):
            j = int(nearest[i, best[i]]) if len(nearest) else -1
            evidence.append({
                "cues": cues.matches[i],
                "nearest_example": self.prototypes_.texts[j] if j >= 0 else None,
                "stance": stance_flags(X[i, dim:dim + n_st]),
                "category_probability": round(float(cat_p[i]), 4),
                "probability": round(float(proba[i]), 4),
            })
        return pd.DataFrame({
            "probability": proba.astype(float),
            "is_objection": proba >= self.threshold,
            "category": pd.array(cats, dtype="string"),
            "similarity": sims[np.arange(len(best)), best].astype(float) if len(best)
            else np.zeros(0),
            "cue": X[:, -2] > 0 if len(X) else np.zeros(0, bool),
            "evidence": evidence,
        })

    def predict_proba(self, X: Any, vectors: np.ndarray | None = None,
                      context: Sequence[str] | None = None) -> np.ndarray:
        """Class probabilities, scikit-learn style.

        Args:
            X: Texts (a sequence of str, or a DataFrame with ``text`` and optional ``context``).
            vectors: Their vectors; None embeds them with the detector's embedder.
            context: Per text, the agent turn it replies to (overrides a ``context`` column).

        Returns:
            ``(n, 2)``: column 0 not an objection, column 1 an objection.
        """
        check_is_fitted(self)
        texts, ctx = _texts_and_context(X, context)
        vecs = self._embed(texts) if vectors is None else np.asarray(vectors)
        p = self._proba(self._design(texts, vecs, ctx)[0])
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any, vectors: np.ndarray | None = None,
                context: Sequence[str] | None = None) -> np.ndarray:
        """1 for an objection, 0 otherwise (probability at least ``threshold``)."""
        return (self.predict_proba(X, vectors, context)[:, 1] >= self.threshold).astype(int)

    # -------------------------------------------------------------------------- save / load
    def save(self, path: str | Path) -> Path:
        """Write the fitted detector to a folder (JSON config, ``.npy`` arrays, ``meta.json``).

        Args:
            path: The folder (created if needed).

        Returns:
            The folder.
        """
        self._check()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {"coef": self.coef_, "mean": self.mean_, "scale": self.scale_,
                  "category_coef": self.category_coef_,
                  "category_intercept": self.category_intercept_,
                  "knn_vectors": self.knn_vectors_, "knn_labels": self.knn_labels_}
        for name, arr in arrays.items():
            np.save(folder / f"{name}.npy", np.asarray(arr, np.float64), allow_pickle=False)
        config = {
            "params": {"threshold": self.threshold, "C": self.C,
                       "label_C": self.label_C, "pseudo_weight": self.pseudo_weight,
                       "pseudo_confidence": self.pseudo_confidence,
                       "category_precision": self.category_precision, "top_k": self.top_k,
                       "embedder": embedder_name(self.embedder)},
            "taxonomy": self.taxonomy_.model_dump(mode="json"),
            "intercept": self.intercept_, "calibration": list(self.calibration_),
            "category_threshold": self.category_threshold_, "knn_weight": self.knn_weight_,
            "features": list(MODEL_FEATURES),
            "training": self.training_, "labels": self.labels_report_,
            "prototypes": self.prototypes_.save(folder, "examples"),
        }
        return write_model_files(folder, "ObjectionDetector", config)

    @classmethod
    def load(cls, path: str | Path) -> ObjectionDetector:
        """Read a detector written by :meth:`save`.

        Raises:
            InputError: [E501] when the folder is not a saved detector; [E518] when it was
                saved with other features than this version computes.
        """
        folder = Path(path)
        names = ("config.json", "meta.json", "examples_vectors.npy", "coef.npy", "mean.npy",
                 "scale.npy", "category_coef.npy", "category_intercept.npy")
        for name in names:
            if not (folder / name).is_file():
                raise InputError(Errors.E501.format(path=folder, name="objection detector",
                                                    missing=name))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if list(config.get("features", FEATURES)) != list(MODEL_FEATURES):
            raise InputError(Errors.E518.format(path=folder, saved=len(config["features"]),
                                                now=len(MODEL_FEATURES)))
        for name in ("knn_vectors.npy", "knn_labels.npy"):
            if not (folder / name).is_file():
                raise InputError(Errors.E501.format(path=folder, name="objection detector",
                                                    missing=name))
        params = dict(config["params"])
        det = cls(**params)
        det.taxonomy_ = TaxonomyFile.model_validate(config["taxonomy"])
        det.matcher_ = CueMatcher(det.taxonomy_, spacy_name(det.settings),
                                  cue_processes(det.settings))
        det.prototypes_ = Prototypes.load(folder, "examples", config["prototypes"])
        for name in ("coef", "mean", "scale", "category_coef", "category_intercept",
                     "knn_vectors", "knn_labels"):
            setattr(det, f"{name}_", np.load(folder / f"{name}.npy", allow_pickle=False))
        det.knn_labels_ = det.knn_labels_.astype(np.int64)
        det.knn_weight_ = float(config["knn_weight"])
        det.intercept_ = float(config["intercept"])
        det.calibration_ = tuple(config["calibration"])
        det.category_threshold_ = float(config["category_threshold"])
        det.training_ = config.get("training", {})
        det.labels_report_ = config.get("labels", {})
        det.categories_ = list(det.taxonomy_.names)
        det.classes_ = np.array([0, 1])
        det.n_features_in_ = len(det.coef_)
        return det


def _texts_and_context(X: Any, context: Sequence[str] | None) -> tuple[list[str], list[str]]:
    if isinstance(X, pd.DataFrame):
        texts = X["text"].fillna("").astype(str).tolist()
        if context is None and "context" in X.columns:
            context = X["context"].fillna("").astype(str).tolist()
    else:
        texts = ["" if not isinstance(t, str) else t for t in X]
    ctx = [c if isinstance(c, str) else "" for c in context] if context is not None \
        else [""] * len(texts)
    return texts, ctx


def _user_frame(X: Any, y: Any, context: Any, categories: Any,
                names: list[str]) -> pd.DataFrame | None:
    """The user's labelled texts as ``text, context, is_objection, category`` (or None)."""
    if X is None:
        return None
    texts, ctx = _texts_and_context(X, context)
    if categories is None and isinstance(X, pd.DataFrame) and "category" in X.columns:
        categories = X["category"].tolist()
    if y is None:
        raise ConfigError(Errors.E504.format(name="ObjectionDetector.fit(X, y)",
                                             what="labels y for the texts X", got="y=None"))
    yv = np.asarray([int(bool(v)) for v in y])
    if len(yv) != len(texts):
        raise ConfigError(Errors.E504.format(name="ObjectionDetector.fit(X, y)",
                                             what=f"{len(texts)} labels", got=len(yv)))
    cats = [c if isinstance(c, str) else "" for c in categories] if categories is not None \
        else [""] * len(texts)
    return pd.DataFrame({"text": texts, "context": ctx, "is_objection": yv, "category": cats})
