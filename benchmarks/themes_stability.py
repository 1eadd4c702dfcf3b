"""Same texts, two embedding batchings: do the themes change? With and without rounding.

Usage (from the project root)::

    .venv/bin/python benchmarks/themes_stability.py

The packaged MiniLM embeds a text slightly differently inside another batch (another padding
length), and the embedding cache keeps whichever vector came first, so the vectors a
``ThemeModel`` sees depend on the cache's history. This script embeds the insurance set's focus
texts twice without the cache (in order with batch size 64, and reversed with batch size 16),
fits ``ThemeModel()`` (seed 42) on each, and reports how many vectors differ, the theme counts
and the ARI between the two fits, with the vectors rounded to ``VECTOR_DECIMALS`` (the default)
and without rounding. Result: ``benchmarks/results/themes_stability.json``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    import themes_quality as tq
    from sklearn.metrics import adjusted_rand_score
    from threadpoolctl import threadpool_limits

    from mining.embed import get_embedder
    from mining.themes import ThemeModel
    from mining.themes import cluster as cl

    data = tq.load("dstc11-insurance")
    if data is None:
        print("dstc11-insurance: data not found, skipped", file=sys.stderr)
        return
    texts, _ = data
    focused = ThemeModel().focus(texts)
    emb = get_embedder("all-MiniLM-L6-v2")
    A = np.asarray(emb.encode(focused, batch_size=64))
    B = np.asarray(emb.encode(focused[::-1], batch_size=16))[::-1].copy()
    res: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
                 "n": len(texts), "max_abs_difference": float(np.abs(A - B).max()),
                 "vectors_differing_raw": int((A != B).any(axis=1).sum()), "runs": {}}
    default = cl.VECTOR_DECIMALS
    with threadpool_limits(limits=1):
        for name, decimals in (("rounded (default)", default), ("not rounded", None)):
            cl.VECTOR_DECIMALS = decimals
            a = ThemeModel(seed=42).fit(texts, vectors=A)
            b = ThemeModel(seed=42).fit(texts, vectors=B)
            res["runs"][name] = {
                "decimals": decimals,
                "vectors_differing": int((cl.canonical(A) != cl.canonical(B)).any(1).sum()),
                "themes": [len(a.themes_), len(b.themes_)],
                "ari_between_fits": round(float(adjusted_rand_score(a.labels_, b.labels_)), 4),
                "same_labels": bool(a.themes_["label"].tolist() == b.themes_["label"].tolist())}
            print(name, res["runs"][name], flush=True)
    cl.VECTOR_DECIMALS = default
    out = ROOT / "benchmarks" / "results" / "themes_stability.json"
    out.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
