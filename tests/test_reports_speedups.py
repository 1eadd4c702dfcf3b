"""The faster report paths (issue 14) give exactly what the straightforward ones gave.

Each test compares a rewritten helper with the plain per-row code it replaced (kept here as the
reference), on small frames that exercise ties, repeats and missing values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests import report_frames as rf


def _corpus_tags() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [
        rf.msg("a1", "A", rf.at(0), objection="price", stage="awareness"),
        rf.msg("a2", "A", rf.at(0, 1), role="agent", strategy="discount", replies_to="a1"),
        rf.msg("a3", "A", rf.at(1), objection="price", stage="consideration"),
        rf.msg("a4", "A", rf.at(2), stage="decision"),
        rf.msg("b1", "B", rf.at(0), objection="trust", stage="awareness"),
        rf.msg("b2", "B", rf.at(0, 2), role="agent", replies_to="b1"),
        rf.msg("b3", "B", rf.at(3), objection="price", stage="awareness"),
        rf.msg("c1", "C", rf.at(1), objection="timing", theme="t-late", stage="consideration"),
        rf.msg("c2", "C", rf.at(1, 5), role="agent", strategy="empathy", replies_to="c1"),
        rf.msg("c3", "C", rf.at(2), objection="price", stage="consideration"),
        rf.msg("d1", "D", rf.at(2), stage=None),
        rf.msg("d2", "D", rf.at(2, 1), objection="trust", stage="consideration"),
    ]
    t = rf.tags(*rows)
    o = rf.outcomes(A=(True, rf.at(4), 100.0), B=(False, None, None), C=(True, rf.at(1, 6), 50.0))
    return t, o


def test_reports_speedups_redacted_quotes_mask_each_text_once(monkeypatch):
    from mining.text import redact

    texts = {"1": "Thanks Dana, too pricey", "2": "Thanks Dana, too pricey", "3": "ok Grace",
             "4": ""}
    messages = pd.DataFrame({"text": list(texts.values()), "author": ["Dana Lee"] * 4})
    names = redact.corpus_person_names(messages)
    calls = []
    real = redact._mask_quote
    monkeypatch.setattr(redact, "_mask_quote", lambda t, *a: calls.append(t) or real(t, *a))
    monkeypatch.setattr(redact.RedactedQuotes, "_memo", (None, {}))
    quotes = redact.redact_quotes(texts, messages)
    assert [quotes[k] for k in texts] == [real(t, *names) for t in texts.values()]
    assert "Dana" not in quotes["1"] and quotes["1"] == quotes["2"]
    assert sorted(calls) == sorted(set(texts.values()))  # "1" and "2" share one mask
    again = redact.redact_quotes({"9": "ok Grace"}, messages)  # another report, same table
    assert again["9"] == quotes["3"] and len(calls) == 3
    assert quotes.get("missing") is None and quotes.get("missing", "x") == "x"
    assert quotes.get("3") == quotes["3"] and "missing" not in quotes


def test_reports_speedups_redacted_quotes_forget_another_corpus(monkeypatch):
    from mining.text import redact

    monkeypatch.setattr(redact.RedactedQuotes, "_memo", (None, {}))
    first = pd.DataFrame({"text": ["Hi Dana", "Dana called"], "author": ["x", "y"]})
    second = pd.DataFrame({"text": ["Hi Dana", "nobody"], "author": ["x", "y"]})
    a = redact.redact_quotes({"1": "Hi Dana"}, first)["1"]
    b = redact.redact_quotes({"1": "Hi Dana"}, second)["1"]
    assert a == redact._mask_quote("Hi Dana", *redact.corpus_person_names(first))
    assert b == redact._mask_quote("Hi Dana", *redact.corpus_person_names(second))


def test_reports_speedups_objection_groups_match_groupby():
    from mining.reports.objections import _groups

    keys = pd.Series(["b", "a", "b", "c", "a", "b"], dtype="string", index=[5, 3, 9, 1, 0, 2])
    pos = np.array([10, 11, 12, 13, 14, 15])
    got = [(k, list(p)) for k, p in _groups(keys, pos)]
    frame = pd.DataFrame({"k": keys.to_numpy(), "p": pos})
    want = [(k, list(g["p"])) for k, g in frame.groupby("k", sort=True)]
    assert got == want
    assert list(_groups(keys.iloc[:0], pos[:0])) == []


def _old_pairs(res, reply_id, texts):
    pairs = {}
    if texts:
        for oid, rid in zip(res["message_id"], reply_id, strict=True):
            if isinstance(rid, str) and oid in texts and rid in texts:
                pairs[oid] = f"{texts[oid]} → {texts[rid]}"
    return pairs


@pytest.mark.parametrize("texts", [None, {}, {"a1": "too dear", "a2": "10% off", "c1": "later",
                                               "b2": "hm", "b1": "unsure"}])
def test_reports_speedups_example_pairs_match_the_eager_pairs(texts):
    from mining.reports import _data
    from mining.reports.replies import _ExamplePairs

    res = pd.DataFrame({"message_id": ["a1", "b1", "c1", "d2"]})
    reply_id = pd.Series(["a2", "b2", "c2", np.nan])
    lazy, eager = _ExamplePairs(res, reply_id, texts), _old_pairs(res, reply_id, texts)
    for oid in ["a1", "b1", "c1", "d2", "zz"]:
        assert lazy.get(oid) == eager.get(oid)
    ids = ["d2", "c1", "a1", "b1"]
    assert _data.pick_examples(ids, lazy) == _data.pick_examples(ids, eager)
    assert bool(lazy) == bool(eager) or (texts and not eager)


def test_reports_speedups_training_snapshots_match_row_by_row():
    from mining.leads.score import journey_status, training_snapshots
    from mining.reports import _data

    t, o = _corpus_tags()
    tp = _data.prepare_tags(t)
    j = _data.journeys(tp, _data.prepare_outcomes(o, tp))
    as_of = rf.at(40)
    status = journey_status(j, as_of, 1.0)
    for days in ([0.5, 1 / 3, 2], [1], []):
        closed = j[(status != "open") & j["first_ts"].notna()]
        closed = closed[~(closed["converted"] & closed["converted_at"].isna())]
        rows = [(jid, start + pd.Timedelta(days=d), conv_at)
                for jid, start, conv_at in zip(closed.index, closed["first_ts"],
                                               closed["converted_at"], strict=True)
                for d in days]
        want = pd.DataFrame(rows, columns=["journey_id", "cut", "converted_at"])
        if not want.empty:
            want["cut"] = pd.to_datetime(want["cut"], utc=True)
            want["converted_at"] = pd.to_datetime(want["converted_at"], utc=True)
            keep = (want["cut"] < as_of) & ~(want["converted_at"] <= want["cut"]).fillna(False)
            want = want[keep].reset_index(drop=True)
        pd.testing.assert_frame_equal(training_snapshots(j, status, as_of, days), want,
                                      check_exact=True)


def test_reports_speedups_feature_counts_match_crosstab():
    from mining.leads.features import _counts

    df = pd.DataFrame({"v": ["price", "trust", "price", None, "other", "trust", "price"]},
                      index=pd.Index([3, 3, 1, 1, 0, 7, 7], name="_snap"))
    values = ["price", "timing", "trust"]
    got = _counts(df, values, "objection")
    known = df[df["v"].astype("object").isin(values)]
    want = pd.crosstab(known.index, known["v"].astype(str)).reindex(columns=values, fill_value=0)
    want.columns = [f"objection:{v}" for v in values]
    want.index.name = "_snap"
    pd.testing.assert_frame_equal(got, want, check_exact=True, check_column_type=False)
    assert _counts(df[df["v"] == "none"], values, "objection").empty


def test_reports_speedups_journey_views_match_per_group_loops():
    from mining.reports.journey_views import intents_by_stage, journey_outcomes, stage_paths

    t, o = _corpus_tags()
    t["intent_theme"] = pd.Series(["buy", "buy", None, "buy", "ask", "ask", "buy", "", "ask",
                                   "ask", "buy", "buy"], dtype="string")
    t.loc[6, "journey_id"] = pd.NA
    conv = journey_outcomes(t, o)
    it = t.dropna(subset=["intent_theme"])
    it = it[it["intent_theme"].astype(str).str.len() > 0]
    rows = []
    for (stage, intent), grp in it.groupby(["stage", "intent_theme"]):
        js = list(set(grp["journey_id"].dropna()))
        rows.append({"stage": stage, "intent": str(intent), "journeys": len(js),
                     "converted_share": float(conv.reindex(js).mean()) if js else float("nan")})
    want = pd.DataFrame(rows, columns=["stage", "intent", "journeys", "converted_share"])
    pd.testing.assert_frame_equal(intents_by_stage(t, o), want, check_exact=True)
    s = t.dropna(subset=["stage"]).reset_index(drop=True)
    s = s.assign(_row=range(len(s))).sort_values(["journey_id", "timestamp", "_row"],
                                                 na_position="last")
    rows = []
    for jid, grp in s.groupby("journey_id", sort=False):
        steps: list[str] = []
        for x in grp["stage"].astype(str):
            if not steps or steps[-1] != x:
                steps.append(x)
        rows.append({"journey_id": jid, "steps": tuple(steps[:2]),
                     "converted": bool(conv.get(jid, False))})
    want = pd.DataFrame(rows, columns=["journey_id", "steps", "converted"])
    pd.testing.assert_frame_equal(stage_paths(t, o, max_steps=2), want, check_exact=True)


def test_reports_speedups_leads_reuse_the_playbook_of_the_same_run():
    from mining.leads.score import leads_report
    from mining.reports import run_reports
    from tests._leads_data import corpus

    tags, outcomes, events = corpus(n=60)
    together = run_reports(tags, outcomes, events, names=["playbook", "leads"])
    alone = leads_report(tags, outcomes, events)
    assert len(alone)
    pd.testing.assert_frame_equal(together["leads"], alone, check_exact=True)


@pytest.mark.parametrize("dtype", ["string", "str", "object"])
def test_reports_speedups_stage_order_same_for_every_label_dtype(dtype):
    from mining.reports import _data

    labels = ["decision", None, "awareness", "zz-custom", "", "decision"]
    s = pd.Series(labels, dtype=dtype)
    assert _data.stage_order(s) == _data.stage_order(list(labels)) == \
        _data.stage_order(pd.Series(labels, dtype="object"))
    assert "zz-custom" in _data.stage_order(s)
