"""Reports speed, before/after side by side: every report function of two source trees on one run.

Times each report of ``mining.reports.REPORTS`` (inside one ``run_reports`` call, as a run does)
and the HTML page (``build_report_html``) on the
tags of a finished run (its output folder) and the corpus it was made from, once with a baseline
tree (e.g. ``git archive`` of main) and once with this tree, one after the other in separate
processes on the same machine, and checks that every report is byte-identical (CSV text and HTML
page). The corpus' personal-name pass (``corpus_person_names``, shared by the reports and not
part of this work) is run first and timed on its own, so the report figures do not include it.
The page's "Generated <minute> UTC" stamp is blanked before comparing.

Usage (the corpus must be read with the run's pseudonym key, ``JOURNEYMINE_CACHE``)::

    JOURNEYMINE_CACHE=/tmp/ref/cache python benchmarks/reports_speed.py \\
        --base /tmp/bench/14r_base --run /tmp/ref/out10k \\
        --messages /tmp/prof/c10k/messages.jsonl --events /tmp/prof/c10k/events.csv \\
        --outcomes /tmp/prof/c10k/outcomes.csv --name 10k

Writes ``benchmarks/results/reports_speed_<name>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TREE = HERE.parent


def worker(run_dir: str, messages: str, events: str, outcomes: str, out: str) -> None:
    """Run in a child process with PYTHONPATH = the tree to time; writes times and reports."""
    import pandas as pd

    import mining.reports
    from mining import pipeline
    from mining.config import Settings
    from mining.reports import get_report
    from mining.reports.html import build_report_html
    from mining.text.redact import corpus_person_names

    settings = Settings()
    run = Path(run_dir)
    tags = pd.read_parquet(run / "tags.parquet")
    themes = pd.read_csv(run / "themes.csv")
    counts = json.loads((run / "run.json").read_text()).get("counts", {})
    corpus = pipeline._ingest([messages], settings, [events], [outcomes], None)
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    corpus_person_names(corpus.messages)
    times["corpus_person_names (not timed below)"] = time.perf_counter() - t0
    def timed(name: str):  # each report's own time, inside one run_reports call (as a run)
        func = get_report(name)

        def run(*a, **kw):
            t0 = time.perf_counter()
            try:
                return func(*a, **kw)
            finally:
                times[name] = time.perf_counter() - t0
        return run

    mining.reports.get_report = timed
    t0 = time.perf_counter()
    reports = mining.reports.run_reports(tags, corpus.outcomes, corpus.events,
                                         messages=corpus.messages, settings=settings)
    times["run_reports (all, incl. checks)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    page = build_report_html(tags, themes, reports, corpus.outcomes, counts)
    times["report_html"] = time.perf_counter() - t0
    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    for name, df in reports.items():
        df.to_csv(dest / f"{name}.csv", index=False)
    (dest / "report.html").write_text(page, encoding="utf-8")
    (dest / "times.json").write_text(json.dumps(times))


def _bytes(path: Path) -> bytes:
    """The file's bytes; for the HTML page, its "Generated <minute> UTC" stamp blanked."""
    data = path.read_bytes()
    if path.suffix == ".html":
        data = re.sub(rb"Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", b"Generated <time>", data)
    return data


def _time_tree(tree: Path, args: argparse.Namespace, out: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(tree), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", args.run, args.messages,
           args.events, args.outcomes, str(out)]
    subprocess.run(cmd, env=env, check=True, cwd=str(tree))
    return json.loads((out / "times.json").read_text())


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:7])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="baseline source tree (e.g. git archive)")
    ap.add_argument("--run", required=True, help="output folder of a run (tags.parquet, ...)")
    ap.add_argument("--messages", required=True)
    ap.add_argument("--events", required=True)
    ap.add_argument("--outcomes", required=True)
    ap.add_argument("--name", default="10k")
    ap.add_argument("--keep", default=None, help="folder to keep both trees' outputs in")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="reports_speed_") as tmp:
        tmp = args.keep or tmp
        before = _time_tree(Path(args.base), args, Path(tmp) / "before")
        after = _time_tree(TREE, args, Path(tmp) / "after")
        files = sorted(p.name for p in (Path(tmp) / "before").iterdir() if p.name != "times.json")
        identical = {f: _bytes(Path(tmp) / "before" / f) == _bytes(Path(tmp) / "after" / f)
                     for f in files}
    rows = {k: {"before_s": round(before[k], 2), "after_s": round(after[k], 2),
                "ratio": round(before[k] / after[k], 2) if after[k] else None} for k in before}
    timed = ["run_reports (all, incl. checks)", "report_html"]
    total = {"before_s": round(sum(before[k] for k in timed), 2),
             "after_s": round(sum(after[k] for k in timed), 2)}
    result = {"name": args.name, "run": args.run, "messages": args.messages,
              "base": args.base, "times": rows, "total_reports_and_html": total,
              "identical": identical, "all_identical": all(identical.values()),
              "platform": platform.platform(), "cpus": os.cpu_count(),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    res = HERE / "results"
    (res / f"reports_speed_{args.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [f"# Reports speed, before/after ({args.name}: {args.run})", "",
             f"Command: `benchmarks/reports_speed.py --name {args.name}` ({result['date']}, "
             f"{os.cpu_count()} CPUs, shared machine). Seconds per function, same inputs, "
             "baseline tree then this tree.", "",
             "| function | before s | after s | before/after |", "|---|---:|---:|---:|"]
    lines += [f"| {k} | {v['before_s']} | {v['after_s']} | {v['ratio']} |" for k, v in rows.items()]
    lines += [f"| **run_reports + html** | {total['before_s']} | {total['after_s']} | |", "",
              "Byte-identical outputs (report.html: apart from its generation time): "
              + ", ".join(f"{f} {'yes' if ok else 'NO'}" for f, ok in identical.items())]
    (res / f"reports_speed_{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
