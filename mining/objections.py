"""Objection detection: cue matches + similarity to taxonomy examples -> calibrated probability.

Each customer unit (sentence) gets six features:

``cue``
    1 when a cue of any objection category matches and is neither negated nor cancelled
    ("too expensive" counts, "not too expensive" and "the price isn't an issue" do not).
``negated_cue``
    1 when no cue counts but a cue was negated or a cancel pattern matched ("money isn't really
    the problem").
``similarity``
    the best category score: mean cosine of the ``top_k`` nearest examples of a category.
``margin``
    ``similarity`` minus the same score against the taxonomy's non-objection utterances
    (``negative_examples`` in objections.yaml, the examples of intents.yaml and the pre-conversion
    examples of stages.yaml).
``semantic``
    the logit of a class-balanced logistic regression on the sentence embedding, trained to
    tell the objection examples from the non-objection utterances.
``question``
    1 when the sentence asks for something (a question: a question mark, or a question opener
    such as "how", "can", "is" when casual chat drops the mark; or a request: "please ...",
    "let's ...") and no objection cue counts. Asking for information or an action is not an
    objection unless the sentence also states a concern ("why is it so expensive?", "how do I
    know my data is safe?" carry cues); its weight is learned like the others and can only
    lower the probability.

The objection probability is a logistic combination ``sigmoid(w . features + b)``. Its seven
numbers are fitted in :meth:`ObjectionDetector.fit` from the taxonomy alone: its objection
examples are the positives, the non-objection utterances the negatives; similarities are
computed leave-one-out (an example is never compared with itself) and the semantic logit
out-of-fold (5-fold), so the probability is calibrated on held-out taxonomy examples. Weights
are constrained to the sign that makes sense (a counted cue, a higher similarity or semantic
logit never lower the probability; a negated cue never raises it), so the probability is
monotone in the evidence. A sentence embedding barely sees negation ("money isn't the problem"
sits next to price objections), so for a negated or cancelled concern ``margin`` and
``semantic`` can only count against it, and the ``negated_cue`` weight is at most
:data:`NEGATION_WEIGHT`.

A unit is an objection when its probability is at least ``threshold``
(``Settings.tagging.objection_threshold``, default 0.5: the point where objection and
non-objection are equally likely for a balanced prior).

The category is the one with the highest ``similarity + cue_bonus * (its cue matched)``.
No sample data or ground truth is used to fit anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mining.errors import ConfigError, Errors, NotFittedError

if TYPE_CHECKING:
    import pandas as pd

    from mining.taxonomy import Taxonomy, TaxonomyFile

FEATURES = ("cue", "negated_cue", "similarity", "margin", "semantic", "question")
#: Allowed sign of each weight: +1 non-negative, -1 non-positive, 0 free.
_SIGNS = (1, -1, 1, 1, 1, -1)
#: The weight of ``negated_cue`` is at most this (a prior: sentence embeddings barely see
#: negation, and a few taxonomy examples cannot teach it).
NEGATION_WEIGHT = -3.0
#: Folds of the cross-validation that gives the training rows out-of-fold semantic scores.
_FOLDS = 5


#: First words that open a question when the question mark is missing (casual chat).
QUESTION_OPENERS = frozenset({
    "what", "what's", "whats", "how", "how's", "when", "where", "which", "who", "why", "do",
    "does", "did", "can", "could", "would", "will", "is", "are", "was", "were", "should", "may",
    "has", "have", "any", "anyone", "whereabouts"})


#: First words that open a request ("please send the contract", "let's book Tuesday").
REQUEST_OPENERS = frozenset({"please", "pls", "plz", "kindly", "let's", "lets"})
#: A wish stated at the start of a sentence is a request too ("we'd like to start a trial").
WISH_OPENERS = (" i'd like", " we'd like", " i would like", " we would like", " i'd love",
                " we'd love", " i would love", " we would love")


#: Words that set a clause against another: "the price is fine, but the contract is too long".
_CONTRAST = re.compile(r"\b(but|however|though|although|except|still|yet|whereas|only that)\b",
                       re.IGNORECASE)


def _first_word(text: str) -> str:
    return text.split(maxsplit=1)[0].lower().strip(",.!:;\"'()") if text else ""


def is_question(text: str) -> bool:
    """Return whether a sentence is a question: a question mark, or a question opener."""
    t = text.strip()
    if t.endswith("?"):
        return True
    return _first_word(t) in QUESTION_OPENERS


def is_request(text: str) -> bool:
    """Return whether a sentence asks for something: a question, or a request ("please ...")."""
    t = text.strip()
    if is_question(t):
        return True
    low = f" {t.lower()}"
    return (_first_word(t) in REQUEST_OPENERS or " please" in low
            or any(w in low[:24] for w in WISH_OPENERS))


def _fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1e-3) -> tuple[np.ndarray, float]:
    """Fit a class-balanced, L2-penalised logistic regression with sign-constrained weights."""
    from scipy.optimize import minimize

    pos = y == 1
    w_row = np.where(pos, 0.5 / max(pos.sum(), 1), 0.5 / max((~pos).sum(), 1))

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        z = X @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        ll = -(w_row * (y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z))).sum()
        grad_z = w_row * (p - y)
        g = np.append(X.T @ grad_z + l2 * w, grad_z.sum())
        return -ll + 0.5 * l2 * float(w @ w), g

    bounds = [(0, None) if s > 0 else (None, 0) if s < 0 else (None, None) for s in _SIGNS]
    bounds.append((None, None))
    res = minimize(loss, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    return res.x[:-1], float(res.x[-1])


class ObjectionDetector:
    """Score customer units as objections and name their category (scikit-learn contract).

    Args:
        taxonomy: A :class:`~mining.taxonomy.Taxonomy`, a taxonomy folder, or None for the
            packaged one. Its objections (and intents, as extra negatives) are used.
        embedder: Embedder name or object for ``mining.embed.embed_texts``; None uses settings.
        threshold: Probability at or above which a unit is an objection.
        top_k: Nearest examples averaged per category.
        cue_bonus: Added to a category's similarity when one of its cues matched.
        settings: ``mining.config.Settings`` (embedder defaults, cache folder).
    """

    def __init__(self, taxonomy: Taxonomy | str | Path | None = None, *, embedder: Any = None,
                 threshold: float = 0.5, top_k: int = 3, cue_bonus: float = 1.0,
                 settings: Any = None) -> None:
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.threshold = threshold
        self.top_k = top_k
        self.cue_bonus = cue_bonus
        self.settings = settings

    # ---------------------------------------------------------------------------------- fit
    def fit(self, X: Any = None, y: Any = None, *, progress: bool = False) -> ObjectionDetector:
        """Embed the taxonomy examples and fit the probability weights from them.

        Args:
            X: Ignored (the detector learns from the taxonomy, never from the data it tags).
            y: Ignored.
            progress: Show a progress bar while embedding examples.

        Returns:
            self
        """
        from mining.cues import CueMatcher
        from mining.prototypes import Prototypes
        from mining.taxonomy import load_taxonomy

        tax = self.taxonomy
        if tax is None or isinstance(tax, (str, Path)):
            tax = load_taxonomy(tax)
        tf: TaxonomyFile = tax.objections
        negatives = list(tf.negative_examples)
        if "intents" in tax.files:
            negatives += [e for c in tax.intents.categories.values() for e in c.examples]
        if "stages" in tax.files:
            st = tax.stages
            stop = st.names.index(st.post_conversion_stage) if st.post_conversion_stage \
                else len(st.names)
            negatives += [e for name in st.names[:stop] for e in st.categories[name].examples]
        negatives = list(dict.fromkeys(negatives))
        if len(negatives) < 2:
            raise ConfigError(Errors.E504.format(name="The objection detector",
                                                 what="at least 2 negative examples",
                                                 got=len(negatives)))
        from mining.embed import embed_texts

        self.taxonomy_ = tf
        self.prototypes_ = Prototypes.from_taxonomy(tf, embedder=self.embedder,
                                                    settings=self.settings, progress=progress)
        neg_vec = embed_texts(negatives, model=self.embedder, settings=self.settings,
                              progress=progress)
        self.negatives_ = Prototypes(["none"], negatives, np.zeros(len(negatives), np.int64),
                                     neg_vec)
        self.matcher_ = CueMatcher(tf)

        protos = self.prototypes_
        n_pos = len(protos.texts)
        y_train = np.r_[np.ones(n_pos), np.zeros(len(negatives))]
        emb = np.vstack([protos.vectors, neg_vec]).astype(np.float64)
        oof = self._fit_semantic(emb, y_train)
        feats_pos, _, _ = self._features(protos.texts, protos.vectors,
                                         exclude_pos=np.arange(n_pos), exclude_neg=None,
                                         semantic=oof[:n_pos])
        feats_neg, _, _ = self._features(negatives, neg_vec, exclude_pos=None,
                                         exclude_neg=np.arange(len(negatives)),
                                         semantic=oof[n_pos:])
        X_train = np.vstack([feats_pos, feats_neg])
        self.coef_, self.intercept_ = _fit_logistic(X_train, y_train)
        neg_i = FEATURES.index("negated_cue")
        self.coef_[neg_i] = min(self.coef_[neg_i], NEGATION_WEIGHT)
        p_train = self._proba(X_train)
        pred = p_train >= self.threshold
        self.training_ = {
            "n_positive": int(n_pos), "n_negative": int(len(negatives)),
            "recall_loo": float(pred[: n_pos].mean()),
            "false_positive_rate_loo": float(pred[n_pos:].mean()),
        }
        self.categories_ = protos.categories
        return self

    def _fit_semantic(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Fit the embedding classifier; return out-of-fold logits of the training rows."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        def make() -> LogisticRegression:
            return LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)

        folds = StratifiedKFold(_FOLDS, shuffle=True, random_state=0)
        oof = cross_val_predict(make(), X, y, cv=folds, method="decision_function")
        lr = make().fit(X, y)
        self.semantic_coef_ = lr.coef_[0].astype(np.float32)
        self.semantic_intercept_ = float(lr.intercept_[0])
        return np.asarray(oof, dtype=float)

    def _check(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(Errors.E500.format(name=type(self).__name__))

    def _features(self, texts: Sequence[str], vectors: np.ndarray, *,
                  exclude_pos: np.ndarray | None, exclude_neg: np.ndarray | None,
                  semantic: np.ndarray | None = None
                  ) -> tuple[np.ndarray, dict[str, np.ndarray], list[list[dict[str, Any]]]]:
        cues = self.matcher_.match(list(texts))
        if semantic is None:
            semantic = np.asarray(vectors, np.float32) @ self.semantic_coef_ + \
                self.semantic_intercept_
        cat_sim, nearest = self.prototypes_.scores(vectors, top_k=self.top_k, exclude=exclude_pos)
        neg_sim, _ = self.negatives_.scores(vectors, top_k=self.top_k, exclude=exclude_neg)
        # a reassurance ("security isn't a blocker, we just need the report") is not an
        # objection because a later clause names a topic: cues after the first cancel pattern
        # do not count, unless a contrast ("the price is fine, but ...") sets them apart
        contrast = np.array([bool(_CONTRAST.search(t)) for t in texts], dtype=bool)
        first = cues.first_cancel if cues.first_cancel is not None else np.full(len(texts), -1)
        counted = np.array([
            any(not m["negated"] and (contrast[i] or first[i] < 0 or m["start"] < first[i])
                for m in matches)
            for i, matches in enumerate(cues.matches)], dtype=bool)
        negated = ((cues.negated.sum(axis=1) > 0) | cues.cancelled) & ~counted
        best_sim = cat_sim.max(axis=1) if cat_sim.shape[1] else np.zeros(len(texts))
        # asking (a question or a request) without a stated concern
        question = np.array([is_request(t) for t in texts], dtype=float) * ~counted
        margin = best_sim - neg_sim[:, 0]
        semantic = np.asarray(semantic, float)
        # a negated concern resembles the objection it negates: its resemblance cannot count
        margin = np.where(negated, np.minimum(margin, 0.0), margin)
        semantic = np.where(negated, np.minimum(semantic, 0.0), semantic)
        feats = np.column_stack([counted.astype(float), negated.astype(float), best_sim,
                                 margin, semantic, question])
        extra = {"cat_sim": cat_sim, "nearest": nearest, "cue_counts": cues.counts,
                 "neg_sim": neg_sim[:, 0]}
        return feats, extra, cues.matches

    def _proba(self, feats: np.ndarray) -> np.ndarray:
        z = feats @ self.coef_ + self.intercept_
        return 1.0 / (1.0 + np.exp(-z))

    # ---------------------------------------------------------------------------- transform
    def transform(self, texts: Sequence[str], vectors: np.ndarray) -> pd.DataFrame:
        """Score texts (customer units) as objections.

        Args:
            texts: The unit texts.
            vectors: Their ``(n, dim)`` vectors from the same embedder as the detector's.

        Returns:
            One row per text: ``probability`` (float), ``is_objection`` (bool), ``category``
            (best category, set for every row), ``similarity`` (its score), ``cue`` (counted cue
            match), ``evidence`` (dict: cues with their negation, nearest example, features).

        Raises:
            NotFittedError: [E500] before :meth:`fit` or :meth:`load`.
        """
        import pandas as pd

        self._check()
        texts = ["" if not isinstance(t, str) else t for t in texts]
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(texts) == 0:
            return pd.DataFrame({"probability": pd.Series(dtype=float),
                                 "is_objection": pd.Series(dtype=bool),
                                 "category": pd.Series(dtype="string"),
                                 "similarity": pd.Series(dtype=float),
                                 "cue": pd.Series(dtype=bool), "evidence": pd.Series(dtype=object)})
        feats, extra, matches = self._features(texts, vectors, exclude_pos=None, exclude_neg=None)
        proba = self._proba(feats)
        score = extra["cat_sim"] + self.cue_bonus * (extra["cue_counts"] > 0)
        best = score.argmax(axis=1)
        cats = [self.categories_[b] for b in best]
        evidence = []
        for i, b in enumerate(best):
            near = int(extra["nearest"][i, b])
            evidence.append({
                "cues": [{"category": m["category"], "cue": m["cue"], "negated": m["negated"]}
                         for m in matches[i]],
                "nearest_example": self.prototypes_.texts[near] if near >= 0 else None,
                "similarity": round(float(extra["cat_sim"][i, b]), 4),
                "non_objection_similarity": round(float(extra["neg_sim"][i]), 4),
                "semantic_logit": round(float(feats[i, 4]), 4),
                "probability": round(float(proba[i]), 4),
            })
        return pd.DataFrame({
            "probability": proba.astype(float),
            "is_objection": proba >= self.threshold,
            "category": pd.array(cats, dtype="string"),
            "similarity": extra["cat_sim"][np.arange(len(best)), best].astype(float),
            "cue": feats[:, 0] > 0,
            "evidence": evidence,
        })

    def predict_proba(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Return the objection probability of each text (see :meth:`transform`)."""
        return self.transform(texts, vectors)["probability"].to_numpy()

    # -------------------------------------------------------------------------- save / load
    def save(self, path: str | Path) -> Path:
        """Write the fitted detector to a folder (JSON config, ``.npy`` vectors, ``meta.json``).

        Args:
            path: The folder (created if needed).

        Returns:
            The folder.
        """
        from mining.persist import embedder_name, write_model_files

        self._check()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        emb = embedder_name(self.embedder)
        config = {
            "params": {"threshold": self.threshold, "top_k": self.top_k,
                       "cue_bonus": self.cue_bonus, "embedder": emb},
            "taxonomy": self.taxonomy_.model_dump(mode="json"),
            "coef": [float(c) for c in self.coef_], "intercept": self.intercept_,
            "features": list(FEATURES), "training": self.training_,
            "prototypes": self.prototypes_.save(folder, "examples"),
            "negatives": self.negatives_.save(folder, "negatives"),
            "semantic_intercept": self.semantic_intercept_,
        }
        np.save(folder / "semantic_coef.npy", self.semantic_coef_, allow_pickle=False)
        return write_model_files(folder, "ObjectionDetector", config)

    @classmethod
    def load(cls, path: str | Path) -> ObjectionDetector:
        """Read a detector written by :meth:`save`.

        Raises:
            InputError: [E501] when the folder is not a saved detector.
        """
        from mining.cues import CueMatcher
        from mining.errors import InputError
        from mining.prototypes import Prototypes
        from mining.taxonomy import TaxonomyFile

        folder = Path(path)
        for name in ("config.json", "meta.json", "examples_vectors.npy", "negatives_vectors.npy",
                     "semantic_coef.npy"):
            if not (folder / name).is_file():
                raise InputError(Errors.E501.format(path=folder, name="objection detector",
                                                    missing=name))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        det = cls(embedder=config["params"]["embedder"],
                  **{k: v for k, v in config["params"].items() if k != "embedder"})
        det.taxonomy_ = TaxonomyFile.model_validate(config["taxonomy"])
        det.prototypes_ = Prototypes.load(folder, "examples", config["prototypes"])
        det.negatives_ = Prototypes.load(folder, "negatives", config["negatives"])
        det.matcher_ = CueMatcher(det.taxonomy_)
        det.coef_ = np.asarray(config["coef"], dtype=float)
        det.intercept_ = float(config["intercept"])
        det.semantic_coef_ = np.load(folder / "semantic_coef.npy", allow_pickle=False)
        det.semantic_intercept_ = float(config["semantic_intercept"])
        det.training_ = config.get("training", {})
        det.categories_ = det.prototypes_.categories
        return det
