"""Does the int8 ONNX embedding backend change quality? torch fp32 vs onnx int8, side by side.

The same measurements as the project's quality benchmarks, once per backend in one run:

- themes: ``ThemeModel()`` defaults on the dev sets of ``benchmarks/themes_quality.py``
  (dstc11-insurance, banking77; ACC/NMI/ARI with its ``load`` and ``score``), one fit per seed;
  the spread across seeds is the noise the backend's difference is compared with;
- objections: the zero-shot detector on CraigslistBargain resistance labels, scored by
  ``benchmarks/objections_real.py``'s ``zero_shot`` (ROC AUC, macro-F1);
- stages: insurance single-utterance macro-recall by ``benchmarks/stages_real.py``'s
  ``insurance``.

Every model is fitted from the project's own examples with ``settings.embed.backend`` set to the
backend measured; vectors are cached per backend (the backend is part of the cache identity).

Run: ``nice -n 10 .venv/bin/python benchmarks/embed_backend_quality.py [--seeds 42 43 44]``
Writes ``benchmarks/results/embed_backend_quality.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
OUT = ROOT / "benchmarks" / "results"
from scale import machine  # noqa: E402

# ../shared/data beside the project; from a git worktree one level deeper (themes_quality reads
# the variable)
os.environ.setdefault("JOURNEYMINE_BENCH_DATA", str(next(
    (p / "shared" / "data" for p in (ROOT.parent, ROOT.parent.parent)
     if (p / "shared" / "data").is_dir()), ROOT.parent / "shared" / "data")))
BACKENDS = ("torch", "onnx")


def _settings(backend: str):
    from mining.config import Settings

    settings = Settings()
    settings.embed.backend = backend
    return settings


def themes(backend: str, seeds: list[int]) -> dict:
    """ThemeModel defaults per dev set and seed, on this backend's vectors."""
    import numpy as np
    import themes_quality as tq

    from mining.embed import embed_texts, get_embedder
    from mining.text.segment import lemmatize
    from mining.themes import ThemeModel
    from mining.themes.focus import focus_texts

    emb = get_embedder("all-MiniLM-L6-v2", backend)
    out: dict = {}
    for name in tq.DATASETS:
        data = tq.load(name)
        if data is None:
            continue
        texts, y = data
        focused = focus_texts(texts)
        V = embed_texts(focused, model=emb, progress=False)
        lemmas = lemmatize(focused)
        runs = []
        for seed in seeds:
            m = ThemeModel(seed=seed).fit(texts, vectors=V, lemmas=lemmas)
            runs.append({"seed": seed, **tq.score(y, np.asarray(m.labels_))})
            print(backend, name, runs[-1], flush=True)
        out[name] = {"n": len(texts), "runs": runs,
                     **{f"{k}_mean": round(statistics.fmean(r[k] for r in runs), 4)
                        for k in ("acc", "nmi", "ari")},
                     **{f"{k}_sd": round(statistics.pstdev(r[k] for r in runs), 4)
                        for k in ("acc", "nmi", "ari")}}
    return out


def objections(backend: str) -> dict | None:
    """Zero-shot objection detection on CraigslistBargain (objections_real.zero_shot)."""
    import objections_real as orl

    from mining.labels import customer_messages
    from mining.objections import ObjectionDetector

    if not orl.DATA.is_file():
        return None
    settings = _settings(backend)
    cb = orl.load_cb()
    msgs = customer_messages(cb).merge(cb[["message_id", "is_objection"]], on="message_id")
    det = ObjectionDetector(embedder=settings.embed.model, settings=settings).fit()
    res, _ = orl.zero_shot(det, msgs, orl.CachedUnits(msgs, det, settings))
    return res["detector"]


def stages(backend: str) -> dict | None:
    """Insurance single-utterance stage macro-recall (stages_real.insurance)."""
    import stages_real as sr

    from mining.stages import StageTagger

    settings = _settings(backend)
    tagger = StageTagger(embedder=settings.embed.model, settings=settings).fit()
    res = sr.insurance(tagger)
    return None if res is None else {"macro_recall": res["macro_recall"],
                                     "recall": res["recall"]}


def cosine(backend_a: str, backend_b: str) -> dict | None:
    """Mean and minimum cosine between the two backends' vectors of the dev-set texts."""
    import numpy as np
    import themes_quality as tq

    from mining.embed import embed_texts, get_embedder
    from mining.themes.focus import focus_texts

    texts = [t for name in tq.DATASETS if (d := tq.load(name)) is not None
             for t in focus_texts(d[0])]
    if not texts:
        return None
    a = embed_texts(texts, model=get_embedder("all-MiniLM-L6-v2", backend_a), progress=False)
    b = embed_texts(texts, model=get_embedder("all-MiniLM-L6-v2", backend_b), progress=False)
    cos = (a * b).sum(axis=1)
    return {"texts": len(texts), "mean": round(float(cos.mean()), 4),
            "min": round(float(cos.min()), 4), "p01": round(float(np.quantile(cos, 0.01)), 4)}


