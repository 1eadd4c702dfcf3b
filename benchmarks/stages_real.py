"""Journey stages on real conversations (and on the sample transcripts, as development data).

1. ``../shared/data/dstc11-insurance/utterances.jsonl``: single customer messages, text alone
   (``StageTagger.predict``, no context), with a stage per intent: FindAgent -> awareness;
   GetQuote -> consideration; EnrollInPlan, CreateAccount -> purchase; every other intent
   (claims, bills, dependants, address, cancellation, ...) -> retention. Per-stage recall and
   macro-recall over those four stages.
2. ``../shared/data/cb-resistance/messages.jsonl``: 719 single-session negotiations (buyer =
   customer, seller = agent), tagged by the whole tagging step (``tag_corpus``) with no events
   and no outcomes. Stage distribution of the messages, and the share of conversations reaching
   decision or later (nearly every negotiation ends in a price offer).
3. ``sample_transcripts/`` ground truth (development data: the stage examples, cues and the
   transition weights were written or estimated while looking at it): stage accuracy and
   macro-F1, with events and outcomes as given, and from the conversations alone (no events,
   no outcomes).

Nothing here is fitted on ../shared/data; the stage model is fitted on the taxonomy's examples.

Run: ``.venv/bin/python benchmarks/stages_real.py [--skip-sample]``
Writes ``benchmarks/results/stages_real.{json,md}``.
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
# ../shared/data beside the project; from a git worktree one level deeper, the one above it
SHARED = next((p for p in (ROOT.parent / "shared" / "data",
                           ROOT.parent.parent / "shared" / "data") if p.is_dir()),
              ROOT.parent / "shared" / "data")
SAMPLES = ROOT / "sample_transcripts"
OUT = ROOT / "benchmarks" / "results"
BUSINESSES = {"brightsmile": "brightsmile-dental.example", "ledgerly": "ledgerly.example"}
INSURANCE_STAGE = {"FindAgent": "awareness", "GetQuote": "consideration",
                   "EnrollInPlan": "purchase", "CreateAccount": "purchase"}
TARGETS = {"insurance_macro_recall": 0.70, "cb_max_stage_share": 0.60,
           "cb_reach_decision": 0.80, "sample_macro_f1": 0.80}


def insurance(tagger) -> dict | None:
    """Per-stage recall of single insurance utterances from their text alone."""
    import pandas as pd
    from sklearn.metrics import confusion_matrix, recall_score

    path = SHARED / "dstc11-insurance" / "utterances.jsonl"
    if not path.is_file():
        return None
    df = pd.read_json(path, lines=True)
    truth = df["intent"].map(lambda i: INSURANCE_STAGE.get(i, "retention")).tolist()
    pred = tagger.predict(df["utterance"].astype(str).tolist()).tolist()
    labels = ["awareness", "consideration", "purchase", "retention"]
    rec = recall_score(truth, pred, labels=labels, average=None, zero_division=0)
    cm = confusion_matrix(truth, pred, labels=list(tagger.stages_))
    return {"utterances": len(df), "recall": {s: round(float(r), 4)
                                              for s, r in zip(labels, rec, strict=True)},
            "macro_recall": round(float(rec.mean()), 4),
            "support": {s: truth.count(s) for s in labels},
            "confusion": {"labels": list(tagger.stages_), "rows_true": cm.tolist()}}


def cb(settings) -> dict | None:
    """Stage distribution and reach on the CraigslistBargain negotiations."""
    from mining.io.corpus import load_corpus
    from mining.tagger import tag_corpus
    from mining.taxonomy import stage_order

    path = SHARED / "cb-resistance" / "messages.jsonl"
    if not path.is_file():
        return None
    t0 = time.perf_counter()
    corpus = load_corpus([str(path)], settings=settings)
    tags = tag_corpus(corpus, settings=settings, progress=False, themes=False).tags
    order = stage_order()
    share = tags["stage"].value_counts(normalize=True)
    rank = tags["stage"].map(order.rank)
    furthest = rank.groupby(tags["conversation_id"]).max()
    decision = order.rank("decision")
    by_role = {r: {s: round(float(v), 4) for s, v in
                   g["stage"].value_counts(normalize=True).items()}
               for r, g in tags.groupby("role")}
    return {"conversations": int(tags["conversation_id"].nunique()), "messages": len(tags),
            "stage_share": {s: round(float(share.get(s, 0.0)), 4) for s in order.names},
            "stage_share_by_role": by_role,
            "reach_decision_or_later": round(float((furthest >= decision).mean()), 4),
            "furthest_stage": {s: round(float((furthest == i).mean()), 4)
                               for i, s in enumerate(order.names)},
            "mean_confidence": round(float(tags["stage_confidence"].mean()), 4),
            "seconds": round(time.perf_counter() - t0, 1)}


def sample(settings) -> dict | None:
    """Stage accuracy and macro-F1 on the sample ground truth (with and without context)."""
    import pandas as pd
    from sklearn.metrics import f1_score

    from mining.io.corpus import load_corpus
    from mining.tagger import tag_corpus
    from mining.taxonomy import stage_order
    from mining.text.pseudonyms import pseudonymize_frame

    labels = SAMPLES / "ground_truth" / "labels.csv"
    if not labels.is_file():
        return None
    truth = pd.read_csv(labels, dtype=str, keep_default_na=False)
    if settings.ingest.redact:  # e-mail Message-IDs are msg- pseudonyms in the corpus
        truth = pseudonymize_frame(truth)
    truth = truth.set_index("message_id")
    names = list(stage_order().names)
    out: dict = {}
    for variant in ("events_and_outcomes", "conversations_only"):
        preds = []
        for biz, domain in BUSINESSES.items():
            corpus = load_corpus([str(SAMPLES / biz)], agent_domains=[domain], settings=settings)
            if variant == "conversations_only":
                corpus.events, corpus.outcomes = None, None
            tags = tag_corpus(corpus, settings=settings, progress=False, themes=False).tags
            preds.append(tags[["message_id", "stage"]])
        pred = pd.concat(preds, ignore_index=True)
        t = truth["stage"].reindex(pred["message_id"].astype(str)).astype(str).to_numpy()
        p = pred["stage"].astype(str).to_numpy()
        out[variant] = {"messages": len(pred), "accuracy": round(float((t == p).mean()), 4),
                        "macro_f1": round(float(f1_score(t, p, labels=names, average="macro",
                                                         zero_division=0)), 4),
                        "f1": dict(zip(names, (round(float(x), 4) for x in f1_score(
                            t, p, labels=names, average=None, zero_division=0)), strict=True))}
    return out


def _md(res: dict) -> str:
    lines = ["# Journey stages on real conversations", "",
             f"Embedder: `{res['embedder']}`. Command: `.venv/bin/python benchmarks/stages_real.py`"
             " (figures below come from `stages_real.json`, written by it).", ""]
    ins = res.get("insurance")
    if ins:
        t = TARGETS["insurance_macro_recall"]
        lines += ["## dstc11-insurance: single customer utterances, text alone", "",
                  f"{ins['utterances']} utterances. Macro-recall **{ins['macro_recall']:.3f}** "
                  f"(target >= {t}: {'met' if ins['macro_recall'] >= t else 'NOT met'}).", "",
                  "| stage | utterances | recall |", "|---|---|---|"]
        lines += [f"| {s} | {ins['support'][s]} | {r:.3f} |" for s, r in ins["recall"].items()]
        cm = ins["confusion"]
        lines += ["", "Confusion (rows: true, columns: predicted "
                  + ", ".join(cm["labels"]) + "):", ""]
        lines += [f"- {lab}: {row}" for lab, row in zip(cm["labels"], cm["rows_true"],
                                                        strict=True) if sum(row)]
        lines.append("")
    c = res.get("cb")
    if c:
        top = max(c["stage_share"].values())
        reach = c["reach_decision_or_later"]
        lines += ["## cb-resistance: 719 single-session negotiations, no events, no outcomes", "",
                  f"{c['conversations']} conversations, {c['messages']} messages. Largest stage "
                  f"share **{top:.1%}** (target <= 60%: "
                  f"{'met' if top <= TARGETS['cb_max_stage_share'] else 'NOT met'}); "
                  f"conversations reaching decision or later **{reach:.1%}** (target >= 80%: "
                  f"{'met' if reach >= TARGETS['cb_reach_decision'] else 'NOT met'}). "
                  f"Mean stage confidence {c['mean_confidence']:.2f}.", "",
                  "| stage | share of messages | share of conversations ending there (furthest) |",
                  "|---|---|---|"]
        lines += [f"| {s} | {v:.1%} | {c['furthest_stage'][s]:.1%} |"
                  for s, v in c["stage_share"].items()]
        lines.append("")
    s = res.get("sample")
    if s:
        lines += ["## sample_transcripts ground truth (development data)", "",
                  "| variant | messages | accuracy | macro-F1 | F1 per stage |",
                  "|---|---|---|---|---|"]
        for v, r in s.items():
            per = ", ".join(f"{k} {x:.2f}" for k, x in r["f1"].items())
            lines.append(f"| {v} | {r['messages']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} "
                         f"| {per} |")
        mf = s["events_and_outcomes"]["macro_f1"]
        lines += ["", f"Target macro-F1 >= 0.80 (with events and outcomes): "
                  f"{'met' if mf >= TARGETS['sample_macro_f1'] else 'NOT met'}.", ""]
    tr = res.get("training")
    if tr:
        lines += ["## The classifier's own examples", "",
                  f"Examples per class: {tr['n_examples']}; out-of-fold recall on them: "
                  f"{tr['recall_out_of_fold']}; temperature {tr['temperature']:.3f}.", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Measure and write the results."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-sample", action="store_true", help="skip the sample transcripts")
    args = ap.parse_args()

    from mining.config import Settings
    from mining.stages import StageTagger

    settings = Settings()
    tagger = StageTagger(embedder=settings.embed.model, settings=settings).fit()
    res = {"embedder": settings.embed.model, "training": tagger.training_,
           "insurance": insurance(tagger), "cb": cb(settings)}
    if not args.skip_sample:
        res["sample"] = sample(settings)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "stages_real.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    (OUT / "stages_real.md").write_text(_md(res), encoding="utf-8")
    print(_md(res))


if __name__ == "__main__":
    main()
