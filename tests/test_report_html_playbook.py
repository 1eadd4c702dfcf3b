"""The Playbook section of report.html: rules with evidence, open leads, escaping, privacy."""

from __future__ import annotations

import pandas as pd

from mining.reports.html_playbook import playbook_section, short_id
from mining.reports.playbook import COLUMNS


def _rules() -> pd.DataFrame:
    rows = [
        {"kind": "reply", "objection_category": "price", "stage": "decision",
         "action": "payment", "successes": 20, "cases": 30, "rate": 0.667, "rate_lo": 0.49,
         "rate_hi": 0.81, "q_value": 0.003, "enough_data": True,
         "rule": "answer price objections at decision with payment: 67% [49%-81%] of 30 "
                 "resolved vs 13% for <empathy>"},
        {"kind": "reply", "objection_category": "trust", "stage": "awareness",
         "action": "guarantee", "successes": 2, "cases": 3, "rate": 0.667, "rate_lo": 0.2,
         "rate_hi": 0.94, "q_value": 0.9, "enough_data": False,
         "rule": "answer trust objections ... (not enough data)"},
    ]
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


def _leads() -> pd.DataFrame:
    df = pd.DataFrame([
        {"journey_id": "dana.lee@example.com", "probability": 0.42, "expected_value": 420.0,
         "stage": "decision", "days_since_customer_message": 1.5,
         "reason_1": "objections raised = 1 (+5 pts)", "next_action": "answer with payment"},
        {"journey_id": "visitor-1", "probability": 0.10, "expected_value": 100.0,
         "stage": "awareness", "days_since_customer_message": 9.0, "reason_1": "",
         "next_action": ""},
    ])
    df.attrs["validation"] = {"model": {"roc_auc": 0.81, "ece": 0.02},
                              "recency": {"roc_auc": 0.70}}
    return df


def test_report_html_playbook_shows_supported_rules_and_leads():
    html = playbook_section({"playbook": _rules(), "leads": _leads()})
    assert "<h2>Playbook</h2>" in html
    assert "67% [49%-81%] of 30 resolved vs 13% for &lt;empathy&gt;" in html  # escaped
    assert "trust objections" not in html and "1 more candidate rule" in html
    assert "da…@example.com" in html and "dana.lee" not in html  # ids are shortened
    assert html.index("da…@example.com") < html.index("visitor-1")  # by expected value
    assert "ROC AUC 0.81" in html


def test_report_html_playbook_explains_an_empty_leads_report():
    empty = pd.DataFrame(columns=["journey_id"])
    empty.attrs["note"] = "[E610] No closed journey to learn from"
    html = playbook_section({"playbook": _rules(), "leads": empty})
    assert "No lead to score: [E610]" in html
    assert playbook_section({}) == ""


def test_report_html_playbook_short_id():
    assert short_id("ab@x.org") == "ab…@x.org" and short_id("lead-42") == "lead-42"
