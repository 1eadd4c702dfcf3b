import pytest
from report_frames import at, events, msg, outcomes, tags

from mining.config import ReportSettings
from mining.reports.funnel import cold_objections, funnel_report


def _data():
    t = tags(
        msg("a1", "A", at(0), stage="awareness"),
        msg("a2", "A", at(1), stage="consideration"),
        msg("a3", "A", at(2), stage="decision"),
        msg("b1", "B", at(0), stage="awareness"),
        msg("b2", "B", at(1), stage="decision"),  # skips consideration
        msg("c1", "C", at(0), stage="awareness"),
        msg("c2", "C", at(1), stage="consideration", objection="price"),
        msg("c3", "C", at(2), stage="consideration", objection="timing"),
        msg("d1", "D", at(0), stage="consideration"),
        msg("d2", "D", at(25), stage="consideration"),
        msg("e1", "E", at(0), stage="awareness"),
    )
    o = outcomes(A=(True, at(3), 200.0), B=(False, None, None))
    ev = events(("E", at(20), "visit", "web"))
    return t, o, ev


def _by_stage(df):
    return df.set_index("stage")


def test_reports_funnel_reach_and_conversion_by_hand():
    t, o, ev = _data()
    f = _by_stage(funnel_report(t, o, ev, as_of=at(30)))
    assert f.loc["awareness", "journeys_reached"] == 5
    assert f.loc["consideration", "journeys_reached"] == 4  # B jumped past it but reached it
    assert f.loc["consideration", "journeys_at_stage"] == 3
    assert f.loc["decision", "journeys_reached"] == 2
    assert f.loc["purchase", "journeys_reached"] == 0
    assert f.loc["decision", "conversion_rate"] == 0.5
    assert f.loc["awareness", "continue_rate"] == pytest.approx(4 / 5)
    assert f.loc["decision", "furthest_here"] == 2 and f.loc["decision", "dropped_here"] == 1
    assert f.loc["(all)", "conversions"] == 1
    assert list(f.index[:5]) == ["awareness", "consideration", "decision", "purchase", "retention"]


def test_reports_funnel_cold_definition_and_last_objection():
    t, o, ev = _data()
    f = _by_stage(funnel_report(t, o, ev, as_of=at(30)))
    # cold: B (silent 29 d, last stage decision) and C (28 d, consideration); D spoke 5 days ago,
    # E visited the site 10 days ago, A converted
    assert f.loc["(all)", "cold_here"] == 2
    assert f.loc["consideration", "cold_here"] == 1 and f.loc["decision", "cold_here"] == 1
    assert f.loc["consideration", "cold_rate"] == 0.5  # C and D ended at consideration
    assert f.loc["consideration", "cold_share"] == 0.5
    assert f.loc["consideration", "top_cold_objections"] == "timing (1)"  # the last one raised
    # without the event E has been silent 30 days and is cold too
    f = _by_stage(funnel_report(t, o, None, as_of=at(30)))
    assert f.loc["awareness", "cold_here"] == 1
    # a longer threshold: nobody is cold
    f = _by_stage(funnel_report(t, o, ev, settings=ReportSettings(cold_after_days=40),
                                as_of=at(30)))
    assert f.loc["(all)", "cold_here"] == 0


def test_reports_funnel_as_of_defaults_to_data_end():
    t, o, ev = _data()
    df = funnel_report(t, o, ev)
    assert df.attrs["as_of"] == str(at(25))
    assert _by_stage(df).loc["(all)", "cold_here"] == 2  # B 24 d, C 23 d; E 5 d since its visit


def test_reports_funnel_cold_objections_long_form():
    t, o, ev = _data()
    c = cold_objections(t, o, ev, as_of=at(30))
    got = {(r.last_stage, r.last_objection): r.cold_journeys for r in c.itertuples()}
    assert got == {("consideration", "timing"): 1, ("decision", "(none)"): 1}
    assert c["share_of_stage_cold"].eq(1.0).all()
