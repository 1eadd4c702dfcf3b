"""Objection detection on real negotiations (CraigslistBargain with RESPER resistance labels).

Measures, on ``../shared/data/cb-resistance/messages.jsonl`` (buyer messages labelled
``is_objection``; nothing here is fitted on it except where a learning curve says so):

(a) zero-shot: the detector fitted on the project's own examples only; ROC AUC, P/R/F1 of the
    resistance class, F1 of the non-resistance class, macro-F1. Baselines: keyword-only (a
    counted objection cue in any sentence) and flag-everything.
(b) learning curve: per repeat, the conversations are split in half at random; 25/50/100/200
    labels are drawn from the training half the way ``journeymine label`` draws them
    (``mining.labels.select_uncertain_diverse`` on the zero-shot probabilities), the detector
    is fitted on the built-in examples plus those labels, self-trained on the training half's
    other (unlabelled) messages as ``tag --labels`` self-trains on the corpus
    (``--no-unlabelled``: without), and scored on the other half. Beside
    it, in the same run and on the same splits: the plain
    baseline, a logistic regression on the MiniLM embeddings of randomly drawn labels, and the
    detector taught with the same number of random labels. 5 repeats, mean and sd.
(c) development data: the same zero-shot detector on sample_transcripts/ ground truth (the
    project's own generated conversations, which the taxonomy was written against).

Messages are scored as ``journeymine tag`` scores them: each sentence with the agent turn
before the message as context, the most probable sentence counts.

Run: ``nice -n 10 .venv/bin/python benchmarks/objections_real.py [--repeats 5] [--sizes ...]``
Writes ``benchmarks/results/objections_real.{json,md}``. The feature rows of the CB sentences
(embedding, stance, cues: cue matching is most of the time) are cached in
``.cache/objections_real/`` keyed by the texts and the sources of the features, and the
built-in fits are memoised in the process, so a full run takes minutes (about 5 on an idle
2-core machine), not half an hour.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

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


CACHE = ROOT / ".cache" / "objections_real"
#: Files whose content decides the feature rows (a change to any of them invalidates the cache).
FEATURE_SOURCES = ("mining/stance.py", "mining/cues.py", "taxonomies/objections.yaml")
_SOURCES = b"".join((ROOT / name).read_bytes() for name in FEATURE_SOURCES)  # read at start


def _key(texts, contexts, det) -> str:
    import hashlib
    import inspect

    h = hashlib.sha256(str(det.embedder).encode())
    es = getattr(getattr(det, "settings", None), "embed", None)
    h.update(str(getattr(es, "backend", "")).encode())  # torch and int8 ONNX vectors differ
    h.update(inspect.getsource(type(det)._design).encode())
    h.update(_SOURCES)
    for t, c in zip(texts, contexts, strict=True):
        h.update(t.encode() + b"\0" + c.encode() + b"\1")
    return h.hexdigest()[:24]


def design_rows(texts, contexts, det, settings):
    """The detector's feature rows for texts, cached on disk (cue matching is the slow part)."""
    import numpy as np

    from mining.embed import embed_texts

    path = CACHE / f"{_key(texts, contexts, det)}.npy"
    if path.is_file():
        return np.load(path)
    vecs = embed_texts(list(texts), model=det.embedder, settings=settings, progress=False)
    X = det._design(list(texts), vecs, list(contexts))[0]
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, X)
    return X


class CachedUnits:
    """A message table's sentence units, their feature rows, and the message each belongs to.

    Scores messages exactly as ``mining.labels.score_messages`` does (the most probable
    sentence counts), from cached feature rows.
    """

    def __init__(self, msgs, det, settings) -> None:
        import numpy as np
        import pandas as pd

        from mining.text.segment import segment

        nlp = getattr(getattr(settings, "embed", None), "spacy_model", "") or ""
        ids = msgs["message_id"].astype(str)
        units = segment(pd.DataFrame({"message_id": ids, "clean_text": msgs["text"].astype(str)}),
                        nlp_name=nlp)
        ctx = dict(zip(ids, msgs["context"].astype(str), strict=True))
        pos = {m: i for i, m in enumerate(ids)}
        self.owner = np.asarray([pos[m] for m in units["message_id"]], np.int64)
        self.n = len(msgs)
        self.X = design_rows(units["text"].tolist(), [ctx[m] for m in units["message_id"]],
                             det, settings)

    def score(self, det, rows=None):
        """Per message (of ``rows``, default all): probability and counted-cue flag."""
        import numpy as np

        p = np.zeros(self.n)
        np.maximum.at(p, self.owner, det._proba(self.X))
        cue = np.zeros(self.n, bool)
        np.logical_or.at(cue, self.owner, self.X[:, -2] > 0)
        return (p, cue) if rows is None else (p[rows], cue[rows])


