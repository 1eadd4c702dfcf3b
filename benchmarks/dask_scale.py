"""Local Dask workers, 1 vs 2, side by side in one run, and an estimate for 1M messages.

Each run is ``benchmarks/scale.py``'s ``measure``: the same corpus (``scale_corpus.py``, >= 90%
distinct texts), a fresh ``journeymine run ... --workers K`` process with an empty embedding
cache, wall time, peak memory and ``run.json``'s seconds per stage. The runs alternate (1, 2,
1, 2, ... workers) so that the load of the shared machine falls on both alike; the fastest of
each is kept.

The estimate for 1M messages on N workers uses the per-stage rates (seconds per message) of the
1-worker run: steps that run on the workers (``mining.distributed``: segmentation, embedding,
objection and stage scoring and decoding, theme assignment inside the themes step) are divided
by N times the 2-vs-1 efficiency measured here; the client's steps are scaled linearly.

Run: ``nice -n 10 .venv/bin/python benchmarks/dask_scale.py [N] [--repeats 1] [--backend onnx]``
Writes ``benchmarks/results/dask_scale.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import measure  # noqa: E402

#: Steps whose work runs on the workers (the themes step: assignment only; its fit is the
#: client's, on a capped sample).
ON_WORKERS = ("tag.segment_units", "tag.embed_units", "tag.detect_objections", "tag.tag_stages")
TARGET = 1_000_000
#: Client-only steps whose work does not depend on the number of workers: how much the shared
#: machine's load differed between two runs.
CONTROL = ("tag.classify_intents_and_replies", "reports", "write")


def main() -> None:
    """Measure 1 and 2 local workers, write the results and the estimate."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=1500)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--backend", default="onnx", choices=("auto", "onnx", "torch"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--render", action="store_true", help="rewrite the .md from the .json")
    args = ap.parse_args()
    if args.render:
        res = json.loads((RESULTS / "dask_scale.json").read_text())
        res["best"] = {int(k): v for k, v in res["best"].items()}
        (RESULTS / "dask_scale.md").write_text(render_md(res))
        print(render_md(res))
        return
    t0 = time.perf_counter()
    runs: dict[int, list[dict]] = {1: [], 2: []}
    for _ in range(args.repeats):
        for workers in (1, 2):
            r = measure(args.n, workers, args.backend, args.seed)
            print(json.dumps({k: r[k] for k in ("workers", "wall_s", "cpu_s", "returncode",
                                                "load_avg_1m")}), flush=True)
            if r["returncode"] != 0:
                raise SystemExit(f"journeymine run with {workers} worker(s) failed")
            runs[workers].append(r)
    best = {w: min(rs, key=lambda r: r["wall_s"]) for w, rs in runs.items()}
    res = {"command": " ".join(["python", *sys.argv]), "n": args.n, "backend": args.backend,
           "repeats": args.repeats, "cpus": os.cpu_count(), "runs": runs, "best": best,
           "seconds": round(time.perf_counter() - t0, 1)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dask_scale.json").write_text(json.dumps(res, indent=2, default=str) + "\n")
    md = render_md(res)
    (RESULTS / "dask_scale.md").write_text(md)
    print(md)


def _stages(r: dict) -> dict[str, float]:
    return {k: float(v) for k, v in r["timings_seconds"].items()
            if k.startswith("tag.") or k in ("ingest", "reports", "write")}


def estimate(res: dict, workers: tuple[int, ...] = (1, 2, 8, 32)) -> list[str]:
    """Hours for :data:`TARGET` messages on N workers from the per-stage rates."""
    one, two = res["best"][1], res["best"][2]
    n = one["corpus"]["messages"]
    s1, s2 = _stages(one), _stages(two)
    w1 = sum(v for k, v in s1.items() if k in ON_WORKERS)
    w2 = sum(v for k, v in s2.items() if k in ON_WORKERS)
    c1, c2 = (sum(s[k] for k in CONTROL if k in s) for s in (s1, s2))
    load = c1 / c2 if c2 > 0 else 1.0
    eff = min(1.0, w1 / w2 / load / 2) if w2 > 0 else 1.0  # two workers on these cores
    # the client's steps at the quieter run's pace
    client = sum(v for k, v in s2.items() if k not in ON_WORKERS and k != "tag.dask_setup")
    scale = TARGET / n
    lines = ["", f"## Estimate for {TARGET:,} messages", "",
             f"Per-stage rates ({n:,} messages), scaled linearly to {TARGET:,}. Worker steps "
             f"({', '.join(s[4:] for s in ON_WORKERS)}) took {w1:.1f} s on 1 worker and "
             f"{w2:.1f} s on 2 (with the load difference taken out, control above "
             f"{load:.2f}x, a per-worker efficiency of {eff:.2f} on these {res['cpus']} cores: "
             "one worker already embeds on every core). The estimate puts each worker on a "
             "machine like this one and divides the 1-worker time by N: a lower bound, since "
             "sending blocks and gathering results between machines is not measured here. "
             "The client's steps (journeys, themes fit "
             f"and labels, replies, intents, assembly, reports, writing; the 2-worker run) took "
             f"{client:.1f} s and "
             "do not shrink with workers. Worker setup (model loading, fitting the taggers "
             "once) is a fixed cost and left out.", "",
             "| workers | worker steps h | client steps h | total h |", "|---|---|---|---|"]
    for w in workers:
        wt = w1 / load * scale / w  # 1-worker time at run 2's load, one machine per worker
        ct = client * scale
        lines.append(f"| {w} | {wt / 3600:.1f} | {ct / 3600:.1f} | {(wt + ct) / 3600:.1f} |")
    top = max((k for k in s2 if k not in ON_WORKERS and k != "tag.dask_setup"), key=s2.get)
    lines += ["", f"Caveats: the client's largest step here is `{top}` ({s2[top]:.1f} s); the "
              "themes step fits on at most `themes.fit_sample_max` units (20,000 by default), so "
              "its fit does not grow past the cap and the linear figure overstates it at 1M; "
              "the vectors and tags still travel through the client, which needs memory for "
              "1M x 384 float32 vectors (~1.5 GB per million units). The per-stage seconds were "
              "measured on 2 cores shared with other work (load average above)."]
    return lines


def render_md(res: dict) -> str:
    """The results as a Markdown page."""
    one, two = res["best"][1], res["best"][2]
    c = one["corpus"]
    md = ["# Local Dask workers: 1 vs 2 on these cores", "",
          f"Command: `nice -n 10 {res['command']}` ({res['seconds']:.0f} s): "
          f"{c['messages']:,} messages ({c['distinct_share']:.1%} distinct), embedding backend "
          f"`{res['backend']}`, a fresh `journeymine run --workers K` process each with an empty "
          f"vector cache, runs alternated, fastest of {res['repeats']} kept; "
          f"{res['cpus']} CPU cores shared with other work "
          f"({one.get('machine', 'machine not recorded')}).", "",
          "| workers | wall s | CPU s (client) | msg/s | peak RSS MB (client / all) | load 1m |",
          "|---|---|---|---|---|---|"]
    for r in (one, two):
        md.append(f"| {r['workers']} | {r['wall_s']} | {r['cpu_s']} | {r['messages_per_s']} | "
                  f"{r['peak_rss_child_mb']:,} / {r['peak_rss_tree_mb']:,} | "
                  f"{r['load_avg_1m'][0]}-{r['load_avg_1m'][1]} |")
    s1, s2 = _stages(one), _stages(two)
    w1, w2 = (sum(v for k, v in s.items() if k in ON_WORKERS) for s in (s1, s2))
    c1, c2 = (sum(s[k] for k in CONTROL if k in s) for s in (s1, s2))
    md += ["", f"Ratio 1 worker / 2 workers (wall): **{one['wall_s'] / two['wall_s']:.2f}x**; "
           f"worker steps only: {w1 / w2:.2f}x. One worker already runs the int8 embedding on "
           "a thread per core, so on one machine a second worker process adds no cores: this "
           "ratio says what a second local worker buys here, not how Dask scales across "
           "machines.", "",
           f"Control: the client-only steps ({', '.join(CONTROL)}) do the same work in both "
           f"runs and took {c1:.1f} s vs {c2:.1f} s ({c1 / c2:.2f}x): the machine's other load "
           f"differed by that much between the runs. Worker-step ratio divided by it: "
           f"**{w1 / w2 / (c1 / c2):.2f}x** (the speed-up from the second worker with the "
           "load difference taken out; a rough correction).", "",
           "| stage | 1 worker s | 2 workers s | ratio |", "|---|---|---|---|"]
    for k in sorted(s1, key=lambda k: -s1[k]):
        ratio = f"{s1[k] / s2[k]:.2f}" if s2.get(k) else "-"
        where = " (workers)" if k in ON_WORKERS else ""
        md.append(f"| {k}{where} | {s1[k]:.2f} | {s2.get(k, float('nan')):.2f} | {ratio} |")
    loads = [x for r in (one, two) for x in r["load_avg_1m"]]
    if max(loads) > res["cpus"]:
        md += ["", f"**Not conclusive here**: the 1-minute load average was {min(loads)}-"
               f"{max(loads)} on {res['cpus']} cores during these runs (other work on the shared "
               "machine), so a second worker process had no idle core to use; the ratios above "
               "and the efficiency in the estimate below measure that contention, not Dask. "
               "Rerun on a quiet machine (`--repeats 3`)."]
    md += estimate(res)
    return "\n".join(md) + "\n"


if __name__ == "__main__":
    main()
