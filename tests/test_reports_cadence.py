import pytest
from report_frames import at, msg, outcomes, tags
from scipy.stats import fisher_exact

from mining.config import ReportSettings
from mining.errors import ConfigError
from mining.reports.cadence import cadence_report, journey_cadence


def _data():
    t = tags(
        msg("a1", "A", at(0)),
        msg("a2", "A", at(0, 0.5), "agent"),
        msg("a3", "A", at(2), "agent"),
        msg("a4", "A", at(5), "agent"),
        msg("a5", "A", at(8), "agent"),  # after the 7-day window
        msg("b1", "B", at(0)),
        msg("b2", "B", at(0, 2 / 60), "agent"),
        msg("b3", "B", at(3), "agent"),  # after B converted: not a follow-up
        msg("c1", "C", at(0)),
        msg("c2", "C", at(0, 5), "agent"),
        msg("d1", "D", at(0)),
        msg("e1", "E", at(28)),  # window not complete at the end of the data
        msg("f1", "F", at(0), "agent"),  # no customer message: not counted
    )
    o = outcomes(A=(True, at(10), 1.0), B=(True, at(0, 1), 1.0))
    return t, o


def _rows(df, dim):
    return df[df["dimension"] == dim].set_index("bucket")


def test_reports_cadence_followup_counts_and_ratio_by_hand():
    t, o = _data()
    j = journey_cadence(t, o, definition="agent_messages")
    assert j["followups"].to_dict() == {"A": 3, "B": 1, "C": 1, "D": 0, "E": 0}
    df = cadence_report(t, o, as_of=at(30), settings=ReportSettings(
        followup_definition="agent_messages"))
    f = _rows(df, "followups")
    assert list(f.index) == ["0", "1", "2", "3+"]
    assert f["journeys"].tolist() == [1, 2, 0, 1]  # E left out: its window is not complete
    assert f["conversions"].tolist() == [0, 1, 0, 1]
    assert f.loc["3+", "ratio_vs_ref"] == pytest.approx(2.0)  # 100% vs 50%
    assert f.loc["3+", "p_value"] == pytest.approx(fisher_exact([[1, 0], [1, 1]]).pvalue)
    assert f.loc["1", "reference"] == "1"
    assert df.attrs == {"followup_definition": "agent_messages", "incomplete_window": 1,
                        "journeys_without_customer_message": 1}


def test_reports_cadence_first_response_buckets():
    t, o = _data()
    r = _rows(cadence_report(t, o, as_of=at(30)), "first_response")
    assert r["journeys"].to_dict() == {"< 5 min": 1, "5-60 min": 1, "1-4 h": 0, "4-24 h": 1,
                                       "> 24 h": 0, "no response": 2}
    assert r.loc["5-60 min", "conversion_rate"] == 1.0
    assert r.loc["no response", "ratio_vs_ref"] == 0.0


def test_reports_cadence_unanswered_definition_is_default_and_bad_option():
    t, o = _data()
    j = journey_cadence(t, o)
    assert j.loc["A", "followups"] == 2  # a3, a4 follow an agent message; a2 answers the customer
    assert j.loc["B", "followups"] == 0
    f = _rows(cadence_report(t, o, as_of=at(30)), "followups")
    assert f["journeys"].tolist() == [3, 0, 1, 0]  # B, C, D: 0; A: 2
    with pytest.raises(ConfigError, match="E604"):
        journey_cadence(t, o, definition="sometimes")


def test_reports_cadence_window_setting():
    t, o = _data()
    cfg = ReportSettings(followup_days=1, followup_definition="agent_messages")
    f = _rows(cadence_report(t, o, settings=cfg, as_of=at(30)), "followups")
    # A has only a2 within one day; E's one-day window is complete now (D and E: 0)
    assert f["journeys"].tolist() == [2, 3, 0, 0]
