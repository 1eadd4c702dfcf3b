import pandas as pd
import pytest
from report_frames import at, msg, outcomes, tags
from scipy.stats import fisher_exact

from mining.config import ReportSettings
from mining.reports import _data
from mining.reports.replies import derive_replies_to, replies_report


def _data_frames():
    t = tags(
        # A: answered with "value", then moves to decision -> resolved
        msg("a1", "A", at(0), stage="consideration", objection="price"),
        msg("a2", "A", at(0, 1), "agent", "consideration", strategy="value", replies_to="a1"),
        msg("a3", "A", at(1), stage="decision"),
        # B: "discount", then the customer raises price again -> not resolved; b3 gets no reply
        msg("b1", "B", at(0), stage="consideration", objection="price"),
        msg("b2", "B", at(0, 1), "agent", "consideration", strategy="discount", replies_to="b1"),
        msg("b3", "B", at(1), stage="consideration", objection="price"),
        # C: no later stage but converts afterwards -> resolved
        msg("c1", "C", at(0), stage="decision", objection="price"),
        msg("c2", "C", at(0, 1), "agent", "decision", strategy="value", replies_to="c1"),
        # D: converted before the objection, no later stage -> not resolved
        msg("d1", "D", at(1), stage="retention", objection="price"),
        msg("d2", "D", at(1, 1), "agent", "retention", strategy="value", replies_to="d1"),
        # E: two replies, the first without a strategy -> strategy of the first classified one
        msg("e1", "E", at(0), stage="consideration", objection="timing"),
        msg("e2", "E", at(0, 1), "agent", "consideration", replies_to="e1"),
        msg("e3", "E", at(0, 2), "agent", "consideration", strategy="discount", replies_to="e1"),
        msg("e4", "E", at(2), stage="decision"),
        # F: answered, but no reply has a strategy -> (unclassified); reaches purchase
        msg("f1", "F", at(0), stage="consideration", objection="price"),
        msg("f2", "F", at(0, 1), "agent", "consideration", replies_to="f1"),
        msg("f3", "F", at(1), stage="purchase"),
    )
    o = outcomes(A=(True, at(5), 1.0), B=(False, None, None), C=(True, at(3), 1.0),
                 D=(True, at(0), 1.0), E=(False, None, None), F=(False, None, None))
    return t, o


def _row(df, cat, strategy):
    sel = df[(df["objection_category"] == cat) & (df["reply_strategy"] == strategy)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_reports_replies_resolution_definition_by_hand():
    t, o = _data_frames()
    df = replies_report(t, o, exclude_stages=())
    r = _row(df, "price", "value")  # a1 resolved, c1 resolved, d1 not
    assert (r["objections"], r["resolved"], r["conversions"]) == (3, 2, 3)
    assert r["resolution_rate"] == pytest.approx(2 / 3)
    r = _row(df, "price", "discount")  # b1 raised again
    assert (r["objections"], r["resolved"], r["conversions"]) == (1, 0, 0)
    assert r["resolution_rate_others"] == pytest.approx(2 / 3)  # the value replies
    assert r["resolution_lift"] == 0.0
    assert r["p_value"] == pytest.approx(fisher_exact([[0, 1], [2, 1]]).pvalue)
    r = _row(df, "price", "(no reply)")  # b3: never answered, nothing happened after
    assert (r["objections"], r["resolved"]) == (1, 0)
    assert r["resolution_rate_others"] == pytest.approx(2 / 4)  # all classified price replies
    r = _row(df, "price", "(unclassified)")
    assert (r["objections"], r["resolved"]) == (1, 1)
    r = _row(df, "timing", "discount")
    assert (r["objections"], r["resolved"]) == (1, 1)
    assert len(df) == 5
    # by default retention-stage objections (D's) are left out: they could never be resolved
    r = _row(replies_report(t, o), "price", "value")
    assert (r["objections"], r["resolved"]) == (2, 2)


def test_reports_replies_derives_replies_to_when_absent():
    t, o = _data_frames()
    with_links = replies_report(t, o, exclude_stages=())
    t2 = t.assign(replies_to=pd.Series(pd.NA, index=t.index, dtype="string"))
    derived = derive_replies_to(_data.prepare_tags(t2))
    prepared = _data.prepare_tags(t)
    assert derived.fillna("-").tolist() == prepared["replies_to"].fillna("-").tolist()
    pd.testing.assert_frame_equal(replies_report(t2, o, exclude_stages=()), with_links)


def test_reports_replies_derive_rule_resets_on_new_customer_turn():
    t = tags(
        msg("x1", "X", at(0), objection="price"),
        msg("x2", "X", at(0, 1)),  # same turn: the objection stays pending
        msg("x3", "X", at(0, 2), "agent"),
        msg("x4", "X", at(0, 3), "agent"),  # still before the customer speaks again
        msg("x5", "X", at(0, 4)),  # new turn without objection
        msg("x6", "X", at(0, 5), "agent"),
    )
    got = derive_replies_to(_data.prepare_tags(t))
    assert got.fillna("-").tolist() == ["-", "-", "x1", "x1", "-", "-"]


def test_reports_replies_example_pairs_and_low_support():
    t, o = _data_frames()
    messages = pd.DataFrame({"message_id": ["a1", "a2"], "text": ["RAW", "RAW"],
                             "clean_text": ["Too pricey for us", "It pays back in 3 months"]})
    df = replies_report(t, o, messages=messages)
    assert _row(df, "price", "value")["example_1"] == \
        "Too pricey for us → It pays back in 3 months"
    assert df["low_support"].all()
    df = replies_report(t, o, settings=ReportSettings(min_support=3), exclude_stages=())
    assert df.loc[df["low_support"], "objections"].max() < 3
    assert not _row(df, "price", "value")["low_support"]
