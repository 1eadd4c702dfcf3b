from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mining.errors import NotFittedError
from mining.journeys import build_journeys
from mining.schema import conform
from mining.stages import StageTagger, transition_matrix, viterbi
from mining.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def tagger():
    return StageTagger(embedder="hash").fit()


def _messages(texts, roles=None, journey="j1", start="2026-01-01", step_days=1.0):
    t0 = pd.Timestamp(start, tz="UTC")
    roles = roles or ["customer"] * len(texts)
    rows = [dict(message_id=f"{journey}-{i}", conversation_id=journey, journey_id=journey,
                 timestamp=t0 + pd.Timedelta(days=step_days * i), channel="chat", role=r,
                 author=r, text=t, clean_text=t, source="test")
            for i, (t, r) in enumerate(zip(texts, roles, strict=True))]
    return conform(pd.DataFrame(rows), "messages")


def _vectors(journeys):
    from mining.embed import embed_texts

    return embed_texts(journeys["clean_text"].tolist(), model="hash", progress=False)


def test_stages_transition_matrix_prefers_staying_then_moving_on():
    log_t, log_s = transition_matrix(load_taxonomy().stages)
    same, new_session, other = np.exp(log_t)
    for t in (same, new_session, other):
        np.testing.assert_allclose(t.sum(axis=1), 1.0)
    assert np.all(np.diag(same) > 0.5)
    assert same[0, 1] > same[0, 2] > same[0, 4] > 0  # forward beats skipping ahead
    assert same[2, 3] > same[2, 1] > 0  # moving on beats a setback, which stays possible
    assert new_session[1, 2] > same[1, 2]  # a customer coming back has usually moved on
    assert np.all(np.diag(other) > 0.8)  # agents mostly follow the customer's stage
    assert np.argmax(log_s) == 0


def test_stages_agent_messages_do_not_move_the_stage():
    log_t, log_s = transition_matrix(load_taxonomy().stages)
    # the agent's message (kind 2) looks like "decision"; the customer's like "awareness"
    emit = np.log(np.array([[0.6, 0.1, 0.1, 0.1, 0.1], [0.2, 0.1, 0.5, 0.1, 0.1],
                            [0.6, 0.1, 0.1, 0.1, 0.1]]))
    path, _ = viterbi(emit, log_t, log_s, kinds=np.array([0, 2, 0]))
    assert path.tolist() == [0, 0, 0]


def test_stages_viterbi_smooths_a_flicker():
    log_t, log_s = transition_matrix(load_taxonomy().stages)
    # evidence: 0 0 0 [2] 0 1 1 1 1 -> the lone "decision" blip is smoothed away
    best = [0, 0, 0, 2, 0, 1, 1, 1, 1]
    emit = np.full((len(best), 5), np.log(0.1))
    emit[np.arange(len(best)), best] = np.log(0.6)
    path, post = viterbi(emit, log_t[0], log_s)
    assert path.tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    np.testing.assert_allclose(post.sum(axis=1), 1.0)
    assert np.all(np.diff(path) >= 0)


def test_stages_events_move_the_journey_on(tagger):
    msgs = _messages(["Ok"] * 8)  # the same text throughout: only context differs
    events = conform(pd.DataFrame([dict(journey_id="j1", event_type="purchase",
                                        timestamp=pd.Timestamp("2026-01-02 12:00", tz="UTC"))]),
                     "events")
    without = tagger.transform(build_journeys(msgs), _vectors(build_journeys(msgs)))
    j = build_journeys(msgs, events)
    assert j["_events"].tolist() == [(), (), *[("purchase",)] * 6]
    with_ev = tagger.transform(j, _vectors(j))
    order = tagger.stages_
    assert order.index(with_ev["stage"].iloc[2]) >= order.index("purchase")
    assert order.index(without["stage"].iloc[2]) < order.index("purchase")
    assert with_ev["evidence"].iloc[2]["event"] == "purchase"


def test_stages_after_conversion_is_retention(tagger):
    msgs = _messages(["Hello, what do you offer?", "How much is the basic plan?",
                      "Can we book a demo?", "How do I reset my password?",
                      "Can I add a user to our account?"])
    outcomes = conform(pd.DataFrame([dict(journey_id="j1", converted=True,
                                          converted_at=pd.Timestamp("2026-01-03 12:00",
                                                                    tz="UTC"))]), "outcomes")
    j = build_journeys(msgs, outcomes=outcomes)
    assert j["_after_conversion"].tolist() == [False, False, False, True, True]
    out = tagger.transform(j, _vectors(j))
    assert out["stage"].tolist()[3:] == ["retention", "retention"]
    assert "retention" not in out["stage"].tolist()[:3]
    assert (out["stage_confidence"].between(0, 1)).all()
    assert out["evidence"].iloc[4]["after_conversion"] is True


def test_stages_journeys_are_decoded_separately(tagger):
    a = _messages(["Hi, I found you online, what do you do?"] * 3, journey="a")
    b = _messages(["I want to renew our subscription."] * 3, journey="b")
    outcomes = conform(pd.DataFrame([dict(journey_id="b", converted=True,
                                          converted_at=pd.Timestamp("2025-12-01", tz="UTC"))]),
                       "outcomes")
    j = build_journeys(pd.concat([a, b], ignore_index=True), outcomes=outcomes)
    out = tagger.transform(j, _vectors(j))
    assert out["stage"].tolist() == ["awareness"] * 3 + ["retention"] * 3