def zero_shot(det, msgs, units) -> tuple[dict, np.ndarray]:
    p, cue = units.score(det)
    y = msgs["is_objection"].astype(int).to_numpy()
    res = {"detector": metrics(y, p, p >= det.threshold),
           "keyword_only": metrics(y, None, cue),
           "flag_everything": metrics(y, None, [1] * len(y))}
    return res, p


def _baseline(vec, y, tr, te, n, rng, balanced=False):
    from sklearn.linear_model import LogisticRegression

    pick = rng.choice(tr, size=n, replace=False)
    if len(set(y[pick])) < 2:
        return None, pick
    lr = LogisticRegression(max_iter=2000, class_weight="balanced" if balanced else None)
    prob = lr.fit(vec[pick], y[pick]).predict_proba(vec[te])[:, 1]
    return metrics(y[te], prob, prob >= 0.5), pick


def _split_halves(msgs, convs, rng):
    """Row indices of a random half of the conversations (labels drawn here) and of the rest."""
    import numpy as np

    train_convs = set(rng.permutation(convs)[: len(convs) // 2])
    is_tr = msgs["conversation_id"].isin(train_convs).to_numpy(bool)
    return np.flatnonzero(is_tr), np.flatnonzero(~is_tr)


def baselines_only(msgs, msg_vec, sizes, repeats) -> dict:
    """The random-label baselines alone, on the same splits and draws as learning_curve."""
    import numpy as np

    y = msgs["is_objection"].astype(int).to_numpy()
    convs = msgs["conversation_id"].unique()
    runs: dict = {"random_lr_baseline": {}, "random_lr_balanced_baseline": {}}
    for r in range(repeats):
        rng = np.random.default_rng(r)
        tr, te = _split_halves(msgs, convs, rng)
        for n in sizes:
            state = rng.bit_generator.state
            base, _ = _baseline(msg_vec, y, tr, te, n, rng)
            rng.bit_generator.state = state  # the balanced variant sees the same labels
            bal, _ = _baseline(msg_vec, y, tr, te, n, rng, balanced=True)
            runs["random_lr_baseline"].setdefault(n, []).append(base)
            runs["random_lr_balanced_baseline"].setdefault(n, []).append(bal)
    return {name: {n: summarise(v) for n, v in per.items()} for name, per in runs.items()}


def _fit_on(msgs, rows, y, msg_vec, msg_X, settings, unlabelled=None):
    """The detector taught with labels on ``rows`` and self-trained on the messages of
    ``unlabelled`` (row indices; None: none); their feature rows come from ``msg_X``."""
    from types import SimpleNamespace

    from mining.objections import ObjectionDetector, _packaged_taxonomy

    sub = msgs.iloc[rows]
    det = ObjectionDetector(embedder=settings.embed.model, settings=settings)
    names = _packaged_taxonomy().objections.names
    lab_vec = msg_vec[rows]
    cached = {id(lab_vec): rows}  # the feature rows of a fit's vectors, by the vectors' array
    unl = unl_vec = None
    if unlabelled is not None and len(unlabelled):
        unl, unl_vec = msgs.iloc[unlabelled][["text", "context"]], msg_vec[unlabelled]
        cached[id(unl_vec)] = unlabelled

    def design(texts, vectors, contexts):
        take = cached.get(id(vectors))
        if take is None:  # the built-in examples (not cached here)
            return ObjectionDetector._design(det, texts, vectors, contexts)
        return msg_X[take], SimpleNamespace(counts=np.zeros((len(take), len(names))))

    det._design = design
    det.fit(sub["text"].tolist(), y[rows], context=sub["context"].tolist(), vectors=lab_vec,
            unlabelled=unl, unlabelled_vectors=unl_vec)
    del det._design
    return det


def learning_curve(msgs, msg_vec, msg_X, units, zero_p, settings, sizes, repeats,
                   seed0=0, unlabelled=True) -> dict:
    from mining.labels import select_uncertain_diverse

    y = msgs["is_objection"].astype(int).to_numpy()
    convs = msgs["conversation_id"].unique()
    runs: dict = {"label": {}, "random_detector": {}, "random_lr_baseline": {},
                  "random_lr_balanced_baseline": {}}
    for r in range(seed0, seed0 + repeats):
        rng = np.random.default_rng(r)
        tr, te = _split_halves(msgs, convs, rng)
        for n in sizes:
            state = rng.bit_generator.state
            base, rand_pick = _baseline(msg_vec, y, tr, te, n, rng)
            after, rng.bit_generator.state = rng.bit_generator.state, state
            bal, _ = _baseline(msg_vec, y, tr, te, n, rng, balanced=True)  # the same labels
            rng.bit_generator.state = after
            runs["random_lr_baseline"].setdefault(n, []).append(base)
            runs["random_lr_balanced_baseline"].setdefault(n, []).append(bal)
            picks = tr[select_uncertain_diverse(zero_p[tr], msg_vec[tr], n, seed=r)]
            for name, rows in (("label", picks), ("random_detector", rand_pick)):
                unl = np.setdiff1d(tr, rows) if unlabelled else None  # self-training
                det = _fit_on(msgs, rows, y, msg_vec, msg_X, settings, unl)
                p, _ = units.score(det, te)
                m = metrics(y[te], p, p >= det.threshold)
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


def _backend_used(settings) -> str:
    """The embedding backend the run's vectors come from (``embed.backend`` resolved)."""
    from mining.embed import get_embedder

    emb = get_embedder(settings.embed.model, settings.embed.backend)
    return f"{getattr(emb, 'backend', 'unknown')} (embed.backend = {settings.embed.backend})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="*", default=[25, 50, 100, 200])
    ap.add_argument("--zero-shot-only", action="store_true")
    ap.add_argument("--seed0", type=int, default=0,
                    help="first split seed (the reported runs use 0; designs were compared on "
                         "100 and up)")
    ap.add_argument("--no-dev", action="store_true", help="skip the sample_transcripts figures")
    ap.add_argument("--out", default="", help="results name suffix (exploratory runs)")
    ap.add_argument("--baselines-only", action="store_true",
                    help="recompute the random-label baselines into an existing results file")
    ap.add_argument("--render", action="store_true", help="rewrite the .md from the .json")
    ap.add_argument("--no-unlabelled", action="store_true",
                    help="teach without self-training on the training half's unlabelled "
                         "messages (the design before it; exploratory runs)")
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
                 "training": det.training_, "category_threshold": det.category_threshold_,
                 "embedding_backend": _backend_used(settings)}
    units = CachedUnits(msgs, det, settings)
    res["zero_shot"], zero_p = zero_shot(det, msgs, units)
    print(json.dumps(res["zero_shot"], indent=1), flush=True)
    if not args.no_dev:
        res["sample_transcripts_dev"] = sample_dev(det, settings)
    if not args.zero_shot_only:
        msg_vec = embed_texts(msgs["text"].tolist(), model=settings.embed.model,
                              settings=settings, progress=False)
        msg_X = design_rows(msgs["text"].tolist(), msgs["context"].tolist(), det, settings)
        res["learning_curve"] = learning_curve(msgs, msg_vec, msg_X, units, zero_p, settings,
                                               args.sizes, args.repeats, args.seed0,
                                               not args.no_unlabelled)
        res["seed0"], res["self_training"] = args.seed0, not args.no_unlabelled
        res["sizes"], res["repeats"] = args.sizes, args.repeats
    res["seconds"] = round(time.perf_counter() - t0, 1)
    res["command"] = " ".join(["benchmarks/objections_real.py", *sys.argv[1:]])
    OUT.mkdir(parents=True, exist_ok=True)
    name = ("objections_real_zero_shot" if args.zero_shot_only else "objections_real") + args.out
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
             f"`nice -n 10 .venv/bin/python {r.get('command', 'benchmarks/objections_real.py')}`.",
             "",
             "## (a) Zero-shot (fitted only on the project's own examples)", "", *head,
             _row("journeymine detector", zs["detector"]),
             _row("keyword-only (a cue in any sentence)", zs["keyword_only"]),
             _row("flag everything", zs["flag_everything"]), ""]
    t = r["training"]
    lines += [f"Training: {t['n_positive']} objection and {t['n_negative']} non-objection "
              f"examples; category threshold {r['category_threshold']:.3f}.", ""]
    lc = r.get("learning_curve")
    if lc:
        s0 = int(r.get("seed0", 0))
        lines += [f"## (b) Learning curve ({r['repeats']} repeats, split seeds {s0}-"
                  f"{s0 + r['repeats'] - 1}, mean ± sd; half the conversations to draw labels "
                  "from, the other half scored)", "",
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
        sd100 = ((lc.get("label", {}).get(100) or lc.get("label", {}).get("100") or {})
                 .get("macro_f1") or {}).get("sd", float("nan"))
        near = " (at the target, within one sd of it)" if m100 >= 0.82 and m100 - sd100 < 0.82 \
            else ""
        out.append(f"- macro-F1 >= 0.82 with 100 labels from `journeymine label`: {m100:.4f} ± "
                   f"{sd100:.3f}, {ok[m100 >= 0.82]}{near}")
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
            "objection, so the zero-shot detector is built to miss those. Designs were chosen by "
            "measuring on CB training halves with other split seeds than the reported ones "
            "(0-4), as the data README allows: teaching as a correction model on top of the "
            "built-in one, balanced classes (a joint refit of built-in examples and labels scored "
            "lower at 100 labels on seed 100); `journeymine label` as one uncertain typical "
            "message per k-means group (it scored higher at 25 and 100 labels on seeds 100-102 "
            "than the earlier half uncertain+diverse, half random). No example, cue or "
            "threshold was changed after reading CB messages; the examples were written "
            "from general knowledge of how customers talk.", "",
            "The score stacks the linear model with an example-neighbour margin (mean cosine "
            "to the 10 nearest objection examples minus to the 10 nearest other examples, in "
            "the unit embedding plus the standardised stance, cue and context features at "
            "weight 0.5), both weights fitted out of fold on the built-in examples. It was "
            "chosen by zero-shot ROC AUC and macro-F1 on the training halves of split seeds "
            "100-104 and by macro-F1 with 25 and 100 labels on seeds 100-102 (exploratory runs, "
            "not published figures). Tried there and not kept: the agent turn's embedding as "
            "384 more features, its elementwise product with the sentence's, their cosine "
            "(lower or unchanged ROC AUC); the margin as one more regression feature instead "
            "of stacked (smaller gain); the margin on the embedding alone (smaller gain, and "
            "blind to negation); when teaching, a margin feature over the user's labels "
            "(seeds 100-102) and a stronger built-in prior (the built-in logit scaled 2-5x, "
            "seeds 100-105), neither better at 100 labels. Earlier, without gain: amount "
            "features, more examples, label selection variants, the L2 strength, a joint "
            "refit, a class-weight prior, per-sentence negatives. The design was chosen with "
            "the torch embedding backend; the figures above use "
            f"{r.get('embedding_backend', 'the default backend (not recorded)')}.", "",
            "Self-training (" + ("used in the learning curve above" if r.get("self_training")
                                 else "**not** used in this run: --no-unlabelled") + "): "
            "taught with labels, the correction then scores the unlabelled messages of the "
            "training half (the corpus a user labels from; the other half stays unseen); those "
            "it scores at least 0.9 or at most 0.1 are added with that label, classes balanced "
            "among them and weighted half as much as the labels in all, and the correction is "
            "fitted again with the same L2 strength. It was chosen on split seeds 100-104 before "
            "this run: `objections_real_dev_impl.md` (with it) against "
            "`objections_real_dev_base.md` (the same seeds without it, --no-unlabelled), "
            "macro-F1 higher at every size. Tried on those seeds with temporary code that was "
            "not kept (exploratory, not published figures): the decision threshold chosen by "
            "cross-validated macro-F1 on the labels themselves (lower at every size), the "
            "labels added to the example-neighbour pool (within 0.002 of without, either way), "
            "and self-training with confidence 0.8 or weight 1.0 (within 0.004 of the kept "
            "0.9 and 0.5 at every size; the first setting tried was kept).", ""]
    return out


if __name__ == "__main__":
    main()
