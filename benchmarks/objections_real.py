"""Objection detection on real negotiations (CraigslistBargain with RESPER resistance labels).

Measures, on ``../shared/data/cb-resistance/messages.jsonl`` (buyer messages labelled
``is_objection``; nothing here is fitted on it except where a learning curve says so):

(a) zero-shot: the detector fitted on the project's own examples only; ROC AUC, P/R/F1 of the
    resistance class, F1 of the non-resistance class, macro-F1. Baselines: keyword-only (a
    counted objection cue in any sentence) and flag-everything.
(b) learning curve: per repeat, the conversations are split in half at random; 25/50/100/200
    labels are drawn from the training half the way ``journeymine label`` draws them
    (uncertain + diverse), the detector is fitted on the built-in examples plus those labels,
    and scored on the other half. Beside it, in the same run and on the same splits: the plain
    baseline, a logistic regression on the MiniLM embeddings of randomly drawn labels, and the
    detector taught with the same number of random labels. 5 repeats, mean and sd.
(c) development data: the same zero-shot detector on sample_transcripts/ ground truth (the
    project's own generated conversations, which the taxonomy was written against).

Messages are scored as ``journeymine tag`` scores them: each sentence with the agent turn
before the message as context, the most probable sentence counts.

Run: ``nice -n 10 .venv/bin/python benchmarks/objections_real.py [--repeats 5] [--sizes ...]``
Writes ``benchmarks/results/objections_real.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_SHARED = next((p / "shared" / "data" for p in (ROOT.parent, ROOT.parent.parent)
                if (p / "shared" / "data").is_dir()), ROOT.parent / "shared" / "data")
DATA = _SHARED / "cb-resistance" / "messages.jsonl"
SAMPLES = ROOT / "sample_transcripts"
OUT = ROOT / "benchmarks" / "results"
BUSINESSES = {"brightsmile": "brightsmile-dental.example", "ledgerly": "ledgerly.example"}


def metrics(y, prob, pred) -> dict:
    import numpy as np
    from sklearn.metrics import f1_score, precision_recall_fscore_support, roc_auc_score

    y, pred = np.asarray(y, int), np.asarray(pred, int)
    p, r, f, _ = precision_recall_fscore_support(y, pred, labels=[1, 0], zero_division=0)
    out = {"precision": round(float(p[0]), 4), "recall": round(float(r[0]), 4),
           "f1": round(float(f[0]), 4), "f1_non_resistance": round(float(f[1]), 4),
           "macro_f1": round(float(f1_score(y, pred, average="macro", zero_division=0)), 4),
           "flagged": round(float(pred.mean()), 4), "n": int(len(y))}
    if prob is not None and len(set(y)) == 2:
        out["roc_auc"] = round(float(roc_auc_score(y, prob)), 4)
    return out


def load_cb():
    import pandas as pd

    d = pd.read_json(DATA, lines=True, dtype={"message_id": str, "conversation_id": str})
    d = d.sort_values(["conversation_id", "turn"], kind="stable").reset_index(drop=True)
    d["clean_text"] = d["text"].astype(str)
    return d


def zero_shot(det, msgs, settings) -> tuple[dict, dict]:
    from mining.labels import score_messages

    scores, _ = score_messages(msgs, det, settings=settings, progress=False)
    y = msgs["is_objection"].astype(int).to_numpy()
    res = {"detector": metrics(y, scores["probability"], scores["is_objection"]),
           "keyword_only": metrics(y, None, scores["cue"]),
           "flag_everything": metrics(y, None, [1] * len(y))}
    return res, scores


def _baseline(vec, y, tr, te, n, rng, balanced=False):
    from sklearn.linear_model import LogisticRegression

    pick = rng.choice(tr, size=n, replace=False)
    if len(set(y[pick])) < 2:
        return None, pick
    lr = LogisticRegression(max_iter=2000, class_weight="balanced" if balanced else None)
    prob = lr.fit(vec[pick], y[pick]).predict_proba(vec[te])[:, 1]
    return metrics(y[te], prob, prob >= 0.5), pick


def baselines_only(msgs, msg_vec, sizes, repeats) -> dict:
    """The random-label baselines alone, on the same splits and draws as learning_curve."""
    import numpy as np

    y = msgs["is_objection"].astype(int).to_numpy()
    convs = msgs["conversation_id"].unique()
    runs: dict = {"random_lr_baseline": {}, "random_lr_balanced_baseline": {}}
    for r in range(repeats):
        rng = np.random.default_rng(r)
        train_convs = set(rng.permutation(convs)[: len(convs) // 2])
        is_tr = msgs["conversation_id"].isin(train_convs).to_numpy(bool)
        tr, te = np.flatnonzero(is_tr), np.flatnonzero(~is_tr)
        for n in sizes:
            state = rng.bit_generator.state
            base, _ = _baseline(msg_vec, y, tr, te, n, rng)
            rng.bit_generator.state = state  # the balanced variant sees the same labels
            bal, _ = _baseline(msg_vec, y, tr, te, n, rng, balanced=True)
            runs["random_lr_baseline"].setdefault(n, []).append(base)
            runs["random_lr_balanced_baseline"].setdefault(n, []).append(bal)
    return {name: {n: summarise(v) for n, v in per.items()} for name, per in runs.items()}


def learning_curve(msgs, msg_vec, zero_scores, settings, sizes, repeats) -> dict:
    import numpy as np

    from mining.labels import score_messages, select_uncertain_diverse
    from mining.objections import ObjectionDetector

    y = msgs["is_objection"].astype(int).to_numpy()
    convs = msgs["conversation_id"].unique()
    runs: dict = {"label": {}, "random_detector": {}, "random_lr_baseline": {}}
    for r in range(repeats):
        rng = np.random.default_rng(r)
        train_convs = set(rng.permutation(convs)[: len(convs) // 2])
        is_tr = msgs["conversation_id"].isin(train_convs).to_numpy(bool)
        tr, te = np.flatnonzero(is_tr), np.flatnonzero(~is_tr)
        test = msgs.iloc[te].reset_index(drop=True)
        for n in sizes:
            base, rand_pick = _baseline(msg_vec, y, tr, te, n, rng)
            runs["random_lr_baseline"].setdefault(n, []).append(base)
            picks = tr[select_uncertain_diverse(zero_scores["probability"].to_numpy()[tr],
                                                msg_vec[tr], n, seed=r)]
            for name, rows in (("label", picks), ("random_detector", rand_pick)):
                sub = msgs.iloc[rows]
                det = ObjectionDetector(embedder=settings.embed.model, settings=settings).fit(
                    sub["text"].tolist(), y[rows], context=sub["context"].tolist(),
                    vectors=msg_vec[rows])
                sc, _ = score_messages(test, det, settings=settings)
                m = metrics(y[te], sc["probability"], sc["is_objection"])
                m["label_C"] = det.labels_report_.get("label_C")
                runs[name].setdefault(n, []).append(m)
            print(f"repeat {r} n={n}: label {runs['label'][n][-1]['macro_f1']} "
                  f"random-detector {runs['random_detector'][n][-1]['macro_f1']} "
                  f"baseline {base and base['macro_f1']}", flush=True)
    return {name: {n: summarise(v) for n, v in per.items()} for name, per in runs.items()}


def summarise(rows) -> dict:
    import numpy as np

    rows = [r for r in rows if r]
    out = {}
    for key in ("macro_f1", "roc_auc", "f1", "f1_non_resistance"):
        vals = [r[key] for r in rows if key in r]
        if vals:
            out[key] = {"mean": round(float(np.mean(vals)), 4),
                        "sd": round(float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0, 4)}
    out["repeats"] = len(rows)
    return out


def sample_dev(det, settings) -> dict | None:
    import pandas as pd

    from mining.io.corpus import load_corpus
    from mining.journeys import build_journeys
    from mining.labels import customer_messages, score_messages
    from mining.text.pseudonyms import pseudonymize_frame

    labels = SAMPLES / "ground_truth" / "labels.csv"
    if not labels.is_file():
        return None
    truth = pd.read_csv(labels, dtype=str, keep_default_na=False)
    if settings.ingest.redact:  # e-mail Message-IDs are msg- pseudonyms in the corpus
        truth = pseudonymize_frame(truth)
    truth = truth.set_index("message_id")["is_objection"].str.lower().eq("true")
    frames = []
    for biz, domain in BUSINESSES.items():
        corpus = load_corpus([str(SAMPLES / biz)], agent_domains=[domain], settings=settings)
        frames.append(customer_messages(build_journeys(corpus.messages)))
    msgs = pd.concat(frames, ignore_index=True)
    msgs = msgs[msgs["message_id"].isin(truth.index)].reset_index(drop=True)
    scores, _ = score_messages(msgs, det, settings=settings)
    y = truth.reindex(msgs["message_id"]).astype(int).to_numpy()
    return {"detector": metrics(y, scores["probability"], scores["is_objection"]),
            "keyword_only": metrics(y, None, scores["cue"]),
            "flag_everything": metrics(y, None, [1] * len(y))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="*", default=[25, 50, 100, 200])
    ap.add_argument("--zero-shot-only", action="store_true")
    ap.add_argument("--baselines-only", action="store_true",
                    help="recompute the random-label baselines into an existing results file")
    ap.add_argument("--render", action="store_true", help="rewrite the .md from the .json")
    args = ap.parse_args()
    if not DATA.is_file():
        print(f"{DATA} not found; nothing to measure")
        return
    from mining.config import Settings
    from mining.embed import embed_texts
    from mining.labels import customer_messages
    from mining.objections import ObjectionDetector

    t0 = time.perf_counter()
    settings = Settings()
    cb = load_cb()
    msgs = customer_messages(cb)
    msgs = msgs.merge(cb[["message_id", "is_objection"]], on="message_id")
    if args.render:
        res = json.loads((OUT / "objections_real.json").read_text())
        (OUT / "objections_real.md").write_text(render_md(res))
        print(render_md(res))
        return
    if args.baselines_only:
        res = json.loads((OUT / "objections_real.json").read_text())
        msg_vec = embed_texts(msgs["text"].tolist(), model=settings.embed.model,
                              settings=settings, progress=False)
        res["learning_curve"].update(baselines_only(msgs, msg_vec, res["sizes"],
                                                    res["repeats"]))
        (OUT / "objections_real.json").write_text(json.dumps(res, indent=2, default=str) + "\n")
        (OUT / "objections_real.md").write_text(render_md(res))
        print(render_md(res))
        return
    det = ObjectionDetector(embedder=settings.embed.model, settings=settings).fit()
    res: dict = {"data": "../shared/data/cb-resistance/messages.jsonl", "messages": int(len(msgs)),
                 "conversations": int(msgs["conversation_id"].nunique()),
                 "resistance_share": round(float(msgs["is_objection"].mean()), 4),
                 "training": det.training_, "category_threshold": det.category_threshold_}
    res["zero_shot"], zero_scores = zero_shot(det, msgs, settings)
    print(json.dumps(res["zero_shot"], indent=1), flush=True)
    res["sample_transcripts_dev"] = sample_dev(det, settings)
    if not args.zero_shot_only:
        msg_vec = embed_texts(msgs["text"].tolist(), model=settings.embed.model,
                              settings=settings, progress=False)
        res["learning_curve"] = learning_curve(msgs, msg_vec, zero_scores, settings,
                                               args.sizes, args.repeats)
        res["sizes"], res["repeats"] = args.sizes, args.repeats
    res["seconds"] = round(time.perf_counter() - t0, 1)
    OUT.mkdir(parents=True, exist_ok=True)
    name = "objections_real_zero_shot" if args.zero_shot_only else "objections_real"
    (OUT / f"{name}.json").write_text(json.dumps(res, indent=2, default=str) + "\n")
    (OUT / f"{name}.md").write_text(render_md(res))
    print(render_md(res))


def _row(name, m) -> str:
    auc = f"{m['roc_auc']:.3f}" if "roc_auc" in m else "-"
    return (f"| {name} | {auc} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
            f"{m['f1_non_resistance']:.3f} | {m['macro_f1']:.3f} | {m['flagged']:.3f} |")


def _ms(d, key) -> str:
    v = d.get(key)
    return f"{v['mean']:.3f} ± {v['sd']:.3f}" if v else "-"


def render_md(r: dict) -> str:
    head = ["| detector | ROC AUC | P (resistance) | R | F1 | F1 non-resistance | macro-F1 | "
            "flagged |", "|---|---|---|---|---|---|---|---|"]
    zs = r["zero_shot"]
    lines = ["# Objection detection on real negotiations", "",
             f"Data: `{r['data']}`: {r['messages']} buyer messages in {r['conversations']} "
             f"conversations, {r['resistance_share']:.0%} labelled resistance. Command: "
             "`nice -n 10 .venv/bin/python benchmarks/objections_real.py`.", "",
             "## (a) Zero-shot (fitted only on the project's own examples)", "", *head,
             _row("journeymine detector", zs["detector"]),
             _row("keyword-only (a cue in any sentence)", zs["keyword_only"]),
             _row("flag everything", zs["flag_everything"]), ""]
    t = r["training"]
    lines += [f"Training: {t['n_positive']} objection and {t['n_negative']} non-objection "
              f"examples; category threshold {r['category_threshold']:.3f}.", ""]
    lc = r.get("learning_curve")
    if lc:
        lines += [f"## (b) Learning curve ({r['repeats']} repeats, mean ± sd; half the "
                  "conversations to draw labels from, the other half scored)", "",
                  "| labels | `journeymine label` + detector | random labels + detector | "
                  "baseline: random labels + LR on MiniLM | baseline, classes balanced |",
                  "|---|---|---|---|---|"]
        keys = ("label", "random_detector", "random_lr_baseline", "random_lr_balanced_baseline")
        for metric in ("macro_f1", "roc_auc"):
            lines.append(f"| **{metric.replace('_', '-')}** | | | | |")
            for n in r["sizes"]:
                cells = [_ms(lc.get(k, {}).get(n) or lc.get(k, {}).get(str(n)) or {}, metric)
                         for k in keys]
                lines.append(f"| {n} | " + " | ".join(cells) + " |")
        lines.append("")
    dev = r.get("sample_transcripts_dev")
    if dev:
        lines += ["## (c) Development data: sample_transcripts/ ground truth", "",
                  "The project's own generated conversations; the taxonomy examples and cues "
                  "were written with them in view, so this is not a measure of real-world "
                  "quality.", "", *head, _row("journeymine detector", dev["detector"]),
                  _row("keyword-only", dev["keyword_only"]),
                  _row("flag everything", dev["flag_everything"]), ""]
    lines += _targets(r) + [f"Run time: {r['seconds']} s.", ""]
    return "\n".join(lines)


def _targets(r: dict) -> list[str]:
    zs = r["zero_shot"]["detector"]
    lc = r.get("learning_curve") or {}

    def mf1(kind, n):
        v = (lc.get(kind, {}).get(n) or lc.get(kind, {}).get(str(n)) or {}).get("macro_f1")
        return v["mean"] if v else float("nan")

    ok = {True: "reached", False: "**not reached**"}
    out = ["## Targets (issue 11)", "",
           f"- zero-shot ROC AUC >= 0.80: {zs['roc_auc']:.3f}, {ok[zs['roc_auc'] >= 0.80]}",
           f"- zero-shot macro-F1 >= 0.65: {zs['macro_f1']:.3f}, {ok[zs['macro_f1'] >= 0.65]}"]
    if lc:
        m100 = mf1("label", 100)
        out.append(f"- macro-F1 >= 0.82 with 100 labels from `journeymine label`: {m100:.3f}, "
                   f"{ok[m100 >= 0.82]}")
        best = {n: max(mf1("random_lr_baseline", n), mf1("random_lr_balanced_baseline", n))
                for n in r["sizes"]}
        beats = [n for n in r["sizes"] if mf1("label", n) > best[n]]
        quoted = {25: 0.719, 50: 0.778, 100: 0.799, 200: 0.808}  # the baseline figures
        above = [n for n in r["sizes"] if n in quoted and mf1("label", n) > quoted[n]]
        out.append(f"- beats both random-label LR baselines of this run at: "
                   f"{', '.join(map(str, beats)) or 'no size'} labels (of "
                   f"{', '.join(map(str, r['sizes']))})")
        out.append("- above the baseline figures quoted in the issue (0.719 / 0.778 / 0.799 / "
                   f"0.808 at 25 / 50 / 100 / 200) at: {', '.join(map(str, above)) or 'none'}")
    out += ["", "Notes: CB labels buyer questions as resistance (\"Information Inquiry\", about "
            "a fifth of buyer messages); by this project's definition a neutral question is not an "
            "objection, so the zero-shot detector is built to miss those. The design of teaching "
            "(a correction model on top of the built-in one, balanced classes) and of "
            "`journeymine label` (half uncertain+diverse, half random) was chosen on CB training "
            "halves with other split seeds (100, 101) than the reported ones (0-4), as the data "
            "README allows for choosing between designs; no example, cue or threshold was changed "
            "after reading CB messages.", ""]
    return out


if __name__ == "__main__":
    main()
