"""Tagging quality on sample_transcripts/ ground truth, side by side with a keyword-only baseline.

Measures, per business and overall:

- stage accuracy and macro-F1 (every message);
- objection detection precision / recall / F1 (customer messages);
- objection category macro-F1 (messages that are objections in truth and in the prediction),
  over the categories present in the ground truth;
- replies_to accuracy and reply-strategy accuracy (agent replies to objections, ground truth);
- the objection rate on ../shared/data utterances (banking and insurance customer turns that are
  questions and requests, not sales objections): a false-positive rate, never used for tuning.

The keyword-only baseline uses the same taxonomy cues without negation handling, similarity or
context: a customer message is an objection when any objection cue matches (category: the most
matched), and a message's stage is the stage with most cue matches, else the previous message's.

Run: ``.venv/bin/python benchmarks/tagging_quality.py [--embedder NAME] [--limit-journeys N]``
Writes ``benchmarks/results/tagging_quality.{json,md}``. Theme fitting is skipped (it does not
change these figures: categories come from the detector).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT / "sample_transcripts"
SHARED = next((p / "shared" / "data" for p in (ROOT.parent, ROOT.parent.parent)
               if (p / "shared" / "data").is_dir()), ROOT.parent / "shared" / "data")
OUT = ROOT / "benchmarks" / "results"
BUSINESSES = {"brightsmile": "brightsmile-dental.example", "ledgerly": "ledgerly.example"}


def prf(y_true, y_pred) -> dict:
    import numpy as np

    t, p = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    tp, fp, fn = int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum())
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn}


def macro_f1(y_true, y_pred, labels) -> float:
    from sklearn.metrics import f1_score

    if len(y_true) == 0:
        return float("nan")
    return round(float(f1_score(y_true, y_pred, labels=labels, average="macro",
                                zero_division=0)), 4)


def keyword_baseline(tags, messages, tax):
    """Cue-only tags: objections and stages from cue matches, no negation, no context."""
    import numpy as np
    import pandas as pd

    from mining.cues import CueMatcher

    def raw_counts(tf, texts):
        cm = CueMatcher(tf)
        res = cm.match(texts)
        return res.counts + res.negated, cm.categories  # negated matches count too

    text = messages.set_index("message_id")["clean_text"].reindex(tags["message_id"])
    texts = text.fillna("").astype(str).tolist()
    oc, ocats = raw_counts(tax.objections, texts)
    sc, scats = raw_counts(tax.stages, texts)
    is_cust = (tags["role"] == "customer").fillna(False).to_numpy(bool)
    obj = is_cust & (oc.sum(axis=1) > 0)
    cat = np.where(obj, np.array(ocats, dtype=object)[oc.argmax(axis=1)], None)
    stage = []
    prev: dict[str, str] = {}
    order = np.argsort(pd.to_datetime(tags["timestamp"], utc=True).to_numpy(), kind="stable")
    out = np.empty(len(tags), dtype=object)
    jids = tags["journey_id"].astype(str).to_numpy()
    for i in order:
        if sc[i].sum() > 0:
            s = scats[int(sc[i].argmax())]
        else:
            s = prev.get(jids[i], scats[0])
        prev[jids[i]] = s
        out[i] = s
    stage = out
    return pd.DataFrame({"message_id": tags["message_id"].to_numpy(), "stage": stage,
                         "is_objection": obj, "objection_category": cat})


def score(pred, truth, categories, stages) -> dict:
    import numpy as np

    cols = [c for c in ("message_id", "stage", "is_objection", "objection_category",
                        "objection_probability", "replies_to", "reply_strategy") if c in pred]
    df = truth.merge(pred[cols], on="message_id", how="inner", suffixes=("_true", "_pred"))
    res = {"messages": int(len(df))}
    st, sp = df["stage_true"].astype(str), df["stage_pred"].astype(str)
    res["stage_accuracy"] = round(float((st == sp).mean()), 4)
    res["stage_macro_f1"] = macro_f1(st, sp, stages)
    cust = df[df["role"] == "customer"]
    yt = cust["is_objection_true"].astype(str).str.lower().eq("true").to_numpy()
    yp = cust["is_objection_pred"].fillna(False).astype(bool).to_numpy()
    res["objection"] = prf(yt, yp)
    both = cust[yt & yp]
    res["category_macro_f1"] = macro_f1(both["objection_kind"].astype(str),
                                        both["objection_category"].astype(str), categories)
    res["category_accuracy"] = round(float((both["objection_kind"].astype(str)
                                            == both["objection_category"].astype(str)).mean()),
                                     4) if len(both) else float("nan")
    for c in ("replies_to", "reply_strategy"):
        if c in pred and c not in cols:
            continue
        df = df.rename(columns={c: f"{c}_true"}) if c in df and c not in pred else df
    if "replies_to_pred" in df:
        rep = df[df["replies_to_true"].notna() & (df["replies_to_true"].astype(str) != "")]
        res["replies_to_accuracy"] = round(float(
            (rep["replies_to_true"].astype(str) == rep["replies_to_pred"].astype(str)).mean()), 4)
        res["reply_strategy_accuracy"] = round(float(
            (rep["reply_strategy_true"].astype(str)
             == rep["reply_strategy_pred"].astype(str)).mean()), 4)
    res["n_objections_true"] = int(yt.sum())
    if "objection_probability" in cust:
        prob = cust["objection_probability"].astype(float).fillna(0.0).to_numpy()
        res["threshold_sweep"] = {f"{t:.1f}": prf(yt, prob >= t)
                                  for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)}
    _ = np
    return res


def shared_false_positive_rate(det, embedder) -> dict:
    import pandas as pd

    from mining.embed import embed_texts

    out = {}
    sources = {"dstc11-insurance": (SHARED / "dstc11-insurance" / "utterances.jsonl", "jsonl"),
               "banking77": (SHARED / "banking77" / "test.csv", "csv")}
    for name, (path, fmt) in sources.items():
        if not path.is_file():
            continue
        df = pd.read_json(path, lines=True) if fmt == "jsonl" else pd.read_csv(path)
        col = "text" if "text" in df else ("utterance" if "utterance" in df else df.columns[0])
        texts = df[col].astype(str).tolist()
        rows = det.transform(texts, embed_texts(texts, model=embedder, progress=False))
        out[name] = {"utterances": len(texts),
                     "objection_rate": round(float(rows["is_objection"].mean()), 4)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--embedder", default=None, help="embedder name (default: packaged model)")
    ap.add_argument("--limit-journeys", type=int, default=None)
    ap.add_argument("--no-shared", action="store_true", help="skip ../shared/data rates")
    ap.add_argument("--dump", default=None, help="folder to write each business's tags into")
    ap.add_argument("--only", default=None, help="one business (brightsmile or ledgerly)")
    args = ap.parse_args()

    import pandas as pd

    from mining import tag as tag_corpus
    from mining.config import Settings
    from mining.io.corpus import load_corpus
    from mining.taxonomy import load_taxonomy
    from mining.text.pseudonyms import pseudonymize_frame

    labels = SAMPLES / "ground_truth" / "labels.csv"
    if not labels.is_file():
        print("sample_transcripts/ground_truth/labels.csv not found; nothing to measure")
        return
    truth = pd.read_csv(labels, dtype=str, keep_default_na=False).replace({"": None})
    settings = Settings()
    if args.embedder:
        settings.embed.model = args.embedder
    if settings.ingest.redact:  # message ids (and reply links) as the redacted corpus has them
        truth = pseudonymize_frame(truth)
    tax = load_taxonomy()
    categories = sorted(c for c in truth["objection_kind"].dropna().unique())
    stages = tax.stages.names
    results: dict = {"embedder": settings.embed.model, "businesses": {}, "timings": {}}
    preds, bases = [], []
    for biz, domain in BUSINESSES.items():
        if args.only and biz != args.only:
            continue
        t0 = time.perf_counter()
        corpus = load_corpus([str(SAMPLES / biz)], agent_domains=[domain], settings=settings)
        if args.limit_journeys:
            keep = corpus.messages["journey_id"].drop_duplicates().head(args.limit_journeys)
            corpus.messages = corpus.messages[corpus.messages["journey_id"].isin(keep)]
        res = tag_corpus(corpus, settings=settings, progress=False, themes=False)
        results["timings"][biz] = {"seconds": round(time.perf_counter() - t0, 1),
                                   "messages": int(len(res.tags)), **res.timings}
        tags = res.tags
        if args.dump:
            Path(args.dump).mkdir(parents=True, exist_ok=True)
            tags.to_parquet(Path(args.dump) / f"{biz}.parquet")
        base = keyword_baseline(tags, corpus.messages, tax)
        t_b = truth[truth["business"] == biz]
        results["businesses"][biz] = {
            "model": score(tags, t_b, categories, stages),
            "keyword_baseline": score(base, t_b, categories, stages),
            "matched_ids": round(float(t_b["message_id"].isin(tags["message_id"]).mean()), 4),
        }
        preds.append(tags)
        bases.append(base)
        print(biz, json.dumps(results["businesses"][biz]), flush=True)
    all_pred, all_base = pd.concat(preds), pd.concat(bases)
    scope = truth[truth["business"].isin(results["businesses"])]
    results["overall"] = {"model": score(all_pred, scope, categories, stages),
                          "keyword_baseline": score(all_base, scope, categories, stages)}
    if not args.no_shared and SHARED.is_dir():
        from mining.objections import ObjectionDetector

        det = ObjectionDetector(embedder=settings.embed.model, settings=settings).fit()
        results["shared_data_objection_rate"] = shared_false_positive_rate(
            det, settings.embed.model)
        results["detector_training"] = det.training_
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tagging_quality.json").write_text(json.dumps(results, indent=2) + "\n")
    (OUT / "tagging_quality.md").write_text(render_md(results))
    print(json.dumps(results["overall"], indent=2))


def render_md(r: dict) -> str:
    lines = ["# Tagging quality on sample_transcripts/ ground truth", "",
             f"Embedder: `{r['embedder']}`. Command: `.venv/bin/python "
             "benchmarks/tagging_quality.py`.", "",
             "| scope | tagger | stage acc | stage macro-F1 | objection P | R | F1 | "
             "category macro-F1 | replies_to acc | reply strategy acc |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    scopes = [("overall", r["overall"])] + list(r["businesses"].items())
    for name, block in scopes:
        for who in ("model", "keyword_baseline"):
            m = block[who]
            o = m["objection"]
            lines.append(f"| {name} | {who} | {m['stage_accuracy']:.3f} | "
                         f"{m['stage_macro_f1']:.3f} | {o['precision']:.3f} | {o['recall']:.3f} "
                         f"| {o['f1']:.3f} | {m['category_macro_f1']:.3f} | "
                         f"{m.get('replies_to_accuracy', float('nan')):.3f} | "
                         f"{m.get('reply_strategy_accuracy', float('nan')):.3f} |")
    sweep = r["overall"]["model"].get("threshold_sweep")
    if sweep:
        lines += ["", "Objection detection at other thresholds (overall; the default stays 0.5, "
                  "set by the taxonomy-only calibration, not by this table):", "",
                  "| threshold | P | R | F1 |", "|---|---|---|---|"]
        lines += [f"| {t} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} |"
                  for t, v in sweep.items()]
    if "shared_data_objection_rate" in r:
        lines += ["", "Objection rate on ../shared/data customer utterances (questions and "
                  "requests, so every flag is a false positive):", ""]
        for name, v in r["shared_data_objection_rate"].items():
            lines.append(f"- {name}: {v['objection_rate']:.3f} of {v['utterances']} utterances")
    if "detector_training" in r:
        t = r["detector_training"]
        lines += ["", "Detector fit on the built-in examples only: "
                  f"{t['n_positive']} objection examples, "
                  f"{t['n_negative']} non-objection utterances; recall on its own training "
                  f"examples (in-sample) {t['recall_train']:.3f}, false-positive rate "
                  f"{t['false_positive_rate_train']:.3f}."]
    o = r["overall"]["model"]
    met = {"objection F1 >= 0.85": o["objection"]["f1"] >= 0.85,
           "stage macro-F1 >= 0.80": o["stage_macro_f1"] >= 0.80}
    status = "; ".join(f"{k}: {'met' if v else 'not met'}" for k, v in met.items())
    lines += ["", f"Earlier development targets (this sample only): {status}. "
              "Earlier figures (commit f0eb22e, same command): "
              "objection P 0.457 / R 0.771 / F1 0.574, stage macro-F1 0.676.", "",
              "Notes: nothing is fitted on this data: the detector's weights come from the "
              "project's own written examples (mining/data/objection_examples.yaml, calibrated "
              "out-of-fold), the stage model is fitted on written examples and its transitions "
              "are estimated from this sample's labelled journeys (benchmarks/stage_transitions"
              ".py), so the stage figure is optimistic. But this set was used for development: "
              "the taxonomy and the "
              "context rules were changed after looking at aggregate error counts (false "
              "positives by dialogue act and category, misses by kind, stage confusion by "
              "session, which of our cues fired) and at error examples to understand failure "
              "types (plain questions and requests, acknowledgements, non-committal closes, "
              "situation descriptions, reassurances, mild concerns without cues, returning "
              "customers kept in awareness). The fixes are generic (new examples, negatives "
              "and cues written for this project, the question/request rule, reassurance "
              "scope, first-contact and converting-session context; the e-mail session gap, "
              "48 h, was picked over 24 h on this set), none copies the sample's "
              "sentences, but the figures are development-set figures and will be lower on "
              "conversations we have not seen. The objection rate on ../shared/data (below) was "
              "watched but never used to choose anything; it is the better guide to false "
              "positives elsewhere. The keyword baseline's category scores are on its own "
              "(cue-matched, easier) true positives, so they are not directly comparable."]
    lines += ["", "Timings (seconds): " + ", ".join(
        f"{b}: {v['seconds']} s for {v['messages']} messages" for b, v in r["timings"].items()),
        ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
