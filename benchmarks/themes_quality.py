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
import shlex
import statistics
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
#: The shared data folder; ``JOURNEYMINE_BENCH_DATA`` overrides it (e.g. from a git worktree).
DATA = Path(os.environ.get("JOURNEYMINE_BENCH_DATA", next(
    (p for p in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data")
     if p.is_dir()), ROOT.parent / "shared" / "data")))
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
    """k-means (k-means++, 3 inits) with k chosen by cosine silhouette over 5..min(150, n/5).

    Coarse to fine: every 5th k first, then every k within 4 of the best (38 fits instead of
    146 for banking77; the chosen k is the same wherever the silhouette curve is unimodal).
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    hi = min(150, len(V) // 5)
    scores: dict[int, tuple[float, np.ndarray]] = {}

    def fit(k: int) -> None:
        if k not in scores and 5 <= k <= hi:
            lab = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(V)
            scores[k] = (float(silhouette_score(V, lab, metric="cosine")), lab)

    for k in range(5, hi + 1, 5):
        fit(k)
    best = max(scores, key=lambda k: scores[k][0])
    for k in range(best - 4, best + 5):
        fit(k)
    return scores[max(scores, key=lambda k: scores[k][0])][1]


def bertopic_style(V: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """BERTopic's default clustering on the same embeddings, without the bertopic package.

    UMAP (15 neighbours, 5 components, ``min_dist=0``, cosine, seeded) then HDBSCAN
    (``min_cluster_size=10``, Euclidean, excess of mass): BERTopic 0.17's defaults.

    Returns:
        ``(labels with outliers -1, labels with every outlier moved to the topic whose mean
        embedding is most similar)``: the latter is BERTopic's
        ``reduce_outliers(strategy="embeddings")``.
    """
    import warnings

    import hdbscan
    import umap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        Z = umap.UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine",
                      random_state=seed).fit_transform(V)
    lab = hdbscan.HDBSCAN(min_cluster_size=10, metric="euclidean",
                          cluster_selection_method="eom").fit_predict(Z).astype(np.int64)
    full = lab.copy()
    if (lab >= 0).any() and (lab < 0).any():
        U = V / np.linalg.norm(V, axis=1, keepdims=True)
        C = np.stack([U[lab == t].mean(0) for t in range(lab.max() + 1)])
        C /= np.linalg.norm(C, axis=1, keepdims=True)
        out = lab < 0
        full[out] = (U[out] @ C.T).argmax(1)
    return lab, full


def kmeans_refined(model: object, V: np.ndarray, seed: int, iters: int = 10) -> np.ndarray:
    """Lever: spherical k-means in the full embedding space, started from the themes' centroids
    (k and the start from UMAP + HDBSCAN; every item assigned)."""
    from mining.themes.cluster import canonical, centroids

    X = canonical(V)
    C = np.asarray(model.centroids_, dtype=np.float32)
    lab = (X @ C.T).argmax(1)
    for _ in range(iters):
        C = centroids(X, lab)
        new = (X @ C.T).argmax(1)
        if np.array_equal(new, lab):
            break
        lab = new
    return lab


def kmeans_full_space(model: object, V: np.ndarray, seed: int) -> np.ndarray:
    """Lever: k-means (3 inits) in the full embedding space with k = the number of themes that
    UMAP + HDBSCAN found (HDBSCAN as the k estimator)."""
    from sklearn.cluster import KMeans

    from mining.themes.cluster import canonical

    k = max(2, len(model.centroids_))
    return KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(canonical(V))


def label_centroid_rate(model: object, labels: list[str]) -> float:
    """Share of themes whose label embedding is closer to their own centroid than to any
    other theme's (cosine)."""
    from mining.embed import embed_texts
    from mining.themes.cluster import canonical

    L = canonical(embed_texts(labels, progress=False))
    C = np.asarray(model.centroids_, dtype=np.float32)
    return round(float(((L @ C.T).argmax(1) == np.arange(len(C))).mean()), 4)


def mean_scores(runs: list[dict]) -> dict:
    out = {}
    for key in runs[0]:
        vals = [r[key] for r in runs]
        out[key] = round(statistics.fmean(vals), 4)
        if len(vals) > 1 and key in ("acc", "nmi", "ari"):
            out[key + "_sd"] = round(statistics.stdev(vals), 4)
    return out


