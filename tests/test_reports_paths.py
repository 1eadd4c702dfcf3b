import pandas as pd
import pytest
from report_frames import at, events, msg, outcomes, tags

from mining.reports import REPORTS, get_report, run_reports
from mining.reports.paths import OTHER, paths_report


def _data():
    t = tags(
        msg("a1", "A", at(0), stage="awareness"),
        msg("a2", "A", at(1), stage="awareness"),
        msg("a3", "A", at(2), stage="decision", channel="email"),
        msg("b1", "B", at(0), stage="awareness"),
        msg("b2", "B", at(1), stage="decision"),
        msg("c1", "C", at(0), stage="awareness"),
        msg("c2", "C", at(1), stage=None),
        msg("d1", "D", at(0), stage="consideration"),
    )
    o = outcomes(A=(True, at(3), 100.0), B=(False, None, None), C=(True, at(2), 40.0))
    ev = events(("B", at(2), "visit", "web"))
    return t, o, ev


def test_reports_paths_stage_sequences_by_hand():
    t, o, ev = _data()
    df = paths_report(t, o, ev)
    s = df[df["kind"] == "stage"].set_index("path")
    assert s.loc["awareness > decision", "journeys"] == 2  # A (repeats collapsed) and B
    assert s.loc["awareness > decision", "conversion_rate"] == 0.5
    assert s.loc["awareness > decision", "mean_value"] == 100.0
    assert s.loc["awareness", "length"] == 1  # C: the unstaged message is skipped
    assert s["share"].sum() == pytest.approx(1.0)
    tp = df[df["kind"] == "touchpoint"].set_index("path")
    assert tp.loc["chat > email", "journeys"] == 1
    assert tp.loc["chat > web", "journeys"] == 1  # B's visit is a touchpoint
    assert tp.loc["chat", "total_value"] == 40.0


def test_reports_paths_other_row_keeps_shares_whole():
    t, o, ev = _data()
    df = paths_report(t, o, ev, top=1)
    s = df[df["kind"] == "stage"]
    assert s["path"].tolist() == ["awareness > decision", OTHER]
    assert s["journeys"].tolist() == [2, 2] and s["share"].sum() == pytest.approx(1.0)
    assert s.iloc[1]["mean_value"] == 40.0


def test_reports_paths_long_paths_shortened():
    rows = [msg(f"x{i}", "X", at(i), stage=s) for i, s in
            enumerate(["awareness", "consideration", "decision", "purchase", "retention"])]
    df = paths_report(tags(*rows), None, max_length=3)
    assert df.iloc[0]["path"] == "awareness > consideration > … > retention"


def test_reports_registry_runs_every_report():
    t, o, ev = _data()
    out = run_reports(t, o, ev, top=1, as_of=at(10))
    assert list(out) == list(REPORTS)
    assert all(isinstance(df, pd.DataFrame) for df in out.values())
    # no objections in these tags: those two reports are empty but keep their columns
    assert out["objections"].empty and "conv_with" in out["objections"].columns
    assert out["replies"].empty and "resolution_rate" in out["replies"].columns
    assert all(len(out[n]) for n in ("funnel", "channels", "cadence", "paths"))
    assert len(out["paths"][out["paths"]["kind"] == "stage"]) == 2  # top=1 reached paths only
    with pytest.raises(Exception, match="E600"):
        get_report("nope")


def test_reports_registry_warns_when_outcomes_do_not_match(caplog):
    from mining.reports import check_outcomes

    t, o, _ = _data()
    assert check_outcomes(t, o) == {"total": 3, "unmatched": 0, "journeys": 4, "missing": 1}
    assert "W600" not in caplog.text
    other = outcomes(X=(True, at(1), 1.0), Y=(False, None, None))
    with caplog.at_level("WARNING", logger="mining.reports"):
        run_reports(t, other, names=["funnel"])
    assert "[W600] 2 of 2 outcome rows name no journey" in caplog.text
