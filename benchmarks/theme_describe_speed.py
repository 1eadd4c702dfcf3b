"""Theme description's text passes before and after reading each distinct text once (issue 14).

Corpus: the synthetic scale corpus (``benchmarks/scale_corpus.py``, seed 7; N messages, default
10,000), loaded with ``mining.io.corpus.load_corpus`` and split into sentence units as in
``journeymine run``. For the agent units (``reply`` themes) and the customer units (``intent``)
it times, side by side in one process:

- ``find_names`` on the unit texts (``ThemeModel.fit``) and on the raw message texts
  (``corpus_person_names``, used by reports);
- name masking of every focus text (``describe_levels``);
- ``Lexicon`` of the masked texts (``surface_forms``, ``word_counts``, spelling fixes, lemmas);
- ``lemmatize`` of the focus texts (``ThemeModel.fit``).

"Before" is the one-pass-per-text reference kept in ``tests/test_themes_distinct.py`` (the code
as it read before issue 14); "after" is the current code. Each result is checked equal to the
reference; each timing is the best of ``--repeat`` runs, before and after alternating.

Usage: python benchmarks/theme_describe_speed.py [--messages 10000] [--repeat 3]
Writes benchmarks/results/theme_describe_speed.json and .md (``theme_describe_speed_<N>.*`` for
another N).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))


def _references():  # noqa: ANN202 - the test module
    spec = importlib.util.spec_from_file_location(
        "ref_distinct", ROOT / "tests" / "test_themes_distinct.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _units(n: int) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Unit texts per kind, the raw message texts and the authors of a scale corpus."""
    from scale_corpus import write_corpus

    from mining.io.corpus import load_corpus
    from mining.text.segment import segment

    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(Path(tmp), n, seed=7)
        msgs = load_corpus(Path(tmp) / "messages.jsonl").messages
    units = segment(msgs)
    role = dict(zip(msgs["message_id"], msgs["role"].astype(str), strict=True))
    roles = [role[m] for m in units["message_id"]]
    texts = units["text"].tolist()
    kinds = {"reply": [t for t, r in zip(texts, roles, strict=True) if r == "agent"],
             "intent": [t for t, r in zip(texts, roles, strict=True) if r == "customer"]}
    return kinds, msgs["text"].astype(str).tolist(), \
        msgs["author"].dropna().astype(str).unique().tolist()


def _best(fn, repeat: int) -> tuple[float, object]:  # noqa: ANN001
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _pairs(texts: list[str], authors: list[str], ref) -> list[tuple]:  # noqa: ANN001
    """(step, before, after) callables for one kind's unit texts."""
    from mining.text.segment import lemmatize
    from mining.themes.focus import focus_texts
    from mining.themes.labels import Lexicon
    from mining.themes.names import author_words, find_names, mask_names

    focused = focus_texts(texts)
    names = find_names(texts, authors)
    voc = author_words(authors, names)

    def masked_after() -> list[str]:
        memo = {t: mask_names(t, names, voc) for t in dict.fromkeys(focused)}
        return [memo[t] for t in focused]

    masked = masked_after()
    return [
        ("find_names", lambda: ref._ref_find_names(texts, authors),
         lambda: find_names(texts, authors)),
        ("mask_names", lambda: [mask_names(t, names, voc) for t in focused], masked_after),
        ("Lexicon", lambda: vars(ref._ref_lexicon(masked)), lambda: vars(Lexicon(masked))),
        ("lemmatize", lambda: ref._ref_lemmatize(focused), lambda: lemmatize(focused)),
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ref = _references()
    kinds, raw, authors = _units(args.messages)
    rows = []
    jobs = [(k, t, *p) for k, t in kinds.items() for p in _pairs(t, authors, ref)]
    from mining.themes.names import find_names

    jobs.append(("messages", raw, "find_names (corpus_person_names)",
                 lambda: ref._ref_find_names(raw, authors), lambda: find_names(raw, authors)))
    for kind, texts, step, before, after in jobs:
        before()  # warm the caches both versions share (spaCy, word lists, lru caches)
        tb, ob = _best(before, args.repeat)
        ta, oa = _best(after, args.repeat)
        assert ob == oa, f"{kind} {step}: results differ"
        rows.append({"texts": kind, "n": len(texts), "distinct": len(set(texts)), "step": step,
                     "before_s": round(tb, 3), "after_s": round(ta, 3),
                     "speedup": round(tb / ta, 2), "identical": True})
        print(rows[-1], flush=True)
    _write(rows, args)


def _write(rows: list[dict], args: argparse.Namespace) -> None:
    cmd = "python benchmarks/theme_describe_speed.py " + " ".join(sys.argv[1:])
    res = {"command": cmd, "messages": args.messages, "repeat": args.repeat, "rows": rows}
    stem = "theme_describe_speed" + ("" if args.messages == 10_000 else f"_{args.messages}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(res, indent=2))
    md = ["# Theme description: each distinct text once", "",
          f"Command: `{cmd}`; synthetic scale corpus (`benchmarks/scale_corpus.py`, seed 7, "
          f"{args.messages:,} messages, development data). Before = one pass per text "
          "(reference in tests/test_themes_distinct.py), after = current code; best of "
          f"{args.repeat} runs each, same process; every result equal to the reference.", "",
          "| texts | n | distinct | step | before s | after s | speed-up |",
          "|---|---|---|---|---|---|---|"]
    md += [f"| {r['texts']} | {r['n']:,} | {r['distinct']:,} | {r['step']} | {r['before_s']} "
           f"| {r['after_s']} | {r['speedup']}x |" for r in rows]
    tb = sum(r["before_s"] for r in rows)
    ta = sum(r["after_s"] for r in rows)
    md += ["", f"Total: {tb:.2f} s before, {ta:.2f} s after ({tb / ta:.2f}x)."]
    (RESULTS / f"{stem}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
