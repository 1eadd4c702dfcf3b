"""Experiment: graph community detection and agglomerative clustering in the full MiniLM space.

Levers from the DSTC11 intent-induction track and single-cell practice (kNN graph + community
detection, as scanpy does), measured against ``ThemeModel`` defaults in the same process:

- ``louvain mknn k``: Louvain (networkx, BSD; resolution 1, seeded) on the mutual k-nearest-
  neighbour cosine graph of the focus embeddings (edge weight = cosine similarity);
- ``louvain fuzzy k``: Louvain on UMAP's fuzzy simplicial set of the exact cosine kNN graph
  (the graph UMAP lays out, without the layout; scanpy's default clustering input);
- ``agglo avg t``: average-linkage agglomerative clustering, cosine distance threshold ``t``
  (one fixed value for both sets, no labels used; deterministic, run once);
- HDBSCAN variants on the default UMAP layout (``HDB=1``): eom as in ``ThemeModel``, ``leaf``
  selection, ``cluster_selection_epsilon`` (``EPS``), ``min_samples`` (``MS``), HDBSCAN on the
  full-space cosine distances, and (``SELF=1``) self-training: a logistic regression on each
  cluster's more confident half labels every item.

Environment: ``SEEDS``, ``KS`` (graph k), ``RES`` (Louvain resolutions), ``TS`` (agglomerative
thresholds), ``DROPS`` (dissolution sizes for the agglomerative runs), ``GRAPH``/``HDB``/
``DEFAULTS`` (0 skips the graph variants / the HDBSCAN variants / ``ThemeModel.fit``), ``FULL=0``
skips epsilon and full-space HDBSCAN. Results are merged into the JSON by variant name.

Every variant then does what ``ThemeModel`` does after clustering: communities smaller than the
automatic min theme size (2 ln n) become outliers, centroids in the embedding space, every item
assigned to the nearest centroid at cosine >= 0.3.

Usage (from the project root)::

    .venv/bin/python benchmarks/experiments/themes_graph_communities.py [dataset ...]

Figures: ``benchmarks/results/themes_graph_communities.json``.
"""
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = ROOT / "benchmarks" / "results"

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from themes_quality import load, score  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from mining.embed import embed_texts  # noqa: E402
from mining.reduce import cosine_knn  # noqa: E402
from mining.text.segment import lemmatize  # noqa: E402
from mining.themes import ThemeModel  # noqa: E402
from mining.themes import cluster as cl  # noqa: E402
from mining.themes.focus import focus_texts  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _finish import finish  # noqa: E402

SEEDS = [int(s) for s in os.environ.get("SEEDS", "42 43 44").split()]
KS = [int(k) for k in os.environ.get("KS", "10 15 30").split()]
THRESHOLDS = [float(t) for t in os.environ.get("TS", "0.5 0.6").split()]
RESOLUTIONS = [float(r) for r in os.environ.get("RES", "1.0").split()]
EPS = [float(e) for e in os.environ.get("EPS", "0.1 0.25 0.5").split()]
DROPS = [int(d) for d in os.environ.get("DROPS", "").split()]
MIN_SAMPLES = [int(d) for d in os.environ.get("MS", "").split()]
SELF = os.environ.get("SELF", "0") == "1"
SELF_C = float(os.environ.get("SELF_C", "10"))
FULL = os.environ.get("FULL", "1") == "1"
HDB = os.environ.get("HDB", "1") == "1"
GRAPH = os.environ.get("GRAPH", "1") == "1"
DEFAULTS = os.environ.get("DEFAULTS", "1") == "1"


def selftrain(X: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """Self-training: a logistic regression on each cluster's more confident half (cosine to
    its centroid >= the cluster's median) labels every item (instead of nearest centroid)."""
    from sklearn.linear_model import LogisticRegression

    lab = cl.relabel(np.where(np.isin(labels, np.unique(labels[labels >= 0])[np.bincount(
        labels[labels >= 0])[np.unique(labels[labels >= 0])] < min_size]), -1, labels))
    if lab.max() < 1:
        return finish(X, labels, min_size)
    C = cl.centroids(X, lab)
    conf = np.zeros(len(lab), dtype=bool)
    for t in range(len(C)):
        m = np.flatnonzero(lab == t)
        s = X[m] @ C[t]
        conf[m[s >= np.median(s)]] = True
    clf = LogisticRegression(C=SELF_C, max_iter=300).fit(X[conf], lab[conf])
    return clf.predict(X).astype(np.int64)


def communities(W: sparse.spmatrix, seed: int, resolution: float) -> np.ndarray:
    """Louvain communities of a weighted undirected graph (networkx), as labels."""
    G = nx.from_scipy_sparse_array(sparse.triu(W, k=1).tocsr())
    comms = nx.community.louvain_communities(G, weight="weight", resolution=resolution,
                                             seed=seed)
    lab = np.full(W.shape[0], -1, dtype=np.int64)
    for c, members in enumerate(comms):
        lab[list(members)] = c
    return lab


def mutual_knn(X: np.ndarray, k: int) -> sparse.csr_matrix:
    idx, dist = cosine_knn(X, X, k + 1, exclude_self=True)
    n = len(X)
    rows = np.repeat(np.arange(n), k)
    A = sparse.csr_matrix((1.0 - dist[:, 1:].ravel(), (rows, idx[:, 1:].ravel())), shape=(n, n))
    return A.minimum(A.T)  # mutual: kept only when both directions exist


def fuzzy_graph(X: np.ndarray, k: int, seed: int) -> sparse.csr_matrix:
    from umap.umap_ import fuzzy_simplicial_set

    idx, dist = cosine_knn(X, X, k, exclude_self=True)
    G, _, _ = fuzzy_simplicial_set(X, k, np.random.RandomState(seed), "cosine",
                                   knn_indices=idx, knn_dists=dist)
    return G.tocsr()


def agglo(X: np.ndarray, t: float) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                   distance_threshold=t).fit_predict(X)


