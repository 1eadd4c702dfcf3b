"""Experiment: add a corpus-fitted lexical view to the sentence embeddings.

Each item's vector becomes ``unit([x, w * unit(lsa(tfidf(lemmas)))])``: the MiniLM embedding
of the focus text next to a 100-d LSA of the TF-IDF of its lemmas (stop words removed, fitted
on the corpus itself), so cosine similarity is ``(cos_embed + w^2 cos_lexical) / (1 + w^2)``.
Then the default ThemeModel (seeds 42 43 44). Env W: space-separated weights (default "0.5").
Usage (from the project root): ``.venv/bin/python benchmarks/experiments/themes_lexical_hybrid.py``.
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
from sklearn.decomposition import TruncatedSVD  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from themes_quality import load, score  # noqa: E402

from mining.embed import embed_texts  # noqa: E402
from mining.text.segment import lemmatize  # noqa: E402
from mining.themes import ThemeModel  # noqa: E402
from mining.themes import cluster as cl  # noqa: E402
from mining.themes.focus import focus_texts  # noqa: E402

WEIGHTS = [float(w) for w in os.environ.get("W", "0.5").split()]
out = {}
for name in sys.argv[1:] or ["dstc11-insurance", "banking77"]:
    texts, y = load(name)
    foc = focus_texts(texts)
    X = cl.unit(embed_texts(foc, progress=False)).astype(np.float32)
    lem = lemmatize(foc)
    docs = [" ".join(w.replace(" ", "_") for w in ls) for ls in lem]
    T = TfidfVectorizer(min_df=2, sublinear_tf=True, token_pattern=r"\S+").fit_transform(docs)
    L = TruncatedSVD(n_components=min(100, T.shape[1] - 1), random_state=0).fit_transform(T)
    L = cl.unit(L).astype(np.float32)
    res = {}
    for w in [0.0, *WEIGHTS]:
        V = cl.unit(np.hstack([X, w * L])).astype(np.float32) if w else X
        runs = [score(y, ThemeModel(seed=s).fit(texts, V, lemmas=lem).labels_)
                for s in (42, 43, 44)]
        acc = [r["acc"] for r in runs]
        res[f"w={w}"] = {"acc": round(float(np.mean(acc)), 4),
                         "acc_sd": round(float(np.std(acc, ddof=1)), 4),
                         "nmi": round(float(np.mean([r["nmi"] for r in runs])), 4),
                         "clusters": round(float(np.mean([r["n_clusters"] for r in runs])), 1)}
        print(name, w, res[f"w={w}"], flush=True)
    out[name] = res
(RESULTS / "themes_lexical_hybrid.json").write_text(json.dumps(out, indent=1))
