"""End-to-end scale: `journeymine run` on N messages with >= 90% distinct texts, in a fresh process.

For each N the corpus is written by ``benchmarks/scale_corpus.py`` (the sample generator with more
variety), then ``python cli.py run messages.jsonl --events ... --outcomes ... -o OUT`` runs in a
child process with an empty embedding cache (``$JOURNEYMINE_CACHE`` a new folder; the int8 ONNX
model, built once per machine, is linked in and its one-time build is timed on its own). Recorded:
wall time, the child's peak RSS (``os.wait4``) and the peak summed RSS of the child and its
children (sampled every 0.5 s with psutil: Dask workers are separate processes), per-stage seconds
from ``run.json``, messages/s and the machine's load average.

Usage::

    nice -n 10 .venv/bin/python benchmarks/scale.py 10000 30000 [--workers 2] [--backend torch]

Results are merged into benchmarks/results/scale.json (one entry per N, workers and backend) and
benchmarks/results/scale.md is rewritten from it, with the growth of each stage's time with N.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_corpus import write_corpus  # noqa: E402


def machine() -> str:
    """The CPU this run had: model name, cores, and whether it has AVX-512 VNNI (int8 speed).

    Wall and CPU seconds of runs on different machines do not compare: the int8 ONNX model runs
    several times faster with VNNI.
    """
    model, flags = "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown CPU":
                model = " ".join(value.split())
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    vnni = "avx512_vnni" if "avx512_vnni" in flags else ("avx_vnni" if "avx_vnni" in flags
                                                         else "no VNNI")
    return f"{model}, {os.cpu_count()} cores, {vnni}"


def _env(cache: Path) -> dict[str, str]:
    env = dict(os.environ, JOURNEYMINE_CACHE=str(cache), PYTHONPATH=str(ROOT),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return env


def ensure_onnx_model(backend: str) -> float | None:
    """Build the int8 ONNX model in the user cache if needed; return the seconds it took."""
    if backend == "torch":
        return None
    code = ("import time; t=time.perf_counter(); from mining.embed import get_embedder; "
            "e=get_embedder('all-MiniLM-L6-v2', 'auto'); print(time.perf_counter()-t, "
            "getattr(e, 'path', ''))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    secs, _, _path = out.stdout.strip().partition(" ")
    return float(secs)


def _user_models() -> Path:
    env = os.environ.get("JOURNEYMINE_CACHE")
    return (Path(env).expanduser() if env else Path.home() / ".cache" / "journeymine") / "models"


#: The longest time the child's stderr (progress log lines) did not grow, of the last run.
SILENCE: dict[str, float] = {}


def run_child(cmd: list[str], env: dict[str, str],
              log: Path) -> tuple[float, float, float, int, float]:
    """Run ``cmd``; return wall s, peak RSS of the child (MB), peak tree RSS (MB), rc, CPU s.

    CPU seconds (user + system of the child and the processes it waited for) do not depend on
    how busy the shared machine was, unlike wall time. The longest stretch without a new line
    on stderr (a log file: progress must log at least every 30 s) goes to ``SILENCE``.
    """
    import psutil

    t0 = time.perf_counter()
    with open(log, "wb") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        tree_peak = 0
        ps = psutil.Process(proc.pid)
        size, grew, silence = 0, t0, 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            now, new_size = time.perf_counter(), log.stat().st_size
            if new_size != size:
                size, grew = new_size, now
            silence = max(silence, now - grew)
            try:
                procs = [ps, *ps.children(recursive=True)]
                tree_peak = max(tree_peak, sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass
            time.sleep(0.5)
    wall = time.perf_counter() - t0
    SILENCE["max_s"] = round(silence, 1)
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, tree_peak / 2**20, rc, usage.ru_utime + usage.ru_stime


def measure(n: int, workers: int, backend: str, seed: int) -> dict:
    """Build the corpus of ``n`` messages and time one cold ``journeymine run`` over it."""
    with tempfile.TemporaryDirectory(prefix="jm-scale-") as tmp:
        tmp = Path(tmp)
        stats = write_corpus(tmp / "corpus", n, seed)
        cache = tmp / "cache"
        cache.mkdir()
        if _user_models().is_dir():
            (cache / "models").symlink_to(_user_models())
        out = tmp / "out"
        cmd = [sys.executable, str(ROOT / "cli.py"), "run", str(tmp / "corpus" / "messages.jsonl"),
               "--events", str(tmp / "corpus" / "events.csv"),
               "--outcomes", str(tmp / "corpus" / "outcomes.csv"), "-o", str(out)]
        if backend != "auto":
            (tmp / "settings.toml").write_text(f'[embed]\nbackend = "{backend}"\n')
            cmd += ["--config", str(tmp / "settings.toml")]
        if workers:
            cmd += ["--workers", str(workers)]
        load_before = os.getloadavg()[0]
        wall, child_mb, tree_mb, rc, cpu = run_child(cmd, _env(cache), tmp / "stderr.log")
        doc = json.loads((out / "run.json").read_text()) if (out / "run.json").is_file() else {}
        log_text = (tmp / "stderr.log").read_text(errors="replace")
    return {
        "n_requested": n, "corpus": stats, "workers": workers, "backend": backend,
        "returncode": rc, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
        "peak_rss_child_mb": round(child_mb),
        "peak_rss_tree_mb": round(tree_mb),
        "messages_per_s": round(stats["messages"] / wall, 1),
        "timings_seconds": doc.get("timings_seconds", {}),
        "run_json_scale": doc.get("scale", {}),
        "counts": {k: v for k, v in doc.get("counts", {}).items() if not k.startswith("stage_")},
        "load_avg_1m": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "max_log_silence_s": SILENCE.get("max_s"),
        "log_lines": len(log_text.splitlines()),
        "cpus": os.cpu_count(),
        "machine": machine(),
        "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _key(r: dict) -> str:
    return r.get("label") or f"n={r['n_requested']} workers={r['workers']} backend={r['backend']}"


def _growth(entries: list[dict], stage: str) -> str:
    """Exponent b of t ~ N^b between the smallest and largest N (single process, same backend)."""
    pts = sorted((e["corpus"]["messages"], e["timings_seconds"].get(stage)) for e in entries
                 if e["timings_seconds"].get(stage))
    if len(pts) < 2 or pts[0][0] == pts[-1][0]:
        return ""
    (n1, t1), (n2, t2) = pts[0], pts[-1]
    return f"{math.log(t2 / t1) / math.log(n2 / n1):.2f}" if t1 > 0 and t2 > 0 else ""


def _single(runs: list[dict]) -> list[dict]:
    """Single-process runs on the backend of the latest single-process run (one code state).

    Runs kept under a ``label`` (earlier code or corpus, kept for the record) are left out.
    """
    solo = [r for r in runs if r["workers"] == 0 and not r.get("label")]
    if not solo:
        return []
    latest = max(solo, key=lambda r: r.get("finished", ""))
    return [r for r in solo if r["backend"] == latest["backend"]]


def write_markdown(results: dict, notes: list[str] = ()) -> str:
    """Render scale.json as a table per run plus the per-stage growth exponents.

    ``notes`` (``scale.json["_notes"]``, written by hand) are listed under the first table.
    """
    runs = sorted(results.values(), key=lambda r: (r["backend"], r["workers"], r["n_requested"]))
    stages = sorted({s for r in runs for s in r["timings_seconds"]},
                    key=lambda s: (s == "total", s))
    head = ["run", "messages", "distinct", "wall s", "CPU s", "msg/s",
            "peak RSS MB (child / tree)", "load 1m before-after", "longest log silence s",
            "finished", "machine"]
    md = ["# Scale: `journeymine run` end to end", "",
          "Command: `python benchmarks/scale.py N [--workers K] [--backend B]` (corpus from "
          "`benchmarks/scale_corpus.py`; fresh process, empty embedding cache; the fitted "
          "built-in models and the int8 ONNX file are per-machine files in "
          "`~/.cache/journeymine/models`, reused when present). The 2 cores are shared with "
          "other work, so the 1-minute load average before and after each run is given: wall "
          "times at a load above 2 are upper bounds; CPU s (user + system of the run) depends "
          "less on the load. backend=auto is the configured default at the time of the run.", "",
          "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in runs:
        c = r["corpus"]
        md.append(f"| {_key(r)} | {c['messages']:,} | {c['distinct_share']:.1%} | {r['wall_s']} | "
                  f"{r.get('cpu_s', '')} | {r['messages_per_s']} | {r['peak_rss_child_mb']:,} / "
                  f"{r['peak_rss_tree_mb']:,} | {r['load_avg_1m'][0]}-{r['load_avg_1m'][1]} | "
                  f"{r.get('max_log_silence_s', '')} | {r.get('finished', '')} | "
                  f"{r.get('machine', 'not recorded')} |")
    md += ["", *[f"- {note}" for note in notes]] if notes else []
    md += ["", "Seconds per stage (run.json `timings_seconds`):", "",
           "| stage | " + " | ".join(_key(r) for r in runs) + " |",
           "|---|" + "---|" * len(runs)]
    for s in stages:
        md.append(f"| {s} | " + " | ".join(str(r["timings_seconds"].get(s, "")) for r in runs)
                  + " |")
    md.append("")
    for r in runs:
        steps = {k: v for k, v in r["timings_seconds"].items() if k.startswith("tag.")}
        top = sorted(steps, key=steps.get, reverse=True)[:3]
        md.append(f"- {_key(r)}: largest steps " + ", ".join(
            f"`{k[4:]}` {steps[k] / r['timings_seconds'].get('total', 1):.0%}" for k in top)
            + (f"; CPU {r['cpu_s']} s" if "cpu_s" in r else "") + ".")
    for n in sorted({r["n_requested"] for r in runs}):
        got = {r["workers"]: r for r in runs if r["n_requested"] == n and r["backend"] == "auto"}
        if 1 in got and 2 in got:
            md += ["", f"Local Dask workers at N = {n:,}: 2 workers took "
                   f"{got[2]['wall_s']} s, 1 worker {got[1]['wall_s']} s: ratio "
                   f"**{got[1]['wall_s'] / got[2]['wall_s']:.2f}x** (2 is ideal on 2 cores)."]
    single = _single(runs)
    if len(single) >= 2:
        md += ["", "Growth of each stage with N (exponent b in t ~ N^b between the smallest and "
               "largest N, single process): " + ", ".join(
                   f"{s} {_growth(single, s)}" for s in stages if _growth(single, s)) + "."]
    md += peak_lines(runs)
    md += estimate_1m(runs)
    return "\n".join(md) + "\n"


def _step_rank(step: str) -> int:
    """Where a step ends in a run: ingest, tag's steps, tag, reports, write."""
    return 1 if step.startswith("tag.") else {"ingest": 0, "tag": 2, "reports": 3}.get(step, 4)


