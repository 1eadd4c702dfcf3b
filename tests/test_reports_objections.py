import pandas as pd
import pytest
from report_frames import at, msg, outcomes, tags
from scipy.stats import fisher_exact

from mining.config import ReportSettings
from mining.errors import InputError
from mining.reports import stats
from mining.reports.objections import objections_by_stage


def _data():
    t = tags(
        msg("a1", "A", at(0), stage="awareness"),
        msg("a2", "A", at(1), stage="consideration", objection="price", theme="cost"),
        msg("a3", "A", at(1, 1), role="agent", stage="consideration"),
        msg("b1", "B", at(0), stage="consideration", objection="price", theme="budget"),
        msg("c1", "C", at(0), stage="consideration"),
        msg("d1", "D", at(0), stage="awareness", objection="timing"),
        msg("e1", "E", at(0), stage="consideration", objection="timing"),
    )
    o = outcomes(A=(True, at(4), 100.0), B=(False, None, None), C=(True, at(2), 50.0),
                 D=(False, None, None), E=(True, at(1), 10.0))
    return t, o


def _row(df, level, objection, stage):
    sel = df[(df["level"] == level) & (df["objection"] == objection) & (df["stage"] == stage)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_reports_objections_counts_and_rates_by_hand():
    t, o = _data()
    df = objections_by_stage(t, o)
    r = _row(df, "category", "price", "consideration")
    # consideration: A, B, C, E; price raised there by A (converted) and B (not)
    assert (r["messages"], r["journeys"], r["journeys_at_stage"]) == (2, 2, 4)
    assert r["share_of_stage"] == 0.5
    assert r["conv_with"] == 0.5 and r["conv_without"] == 1.0  # C and E both converted
    assert r["lift"] == 0.5
    lo, hi = stats.wilson_interval(1, 2)
    assert (r["conv_with_lo"], r["conv_with_hi"]) == pytest.approx((float(lo), float(hi)))
    assert r["p_value"] == pytest.approx(fisher_exact([[1, 1], [2, 0]]).pvalue)
    assert r["median_days_to_convert"] == pytest.approx(4.0)  # A: first message day 0 -> day 4
    assert r["category"] == "price"
    # (any) compares with every other journey: C, D, E -> 2 of 3 converted
    r = _row(df, "category", "price", "(any)")
    assert r["journeys_at_stage"] == 5 and r["conv_without"] == pytest.approx(2 / 3)
    # awareness: A and D; timing raised by D only
    r = _row(df, "category", "timing", "awareness")
    got = (r["journeys"], r["journeys_at_stage"], r["conv_with"], r["conv_without"])
    assert got == (1, 2, 0, 1)


def test_reports_objections_theme_rows_and_q_values():
    t, o = _data()
    df = objections_by_stage(t, o)
    themes = df[df["level"] == "theme"]
    assert set(themes["objection"]) == {"cost", "budget", "timing"}
    assert _row(df, "theme", "cost", "consideration")["category"] == "price"
    # BH across every row of the report
    pd.testing.assert_series_equal(
        df["q_value"], pd.Series(stats.bh_qvalues(df["p_value"]), name="q_value"))
    only_cat = objections_by_stage(t, o, levels=("category",))
    assert set(only_cat["level"]) == {"category"}


def test_reports_objections_quotes_are_redacted_clean_text_only():
    t, o = _data()
    messages = pd.DataFrame({"message_id": ["a2", "b1"],
                             "text": ["RAW mail me at x@y.com", "RAW budget"],
                             "clean_text": ["too expensive, mail me at <EMAIL>", "no budget"]})
    df = objections_by_stage(t, o, messages=messages)
    r = _row(df, "category", "price", "consideration")
    assert {r["example_1"], r["example_2"]} == {"too expensive, mail me at <EMAIL>", "no budget"}
    assert not df.astype(str).apply(lambda c: c.str.contains("RAW")).any().any()
    # without messages the example cells are empty, not missing columns
    assert (objections_by_stage(t, o)["example_1"] == "").all()
    # a clean_text column on the tags themselves is used; a raw text column never is
    t2 = t.assign(text="RAW", clean_text=t["message_id"].map({"d1": "not now"}))
    r = _row(objections_by_stage(t2, o), "category", "timing", "awareness")
    assert r["example_1"] == "not now"


def test_reports_objections_low_support_marked_not_hidden():
    t, o = _data()
    df = objections_by_stage(t, o)
    assert df["low_support"].all() and len(df) == 12
    df = objections_by_stage(t, o, settings=ReportSettings(min_support=2))
    assert df.loc[df["journeys"] >= 2, "low_support"].eq(False).all()
    assert df.loc[df["journeys"] < 2, "low_support"].all()


def test_reports_objections_missing_outcomes_means_not_converted_and_bad_input():
    t, _ = _data()
    df = objections_by_stage(t, None)
    assert (df["conv_with"] == 0).all()
    with pytest.raises(InputError, match="E601"):
        objections_by_stage(t.drop(columns=["stage"]), None)
