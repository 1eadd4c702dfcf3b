"""Wall time of `journeymine demo`, cold (empty embedding cache) and warm (the same data again).

    .venv/bin/python benchmarks/demo_run.py        # writes benchmarks/results/demo_run.json|md

Each run is a fresh process (`journeymine demo -o <tmp>`), as a user would start it; the cache
lives in a temporary folder ($JOURNEYMINE_CACHE) so the first run is really cold. Per-stage
seconds come from the run's own run.json. UMAP's numba compilation cache is left as it is on the
machine (see benchmarks/umap_startup.py for that cost).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def one_run(out: Path, env: dict[str, str]) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "journeymine"), "--no-progress", "demo", "-o", str(out)],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = json.loads((out / "run.json").read_text())
    return {
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1
        ),
        "peak_rss_mb_any_child": round(after.ru_maxrss / 1024),
        "stages_seconds": run["timings_seconds"],
        "counts": {
            k: run["counts"][k] for k in ("messages", "journeys", "units", "themes", "rejects")
        },
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "JOURNEYMINE_CACHE": str(Path(tmp) / "cache"),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
        cold = one_run(Path(tmp) / "cold", env)
        warm = one_run(Path(tmp) / "warm", env)
    load = os.getloadavg()
    result = {
        "command": "journeymine demo (fresh process each), cold then warm embedding cache",
        "machine": f"{platform.platform()}, {os.cpu_count()} cores, load avg {load[0]:.1f} at end",
        "cold": cold,
        "warm": warm,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "demo_run.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# `journeymine demo`: wall time per stage",
        "",
        result["machine"],
        "",
        "| stage | cold (s) | warm (s) |",
        "|---|---|---|",
    ]
    for stage in cold["stages_seconds"]:
        lines.append(
            f"| {stage} | {cold['stages_seconds'][stage]} | "
            f"{warm['stages_seconds'].get(stage, '')} |"
        )
    lines += [
        "",
        f"Process wall time: cold {cold['wall_seconds']} s, warm {warm['wall_seconds']} s; "
        f"peak RSS {max(cold['peak_rss_mb_any_child'], warm['peak_rss_mb_any_child'])} MB.",
        f"Counts: {cold['counts']}",
    ]
    (RESULTS / "demo_run.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