def peak_lines(runs: list[dict]) -> list[str]:
    """The process's peak memory at the end of each step (run.json ``peak_rss_mb_by_step``)."""
    have = [r for r in runs if r.get("run_json_scale", {}).get("peak_rss_mb_by_step")]
    if not have:
        return []
    steps = sorted(dict.fromkeys(s for r in have for s in r["run_json_scale"]
                                 ["peak_rss_mb_by_step"]),
                   key=_step_rank)  # stable: tag's steps keep their order
    lines = ["", "Peak memory of the run's process (MB, `ru_maxrss`) when each step ended "
             "(run.json `scale.peak_rss_mb_by_step`; it never falls, so the first step at the "
             "final value is the one that set the peak):", "",
             "| step | " + " | ".join(_key(r) for r in have) + " |", "|---|" + "---|" * len(have)]
    for step in steps:
        lines.append(f"| {step} | " + " | ".join(
            f"{r['run_json_scale']['peak_rss_mb_by_step'].get(step, ''):,}"
            if step in r["run_json_scale"]["peak_rss_mb_by_step"] else "" for r in have) + " |")
    lines.append("")
    for r in have:
        peaks = r["run_json_scale"]["peak_rss_mb_by_step"]
        top = max(peaks.values())
        first = next(s for s in sorted(peaks, key=_step_rank) if peaks[s] == top)
        before = [peaks[s] for s in sorted(peaks, key=_step_rank)
                  if _step_rank(s) <= _step_rank(first) and s != first and peaks[s] < top]
        lines.append(f"- {_key(r)}: peak {top:,.0f} MB, reached in `{first}`"
                     + (f" (from {max(before):,.0f} MB at the end of the step before)"
                        if before else "") + ".")
    return lines


