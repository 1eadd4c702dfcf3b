"""What ``ThemeModel`` does after clustering, for the experiment scripts that replace its
clustering step: small clusters become outliers, then every item goes to its nearest centroid."""

import numpy as np

from mining.themes import cluster as cl


def finish(X: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """Small clusters -> outliers; centroids; assign everything at cosine >= 0.3."""
    labels = np.asarray(labels, dtype=np.int64).copy()
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    labels[np.isin(labels, ids[counts < min_size])] = -1
    labels = cl.relabel(labels)
    if labels.max() < 0:
        labels = np.zeros(len(X), dtype=np.int64)
    a, _ = cl.assign(X, cl.centroids(X, labels), 0.3)
    return a
