"""Ingestion speed: load_corpus on synthetic message tables (JSONL, CSV, JSONL.gz, Parquet).

Writes ``benchmarks/results/ingest.json``. Usage::

    .venv/bin/python benchmarks/bench_ingest.py [N_MESSAGES]

The messages are generated (no real data); a few rows are deliberately broken so the reject path
is exercised too.
"""

from __future__ import annotations

import gzip
import json
import platform
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("price plan annual monthly discount demo trial contract team seats support onboarding "
         "integration invoice refund cancel upgrade budget approval manager quote").split()


def make_rows(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        conv = f"c{i // 8}"
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40)))
        if i % 500 == 0:
            text += " reach me at someone@example.com or +1 415 555 0134"
        rows.append({
            "message_id": f"m{i}" if i % 1000 else "m0",  # every 1000th is a duplicate id
            "conversation_id": conv,
            "timestamp": f"2024-03-{1 + (i // 8) % 28:02d}T{(i % 24):02d}:{i % 60:02d}:00",
            "role": "user" if i % 2 else "rep",
            "text": text if i % 777 else "   ",  # some empty messages
        })
    return rows


def main() -> None:
    import pandas as pd

    from mining.io.corpus import load_corpus

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    rows = make_rows(n)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        lines = "".join(json.dumps(r) + "\n" for r in rows)
        (d / "m.jsonl").write_text(lines, encoding="utf-8")
        (d / "m.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
        pd.DataFrame(rows).to_csv(d / "m.csv", index=False)
        pd.DataFrame(rows).to_parquet(d / "m.parquet")
        for name in ("m.jsonl", "m.csv", "m.jsonl.gz", "m.parquet"):
            for redact in (True, False):
                t0 = time.perf_counter()
                corpus = load_corpus(d / name, timezone="Europe/Berlin", redact=redact)
                secs = time.perf_counter() - t0
                assert corpus.reconciles()
                results[f"{name} redact={redact}"] = {
                    "messages_read": corpus.n_read,
                    "accepted": corpus.n_accepted,
                    "rejected": corpus.n_rejected,
                    "seconds": round(secs, 3),
                    "messages_per_second": round(corpus.n_read / secs),
                }
                print(name, f"redact={redact}", results[f"{name} redact={redact}"], flush=True)
    out = {
        "benchmark": "ingest",
        "command": f"{Path(sys.executable).name} benchmarks/bench_ingest.py {n}",
        "n_messages": n,
        "python": platform.python_version(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "results": results,
    }
    path = Path(__file__).resolve().parent / "results" / "ingest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
