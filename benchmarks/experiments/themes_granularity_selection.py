"""Experiment: label-free granularity selection among merged variants of the HDBSCAN cut.

For each seed: UMAP + HDBSCAN as the defaults, then themes merged by centroid cosine at
levels None (the eom cut), 0.85, 0.8, 0.75, 0.7, 0.65; for each level ACC/NMI/ARI and five
label-free criteria (silhouette on the embeddings and on the UMAP space, Calinski-Harabasz,
Davies-Bouldin, DBCV). Usage: ``.venv/bin/python benchmarks/experiments/themes_granularity_selection.py``.
"""
import os, sys, json, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]; sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = ROOT / "benchmarks" / "results"
import numpy as np
from themes_quality import load, score
from mining.embed import embed_texts
from mining.themes.focus import focus_texts
from mining.themes import cluster as cl
from mining.reduce import make_reducer
from sklearn.metrics import silhouette_score, calinski_harabasz_score, davies_bouldin_score
import hdbscan
from hdbscan.validity import validity_index

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
            C = cl.centroids(X, lab)
            a, _ = cl.assign(X, C, 0.3)
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
            print(name, seed, lv, s["acc"], s["n_clusters"], {k: round(v, 4) for k, v in crit.items()}, flush=True)
        out[f"{name}/{seed}"] = rows
json.dump(out, open(RESULTS / "themes_granularity_selection.json", "w"), indent=1)
