"""The lead-scoring model, its baselines and the validation metrics.

:class:`LeadScorer` is a scikit-learn estimator: gradient-boosted trees
(``HistGradientBoostingClassifier``, missing values handled natively) whose probabilities are
calibrated on out-of-fold predictions (``CalibratedClassifierCV`` with stratified folds grouped
by journey, so no journey is both fitted and calibrated on). :class:`RecencyBaseline` scores by
the days since the last customer message alone (a logistic regression on ``log1p`` of it); the
base-rate baseline is the training conversion rate for everyone.

Metrics: ROC AUC, PR AUC (average precision), Brier score, expected calibration error (ECE: the
mean absolute gap between predicted and observed rates over ten equal-width probability bins,
weighted by the share of snapshots in each bin) and a calibration table with Wilson intervals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from mining.reports import stats


class LeadScorer(ClassifierMixin, BaseEstimator):
    """Calibrated gradient boosting over snapshot features.

    Args:
        max_iter: Boosting iterations.
        learning_rate: Shrinkage.
        max_leaf_nodes: Leaves per tree.
        min_samples_leaf: Smallest leaf.
        l2_regularization: L2 penalty on leaf values.
        calibration: ``"sigmoid"`` (Platt) or ``"isotonic"``.
        n_folds: Folds (grouped by journey) for the out-of-fold calibration.
        random_state: Seed.
        n_threads: OpenMP threads for the trees (1 by default: the model is small, and on a busy
            machine more threads only wait for each other).
    """

    def __init__(self, max_iter: int = 150, learning_rate: float = 0.05,
                 max_leaf_nodes: int = 15, min_samples_leaf: int = 20,
                 l2_regularization: float = 1.0, calibration: str = "sigmoid",
                 n_folds: int = 5, random_state: int = 0, n_threads: int = 1) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.calibration = calibration
        self.n_folds = n_folds
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, X: Any, y: Any, groups: Any = None) -> LeadScorer:
        """Fit the trees and their calibration.

        Args:
            X: Feature matrix (snapshots × features; NaN allowed).
            y: 1 when the journey converted within the horizon after the snapshot.
            groups: Journey of each snapshot (folds never split a journey); default one group
                per row.

        Returns:
            self
        """
        # heavy: these sklearn modules load only when fit() runs
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.model_selection import StratifiedGroupKFold

        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=int)
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        self.classes_ = np.unique(y)
        trees = HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization, random_state=self.random_state)
        n_folds = min(self.n_folds, *(len(np.unique(groups[y == c])) for c in (0, 1)))
        if n_folds < 2:
            raise ValueError("LeadScorer needs at least two journeys of each class")
        folds = list(StratifiedGroupKFold(n_splits=n_folds).split(X, y, groups))
        with threadpool_limits(self.n_threads):
            self.model_ = CalibratedClassifierCV(trees, method=self.calibration, cv=folds) \
                .fit(X, y)
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probabilities, shape ``(n, 2)``."""
        check_is_fitted(self, "model_")
        with threadpool_limits(self.n_threads):
            return self.model_.predict_proba(np.asarray(X, dtype=float))

    def predict(self, X: Any) -> np.ndarray:
        """1 where the probability is at least 0.5."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


class RecencyBaseline(ClassifierMixin, BaseEstimator):
    """Logistic regression on ``log1p(days since the last customer message)`` only.

    Args:
        column: Index of the recency feature in ``X``.
    """

    def __init__(self, column: int = 0) -> None:
        self.column = column

    def _x(self, X: Any) -> np.ndarray:
        x = np.asarray(X, dtype=float)[:, [self.column]]
        return np.log1p(np.nan_to_num(x, nan=np.nanmax(x) if np.isfinite(x).any() else 0.0)
                        .clip(min=0))

    def fit(self, X: Any, y: Any) -> RecencyBaseline:
        """Fit the one-feature logistic regression."""
        # heavy: sklearn.linear_model loads only when fit() runs
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y, dtype=int)
        self.classes_ = np.unique(y)
        self.model_ = LogisticRegression().fit(self._x(X), y)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities, shape ``(n, 2)``."""
        check_is_fitted(self, "model_")
        return self.model_.predict_proba(self._x(X))


def ece(y: Any, p: Any, bins: int = 10) -> float:
    """Expected calibration error over ``bins`` equal-width bins (0 is perfect)."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = idx == b
        if sel.any():
            total += sel.mean() * abs(p[sel].mean() - y[sel].mean())
    return float(total)


def calibration_table(y: Any, p: Any, bins: int = 10) -> list[dict[str, Any]]:
    """Per non-empty probability bin: snapshots, mean prediction, observed rate and interval."""
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        sel = idx == b
        n = int(sel.sum())
        if not n:
            continue
        k = int(y[sel].sum())
        lo, hi = stats.wilson_interval(k, n)
        rows.append({"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}", "snapshots": n,
                     "mean_predicted": round(float(p[sel].mean()), 4), "converted": k,
                     "observed_rate": round(k / n, 4), "observed_lo": round(float(lo), 4),
                     "observed_hi": round(float(hi), 4)})
    return rows


def metrics(y: Any, p: Any) -> dict[str, Any]:
    """ROC AUC, PR AUC, Brier score and ECE of probabilities ``p`` for outcomes ``y``.

    AUCs are None when ``y`` holds one class only.
    """
    # heavy: sklearn.metrics loads only when metrics() runs
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    both = len(np.unique(y)) == 2
    return {
        "snapshots": int(len(y)), "positives": int(y.sum()),
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if both else None,
        "pr_auc": round(float(average_precision_score(y, p)), 4) if both else None,
        "brier": round(float(brier_score_loss(y, p)), 4),
        "ece": round(ece(y, p), 4),
    }


def local_contributions(model: Any, X: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """How much each feature moves each row's probability, one feature at a time.

    For row ``i`` and feature ``f``: ``p(x_i) - p(x_i with feature f set to reference[f])``, the
    reference being a typical value (the training median). Positive means the feature's value
    makes conversion more likely than a typical value would. The contributions are not additive
    (trees interact); they answer "what if only this were typical?".

    Args:
        model: A fitted classifier with ``predict_proba``.
        X: Rows to explain, shape ``(n, m)``.
        reference: Typical value per feature, shape ``(m,)``.

    Returns:
        Array ``(n, m)`` of probability differences.
    """
    X = np.asarray(X, dtype=float)
    n, m = X.shape
    if n == 0:
        return np.zeros((0, m))
    base = model.predict_proba(X)[:, 1]
    stacked = np.repeat(X[None, :, :], m, axis=0)  # (m, n, m)
    for f in range(m):
        stacked[f, :, f] = reference[f]
    p = model.predict_proba(stacked.reshape(m * n, m))[:, 1].reshape(m, n)
    return (base[None, :] - p).T
