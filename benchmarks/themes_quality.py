"""Theme quality on labelled intent data: ThemeModel defaults vs k-means+silhouette and BERTopic.

Usage (from the project root)::

    .venv/bin/python benchmarks/themes_quality.py                 # defaults + baselines
    benchmarks/.venv-bench/bin/python benchmarks/themes_quality.py --ablation --seeds 42 43 44

Reads ``../shared/data/dstc11-insurance/utterances.jsonl`` and ``../shared/data/banking77/test.csv``
(skipped when absent), embeds every text once with the packaged all-MiniLM-L6-v2 (cached by
``mining.embed``), and scores each method by

- ACC: accuracy under the best 1:1 matching of clusters to intents (Hungarian,
  ``scipy.optimize.linear_sum_assignment``); unassigned items (-1) always count as wrong;
- NMI and ARI (scikit-learn), with all unassigned items put together in one extra cluster.

Methods, all on the same MiniLM embeddings, none told the number of intents:

- ``journeymine`` (``ThemeModel()`` defaults; it embeds each message's focus text);
- ``kmeans+silhouette``: k-means (k-means++, 3 inits) for k = 5..min(150, n/5), the k with
  the best cosine silhouette;
- ``bertopic``: BERTopic 0.17 with default settings (UMAP seeded for repeatability), only when
  ``bertopic`` is importable (it is installed in ``benchmarks/.venv-bench`` only).

``--ablation`` also runs the variants listed in :data:`VARIANTS` so the choice of defaults can be
traced. Results: ``benchmarks/results/themes_quality.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"

DATASETS = {
    "dstc11-insurance": (DATA / "dstc11-insurance" / "utterances.jsonl", "utterance", "intent"),
    "banking77": (DATA / "banking77" / "test.csv", "text", "category"),
}

#: Ablation variants: name -> (ThemeModel parameters, use focus texts, which labels to score).
VARIANTS: dict[str, tuple[dict, bool, str]] = {
    "default": ({}, True, "labels"),
    "no outlier reassignment (HDBSCAN -1 kept)": ({}, True, "cluster"),
    "threshold 0 (assign every item)": ({"threshold": -1.0}, True, "labels"),
    "threshold 0.5": ({"threshold": 0.5}, True, "labels"),
    "whole message embedded (no focus)": ({}, False, "labels"),
    "corpus centring (mean vector subtracted)": ({"center": True}, True, "labels"),
    "min_theme_size 1.5 ln n (instead of 2 ln n)": (
        {"min_theme_size": lambda n: max(5, round(1.5 * np.log(n)))}, True, "labels"),
    "min_theme_size 5": ({"min_theme_size": 5}, True, "labels"),
    "min_theme_size 20": ({"min_theme_size": 20}, True, "labels"),
    "min_theme_size 30": ({"min_theme_size": 30}, True, "labels"),
    "UMAP n_neighbors 30": ({"n_neighbors": 30}, True, "labels"),
    "UMAP 10 components": ({"n_components": 10}, True, "labels"),
    "merge themes with centroid cosine >= 0.7": ({"merge_similarity": 0.7}, True, "labels"),
    "PCA reducer": ({"reducer": "pca"}, True, "labels"),
    "fast_hdbscan clusterer": ({"clusterer": "fast_hdbscan"}, True, "labels"),
}


def load(name: str) -> tuple[list[str], np.ndarray] | None:
    import pandas as pd

    path, text_col, label_col = DATASETS[name]
    if not path.exists():
        return None
    df = pd.read_json(path, lines=True) if path.suffix == ".jsonl" else pd.read_csv(path)
    y = pd.factorize(df[label_col].astype(str))[0]
    return df[text_col].astype(str).tolist(), np.asarray(y)


def acc_hungarian(y: np.ndarray, pred: np.ndarray) -> float:
    from scipy.optimize import linear_sum_assignment

    pred = np.asarray(pred)
    m = pred >= 0
    if not m.any():
        return 0.0
    ps, pi = np.unique(pred[m], return_inverse=True)
    ys, yi = np.unique(y[m], return_inverse=True)
    C = np.zeros((len(ps), len(ys)))
    np.add.at(C, (pi, yi), 1)
    r, c = linear_sum_assignment(-C)
    return float(C[r, c].sum() / len(y))


def score(y: np.ndarray, pred: np.ndarray) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    pred = np.asarray(pred)
    return {"acc": round(acc_hungarian(y, pred), 4),
            "nmi": round(float(normalized_mutual_info_score(y, pred)), 4),
            "ari": round(float(adjusted_rand_score(y, pred)), 4),
            "n_clusters": int(len(set(pred[pred >= 0].tolist()))),
            "unassigned": int((pred < 0).sum())}


def kmeans_silhouette(V: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    best = (-2.0, None)
    for k in range(5, min(150, len(V) // 5) + 1):
        lab = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(V)
        s = silhouette_score(V, lab, metric="cosine")
        if s > best[0]:
            best = (s, lab)
    return best[1]


def bertopic_labels(texts: list[str], V: np.ndarray, seed: int) -> np.ndarray | None:
    try:
        from bertopic import BERTopic
        from umap import UMAP
    except ImportError:
        return None
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine",
                      random_state=seed)  # BERTopic's default UMAP, seeded
    topics, _ = BERTopic(umap_model=umap_model).fit_transform(texts, embeddings=V)
    return np.asarray(topics)


def mean_scores(runs: list[dict]) -> dict:
    out = {}
    for key in runs[0]:
        vals = [r[key] for r in runs]
        out[key] = round(statistics.fmean(vals), 4)
        if len(vals) > 1 and key in ("acc", "nmi", "ari"):
            out[key + "_sd"] = round(statistics.stdev(vals), 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[42])
    ap.add_argument("--ablation", action="store_true", help="also run the ablation variants")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--reuse-baselines", action="store_true",
                    help="copy baseline rows from the previous results file when the seeds match")
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS))
    args = ap.parse_args()
    from threadpoolctl import threadpool_limits

    # one BLAS/OpenMP thread: on a shared 2-core machine k-means is ~10x faster this way
    with threadpool_limits(limits=1):
        run(args)


def run(args: argparse.Namespace) -> None:

    from mining.embed import embed_texts
    from mining.text.segment import lemmatize
    from mining.themes import ThemeModel
    from mining.themes.focus import focus_texts

    results: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
                     "seeds": args.seeds, "python": platform.python_version(),
                     "embedder": "all-MiniLM-L6-v2", "datasets": {}}
    variants = VARIANTS if args.ablation else {"default": VARIANTS["default"]}
    previous: dict = {}
    if args.reuse_baselines and (RESULTS / "themes_quality.json").is_file():
        old = json.loads((RESULTS / "themes_quality.json").read_text())
        if old.get("seeds") == args.seeds:
            previous = old["datasets"]
    for name in args.datasets:
        data = load(name)
        if data is None:
            print(f"{name}: data not found, skipped", file=sys.stderr)
            continue
        texts, y = data
        focused = focus_texts(texts)
        V_raw = embed_texts(texts, progress=False)
        V_focus = embed_texts(focused, progress=False)
        lemmas = lemmatize(focused)
        entry: dict = {"n": len(texts), "n_intents": int(len(set(y.tolist()))), "methods": {}}
        for vname, (params, use_focus, which) in variants.items():
            runs, secs = [], []
            for seed in args.seeds:
                t = time.perf_counter()
                kw = {k: (v(len(texts)) if callable(v) else v) for k, v in params.items()}
                try:
                    m = ThemeModel(seed=seed, **kw).fit(
                        texts, vectors=V_focus if use_focus else V_raw, lemmas=lemmas)
                except ImportError as err:
                    print(f"{name} {vname}: skipped ({err})", file=sys.stderr)
                    break
                secs.append(time.perf_counter() - t)
                runs.append(score(y, m.labels_ if which == "labels" else m.cluster_labels_))
            if runs:
                entry["methods"][f"journeymine: {vname}"] = {
                    **mean_scores(runs), "seconds": round(statistics.fmean(secs), 1)}
                print(name, vname, entry["methods"][f"journeymine: {vname}"], flush=True)
        if not args.no_baselines:
            for bname in ("kmeans+silhouette", "bertopic (defaults)"):
                if bname in previous.get(name, {}).get("methods", {}):
                    entry["methods"][bname] = previous[name]["methods"][bname]
                    print(name, bname, "(reused)", entry["methods"][bname], flush=True)
                    continue
                runs, secs = [], []
                for seed in args.seeds:
                    t = time.perf_counter()
                    lab = kmeans_silhouette(V_raw, seed) if bname.startswith("kmeans") else \
                        bertopic_labels(texts, V_raw, seed)
                    if lab is None:
                        print(f"{name} {bname}: not installed, skipped", file=sys.stderr)
                        break
                    secs.append(time.perf_counter() - t)
                    runs.append(score(y, lab))
                if runs:
                    entry["methods"][bname] = {**mean_scores(runs),
                                               "seconds": round(statistics.fmean(secs), 1)}
                    print(name, bname, entry["methods"][bname], flush=True)
        results["datasets"][name] = entry
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "themes_quality.json").write_text(json.dumps(results, indent=2))
    md_path = RESULTS / "themes_quality.md"
    old_md = md_path.read_text() if md_path.is_file() else ""
    # the hand-kept section on experiments run by separate scripts survives a re-run
    kept = old_md[old_md.index(EXPERIMENTS_HEADING):] if EXPERIMENTS_HEADING in old_md else ""
    md_path.write_text(render_md(results) + ("\n" + kept if kept else ""))
    print(render_md(results))


#: Heading of the section of ``themes_quality.md`` kept across re-runs (experiments of
#: ``benchmarks/experiments/``).
EXPERIMENTS_HEADING = "## Experiments (separate scripts)"


def render_md(results: dict) -> str:
    lines = ["# Theme quality (ACC 1:1 Hungarian, NMI, ARI)", "",
             f"Command: `{results['command']}`; embedder {results['embedder']}; "
             f"seeds {results['seeds']} (mean, ± sd over seeds).", "",
             "Unassigned items count as wrong for ACC and form one extra cluster for NMI/ARI. "
             "No method is told the number of intents.", ""]
    for name, entry in results["datasets"].items():
        lines += [f"## {name} (n={entry['n']}, {entry['n_intents']} intents)", "",
                  "| method | ACC | NMI | ARI | clusters | unassigned | s/run |",
                  "|---|---|---|---|---|---|---|"]
        for mname, r in entry["methods"].items():
            def cell(k: str, r: dict = r) -> str:
                sd = r.get(k + "_sd")
                return f"{r[k]:.3f}" + (f" ± {sd:.3f}" if sd is not None else "")
            lines.append(f"| {mname} | {cell('acc')} | {cell('nmi')} | {cell('ari')} | "
                         f"{r['n_clusters']:.0f} | {r['unassigned']:.0f} | {r['seconds']} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
