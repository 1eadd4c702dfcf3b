"""CPU time of ``ThemeModel.fit`` on banking77 (3,080 utterances): this tree vs another tree.

Usage (from the project root)::

    .venv/bin/python benchmarks/themes_fit_time.py --other /path/to/older/checkout

Each tree is timed in its own fresh process (``PYTHONPATH`` set to the tree), alternating,
``--repeats`` times; the figure is the process CPU time (``time.process_time``) of one ``fit``
after a warm-up fit on 200 items (numba compiled, models loaded), so the load other processes
put on a shared machine matters less than wall time would. Embeddings come from the cache
(``mining.embed``); one BLAS thread. Result: ``benchmarks/results/themes_fit_time.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

_CHILD = r"""
import json, os, sys, time
sys.path.insert(0, os.environ["BENCH_DIR"])
from threadpoolctl import threadpool_limits
import themes_quality as tq
from mining.embed import embed_texts
from mining.text.segment import lemmatize
from mining.themes import ThemeModel
from mining.themes.focus import focus_texts
texts, y = tq.load("banking77")
focused = focus_texts(texts)
V = embed_texts(focused, progress=False)
lem = lemmatize(focused)
with threadpool_limits(limits=1):
    ThemeModel(seed=42).fit(texts[:200], V[:200], lemmas=lem[:200])
    t, w = time.process_time(), time.perf_counter()
    m = ThemeModel(seed=42).fit(texts, V, lemmas=lem)
    cpu, wall = time.process_time() - t, time.perf_counter() - w
print(json.dumps({"cpu": cpu, "wall": wall, "themes": len(m.themes_),
                  "acc": tq.acc_hungarian(y, m.labels_)}))
"""


def time_tree(tree: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "BENCH_DIR": str(ROOT / "benchmarks"),
           "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--other", type=Path, required=True, help="the tree to compare with")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    runs: dict[str, list[dict]] = {"this": [], "other": []}
    for _ in range(args.repeats):
        for name, tree in (("other", args.other.resolve()), ("this", ROOT)):
            runs[name].append(time_tree(tree))
            print(name, runs[name][-1], flush=True)
    res = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
           "other_tree": str(args.other), "runs": runs,
           "cpu_seconds": {k: round(statistics.fmean(r["cpu"] for r in v), 2)
                           for k, v in runs.items()}}
    res["ratio_this_over_other"] = round(res["cpu_seconds"]["this"] /
                                         res["cpu_seconds"]["other"], 3)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "themes_fit_time.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res["cpu_seconds"]), "ratio", res["ratio_this_over_other"])


if __name__ == "__main__":
    main()
