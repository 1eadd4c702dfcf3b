"""Experiment: spectral clustering with the eigengap heuristic, instead of UMAP + HDBSCAN.

Issue 13 lever (not tried before in this project): spectral clustering of a cosine k-nearest-
neighbour affinity graph of the focus embeddings (the same vectors ``ThemeModel`` clusters),
with the number of clusters chosen label-free by the eigengap heuristic of the normalised graph
Laplacian, measured against ``ThemeModel`` defaults fitted in the same process.

Graph (full 384-d MiniLM space, exact cosine kNN from ``mining.reduce.cosine_knn``), for each
``k`` in ``KS``:

- ``cos``: edge weight = cosine similarity (clipped at 0) to each of the k nearest neighbours,
  symmetrised by the maximum (an edge if either end lists the other);
- ``st``: self-tuning / local-scaling affinity (Zelnik-Manor & Perona 2004):
  ``exp(-d_ij^2 / (sigma_i sigma_j))`` on the same kNN edges, ``d`` the Euclidean distance of the
  unit vectors, ``sigma_i`` the distance to the 7th neighbour (the paper's choice), symmetrised
  by the maximum.

Laplacian ``L = I - D^-1/2 W D^-1/2``; its smallest eigenvalues come from the largest of
``D^-1/2 W D^-1/2`` (``scipy.sparse.linalg.eigsh``, start vector from the seed). Number of
clusters: the ``c`` in ``[KMIN, KMAX_n]`` with the largest gap ``lambda_{c+1} - lambda_c``, with
``KMAX_n = min(KMAX, n // min_size)`` (no more clusters than could each keep the minimum theme
size; 65 for the 913 insurance items, 192 for the 3,080 banking77 items). One rule for both sets,
fixed before any score was seen.

Clustering of the spectral embedding (first ``c`` eigenvectors, rows L2-normalised as in Ng,
Jordan & Weiss 2002):

- ``km``: k-means (``n_init=10``, seeded) with ``c`` clusters;
- ``hdb``: HDBSCAN (``min_cluster_size`` = 2 ln n, eom, as ``ThemeModel``) on the same embedding;
- ``sklearn``: ``sklearn.cluster.SpectralClustering(affinity="precomputed", n_clusters=c,
  assign_labels="kmeans", random_state=seed)`` on the same graph and the same eigengap ``c``
  (a cross-check of the hand-written embedding: scikit-learn scales the eigenvectors by
  ``D^-1/2`` instead of normalising rows);
- ``km oracle``: k-means with ``c`` = the number of gold intents (22 / 77): *not label-free*,
  only a scale for how much of the gap is the choice of ``c``.

Every variant then does what ``ThemeModel`` does after clustering: clusters smaller than the
automatic min theme size (2 ln n) become outliers, centroids in the embedding space, every item
assigned to the nearest centroid at cosine >= 0.3.

Whole fit (``FULLFIT=1``, default): the ``km`` variant is also run *inside* ``ThemeModel.fit``
through the project's plug-in slots (``mining.registry.register("clusterer", ...)`` and an
identity reducer object, nothing under ``mining/`` changed), so its ACC and CPU seconds are a
like-for-like whole fit (themes, labels and coarse level included), next to the default fit.

Time: CPU seconds (``time.process_time``, one BLAS/OpenMP thread) per fit, graph + eigen-
decomposition + clustering + assignment, next to the CPU seconds of a whole ``ThemeModel.fit``
(embeddings cached, so neither includes embedding) and of its UMAP + HDBSCAN step alone (called
directly), the part a spectral step would replace.

Environment: ``SEEDS`` (default ``42 43 44``), ``KS`` (graph k, default ``10 15 30``),
``AFFS`` (``cos st``), ``SK=0`` skips the scikit-learn cross-check, ``KMIN`` / ``KMAX``
(5 / 200), ``CAP=0`` searches the whole ``KMIN..KMAX`` (no ``n // min_size`` cap; rows tagged
``range 5..200``), ``FULLFIT=0`` skips the whole-fit rows, ``HDB=0`` skips the HDBSCAN-on-
spectral variant, ``ORACLE=0`` the oracle rows, ``DEFAULTS=0`` the ``ThemeModel`` and
UMAP + HDBSCAN rows. Results are merged into the JSON by variant name.

Usage (from the project root)::

    .venv/bin/python benchmarks/experiments/themes_spectral.py [dataset ...]

Figures: ``benchmarks/results/themes_spectral.json``.
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

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from scipy.sparse.linalg import eigsh  # noqa: E402
from themes_quality import load, score  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from mining.embed import embed_texts  # noqa: E402
from mining.reduce import cosine_knn, make_reducer  # noqa: E402
from mining.registry import register  # noqa: E402
from mining.text.segment import lemmatize  # noqa: E402
from mining.themes import ThemeModel  # noqa: E402
from mining.themes import cluster as cl  # noqa: E402
from mining.themes.focus import focus_texts  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _finish import finish  # noqa: E402

SEEDS = [int(s) for s in os.environ.get("SEEDS", "42 43 44").split()]
KS = [int(k) for k in os.environ.get("KS", "10 15 30").split()]
AFFS = os.environ.get("AFFS", "cos st").split()
KMIN = int(os.environ.get("KMIN", "5"))
KMAX = int(os.environ.get("KMAX", "200"))
HDB = os.environ.get("HDB", "1") == "1"
ORACLE = os.environ.get("ORACLE", "1") == "1"
DEFAULTS = os.environ.get("DEFAULTS", "1") == "1"
CAP = os.environ.get("CAP", "1") == "1"
FULLFIT = os.environ.get("FULLFIT", "1") == "1"
SK = os.environ.get("SK", "1") == "1"
#: Neighbour whose distance is the local scale sigma_i (Zelnik-Manor & Perona use the 7th).
SCALE_NN = 7


def affinity(X: np.ndarray, k: int, kind: str) -> sparse.csr_matrix:
    """Symmetric kNN affinity matrix (no self loops): ``cos`` or self-tuning ``st``."""
    idx, dist = cosine_knn(X, X, max(k, SCALE_NN) + 1, exclude_self=True)
    idx, dist = idx[:, 1:].astype(np.int64), dist[:, 1:].astype(np.float64)  # drop self
    n = len(X)
    if kind == "cos":
        w = np.clip(1.0 - dist[:, :k], 0.0, None)
    elif kind == "st":
        d2 = 2.0 * dist  # squared Euclidean distance of unit vectors
        sigma = np.sqrt(d2[:, SCALE_NN - 1]) + 1e-12
        w = np.exp(-d2[:, :k] / (sigma[:, None] * sigma[idx[:, :k]]))
    else:
        raise ValueError(kind)
    rows = np.repeat(np.arange(n), k)
    A = sparse.csr_matrix((w.ravel(), (rows, idx[:, :k].ravel())), shape=(n, n))
    return A.maximum(A.T).tocsr()


def spectrum(W: sparse.csr_matrix, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Smallest ``m`` eigenvalues (ascending) and eigenvectors of ``I - D^-1/2 W D^-1/2``."""
    d = np.asarray(W.sum(axis=1)).ravel()
    s = 1.0 / np.sqrt(np.maximum(d, 1e-12))
    M = sparse.diags(s) @ W @ sparse.diags(s)
    v0 = np.random.RandomState(seed).uniform(-1, 1, W.shape[0])
    mu, U = eigsh(M, k=m, which="LA", v0=v0, tol=1e-6)
    order = np.argsort(-mu)
    return 1.0 - mu[order], U[:, order]


