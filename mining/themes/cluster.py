"""Clustering for themes: clusterers by name, automatic granularity, centroids and assignment.

Every function works on plain numpy arrays so the steps can be tested and reused on their own.
Vectors are L2-normalised rows; similarities are cosine similarities (dot products).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from mining.errors import ConfigError, Errors

#: Smallest automatic theme size.
MIN_AUTO_SIZE = 5
#: Decimals vectors are rounded to before use (after L2 normalisation). The same text embedded
#: in another batch (another padding length) differs by up to ~1e-7 per component, so a cache
#: filled in a different order gave UMAP slightly different input (the demo's theme count
#: moved 369-374). Rounded to 4 decimals, 12 instead of 173 of 913 insurance vectors differ
#: between two batchings (a component on a rounding boundary); UMAP still moves a few items
#: (ARI 0.996 between the fits), so this reduces the effect but does not remove it
#: (``benchmarks/themes_stability.py``; ``docs/themes.md``, "Stability"). None: no rounding.
VECTOR_DECIMALS: int | None = 4


def auto_min_size(n: int) -> int:
    """Return the automatic smallest theme size for ``n`` items: ``max(5, round(2 ln n))``.

    That is 9 for 100 items, 14 for 1,000, 16 for 3,000 and 18 for 10,000. A theme must be
    worth a person's attention, and HDBSCAN's ``min_cluster_size`` is also its density
    smoothing, so the size grows slowly: a size proportional to ``n`` merges distinct intents in
    large corpora. The factor 2 was chosen between 1.5 and 2 on the two benchmark sets (both
    preferred 2; see ``docs/themes.md``).

    Args:
        n: Number of items to cluster.

    Returns:
        The minimum theme size.
    """
    if n <= 1:
        return MIN_AUTO_SIZE
    return max(MIN_AUTO_SIZE, int(round(2.0 * math.log(n))))


def _hdbscan(Z: np.ndarray, min_size: int, seed: int) -> np.ndarray:
    # heavy: hdbscan loads only when _hdbscan() runs
    import hdbscan

    model = hdbscan.HDBSCAN(min_cluster_size=min_size, cluster_selection_method="eom",
                            core_dist_n_jobs=1)
    return model.fit_predict(Z).astype(np.int64)


def _fast_hdbscan(Z: np.ndarray, min_size: int, seed: int) -> np.ndarray:
    try:
        # optional: fast_hdbscan is not a dependency (E308 when absent)
        import fast_hdbscan
    except ImportError:
        raise ConfigError(Errors.E308.format(name="fast_hdbscan", package="fast-hdbscan")) \
            from None

    model = fast_hdbscan.HDBSCAN(min_cluster_size=min_size, cluster_selection_method="eom")
    return model.fit_predict(Z).astype(np.int64)


def _kmeans(Z: np.ndarray, min_size: int, seed: int) -> np.ndarray:
    # heavy: sklearn.cluster loads only when _kmeans() runs
    from sklearn.cluster import KMeans

    k = max(2, min(len(Z), len(Z) // max(1, min_size)))
    return KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(Z).astype(np.int64)


#: Clusterers by name: ``f(reduced_vectors, min_size, seed) -> labels`` (-1 = outlier).
CLUSTERERS: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {
    "hdbscan": _hdbscan,
    "fast_hdbscan": _fast_hdbscan,
    "kmeans": _kmeans,
}


def run_clusterer(name: str, Z: np.ndarray, min_size: int, seed: int) -> np.ndarray:
    """Cluster reduced vectors with the clusterer called ``name``.

    Args:
        name: A key of :data:`CLUSTERERS`.
        Z: Reduced vectors, shape (n, d).
        min_size: Smallest cluster size (for k-means: the expected cluster size, ``k = n // size``).
        seed: Random seed.

    Returns:
        int64 labels, consecutive from 0 in order of first appearance, -1 for outliers.

    Raises:
        ConfigError: [E002] for an unknown clusterer.
    """
    if name not in CLUSTERERS:
        raise ConfigError(Errors.E002.format(kind="clusterer", name=name,
                                             choices=", ".join(sorted(CLUSTERERS))))
    if len(Z) < 2 * min_size:
        return np.full(len(Z), -1, dtype=np.int64) if len(Z) < min_size else \
            np.zeros(len(Z), dtype=np.int64)
    return relabel(CLUSTERERS[name](Z, min_size, seed))


def relabel(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0..k-1 by decreasing size (ties: first appearance); -1 stays -1."""
    labels = np.asarray(labels, dtype=np.int64)
    ids, first, counts = np.unique(labels[labels >= 0], return_index=True, return_counts=True)
    order = sorted(range(len(ids)), key=lambda i: (-counts[i], first[i]))
    mapping = {int(ids[i]): new for new, i in enumerate(order)}
    return np.array([mapping.get(int(v), -1) for v in labels], dtype=np.int64)


def centroids(X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Return the L2-normalised mean vector of each cluster 0..k-1, shape (k, dim)."""
    k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    C = np.zeros((k, X.shape[1]), dtype=np.float64)
    np.add.at(C, labels[labels >= 0], X[labels >= 0])
    return unit(C).astype(np.float32)


#: Rows per block in :func:`canonical` (its float64 work space is one block, not the corpus).
CANONICAL_BLOCK = 4096


def canonical(X: np.ndarray) -> np.ndarray:
    """Return float32 unit rows rounded to :data:`VECTOR_DECIMALS` (None: not rounded).

    Works in float64 one block of :data:`CANONICAL_BLOCK` rows at a time, so the only
    corpus-sized array it makes is the float32 result (each row's numbers do not depend on
    the block it is in).
    """
    X = np.asarray(X)
    out = np.empty(X.shape, dtype=np.float32)
    for lo in range(0, len(X), CANONICAL_BLOCK):
        U = unit(np.array(X[lo:lo + CANONICAL_BLOCK], dtype=np.float64), inplace=True)
        if VECTOR_DECIMALS is not None:
            np.round(U, VECTOR_DECIMALS, out=U)
        out[lo:lo + CANONICAL_BLOCK] = U
    return out


def unit(X: np.ndarray, *, inplace: bool = False) -> np.ndarray:
    """Return rows scaled to length 1 (zero rows stay zero); ``inplace``: scale ``X`` itself."""
    X = np.asarray(X)
    n = np.linalg.norm(X, axis=1, keepdims=True)
    n[n == 0] = 1.0
    if inplace:
        X /= n
        return X
    return X / n


def merge_closest(X: np.ndarray, labels: np.ndarray, *, until: int | None = None,
                  min_similarity: float | None = None) -> np.ndarray:
    """Merge the two clusters with the most similar centroids, repeatedly.

    Args:
        X: Vectors, L2-normalised.
        labels: Cluster labels (-1 = outlier).
        until: Stop when this many clusters remain.
        min_similarity: Stop when the closest pair's centroid similarity falls below this.

    Returns:
        New labels, renumbered by size.
    """
    labels = labels.copy()
    while True:
        C = centroids(X, labels)
        k = len(C)
        if k < 2 or (until is not None and k <= until):
            break
        S = C @ C.T
        np.fill_diagonal(S, -np.inf)
        i, j = np.unravel_index(int(np.argmax(S)), S.shape)
        if min_similarity is not None and S[i, j] < min_similarity:
            break
        labels[labels == max(i, j)] = min(i, j)
        labels = relabel(labels)
    return labels


def assign(X: np.ndarray, C: np.ndarray, threshold: float,
           temperature: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Assign each vector to its nearest centroid when the cosine similarity reaches ``threshold``.

    Args:
        X: Vectors, L2-normalised, shape (n, dim).
        C: Centroids, L2-normalised, shape (k, dim).
        threshold: Smallest cosine similarity to the nearest centroid; below it the item is
            unassigned (-1).
        temperature: Softmax temperature turning similarities into a membership probability.

    Returns:
        ``(labels, probabilities)``: int64 theme index per row (-1 unassigned) and the softmax
        probability of the chosen theme over all themes (0.0 for unassigned rows).
    """
    n = len(X)
    if n == 0 or len(C) == 0:
        return np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.float64)
    C64 = np.asarray(C, dtype=np.float64)
    labels = np.empty(n, dtype=np.int64)
    prob = np.empty(n, dtype=np.float64)
    # blocks of rows (a multiple of 64 keeps BLAS results identical to one product): the
    # (n, n_themes) similarity matrix and its exponentials would be ~1 GB at 100k units
    for lo in range(0, n, _ASSIGN_BLOCK):
        S = np.asarray(X[lo:lo + _ASSIGN_BLOCK], dtype=np.float64) @ C64.T
        best = S.argmax(axis=1)
        top = S[np.arange(len(S)), best]
        e = np.exp((S - top[:, None]) / temperature)
        got = np.where(top >= threshold, best, -1).astype(np.int64)
        labels[lo:lo + len(S)] = got
        prob[lo:lo + len(S)] = np.where(got >= 0, 1.0 / e.sum(axis=1), 0.0)
    return labels, prob


#: Rows per block in :func:`assign`.
_ASSIGN_BLOCK = 4096
