"""Experiment: label-free granularity selection among merged variants of the HDBSCAN cut.

For each seed: UMAP + HDBSCAN as the defaults, then themes merged by centroid cosine at
levels None (the eom cut), 0.85, 0.8, 0.75, 0.7, 0.65; for each level ACC/NMI/ARI and five
label-free criteria (silhouette on the embeddings and on the UMAP space, Calinski-Harabasz,
Davies-Bouldin, DBCV). Usage:
``.venv/bin/python benchmarks/experiments/themes_granularity_selection.py``.
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = ROOT / "benchmarks" / "results"

import numpy as np  # noqa: E402
from hdbscan.validity import validity_index  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from themes_quality import load, score  # noqa: E402

from mining.embed import embed_texts  # noqa: E402
from mining.reduce import make_reducer  # noqa: E402
from mining.themes import cluster as cl  # noqa: E402
from mining.themes.focus import focus_texts  # noqa: E402

LEVELS = [None, 0.85, 0.8, 0.75, 0.7, 0.65]
out = {}
for name in ["dstc11-insurance", "banking77"]:
    texts, y = load(name)
    X = cl.unit(embed_texts(focus_texts(texts), progress=False)).astype(np.float32)
    for seed in [42, 43, 44]:
        size = cl.auto_min_size(len(X))
        Z = make_reducer("umap", n_components=5, seed=seed, n_neighbors=15).fit_transform(X)
        base = cl.run_clusterer("hdbscan", Z, size, seed)
        rows = []
        for lv in LEVELS:
            lab = base if lv is None else cl.merge_closest(X, base, min_similarity=lv)
            a, _ = cl.assign(X, cl.centroids(X, lab), 0.3)
            m = a >= 0
            s = score(y, a)
            crit = {
                "sil_X": float(silhouette_score(X[m], a[m], metric="cosine")),
                "sil_Z": float(silhouette_score(Z[m], a[m])),
                "ch_Z": float(calinski_harabasz_score(Z[m], a[m])),
                "db_Z": float(davies_bouldin_score(Z[m], a[m])),
                "dbcv_Z": float(validity_index(Z[m].astype(np.float64), a[m])),
            }
            rows.append({"level": lv, **s, **crit})
            print(name, seed, lv, s["acc"], s["n_clusters"],
                  {k: round(v, 4) for k, v in crit.items()}, flush=True)
        out[f"{name}/{seed}"] = rows
(RESULTS / "themes_granularity_selection.json").write_text(json.dumps(out, indent=1))