def eigengap(lam: np.ndarray, lo: int, hi: int) -> int:
    """The c in [lo, hi] with the largest gap lambda_{c+1} - lambda_c (1-based c)."""
    gaps = lam[lo:hi + 1] - lam[lo - 1:hi]  # gaps[j] = lam_{c+1} - lam_c for c = lo + j
    return lo + int(np.argmax(gaps))


def embedding(U: np.ndarray, c: int) -> np.ndarray:
    return cl.unit(U[:, :c])


def kmeans(E: np.ndarray, c: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=c, n_init=10, random_state=seed).fit_predict(E)


def sklearn_spectral(W: sparse.csr_matrix, c: int, seed: int) -> np.ndarray:
    from sklearn.cluster import SpectralClustering

    return SpectralClustering(n_clusters=c, affinity="precomputed", assign_labels="kmeans",
                              random_state=seed).fit_predict(W)


def hdbscan_on(E: np.ndarray, size: int) -> np.ndarray:
    import hdbscan

    return hdbscan.HDBSCAN(min_cluster_size=size, cluster_selection_method="eom",
                           core_dist_n_jobs=1).fit_predict(E)


class Identity:
    """Reducer object that leaves the vectors as they are (spectral works in the full space)."""

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return X


def spectral_clusterer(kind: str, k: int, hi_cap: bool):
    """A ``ThemeModel`` clusterer ``f(Z, min_size, seed)``: eigengap c, k-means, small -> -1."""

    def run(Z: np.ndarray, min_size: int, seed: int) -> np.ndarray:
        hi = min(KMAX, len(Z) // min_size) if hi_cap else KMAX
        lam, U = spectrum(affinity(Z, k, kind), hi + 1, seed)
        c = eigengap(lam, KMIN, hi)
        lab = kmeans(embedding(U, c), c, seed).astype(np.int64)
        ids, counts = np.unique(lab, return_counts=True)
        lab[np.isin(lab, ids[counts < min_size])] = -1
        return lab

    return run


def run_one(name: str, res: dict, secs: dict, chosen: dict) -> None:
    data = load(name)
    if data is None:
        print(f"{name}: data not found, skipped", flush=True)
        return
    texts, y = data
    focused = focus_texts(texts)
    V = embed_texts(focused, progress=False)
    X = cl.canonical(V)
    lemmas = lemmatize(focused)
    size = cl.auto_min_size(len(X))
    n_gold = len(np.unique(y))
    hi = min(KMAX, len(X) // size) if CAP else KMAX
    rng = "" if CAP else " range 5..200"
    m = max(hi + 1, n_gold)

    def add(key, fn, base=0.0):
        t = time.process_time()
        lab = fn()
        secs.setdefault(key, []).append(base + time.process_time() - t)
        res.setdefault(key, []).append(score(y, lab))

    for seed in SEEDS:
        if DEFAULTS:
            add("ThemeModel default",
                lambda seed=seed: ThemeModel(seed=seed).fit(
                    texts, vectors=V, lemmas=lemmas).labels_)
            add("UMAP + HDBSCAN step only (direct, = defaults' clustering)",
                lambda seed=seed: finish(X, cl.run_clusterer("hdbscan", make_reducer(
                    "umap", n_components=5, seed=seed, n_neighbors=15).fit_transform(X),
                    size, seed), size))
        for kind in AFFS:
            for k in KS:
                t = time.process_time()
                W = affinity(X, k, kind)
                lam, U = spectrum(W, m, seed)
                c = eigengap(lam, KMIN, hi)
                E = embedding(U, c)
                base = time.process_time() - t  # graph + eigenvectors + eigengap
                tag = f"spectral {kind} k={k}{rng}"
                chosen.setdefault(f"{tag} eigengap", []).append(
                    {"seed": seed, "c": c, "gap": round(float(lam[c] - lam[c - 1]), 5),
                     "components": int(np.sum(lam < 1e-8)),
                     "lambda_1_to_10": [round(float(v), 5) for v in lam[:10]]})
                add(f"{tag} eigengap + k-means",
                    lambda E=E, c=c, seed=seed: finish(X, kmeans(E, c, seed), size), base)
                if HDB:
                    add(f"{tag} eigengap + HDBSCAN",
                        lambda E=E: finish(X, hdbscan_on(E, size), size), base)
                if SK:
                    t = time.process_time()
                    W = affinity(X, k, kind)
                    c_sk = eigengap(spectrum(W, hi + 1, seed)[0], KMIN, hi)
                    add(f"{tag} eigengap + sklearn SpectralClustering (precomputed)",
                        lambda W=W, c=c_sk, seed=seed: finish(
                            X, sklearn_spectral(W, c, seed), size),
                        time.process_time() - t)
                if ORACLE:
                    add(f"{tag} oracle c={n_gold} + k-means (not label-free)",
                        lambda U=U, seed=seed: finish(
                            X, kmeans(embedding(U, n_gold), n_gold, seed), size), base)
                if FULLFIT:
                    register("clusterer", f"spectral_{kind}_{k}")(
                        spectral_clusterer(kind, k, CAP))
                    add(f"{tag} eigengap + k-means, whole ThemeModel.fit",
                        lambda kind=kind, k=k, seed=seed: ThemeModel(
                            seed=seed, reducer=Identity(), clusterer=f"spectral_{kind}_{k}").fit(
                            texts, vectors=V, lemmas=lemmas).labels_)
                print(name, seed, tag, "c =", c, flush=True)
        print(name, seed, {k: v[-1]["acc"] for k, v in res.items()}, flush=True)


def summary(res: dict, secs: dict, chosen: dict) -> dict:
    out = {}
    for k, v in res.items():
        acc = [r["acc"] for r in v]
        out[k] = {"acc": round(float(np.mean(acc)), 4),
                  "acc_sd": round(float(np.std(acc, ddof=1)), 4) if len(v) > 1 else None,
                  "acc_per_seed": acc,
                  "nmi": round(float(np.mean([r["nmi"] for r in v])), 4),
                  "ari": round(float(np.mean([r["ari"] for r in v])), 4),
                  "clusters": round(float(np.mean([r["n_clusters"] for r in v])), 1),
                  "unassigned": round(float(np.mean([r["unassigned"] for r in v])), 1),
                  "cpu_seconds": round(float(np.mean(secs[k])), 2),
                  "cpu_seconds_per_seed": [round(float(t), 2) for t in secs[k]],
                  "seeds": SEEDS[:len(v)], "runs": len(v)}
        key = k.split(" eigengap")[0] + " eigengap" if " eigengap +" in k else None
        if key in chosen:
            out[k]["eigengap_c"] = [r["c"] for r in chosen[key]]
            out[k]["spectrum"] = chosen[key]
    return out


def main() -> None:
    path = RESULTS / "themes_spectral.json"
    out = json.loads(path.read_text()) if path.is_file() else {}
    for name in sys.argv[1:] or ["dstc11-insurance", "banking77"]:
        res: dict = {}
        secs: dict = {}
        chosen: dict = {}
        with threadpool_limits(limits=1):
            run_one(name, res, secs, chosen)
        if not res:
            continue
        out.setdefault(name, {}).update(summary(res, secs, chosen))
        print(name, json.dumps({k: (v["acc"], v["acc_sd"], v.get("eigengap_c"), v["cpu_seconds"])
                                for k, v in out[name].items()}, indent=1), flush=True)
        path.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