def hdbscan_variants(X: np.ndarray, size: int, seed: int, add) -> None:
    """HDBSCAN on the default UMAP layout with other cluster selections, and in full space."""
    import hdbscan

    from mining.reduce import make_reducer

    Z = make_reducer("umap", n_components=5, seed=seed, n_neighbors=15).fit_transform(X)

    def hd(**kw):
        return hdbscan.HDBSCAN(min_cluster_size=size, core_dist_n_jobs=1, **kw).fit_predict(Z)

    add("hdbscan eom on UMAP (direct, = defaults)", lambda: finish(X, hd(), size))
    add("hdbscan leaf on UMAP", lambda: finish(X, hd(cluster_selection_method="leaf"), size))
    for ms in MIN_SAMPLES:
        add(f"hdbscan eom on UMAP, min_samples={ms}",
            lambda ms=ms: finish(X, hd(min_samples=ms), size))
    if SELF:
        add(f"hdbscan eom on UMAP + self-training (logistic regression C={SELF_C})",
            lambda: selftrain(X, hd(), size))
        add(f"hdbscan leaf on UMAP + self-training (logistic regression C={SELF_C})",
            lambda: selftrain(X, hd(cluster_selection_method="leaf"), size))
        if not FULL:
            return
    for eps in EPS:
        add(f"hdbscan eom on UMAP, cluster_selection_epsilon={eps}",
            lambda eps=eps: finish(X, hd(cluster_selection_epsilon=eps), size))
    add("hdbscan eom in full space (cosine distance)", lambda: finish(X, hdbscan.HDBSCAN(
        min_cluster_size=size, metric="precomputed").fit_predict(
            np.clip(1.0 - X.astype(np.float64) @ X.T.astype(np.float64), 0, 2)), size))


def run_one(name: str, res: dict, secs: dict) -> None:
    texts, y = load(name)
    focused = focus_texts(texts)
    V = embed_texts(focused, progress=False)
    X = cl.canonical(V)
    lemmas = lemmatize(focused)
    size = cl.auto_min_size(len(X))

    def add(key, fn):
        t = time.perf_counter()
        lab = fn()
        secs.setdefault(key, []).append(time.perf_counter() - t)
        res.setdefault(key, []).append(score(y, lab))

    for seed in SEEDS:
        if DEFAULTS:
            add("ThemeModel default",
                lambda seed=seed: ThemeModel(seed=seed).fit(
                    texts, vectors=V, lemmas=lemmas).labels_)
        for k in KS if GRAPH else []:
            for r in RESOLUTIONS:
                add(f"louvain mknn k={k} res={r}",
                    lambda k=k, r=r, seed=seed: finish(
                        X, communities(mutual_knn(X, k), seed, r), size))
                add(f"louvain fuzzy k={k} res={r}",
                    lambda k=k, r=r, seed=seed: finish(
                        X, communities(fuzzy_graph(X, k, seed), seed, r), size))
        if HDB:
            hdbscan_variants(X, size, seed, add)
        if seed == SEEDS[0]:  # deterministic: one run is enough
            for t in THRESHOLDS:
                for drop in DROPS or [size]:
                    tag = "" if drop == size else f", clusters < {drop} dissolved"
                    add(f"agglo avg cosine t={t}{tag}", lambda t=t, drop=drop: finish(
                        X, agglo(X, t), drop))
        print(name, seed, {k: v[-1]["acc"] for k, v in res.items()}, flush=True)


def summary(res: dict, secs: dict) -> dict:
    return {k: {"acc": round(float(np.mean([r["acc"] for r in v])), 4),
                "acc_sd": round(float(np.std([r["acc"] for r in v], ddof=1)), 4) if len(v) > 1
                else None,
                "nmi": round(float(np.mean([r["nmi"] for r in v])), 4),
                "ari": round(float(np.mean([r["ari"] for r in v])), 4),
                "clusters": round(float(np.mean([r["n_clusters"] for r in v])), 1),
                "unassigned": round(float(np.mean([r["unassigned"] for r in v])), 1),
                "seconds": round(float(np.mean(secs[k])), 1), "runs": len(v)}
            for k, v in res.items()}


def main() -> None:
    path = RESULTS / "themes_graph_communities.json"
    out = json.loads(path.read_text()) if path.is_file() else {}
    for name in sys.argv[1:] or ["dstc11-insurance", "banking77"]:
        res: dict = {}
        secs: dict = {}
        with threadpool_limits(limits=1):
            run_one(name, res, secs)
        out.setdefault(name, {}).update(summary(res, secs))
        print(name, json.dumps(out[name], indent=1), flush=True)
        path.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