def _backend_used() -> str:
    """The embedding backend the vectors come from (``embed.backend`` resolved)."""
    from mining.config import Settings
    from mining.embed import get_embedder

    backend = Settings().embed.backend
    emb = get_embedder("all-MiniLM-L6-v2", backend)
    return f"{getattr(emb, 'backend', 'unknown')} (embed.backend = {backend})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[42])
    ap.add_argument("--ablation", action="store_true", help="also run the ablation variants")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--reuse-baselines", action="store_true",
                    help="copy baseline rows from the previous results file when the seeds match")
    ap.add_argument("--reuse-only", nargs="+", metavar="ROW",
                    help="with --reuse-baselines: copy only these rows (e.g. 'bertopic "
                         "(defaults)', which needs the bertopic package); rerun the others")
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS))
    ap.add_argument("--results", default="themes_quality",
                    help="results file name in benchmarks/results/ (without extension)")
    ap.add_argument("--sample", type=int, default=1000,
                    help="also fit on a sample of this many items and assign the rest")
    args = ap.parse_args()
    from threadpoolctl import threadpool_limits

    # one BLAS/OpenMP thread: on a shared 2-core machine k-means is ~10x faster this way
    with threadpool_limits(limits=1):
        run(args)


def _timed(fn: object, *a: object, **kw: object) -> tuple[object, float]:
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def _add(entry: dict, name: str, runs: list[dict], secs: list[float]) -> None:
    if runs:
        entry["methods"][name] = {**mean_scores(runs),
                                  "seconds": round(statistics.fmean(secs), 1) if secs else None}
        print(entry["name"], name, entry["methods"][name], flush=True)


def run_journeymine(entry: dict, texts: list[str], y: np.ndarray, V: np.ndarray, lemmas: list,
                    seeds: list[int], sample: int) -> None:
    """The defaults, the levers measured on the same fit, and the fit on a capped sample."""
    from mining.themes import ThemeModel
    from mining.themes.represent import short_label

    rows: dict[str, list[dict]] = {}
    secs: dict[str, list[float]] = {}
    for seed in seeds:
        m, sec = _timed(ThemeModel(seed=seed).fit, texts, vectors=V, lemmas=lemmas)
        parents = m.themes_["parent_theme_id"].astype(int).to_numpy()
        coarse = np.where(m.labels_ >= 0, parents[np.maximum(m.labels_, 0)], -1)
        found = {
            "journeymine: default": (m.labels_, sec),
            "lever: HDBSCAN outliers not assigned (cluster labels)": (m.cluster_labels_, None),
            "lever: spherical k-means refinement in full space from the theme centroids":
                (kmeans_refined(m, V, seed), None),
            "lever: k-means in full space, k = number of HDBSCAN themes":
                _timed(kmeans_full_space, m, V, seed),
            "journeymine: coarse level (parent themes)": (coarse, None),
        }
        if len(texts) > sample:
            ms, sec_s = _timed(ThemeModel(seed=seed, fit_sample_max=sample).fit, texts,
                               vectors=V, lemmas=lemmas)
            found[f"journeymine: fitted on a sample of {sample:,}, rest assigned"] = \
                (ms.labels_, sec_s)
        for name, (lab, sec_i) in found.items():
            rows.setdefault(name, []).append(score(y, np.asarray(lab)))
            if sec_i is not None:
                secs.setdefault(name, []).append(sec_i)
        if seed == seeds[0]:
            kw_labels = [short_label(k.split(", ")) or "?" for k in m.themes_["keywords"]]
            entry["labels"] = {
                "label_own_centroid_rate": label_centroid_rate(m, m.themes_["label"].tolist()),
                "keyword_label_own_centroid_rate": label_centroid_rate(m, kw_labels),
                "n_themes": len(m.themes_), "n_coarse": len(m.coarse_themes_),
                "duplicates": int(m.themes_["label"].str.lower().duplicated().sum()),
                "seed": seed}
            print(entry["name"], entry["labels"], flush=True)
    for name, r in rows.items():
        _add(entry, name, r, secs.get(name, []))


def run_baselines(entry: dict, texts: list[str], y: np.ndarray, V: np.ndarray,
                  seeds: list[int], previous: dict) -> None:
    """k-means + silhouette and BERTopic-style clustering on the same embeddings."""
    names = ("kmeans+silhouette", "bertopic-style (defaults, outliers -1)",
             "bertopic-style + reduce_outliers (embeddings)")
    runs: dict[str, list[dict]] = {n: [] for n in names}
    secs: dict[str, list[float]] = {n: [] for n in names}
    for name in previous:  # --reuse-baselines: rows of the previous run, same seeds
        entry["methods"][name] = {**previous[name], "reused": True}
        print(entry["name"], name, "(reused)", previous[name], flush=True)
    for seed in seeds:
        if names[0] not in previous:
            lab, sec = _timed(kmeans_silhouette, V, seed)
            runs[names[0]].append(score(y, lab))
            secs[names[0]].append(sec)
        if names[1] not in previous or names[2] not in previous:
            (lab, lab_all), sec = _timed(bertopic_style, V, seed)
            for name, la in ((names[1], lab), (names[2], lab_all)):
                runs[name].append(score(y, la))
                secs[name].append(sec)
    for name in names:
        if name not in previous:
            _add(entry, name, runs[name], secs[name])