#: Steps that run on the workers with --workers/--cluster (mining.distributed); the rest run on
#: the client.
ON_WORKERS = ("tag.segment_units", "tag.embed_units", "tag.detect_objections", "tag.tag_stages")


def estimate_1m(runs: list[dict], target: int = 1_000_000) -> list[str]:
    """Extrapolate each stage to ``target`` messages and divide the worker steps by N workers.

    Each stage's time grows as N^b (b measured between the smallest and largest single-process
    run; 1 when only one size was run); steps in :data:`ON_WORKERS` are divided by the number of
    worker cores times the measured 2-vs-1-worker efficiency (1 when not measured).
    """
    single = _single(runs)
    if not single:
        return []
    base = max(single, key=lambda r: r["corpus"]["messages"])
    n0 = base["corpus"]["messages"]
    eff = 1.0
    by_n: dict[int, dict[int, dict]] = {}
    for r in runs:
        if r["workers"] in (1, 2):
            by_n.setdefault(r["n_requested"], {})[r["workers"]] = r
    pairs = [v for _, v in sorted(by_n.items()) if 1 in v and 2 in v]
    if pairs:  # the largest N measured with both 1 and 2 workers
        eff = pairs[-1][1]["wall_s"] / pairs[-1][2]["wall_s"] / 2
    lines = ["", f"## Estimate for {target:,} messages", "",
             f"From the {n0:,}-message single-process run, each stage scaled by (N/{n0:,})^b "
             f"(b above; 1 where unmeasured); worker steps ({', '.join(ON_WORKERS)}) divided by "
             f"the number of worker cores x {eff:.2f} (2-vs-1 worker efficiency measured here, "
             f"1 if not measured). Wall times measured on a shared machine (load average in the "
             f"table above, against 2 cores) are upper bounds of what these cores do alone.", "",
             "| workers | worker steps h | client steps h | total h |", "|---|---|---|---|"]
    stages = {k: v for k, v in base["timings_seconds"].items()
              if k.startswith("tag.") or k in ("ingest", "reports", "write")}
    scaled = {}
    for k, v in stages.items():
        b = _growth(single, k)
        scaled[k] = v * (target / n0) ** (float(b) if b else 1.0)
    work = sum(v for k, v in scaled.items() if k in ON_WORKERS)
    client = sum(v for k, v in scaled.items() if k not in ON_WORKERS)
    for w in (1, 8, 32):
        wt = work / (w * eff if w > 1 else 1)
        total = (wt + client) / 3600
        lines.append(f"| {w} | {wt / 3600:.1f} | {client / 3600:.1f} | {total:.1f} |")
    top = max((k for k in scaled if k not in ON_WORKERS), key=scaled.get)
    lines += ["", f"The client steps bound the total: the largest is `{top}` "
              f"(~{scaled[top] / 3600:.1f} h at {target:,})."]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="+")
    ap.add_argument("--workers", type=int, default=0, help="0: single process; K: local Dask")
    ap.add_argument("--backend", default="auto", choices=("auto", "onnx", "torch"))
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "scale.json"
    results = json.loads(path.read_text()) if path.is_file() else {}
    build = ensure_onnx_model(args.backend)
    if build is not None:
        results["_onnx_model"] = {"first_use_s_this_time": round(build, 1),
                                  "note": "0-2 s when the model was already built"}
    for n in args.n:
        r = measure(n, args.workers, args.backend, args.seed)
        results[_key(r)] = r
        print(json.dumps(r, indent=1), flush=True)
        path.write_text(json.dumps(results, indent=1) + "\n")
        (RESULTS / "scale.md").write_text(write_markdown(
            {k: v for k, v in results.items() if not k.startswith("_")},
            results.get("_notes", [])))
    print((RESULTS / "scale.md").read_text())


if __name__ == "__main__":
    main()