def main() -> None:
    """Measure both backends and write the results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    ap.add_argument("--skip", nargs="*", default=[], choices=["themes", "objections", "stages"])
    ap.add_argument("--results", default="embed_backend_quality",
                    help="results file name in benchmarks/results (without .md/.json)")
    args = ap.parse_args()
    from mining.embed import get_embedder

    t0 = time.perf_counter()
    res: dict = {"command": " ".join(["python", *sys.argv]), "seeds": args.seeds,
                 "backends": {}}
    for backend in BACKENDS:
        emb = get_embedder("all-MiniLM-L6-v2", backend)
        if getattr(emb, "backend", None) != ("onnx-int8" if backend == "onnx" else "torch"):
            raise SystemExit(f"backend {backend} did not load")
        entry: dict = {"embedder_backend": emb.backend}
        if "themes" not in args.skip:
            entry["themes"] = themes(backend, args.seeds)
        if "objections" not in args.skip:
            entry["objections"] = objections(backend)
        if "stages" not in args.skip:
            entry["stages"] = stages(backend)
        res["backends"][backend] = entry
        print(json.dumps({backend: {k: v for k, v in entry.items() if k != "themes"}}),
              flush=True)
    res["cosine_onnx_vs_torch"] = cosine("onnx", "torch")
    res["seconds"] = round(time.perf_counter() - t0, 1)
    res["machine"] = machine()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.results}.json").write_text(json.dumps(res, indent=2) + "\n")
    (OUT / f"{args.results}.md").write_text(render_md(res))
    print(render_md(res))


def _verdict(delta: float, noise: float) -> str:
    return "within noise" if abs(delta) <= max(noise, 0.005) else "outside noise"


def render_md(res: dict) -> str:
    """The results as a Markdown page."""
    t, o = res["backends"]["torch"], res["backends"]["onnx"]
    lines = ["# Embedding backend and quality: torch fp32 vs int8 ONNX", "",
             f"Command: `nice -n 10 {res['command']}` ({res['seconds']:.0f} s; "
             f"{res.get('machine', 'machine not recorded')}: int8 arithmetic differs between "
             "CPUs with and without VNNI). Packaged "
             "all-MiniLM-L6-v2; every model fitted from the project's own examples on the "
             "backend's vectors. Noise: the larger of the two backends' sd across seeds "
             "(at least 0.005).", ""]
    if res.get("cosine_onnx_vs_torch"):
        c = res["cosine_onnx_vs_torch"]
        lines += [f"Cosine int8 vs fp32 on the {c['texts']:,} dev-set texts: mean {c['mean']}, "
                  f"1st percentile {c['p01']}, min {c['min']}.", ""]
    if "themes" in t:
        lines += ["## Themes (ThemeModel defaults; mean ± sd over seeds "
                  f"{', '.join(map(str, res['seeds']))})", "",
                  "| data set | metric | torch | onnx int8 | difference | verdict |",
                  "|---|---|---|---|---|---|"]
        for name, tr in t["themes"].items():
            on = o["themes"][name]
            for k in ("acc", "nmi", "ari"):
                d = on[f"{k}_mean"] - tr[f"{k}_mean"]
                noise = max(on[f"{k}_sd"], tr[f"{k}_sd"])
                lines.append(f"| {name} (n={tr['n']:,}) | {k.upper()} | {tr[f'{k}_mean']:.3f} ± "
                             f"{tr[f'{k}_sd']:.3f} | {on[f'{k}_mean']:.3f} ± {on[f'{k}_sd']:.3f}"
                             f" | {d:+.3f} | {_verdict(d, noise)} |")
        lines.append("")
    rows = []
    if t.get("objections") and o.get("objections"):
        for k in ("roc_auc", "macro_f1", "f1", "flagged"):
            rows.append(f"| objections zero-shot (cb-resistance) {k} | {t['objections'][k]:.3f} "
                        f"| {o['objections'][k]:.3f} | "
                        f"{o['objections'][k] - t['objections'][k]:+.3f} |")
    if t.get("stages") and o.get("stages"):
        rows.append(f"| stages, insurance macro-recall | {t['stages']['macro_recall']:.3f} | "
                    f"{o['stages']['macro_recall']:.3f} | "
                    f"{o['stages']['macro_recall'] - t['stages']['macro_recall']:+.3f} |")
    if rows:
        lines += ["## Objections and stages (deterministic: no seed)", "",
                  "| measurement | torch | onnx int8 | difference |", "|---|---|---|---|",
                  *rows, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
