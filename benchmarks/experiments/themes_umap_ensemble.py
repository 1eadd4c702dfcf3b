"""Experiment: reduce UMAP's run-to-run variance by clustering several UMAP embeddings at once.

Variants per seed s (defaults otherwise: focus texts, 5-d UMAP with 15 neighbours, HDBSCAN eom
with min size 2 ln n, centroids in the embedding space, assignment at cosine 0.3):

- ``default``: one UMAP (seed s);
- ``concat R``: R UMAP runs (seeds s, s+100, ...) concatenated column-wise, one HDBSCAN;
- ``coassoc R``: HDBSCAN on each of R UMAP runs, then HDBSCAN on the co-association distance
  (share of runs that put two items in different clusters; outliers count as different).

Usage (from the project root): ``.venv/bin/python benchmarks/experiments/themes_umap_ensemble.py``.
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

import hdbscan  # noqa: E402
import numpy as np  # noqa: E402
from themes_quality import load, score  # noqa: E402

from mining.embed import embed_texts  # noqa: E402
from mining.reduce import make_reducer  # noqa: E402
from mining.themes import ThemeModel  # noqa: E402
from mining.themes import cluster as cl  # noqa: E402
from mining.themes.focus import focus_texts  # noqa: E402

R_VALUES = [int(r) for r in os.environ.get("RS", "3").split()]
SEEDS = [42, 43, 44]


def finish(X, labels):
    if labels.max() < 0:
        labels = np.zeros(len(X), dtype=np.int64)
    a, _ = cl.assign(X, cl.centroids(X, labels), 0.3)
    return a


out = {}
for name in sys.argv[1:] or ["dstc11-insurance", "banking77"]:
    texts, y = load(name)
    X = cl.unit(embed_texts(focus_texts(texts), progress=False)).astype(np.float32)
    size = cl.auto_min_size(len(X))
    res = {}
    for seed in SEEDS:
        Zs = []
        for r in range(max(R_VALUES)):
            t = time.perf_counter()
            Zs.append(make_reducer("umap", n_components=5, seed=seed + 100 * r,
                                   n_neighbors=15).fit_transform(X))
        base = [cl.run_clusterer("hdbscan", Z, size, seed) for Z in Zs]
        res.setdefault("default", []).append(score(y, finish(X, base[0])))
        res.setdefault("ThemeModel default", []).append(
            score(y, ThemeModel(seed=seed).fit(texts, X).labels_))
        for R in R_VALUES:
            lab = cl.run_clusterer("hdbscan", np.hstack(Zs[:R]), size, seed)
            res.setdefault(f"concat {R}", []).append(score(y, finish(X, lab)))
            D = np.zeros((len(X), len(X)))
            for b in base[:R]:
                same = (b[:, None] == b[None, :]) & (b[:, None] >= 0)
                D += ~same
            D /= R
            lab = hdbscan.HDBSCAN(min_cluster_size=size, metric="precomputed").fit_predict(D)
            res.setdefault(f"coassoc {R}", []).append(score(y, finish(X, lab.astype(np.int64))))
        print(name, seed, {k: v[-1]["acc"] for k, v in res.items()}, flush=True)
    out[name] = {k: {"acc": round(float(np.mean([r["acc"] for r in v])), 4),
                     "acc_sd": round(float(np.std([r["acc"] for r in v], ddof=1)), 4),
                     "nmi": round(float(np.mean([r["nmi"] for r in v])), 4),
                     "ari": round(float(np.mean([r["ari"] for r in v])), 4),
                     "clusters": round(float(np.mean([r["n_clusters"] for r in v])), 1)}
                 for k, v in res.items()}
    print(name, out[name], flush=True)
(RESULTS / "themes_umap_ensemble.json").write_text(json.dumps(out, indent=1))
