"""Run every benchmark in turn (what ``make bench`` does); each writes its own results file.

Usage::

    .venv/bin/python benchmarks/run_all.py            # all of them (about 30-40 min on 2 cores)
    .venv/bin/python benchmarks/run_all.py ingest     # only those whose name contains a word

Benchmarks that need ``../shared/data`` skip themselves when it is absent. BERTopic and
fast-hdbscan baselines in ``themes_quality.py`` run only where they are importable (see its
docstring for the separate benchmark virtualenv). Results land in ``benchmarks/results/``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Script and arguments, cheapest first.
BENCHMARKS: list[list[str]] = [
    ["segment_speed.py"],
    ["bench_ingest.py", "50000"],
    ["bench_email.py", "500"],
    ["bench_reports.py", "50000"],
    ["umap_startup.py"],
    ["embed_speed.py"],
    ["reduce_transform.py"],
    ["objection_probe.py"],
    ["tagging_quality.py"],
    ["themes_quality.py"],
    ["demo_run.py"],
]


def main(argv: list[str]) -> int:
    """Run the selected benchmarks; return the number that failed."""
    chosen = [b for b in BENCHMARKS if not argv or any(w in b[0] for w in argv)]
    failed = 0
    for script, *args in chosen:
        start = time.perf_counter()
        print(f"== {script} {' '.join(args)}", flush=True)
        rc = subprocess.call([sys.executable, str(HERE / script), *args], cwd=HERE.parent)
        print(f"== {script}: exit {rc} after {time.perf_counter() - start:.0f} s", flush=True)
        failed += rc != 0
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
