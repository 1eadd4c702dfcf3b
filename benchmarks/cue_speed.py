"""Cue matching in one process vs shared with helper processes (mining.cue_pool), side by side.

The texts are the messages of the scale benchmark's corpus (``benchmarks/scale_corpus.py``); each
taxonomy's matcher runs over all of them with ``processes=1`` and with ``processes=2``
(alternating, fastest of ``--repeat`` runs each), and the results are checked to be identical.

Usage::

    nice -n 10 .venv/bin/python benchmarks/cue_speed.py [N] [--repeat 2]

Writes benchmarks/results/cue_speed.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_corpus import write_corpus  # noqa: E402

from mining import cue_pool  # noqa: E402
from mining.cues import CueMatcher  # noqa: E402
from mining.taxonomy import load_taxonomy  # noqa: E402


def corpus_texts(n: int) -> list[str]:
    """The message texts of an ``n``-message scale corpus."""
    with tempfile.TemporaryDirectory(prefix="jm-cues-") as tmp:
        write_corpus(Path(tmp), n, 0)
        lines = (Path(tmp) / "messages.jsonl").read_text().splitlines()
    return [str(json.loads(line).get("text") or "") for line in lines]


def _same(a, b) -> bool:
    return a.matches == b.matches and all(
        np.array_equal(getattr(a, k), getattr(b, k))
        for k in ("counts", "negated", "cancelled", "first_cancel"))


def measure(kind: str, texts: list[str], repeat: int) -> dict:
    """Fastest seconds with one and with two processes, and whether the results agree."""
    tf = getattr(load_taxonomy(), kind)
    one, two = CueMatcher(tf), CueMatcher(tf, processes=2)
    two.match(texts[:cue_pool.SPLIT_MIN])  # start the helper and build its matcher (not timed)
    times: dict[int, list[float]] = {1: [], 2: []}
    results = {}
    for _ in range(repeat):
        for procs, m in ((1, one), (2, two)):
            t = time.perf_counter()
            results[procs] = m.match(texts)
            times[procs].append(time.perf_counter() - t)
    best = {p: min(v) for p, v in times.items()}
    return {"kind": kind, "texts": len(texts), "one_process_s": round(best[1], 2),
            "two_processes_s": round(best[2], 2), "speedup": round(best[1] / best[2], 2),
            "identical": _same(results[1], results[2])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    texts = corpus_texts(args.n)
    rows = [measure(kind, texts, args.repeat) for kind in ("objections", "stages", "intents",
                                                           "replies")]
    cue_pool.shutdown()
    doc = {"command": f"python benchmarks/cue_speed.py {args.n} --repeat {args.repeat}",
           "cpus": os.cpu_count(), "load_avg_1m_end": round(os.getloadavg()[0], 1),
           "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "rows": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cue_speed.json").write_text(json.dumps(doc, indent=2) + "\n")
    lines = ["# Cue matching: one process vs two (mining.cue_pool)", "",
             f"Command: `{doc['command']}`; {args.n:,} messages of the scale corpus; fastest of "
             f"{args.repeat} alternating runs; {doc['cpus']} cores, 1-min load average at the end "
             f"{doc['load_avg_1m_end']}.", "",
             "| taxonomy | texts | 1 process s | 2 processes s | speed-up | identical |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['kind']} | {r['texts']:,} | {r['one_process_s']} | {r['two_processes_s']} | "
              f"{r['speedup']}x | {'yes' if r['identical'] else 'NO'} |" for r in rows]
    (RESULTS / "cue_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
