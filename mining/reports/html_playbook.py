"""The "Playbook" section of ``report.html``: evidence-backed rules and the leads worth a call.

Reads the ``playbook`` and ``leads`` reports (``mining.reports.playbook``,
``mining.leads.score.leads_report``); everything is HTML-escaped, and journey ids that are e-mail
addresses are shortened (the page is meant to be shared; the full ids are in
``reports/leads.csv``).
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

#: Open journeys listed in the page.
TOP_LEADS = 15


def _e(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) \
        else html.escape(str(value))


def short_id(journey_id: str) -> str:
    """An e-mail address shortened to its first two letters and domain; other ids unchanged."""
    local, at, domain = str(journey_id).partition("@")
    return f"{local[:2]}…@{domain}" if at else str(journey_id)


def _rules(rules: pd.DataFrame | None) -> str:
    if rules is None or not len(rules):
        return '<p class="empty">No rule yet: not enough answered objections or follow-ups.</p>'
    ok = rules[rules["enough_data"].fillna(False).astype(bool)]
    ok = ok.sort_values(["kind", "q_value"], ascending=[False, True], kind="mergesort")
    items = []
    for r in ok.to_dict("records"):
        q = r["q_value"]
        star = "" if q != q else (f" <small>(q = {q:.2g})</small>" if q >= 0.001 else
                                  " <small>(q &lt; 0.001)</small>")
        items.append(f"<li>{_e(r['rule'])}{star}</li>")
    thin = int(len(rules) - len(ok))
    note = (f'<p class="why">{thin} more candidate rule(s) have too little data (fewer cases '
            "than min_support or an interval wider than 35 points); they are in "
            "reports/playbook.csv.</p>") if thin else ""
    if not items:
        return '<p class="empty">No rule has enough data yet.</p>' + note
    return "<ul>" + "".join(items) + "</ul>" + note


def _leads(leads: pd.DataFrame | None) -> str:
    if leads is None:
        return ""
    if not len(leads):
        why = leads.attrs.get("note") or "no open journey (every journey converted or went cold)"
        return f'<p class="empty">No lead to score: {_e(why)}</p>'
    key = "expected_value" if leads["expected_value"].notna().any() else "probability"
    top = leads.sort_values(key, ascending=False, kind="mergesort").head(TOP_LEADS)
    head = ("<tr><th>journey</th><th>chance to convert</th><th>expected value</th><th>stage</th>"
            "<th>days since the customer wrote</th><th>why</th><th>next best action</th></tr>")
    body = []
    for r in top.to_dict("records"):
        ev = r["expected_value"]
        body.append(
            f"<tr><td>{_e(short_id(r['journey_id']))}</td><td>{r['probability']:.0%}</td>"
            f"<td>{'' if ev != ev else f'{ev:,.0f}'}</td><td>{_e(r['stage'])}</td>"
            f"<td>{r['days_since_customer_message']:.1f}</td><td>{_e(r['reason_1'])}</td>"
            f"<td>{_e(r.get('next_action'))}</td></tr>")
    val = leads.attrs.get("validation") or {}
    model = val.get("model") or {}
    quality = ""
    if model.get("roc_auc") is not None:
        quality = (f" Out-of-time check on later journeys: ROC AUC {model['roc_auc']:.2f} "
                   f"(recency alone {val['recency']['roc_auc']:.2f}), calibration error "
                   f"{model['ece']:.3f}.")
    ranked = "expected value (chance × typical deal value)" if key == "expected_value" \
        else "chance"
    return (f'<h3>Open journeys most worth a call today</h3><p class="why">Ranked by {ranked}'
            f"; top {len(top)} of {len(leads)}.{html.escape(quality)} All scores and reasons: "
            "reports/leads.csv, or <code>journeymine predict</code>.</p>"
            f"<table>{head}{''.join(body)}</table>")


def playbook_section(reports: dict[str, Any]) -> str:
    """The whole section, or nothing when neither report is present."""
    if "playbook" not in reports and "leads" not in reports:
        return ""
    return ('<section data-section="playbook"><h2>Playbook</h2><p class="why">What the data says '
            "works, with its 95% interval and the comparison it rests on (q: Benjamini-Hochberg "
            "q-value). Rules come from closed journeys; they are associations, not proof of "
            "cause.</p>" + _rules(reports.get("playbook")) + _leads(reports.get("leads"))
            + "</section>")
