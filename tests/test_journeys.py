from __future__ import annotations

import numpy as np
import pandas as pd

from mining.cues import CueMatcher
from mining.embed import embed_texts
from mining.journeys import build_journeys, classify_replies, link_replies
from mining.prototypes import Prototypes
from mining.schema import conform
from mining.taxonomy import load_taxonomy


def _frame(spec):
    """spec: (conversation, role, is_objection) tuples in time order."""
    rows = [dict(message_id=f"m{i}", conversation_id=c, role=r, is_objection=o)
            for i, (c, r, o) in enumerate(spec)]
    df = pd.DataFrame(rows)
    df["is_objection"] = df["is_objection"].astype("boolean")
    return df


def test_journeys_replies_to_links_agent_messages_until_the_customer_speaks_again():
    df = _frame([
        ("c1", "customer", False),   # m0 question
        ("c1", "agent", None),       # m1 answer: nothing to answer
        ("c1", "customer", True),    # m2 objection
        ("c1", "agent", None),       # m3 -> m2
        ("c1", "bot", None),         # m4 bots never answer objections
        ("c1", "agent", None),       # m5 -> m2 (still before the customer speaks)
        ("c1", "customer", False),   # m6 the customer speaks again
        ("c1", "agent", None),       # m7 no objection pending
    ])
    assert link_replies(df).tolist() == [pd.NA, pd.NA, pd.NA, "m2", pd.NA, "m2", pd.NA, pd.NA]


def test_journeys_replies_to_takes_the_turns_latest_objection_per_conversation():
    df = _frame([
        ("c1", "customer", True),    # m0 objection
        ("c2", "customer", True),    # m1 objection in another conversation
        ("c1", "customer", True),    # m2 second objection in the same turn
        ("c1", "customer", False),   # m3 a question in the same turn
        ("c2", "agent", None),       # m4 -> m1
        ("c1", "agent", None),       # m5 -> m2
    ])
    out = link_replies(df)
    assert out.tolist() == [pd.NA, pd.NA, pd.NA, pd.NA, "m1", "m2"]
    assert str(out.dtype) == "string"


def test_journeys_build_orders_by_time_and_joins_outcomes_by_conversation():
    t = pd.Timestamp("2026-02-01", tz="UTC")
    msgs = conform(pd.DataFrame([
        dict(message_id="b", conversation_id="c1", journey_id=None,
             timestamp=t + pd.Timedelta(hours=2), role="agent", text="x", clean_text="x"),
        dict(message_id="a", conversation_id="c1", journey_id=None, timestamp=t, role="customer",
             text="y", clean_text="y"),
        dict(message_id="c", conversation_id="c1", journey_id=None, timestamp=pd.NaT,
             role="customer", text="z", clean_text="z"),
        dict(message_id="d", conversation_id="c1", journey_id=None,
             timestamp=t + pd.Timedelta(days=3), role="customer", text="w", clean_text="w"),
    ]), "messages")
    outcomes = conform(pd.DataFrame([dict(journey_id="c1", converted=True,
                                          converted_at=t + pd.Timedelta(days=1))]), "outcomes")
    j = build_journeys(msgs, outcomes=outcomes)
    # NaT takes the time of the message before it in the input (a), so it stays next to it
    assert j["message_id"].tolist() == ["a", "c", "b", "d"]
    assert j["journey_id"].tolist() == ["c1"] * 4
    assert j["_order"].tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(j["_pos"], [0, 1 / 3, 2 / 3, 1])
    assert j["_after_conversion"].tolist() == [False, False, False, True]
    assert j["_row"].tolist() == [1, 2, 0, 3]


def test_journeys_reply_strategy_prefers_substance_over_empathy():
    tax = load_taxonomy()
    protos = Prototypes.from_taxonomy(tax.replies, embedder="hash")
    texts = ["I completely understand. I can offer you 15% off the first year.",
             "I hear you, that's a fair concern.",
             "The weather is lovely today."]
    vecs = embed_texts(texts, model="hash", progress=False)
    strategies, evidence = classify_replies(texts, vecs, protos, CueMatcher(tax.replies),
                                            min_similarity=0.9)
    assert strategies[0] == "discount"
    assert "empathy" in evidence[0]["reply_strategies"]
    assert strategies[1] == "empathy"
    assert strategies[2] is pd.NA and evidence[2] == {}
