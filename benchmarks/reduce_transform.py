"""How well ``transform`` places held-out vectors, vs stock ``UMAP.transform``.

Data: banking77 test utterances (../shared/data, read at run time; skipped when absent), embedded
with the packaged MiniLM (cached). Fit on a random 2,000, transform the rest, and score the
fraction of held-out points whose nearest training point in the reduced space has the same
intent label (1-NN agreement). Higher means new messages land among their own kind.

Usage: .venv/bin/python benchmarks/reduce_transform.py
Writes benchmarks/results/reduce_transform.json and .md.
"""

from __future__ import annotations

import csv
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "banking77" / "test.csv"
RESULTS = ROOT / "benchmarks" / "results"


def agreement(Y_train, Y_test, y_train, y_test) -> float:
    d = ((Y_test[:, None, :] - Y_train[None, :, :]) ** 2).sum(-1)
    return float((y_train[d.argmin(axis=1)] == y_test).mean())


def main() -> None:
    if not DATA.is_file():
        print(f"skipped: {DATA} is absent")
        return
    from mining.embed import embed_texts
    from mining.reduce import cosine_knn, make_reducer

    with open(DATA, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    X = embed_texts([r["text"] for r in rows], progress=False)
    y = np.array([r["category"] for r in rows])
    perm = np.random.default_rng(0).permutation(len(X))
    tr, te = perm[:2000], perm[2000:]
    res = {}
    idx, _ = cosine_knn(X[te], X[tr], 1)
    res["embedding space (no reduction)"] = float((y[tr][idx[:, 0]] == y[te]).mean())
    for label, kw in [("mining.reduce umap (transform_epochs=100, default)", {}),
                      ("mining.reduce umap, weighted average only (transform_epochs=0)",
                       {"transform_epochs": 0})]:
        red = make_reducer("umap", n_components=5, seed=42, n_neighbors=15, **kw)
        Y_tr = red.fit_transform(X[tr])
        t = time.perf_counter()
        Y_te = red.transform(X[te])
        res[label] = agreement(Y_tr, Y_te, y[tr], y[te])
        res[label + " transform seconds"] = time.perf_counter() - t
    import umap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = umap.UMAP(n_components=5, n_neighbors=15, min_dist=0.0, metric="cosine",
                      random_state=42)
        Y_tr = m.fit_transform(X[tr])
        t = time.perf_counter()
        Y_te = m.transform(X[te])
    res["stock UMAP.transform"] = agreement(Y_tr, Y_te, y[tr], y[te])
    res["stock UMAP.transform seconds"] = time.perf_counter() - t
    res["command"] = "python benchmarks/reduce_transform.py " + " ".join(sys.argv[1:])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "reduce_transform.json").write_text(json.dumps(res, indent=2))
    md = ["# Reducer transform: held-out placement on banking77", "",
          f"Command: `{res['command']}`. Fit on 2,000 utterances, transform the other "
          f"{len(te)}; 1-NN intent agreement in the 5-d space (higher is better).", "",
          "| method | 1-NN agreement |", "|---|---|"]
    md += [f"| {k} | {v:.3f} |" for k, v in res.items()
           if isinstance(v, float) and not k.endswith("seconds")]
    (RESULTS / "reduce_transform.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