def test_stages_refuse_unfitted_and_roundtrip(tagger, tmp_path):
    msgs = _messages(["Hi", "How much?", "Send the contract please", "Paid!"])
    j = build_journeys(msgs)
    with pytest.raises(NotFittedError):
        StageTagger(embedder="hash").transform(j, _vectors(j))
    tagger.save(tmp_path / "st")
    loaded = StageTagger.load(tmp_path / "st")
    a, b = tagger.transform(j, _vectors(j)), loaded.transform(j, _vectors(j))
    assert a["stage"].tolist() == b["stage"].tolist()
    np.testing.assert_allclose(a["stage_confidence"], b["stage_confidence"])


def _timed(texts, offsets_h, journey="j1", conversations=None):
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    convs = conversations or [journey] * len(texts)
    rows = [dict(message_id=f"{journey}-{i}", conversation_id=c, journey_id=journey,
                 timestamp=t0 + pd.Timedelta(hours=h), channel="chat", role="customer",
                 author="c", text=t, clean_text=t, source="test")
            for i, (t, h, c) in enumerate(zip(texts, offsets_h, convs, strict=True))]
    return conform(pd.DataFrame(rows), "messages")


def test_stages_first_contact_is_the_first_session_only(tagger):
    # the same text throughout: only the session structure differs
    msgs = _timed(["Ok"] * 6, [0, 0.1, 0.2, 72, 72.1, 72.2])
    j = build_journeys(msgs)
    out = tagger.transform(j, _vectors(j))
    assert out["stage"].tolist()[:3] == ["awareness"] * 3
    assert "awareness" not in out["stage"].tolist()[3:]  # a returning customer has moved on


def test_stages_a_new_conversation_starts_a_new_session(tagger):
    msgs = _timed(["Ok"] * 3, [0, 0.5, 1.0], conversations=["c1", "c1", "c2"])
    j = build_journeys(msgs)
    codes = pd.factorize(j["journey_id"])[0]
    assert tagger._step_kinds(j, codes).tolist() == [0, 0, 1]


def test_stages_the_converting_session_is_the_purchase_session(tagger):
    msgs = _timed(["Ok"] * 7, [0, 0.1, 48, 48.1, 120, 120.1, 120.2])
    outcomes = conform(pd.DataFrame([dict(
        journey_id="j1", converted=True,
        converted_at=pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(hours=121))]),
        "outcomes")
    j = build_journeys(msgs, outcomes=outcomes)
    out = tagger.transform(j, _vectors(j))
    assert out["stage"].tolist()[4:] == ["purchase"] * 3
    assert "purchase" not in out["stage"].tolist()[:2]


def test_stages_a_customer_back_after_a_chaser_or_greeting_starts_a_new_session(tagger):
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    rows = [("c1", "customer", 0.0), ("c1", "agent", 0.1),   # first exchange
            ("c1", "agent", 30.0), ("c1", "customer", 31.0),  # chaser, reply an hour later
            ("c2", "bot", 40.0), ("c2", "customer", 40.01)]   # new chat opened by a bot
    msgs = conform(pd.DataFrame([dict(
        message_id=f"m{i}", conversation_id=c, journey_id="j1", timestamp=t0 + pd.Timedelta(
            hours=h), channel="chat", role=r, author=r, text="Ok", clean_text="Ok",
        source="test") for i, (c, r, h) in enumerate(rows)]), "messages")
    j = build_journeys(msgs)
    kinds = tagger._step_kinds(j, pd.factorize(j["journey_id"])[0]).tolist()
    assert kinds == [0, 2, 2, 1, 2, 1]


def test_stages_email_replies_within_two_days_stay_in_the_session(tagger):
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    rows = [("customer", 0.0), ("agent", 3.0), ("customer", 20.0),  # a next-day reply
            ("agent", 22.0), ("customer", 100.0)]                   # back after four days
    msgs = conform(pd.DataFrame([dict(
        message_id=f"m{i}", conversation_id="t1", journey_id="j1",
        timestamp=t0 + pd.Timedelta(hours=h), channel="email", role=r, author=r, text="Ok",
        clean_text="Ok", source="test") for i, (r, h) in enumerate(rows)]), "messages")
    j = build_journeys(msgs)
    codes = pd.factorize(j["journey_id"])[0]
    assert tagger._step_kinds(j, codes).tolist() == [0, 2, 0, 2, 1]
    chat = build_journeys(msgs.assign(channel="chat"))
    assert tagger._step_kinds(chat, codes).tolist() == [0, 2, 1, 2, 1]


def test_stages_first_session_leans_to_first_contact_only_when_the_customer_comes_back(tagger):
    back = build_journeys(_timed(["Ok"] * 4, [0, 0.1, 72, 72.1]))
    lean = tagger._first_session(back)
    np.testing.assert_allclose(lean, [tagger.first_session_weight] * 2 + [0.0] * 2)
    single = build_journeys(_timed(["Ok"] * 4, [0, 0.1, 0.2, 0.3]))
    np.testing.assert_allclose(tagger._first_session(single), 0.0)
