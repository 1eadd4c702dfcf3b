"""Speed of sentence segmentation and lemmatisation (the built-in blank English pipeline).

Texts: the customer turns of ../shared/data/dstc11-insurance/utterances.jsonl (multi-sentence
call turns) and the banking77 test queries, each once (read at run time, skipped when absent).

Usage: .venv/bin/python benchmarks/segment_speed.py
Writes benchmarks/results/segment_speed.json and .md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "dstc11-insurance" / "utterances.jsonl"
RESULTS = ROOT / "benchmarks" / "results"


def main() -> None:
    argparse.ArgumentParser().parse_args()
    if not DATA.is_file():
        print(f"skipped: {DATA} is absent")
        return
    import csv

    import pandas as pd

    from mining.text.segment import get_nlp, lemmatize, segment

    with open(DATA, encoding="utf-8") as fh:
        turns = [json.loads(line)["utterance"] for line in fh if line.strip()]
    banking = ROOT.parent / "shared" / "data" / "banking77" / "test.csv"
    if banking.is_file():
        with open(banking, newline="", encoding="utf-8") as fh:
            turns += [r["text"] for r in csv.DictReader(fh)]
    texts = list(dict.fromkeys(turns))  # unique: repeats would flatter spaCy's tokenizer cache
    msgs = pd.DataFrame({"message_id": [f"m{i}" for i in range(len(texts))], "clean_text": texts})
    t = time.perf_counter()
    get_nlp()
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    units = segment(msgs)
    seg_s = time.perf_counter() - t
    t = time.perf_counter()
    lemmatize(units["text"].tolist())
    lem_s = time.perf_counter() - t
    res = {"messages": len(texts), "units": len(units), "pipeline_load_s": load_s,
           "segment_s": seg_s, "lemmatize_units_s": lem_s,
           "messages_per_s": len(texts) / seg_s, "units_per_s_lemmatize": len(units) / lem_s,
           "command": "python benchmarks/segment_speed.py " + " ".join(sys.argv[1:])}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "segment_speed.json").write_text(json.dumps(res, indent=2))
    md = ["# Segmentation speed", "",
          f"Command: `{res['command']}`; {len(texts)} unique DSTC11 insurance customer turns and "
          f"banking77 queries -> {len(units)} units, blank English + sentencizer + lookup "
          "lemmatizer.",
          "", "| step | seconds | rate |", "|---|---|---|",
          f"| load pipeline | {load_s:.2f} | |",
          f"| segment | {seg_s:.2f} | {res['messages_per_s']:.0f} messages/s |",
          f"| lemmatize units | {lem_s:.2f} | {res['units_per_s_lemmatize']:.0f} units/s |"]
    (RESULTS / "segment_speed.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