def run(args: argparse.Namespace) -> None:
    """Embed each data set once, then run journeymine, its levers and the baselines."""
    from mining.embed import embed_texts
    from mining.text.segment import lemmatize
    from mining.themes.focus import focus_texts

    results: dict = {"command": shlex.join([Path(sys.executable).name, *sys.argv]),
                     "seeds": args.seeds, "python": platform.python_version(),
                     "embedder": "all-MiniLM-L6-v2", "datasets": {},
                     "embedding_backend": _backend_used()}
    previous: dict = {}
    if args.reuse_baselines and (RESULTS / f"{args.results}.json").is_file():
        old = json.loads((RESULTS / f"{args.results}.json").read_text())
        if old.get("seeds") == args.seeds:
            previous = {n: {k: v for k, v in e["methods"].items() if not k.startswith(
                ("journeymine", "lever")) and (not args.reuse_only or k in args.reuse_only)}
                for n, e in old["datasets"].items()}
    for name in args.datasets:
        data = load(name)
        if data is None:
            print(f"{name}: data not found, skipped", file=sys.stderr)
            continue
        texts, y = data
        focused = focus_texts(texts)
        V_focus = embed_texts(focused, progress=False)
        lemmas = lemmatize(focused)
        entry: dict = {"name": name, "n": len(texts), "n_intents": int(len(set(y.tolist()))),
                       "methods": {}}
        run_journeymine(entry, texts, y, V_focus, lemmas, args.seeds, args.sample)
        if args.ablation:
            run_ablation(entry, texts, y, V_focus, embed_texts(texts, progress=False), lemmas,
                         args.seeds)
        if not args.no_baselines:
            run_baselines(entry, texts, y, embed_texts(texts, progress=False), args.seeds,
                          previous.get(name, {}))
        results["datasets"][name] = entry
    if not results["datasets"]:
        print(f"no data set found under {DATA}; results left as they were", file=sys.stderr)
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.results}.json").write_text(json.dumps(results, indent=2))
    md_path = RESULTS / f"{args.results}.md"
    old_md = md_path.read_text() if md_path.is_file() else ""
    # the hand-kept section on experiments run by separate scripts survives a re-run
    kept = old_md[old_md.index(EXPERIMENTS_HEADING):] if EXPERIMENTS_HEADING in old_md else ""
    md_path.write_text(render_md(results) + ("\n" + kept if kept else ""))
    print(render_md(results))


def run_ablation(entry: dict, texts: list[str], y: np.ndarray, V_focus: np.ndarray,
                 V_raw: np.ndarray, lemmas: list, seeds: list[int]) -> None:
    """The parameter variants of :data:`VARIANTS` (``--ablation``)."""
    from mining.themes import ThemeModel

    for vname, (params, use_focus, which) in VARIANTS.items():
        if vname == "default":
            continue
        runs, secs = [], []
        for seed in seeds:
            kw = {k: (v(len(texts)) if callable(v) else v) for k, v in params.items()}
            m, sec = _timed(ThemeModel(seed=seed, **kw).fit, texts,
                            vectors=V_focus if use_focus else V_raw, lemmas=lemmas)
            secs.append(sec)
            runs.append(score(y, m.labels_ if which == "labels" else m.cluster_labels_))
        _add(entry, f"journeymine: {vname}", runs, secs)


#: Heading of the section of ``themes_quality.md`` kept across re-runs (experiments of
#: ``benchmarks/experiments/``).
EXPERIMENTS_HEADING = "## Experiments (separate scripts)"


def render_md(results: dict) -> str:
    lines = ["# Theme quality (ACC 1:1 Hungarian, NMI, ARI)", "",
             f"Command: `{results['command']}`; embedder {results['embedder']} on "
             f"{results.get('embedding_backend', 'torch (not recorded; the default then)')}; "
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
            shown = mname + (" (reused from the previous run)" if r.get("reused") else "")
            lines.append(f"| {shown} | {cell('acc')} | {cell('nmi')} | {cell('ari')} | "
                         f"{r['n_clusters']:.0f} | {r['unassigned']:.0f} | "
                         f"{r['seconds'] if r.get('seconds') is not None else '–'} |")
        lab = entry.get("labels")
        if lab:
            lines += ["", f"Labels (seed {lab['seed']}): {lab['n_themes']} themes, "
                      f"{lab['n_coarse']} coarse themes, {lab['duplicates']} duplicate labels; "
                      f"label closer to its own theme centroid than to any other (MiniLM cosine): "
                      f"**{lab['label_own_centroid_rate']:.1%}** of readable labels, "
                      f"{lab['keyword_label_own_centroid_rate']:.1%} of keyword labels "
                      "(\"kw1 / kw2 / kw3\", as before)."]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
