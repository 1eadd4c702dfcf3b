"""Fresh-process time of reducing 2,000 x 384 vectors: stock UMAP vs mining.reduce.

Every configuration runs in a NEW Python process (import + reduce), as a `journeymine themes` run
does. numba's on-disk cache goes to a temporary NUMBA_CACHE_DIR that starts empty, so "first run"
is a machine that never ran UMAP and "later run" is every run after it.

Usage: .venv/bin/python benchmarks/umap_startup.py [--n 2000] [--big 5000]
Writes benchmarks/results/umap_startup.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

CHILD = r"""
import json, sys, time, warnings
t0 = time.perf_counter()
import numpy as np
mode, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
centres = rng.normal(size=(40, 384)) * 0.6
X = (centres[rng.integers(0, 40, n)] + rng.normal(size=(n, 384)) * 0.25).astype(np.float32)
X /= np.linalg.norm(X, axis=1, keepdims=True)
t1 = time.perf_counter()
warnings.simplefilter("ignore")
if mode == "stock":
    import umap
    t2 = time.perf_counter()
    Y = umap.UMAP(n_components=5, n_neighbors=15, min_dist=0.0, metric="cosine",
                  random_state=42).fit_transform(X)
else:
    from mining.reduce import make_reducer
    red = make_reducer(mode, n_components=5, seed=42, n_neighbors=15)
    if mode == "umap":
        import umap  # counted as import time, like the stock run
    t2 = time.perf_counter()
    Y = red.fit_transform(X)
t3 = time.perf_counter()
print(json.dumps({"import_s": t2 - t1, "reduce_s": t3 - t2, "shape": list(Y.shape)}))
"""

CONFIGS = [
    # (label, mode, cache dir key, what it stands for)
    ("stock UMAP, first run", "stock", "stock", "umap.UMAP(cosine), empty numba cache"),
    ("stock UMAP, later run", "stock", "stock", "same again: pynndescent's cache=True code reused"),
    ("mining.reduce umap, first run", "umap", "ours", "exact kNN + umap with caching, empty cache"),
    ("mining.reduce umap, later run", "umap", "ours", "same again: every later `themes` run"),
    ("mining.reduce pca", "pca", "ours", "PCA, no numba"),
]


def run_child(mode: str, n: int, cache_dir: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=str(ROOT))
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(n)], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=900, check=True)
    wall = time.perf_counter() - t
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["process_wall_s"] = wall
    return res


def themes_cli(n: int) -> list[dict]:
    """Time `journeymine themes` on n banking77 utterances in fresh processes (run 1, run 2)."""
    import csv

    data = ROOT.parent / "shared" / "data" / "banking77" / "test.csv"
    if not data.is_file():
        return []
    exe = Path(sys.executable).with_name("journeymine")
    rows = []
    with tempfile.TemporaryDirectory() as tmp, open(data, newline="", encoding="utf-8") as fh:
        texts = [r["text"] for r in csv.DictReader(fh)][:n]
        table = Path(tmp) / "messages.csv"
        with open(table, "w", newline="", encoding="utf-8") as out:
            w = csv.writer(out)
            w.writerow(["id", "text"])
            w.writerows([[f"m{i}", t] for i, t in enumerate(texts)])
        for run in (1, 2):
            t = time.perf_counter()
            subprocess.run([str(exe), "--quiet", "themes", str(table), "--text-column", "text",
                            "--id-column", "id", "-o", str(Path(tmp) / f"out{run}")],
                           cwd=ROOT, capture_output=True, text=True, timeout=1800, check=True)
            wall = time.perf_counter() - t
            rows.append({"config": f"`journeymine themes`, run {run}", "n": len(texts),
                         "what": "whole command, default caches (embeddings, numba)",
                         "process_wall_s": wall, "import_s": None, "reduce_s": None})
            print(f"journeymine themes run {run}: {wall:.1f}s", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--big", type=int, default=5000, help="later runs at this n too (0: skip)")
    ap.add_argument("--themes-cli", action=argparse.BooleanOptionalAction, default=True,
                    help="also time `journeymine themes` on n banking77 utterances (if present)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        dirs = {"stock": str(Path(tmp) / "stock"), "ours": str(Path(tmp) / "ours")}
        plan = [(label, mode, key, what, args.n) for label, mode, key, what in CONFIGS]
        if args.big:
            plan += [(f"stock UMAP, later run, n={args.big}", "stock", "stock",
                      "above 4,096 points stock UMAP switches to NN-descent", args.big),
                     (f"mining.reduce umap, later run, n={args.big}", "umap", "ours",
                      "exact kNN still", args.big)]
        for label, mode, key, what, n in plan:
            res = run_child(mode, n, dirs[key])
            rows.append({"config": label, "n": n, "what": what, **res})
            print(f"{label:45s} n={n:5d} process {res['process_wall_s']:6.1f}s "
                  f"(import {res['import_s']:.1f}s, reduce {res['reduce_s']:.1f}s)", flush=True)
    if args.themes_cli:
        rows += themes_cli(args.n)
    meta = {"python": sys.version.split()[0], "machine": platform.machine(),
            "cpus": os.cpu_count(), "load_avg_1m_at_end": os.getloadavg()[0],
            "command": "python benchmarks/umap_startup.py " + " ".join(sys.argv[1:])}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "umap_startup.json").write_text(json.dumps({"meta": meta, "runs": rows}, indent=2))
    lines = ["# UMAP start-up: a fresh process reducing vectors to 5-d", "",
             f"Command: `{meta['command']}` (Python {meta['python']}, {meta['cpus']} CPUs, shared; "
             f"1-min load average at the end {meta['load_avg_1m_at_end']:.1f}).", "",
             "Each row is a new Python process: generate unit vectors (40 Gaussian blobs, 384-d), "
             "import, reduce. Times in seconds; `process` includes interpreter start-up.", "",
             "| configuration | n | process | import | reduce | what |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        parts = [f"{r[k]:.1f}" if r[k] is not None else "" for k in ("import_s", "reduce_s")]
        lines.append(f"| {r['config']} | {r['n']} | {r['process_wall_s']:.1f} | "
                     f"{parts[0]} | {parts[1]} | {r['what']} |")
    (RESULTS / "umap_startup.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
