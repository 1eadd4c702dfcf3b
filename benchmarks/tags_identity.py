"""Tags on the sample transcripts are byte-identical before and after a refactor.

    .venv/bin/python benchmarks/tags_identity.py --record   # write the reference hashes
    .venv/bin/python benchmarks/tags_identity.py            # compare (exit 1 if not identical)
    .venv/bin/python benchmarks/tags_identity.py --embedder hash   # fast, model-free variant

Tags the demo inputs of ``sample_transcripts/`` with the default settings (the packaged
all-MiniLM-L6-v2, UMAP, HDBSCAN), or with ``--embedder hash``, and hashes the tags, themes and
units tables as CSV (full float precision). The reference in
``benchmarks/results/tags_identity.json`` is recorded from the code before a change, in a fresh
cache folder with a fixed pseudonym key (a random key per run would change every pseudonymous
id); a comparison writes ``benchmarks/results/tags_identity_check_<embedder>.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "tags_identity.json"
CHECK = ROOT / "benchmarks" / "results" / "tags_identity_check_{embedder}.json"
#: Seed of the pseudonym key used in the fresh cache folder (identical ids run after run).
FIXED_KEY_SEED = b"journeymine benchmarks/tags_identity.py"


def _tag(embedder: str) -> object:
    """Tag the demo corpus with whatever tagging entry point this checkout has."""
    import mining
    from mining.config import Settings
    from mining.demo import demo_inputs
    from mining.io.corpus import load_corpus

    demo = demo_inputs(ROOT / "sample_transcripts")
    settings = Settings()
    settings.embed.model = embedder
    settings.ingest.agent_domains = list(demo.agent_domains)
    corpus = load_corpus([str(p) for p in demo.messages], events=demo.events or None,
                         outcomes=demo.outcomes, agent_domains=demo.agent_domains,
                         settings=settings)
    if "tag" in getattr(mining, "__all__", ()):
        return mining.tag(corpus, settings=settings, progress=False)
    from mining.tagger import tag_corpus  # before issue 10

    return tag_corpus(corpus, settings=settings, progress=False)


def hashes(embedder: str) -> dict[str, str]:
    """Return the sha256 of the tags, themes and units tables (CSV, full precision)."""
    result = _tag(embedder)
    out = {}
    for name in ("tags", "themes", "units"):
        frame = getattr(result, name)
        data = frame.to_csv(index=False, float_format="%.17g").encode("utf-8")
        out[name] = hashlib.sha256(data).hexdigest()
        out[f"{name}_rows"] = len(frame)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", default="all-MiniLM-L6-v2")
    parser.add_argument("--record", action="store_true", help="Write the reference hashes.")
    args = parser.parse_args()
    if not (ROOT / "sample_transcripts").is_dir():
        print("sample_transcripts/ is not there; skipped")
        return 0
    if "JOURNEYMINE_CACHE" not in os.environ:
        cache = Path(tempfile.mkdtemp(prefix="tags-identity-"))
        # a fixed pseudonym key: a new random one per run would change every pseudonymous id
        (cache / "pseudonym.key").write_bytes(hashlib.sha256(FIXED_KEY_SEED).digest())
        os.environ["JOURNEYMINE_CACHE"] = str(cache)
    got = hashes(args.embedder)
    ref = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    if args.record:
        ref[args.embedder] = got
        RESULTS.write_text(json.dumps(ref, indent=2, sort_keys=True) + "\n")
        print(json.dumps(got, indent=2))
        return 0
    want = ref.get(args.embedder)
    if want is None:
        print(f"no reference for {args.embedder}; run with --record on the old code first")
        return 2
    same = got == want
    report = json.dumps({"embedder": args.embedder, "identical": same, "got": got, "want": want},
                        indent=2)
    Path(str(CHECK).format(embedder=args.embedder)).write_text(report + "\n")
    print(report)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
