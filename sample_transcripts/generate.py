#!/usr/bin/env python3
"""Generate the journeymine sample data set: two businesses' chats, inboxes, events and outcomes.

Usage::

    python sample_transcripts/generate.py            # rewrite the files next to this script
    python sample_transcripts/generate.py OUT_DIR    # write them somewhere else

Only the standard library is used. The output is byte-for-byte reproducible: a fixed seed, a
random.Random per journey, sorted output, "\\n" line endings, and no wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _gen import bad, effects, sim, write  # noqa: E402

SEED = 2
N_BRIGHTSMILE = 420
N_LEDGERLY = 360
N_LATE = (40, 40)  # journeys that start in the last four weeks (mostly still open)


def generate(out: str, seed: int = SEED) -> dict:
    """Write every generated file under ``out`` and return a summary (counts and effects)."""
    journeys = sim.simulate(seed, N_BRIGHTSMILE, N_LEDGERLY, N_LATE)
    counts = write.write_all(journeys, out, seed)
    bad.write_bad(out)
    eff = effects.compute(out)
    eff["files"] = counts
    eff["seed"] = seed
    with open(os.path.join(out, "planted_effects.json"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(eff, indent=2, sort_keys=True) + "\n")
    return eff


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=HERE, help="output folder (default: beside this script)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    eff = generate(args.out, args.seed)
    a = eff["all"]
    print(f"{a['journeys']} journeys, {a['messages']} messages, conversion {a['conversion_rate']}"
          f" -> {args.out} ({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
