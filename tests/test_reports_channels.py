import numpy as np
import pytest
from report_frames import at, events, msg, outcomes, tags
from scipy.stats import fisher_exact

from mining.reports import _data
from mining.reports.channels import (
    MODELS,
    NO_TOUCH,
    channels_report,
    markov_removal_effects,
    position_weights,
    touchpoint_paths,
)


def test_reports_channels_markov_removal_on_tiny_chain_by_hand():
    # paths: A -> conv, A -> B -> conv, B -> null
    # P(start->A)=2/3, P(start->B)=1/3, P(A->conv)=P(A->B)=1/2, P(B->conv)=P(B->null)=1/2
    # x_B = 1/2, x_A = 1/2 + 1/2 * 1/2 = 3/4, x_start = 2/3 * 3/4 + 1/3 * 1/2 = 2/3
    # without A: 1/3 * 1/2 = 1/6 -> RE_A = 1 - (1/6)/(2/3) = 3/4
    # without B: x_A = 1/2 -> 2/3 * 1/2 = 1/3 -> RE_B = 1/2
    p, eff = markov_removal_effects([["A"], ["A", "B"], ["B"]], [True, True, False])
    assert p == pytest.approx(2 / 3)
    assert eff == pytest.approx({"A": 0.75, "B": 0.5})
    p, eff = markov_removal_effects([["A"], []], [False, True])
    assert p == 0.0 and eff == {"A": 0.0}


def test_reports_channels_position_weights():
    np.testing.assert_allclose(position_weights(1), [1.0])
    np.testing.assert_allclose(position_weights(2), [0.5, 0.5])
    np.testing.assert_allclose(position_weights(3), [0.4, 0.2, 0.4])
    np.testing.assert_allclose(position_weights(4), [0.4, 0.1, 0.1, 0.4])


def _data_frames():
    t = tags(
        msg("a1", "A", at(0), channel="chat"),
        msg("a2", "A", at(1), "agent", channel="chat"),
        msg("b1", "B", at(0), channel="chat"),
        msg("b2", "B", at(2), channel="email"),
        msg("c1", "C", at(0), channel="email"),
        msg("d1", "D", at(0), channel=None),
        msg("e1", "E", at(0), channel="email"),
    )
    ev = events(("B", at(4), "visit", "web"), ("A", at(9), "visit", "web"),
                ("E", at(1), "visit", "web"))
    o = outcomes(A=(True, at(3), 10.0), B=(True, at(5), 20.0), C=(False, None, None),
                 D=(True, None, 5.0), E=(False, None, None))
    return t, o, ev


def test_reports_channels_paths_cut_at_conversion_and_collapsed():
    t, o, ev = _data_frames()
    pt = _data.prepare_tags(t)
    pe = _data.prepare_events(ev)
    j = _data.journeys(pt, _data.prepare_outcomes(o, pt), pe)
    paths = touchpoint_paths(pt, pe, j)
    assert paths == {"A": ["chat"],  # two chat messages collapse; the visit after converting is cut
                     "B": ["chat", "email", "web"], "C": ["email"], "D": [],
                     "E": ["email", "web"]}


def test_reports_channels_attribution_by_hand_and_sums():
    t, o, ev = _data_frames()
    df = channels_report(t, o, ev).set_index("channel")
    total = 3  # A, B, D converted
    for m in MODELS:
        assert df[m].sum() == pytest.approx(total)
        assert df[f"value_{m}"].sum() == pytest.approx(35.0)
    assert df.loc[NO_TOUCH, "first_touch"] == 1.0  # D converted with no channel
    assert df.loc["chat", "first_touch"] == 2 and df.loc["web", "last_touch"] == 1
    # B's three touches: linear 1/3 each; position 0.4 / 0.2 / 0.4
    assert df.loc["chat", "linear"] == pytest.approx(1 + 1 / 3)
    assert df.loc["email", "position"] == pytest.approx(0.2)
    assert df.loc["chat", "value_position"] == pytest.approx(10 + 0.4 * 20)
    # first touch chat: A, B both converted (2/2) vs the 3 others (D only: 1/3)
    r = df.loc["chat"]
    assert (r["first_touch_journeys"], r["first_touch_conversions"]) == (2, 2)
    assert r["first_touch_lift"] == pytest.approx(1 / (1 / 3))
    assert r["p_value"] == pytest.approx(fisher_exact([[2, 0], [1, 2]]).pvalue)
    assert df.loc["email", "journeys"] == 3 and df.loc["email", "conv_rate_touched"] == \
        pytest.approx(1 / 3)
    assert df["removal_effect"].drop(NO_TOUCH).between(0, 1).all()
    # first customer message: A, B on chat (both converted); C, E on email (neither); D none
    assert df.loc["chat", "first_message_journeys"] == 2
    assert df.loc["email", "first_message_conv_rate"] == 0.0
    assert df.loc["chat", "first_message_p_value"] == pytest.approx(
        fisher_exact([[2, 0], [0, 2]]).pvalue)
    assert df.loc["web", "first_message_journeys"] == 0
    assert np.isnan(df.loc["web", "first_message_p_value"])
