"""The playbook: the best reply per objection with its evidence, cadence, next actions."""

from __future__ import annotations

from report_frames import at, msg, outcomes, tags

from mining.reports.playbook import COLUMNS, NOT_ENOUGH, next_actions, playbook_report


def _objections(n_pay: int, ok_pay: int, n_emp: int, ok_emp: int, open_ids: tuple = ()):
    """Price objections at consideration, answered with payment or empathy; resolved ones reach
    decision (and convert)."""
    rows, outs = [], {}
    for i in range(n_pay + n_emp):
        j = f"J{i:02d}"
        pay = i < n_pay
        ok = i < ok_pay if pay else i - n_pay < ok_emp
        rows += [msg(f"{j}a", j, at(i), "customer", "consideration", objection="price"),
                 msg(f"{j}b", j, at(i, 1), "agent", "consideration",
                     strategy="payment" if pay else "empathy", replies_to=f"{j}a")]
        if ok:
            rows.append(msg(f"{j}c", j, at(i, 2), "customer", "decision"))
        outs[j] = (True, at(i, 3), 100.0) if ok else (False, None, None)
    for j in open_ids:  # still open: a price objection, unresolved, no outcome yet
        rows += [msg(f"{j}a", j, at(40), "customer", "consideration", objection="price"),
                 msg(f"{j}b", j, at(40, 1), "agent", "consideration", strategy="empathy",
                     replies_to=f"{j}a")]
    return tags(*rows), outcomes(**outs)


def test_reports_playbook_names_the_best_reply_with_interval_and_comparison():
    t, o = _objections(20, 16, 20, 4)
    df = playbook_report(t, o)
    assert list(df.columns) == COLUMNS
    rule = df[(df["kind"] == "reply") & (df["stage"] == "consideration")].iloc[0]
    assert rule["action"] == "payment" and rule["successes"] == 16 and rule["cases"] == 20
    assert rule["rate_lo"] < 0.8 < rule["rate_hi"] and rule["q_value"] < 0.05
    assert bool(rule["enough_data"])
    assert rule["rule"].startswith("answer price objections at consideration with payment: 80%")
    assert "vs 20% for empathy" in rule["rule"]


def test_reports_playbook_says_not_enough_data_when_the_interval_is_wide():
    t, o = _objections(4, 3, 4, 1)
    df = playbook_report(t, o)
    rule = df[df["kind"] == "reply"].iloc[0]
    assert not bool(rule["enough_data"]) and rule["rule"].endswith(f"({NOT_ENOUGH})")


def test_reports_playbook_next_action_for_an_open_journey():
    t, o = _objections(20, 16, 20, 4, open_ids=("OPEN1",))
    acts = next_actions(t, o, journeys=["OPEN1", "J00"])
    first = acts.set_index("journey_id").loc["OPEN1"]
    assert first["open_objection"] == "price" and first["suggested_reply"] == "payment"
    assert "answer the price objection with payment" in first["next_action"]
    # J00's objection was resolved (it reached decision): nothing pending
    assert acts.set_index("journey_id").loc["J00", "open_objection"] is not None
    assert acts.set_index("journey_id")["open_objection"].isna().loc["J00"]
