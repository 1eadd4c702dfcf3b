"""Estimate the stage sequence model's move and start weights from labelled journeys.

Reads both sample_transcripts/ businesses (messages, events, outcomes), orders them into journeys
as the tagger does (``mining.journeys.build_journeys``), joins the ground-truth stage of every
message and counts moves with ``mining.stage_sequence.fit_transitions`` (every weight floored at
0.05 so that moves the sample never shows stay possible). The printed ``transitions`` block is
what taxonomies/stages.yaml carries.

The sample transcripts are the project's own simulated data (see sample_transcripts/README.md),
so this is fitting on project data, not on ../shared/data; stage figures on the sample are
development figures for that reason too.

Run: ``.venv/bin/python benchmarks/stage_transitions.py``
Writes ``benchmarks/results/stage_transitions.json``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT / "sample_transcripts"
OUT = ROOT / "benchmarks" / "results"
BUSINESSES = {"brightsmile": "brightsmile-dental.example", "ledgerly": "ledgerly.example"}


def main() -> None:
    """Count the sample's moves and write the estimated transitions."""
    import pandas as pd

    from mining.io.corpus import load_corpus
    from mining.journeys import build_journeys
    from mining.stage_sequence import fit_transitions
    from mining.taxonomy import load_taxonomy
    from mining.text.pseudonyms import pseudonymize_frame

    labels = SAMPLES / "ground_truth" / "labels.csv"
    if not labels.is_file():
        print("sample_transcripts/ground_truth/labels.csv not found; nothing to estimate")
        return
    truth = pd.read_csv(labels, dtype=str, keep_default_na=False)
    truth = pseudonymize_frame(truth).set_index("message_id")  # ids as the redacted corpus has them
    tf = load_taxonomy().stages
    frames, stages = [], []
    for biz, domain in BUSINESSES.items():
        corpus = load_corpus([str(SAMPLES / biz)], agent_domains=[domain])
        j = build_journeys(corpus.messages, corpus.events, corpus.outcomes)
        frames.append(j)
        stages += truth["stage"].reindex(j["message_id"].astype(str)).fillna("").tolist()
    journeys = pd.concat(frames, ignore_index=True)
    est = fit_transitions(journeys, stages, tf.names, t=tf.transitions)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "stage_transitions.json").write_text(json.dumps(est, indent=2) + "\n",
                                                encoding="utf-8")
    print(json.dumps(est, indent=2))


if __name__ == "__main__":
    main()
