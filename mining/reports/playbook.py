"""The playbook: evidence-backed rules, and the next best action for each open journey.

Definitions (also in docs/reports.md, "Playbook"):

- **reply rules**: for each objection category at each stage (and over all stages, ``stage =
  (any)``), the reply strategy with the highest lower 95% bound of its resolution rate among the
  strategies that answered at least ``min_support`` such objections ("resolved" as in the replies
  report). It is compared with the other classified strategies together (Fisher exact p-value,
  Benjamini-Hochberg q-value over all rules) and named beside the weakest well-supported strategy.
  Objections at the taxonomy's post-conversion stage are left out, as in the replies report.
- **cadence rules**: per first channel, the follow-up bucket (as the cadence report counts
  follow-ups) with the highest lower bound of its conversion rate, against the ``1`` bucket.
- ``enough_data``: the rule's cases reach ``min_support`` and its interval is at most
  :data:`MAX_WIDTH` wide; other rows say "not enough data" and are never recommended.
- **next action** of an open journey: its latest objection that is not resolved yet (no message
  at a later stage since, and not raised again) gets the best reply for that category at that
  stage (falling back to ``(any)`` stage); every open journey gets the best follow-up cadence for
  journeys of its first channel.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from mining import taxonomy
from mining.config import Settings
from mining.reports import _data, stats
from mining.reports.cadence import journey_cadence
from mining.reports.replies import derive_replies_to, resolution_flags

#: Widest 95% interval (in rate points) a rule may have to count as evidence.
MAX_WIDTH = 0.35
ANY_STAGE = "(any)"
NOT_ENOUGH = "not enough data"

COLUMNS = [
    "kind", "objection_category", "stage", "action", "successes", "cases", "rate", "rate_lo",
    "rate_hi", "compared_with", "compared_rate", "compared_cases", "weakest", "weakest_rate",
    "p_value", "q_value", "enough_data", "rule",
]
ACTION_COLUMNS = ["journey_id", "open_objection", "objection_stage", "suggested_reply",
                  "suggested_reply_evidence", "suggested_cadence", "next_action"]


def _post_conversion_stages(settings: Any) -> tuple[str, ...]:
    """The taxonomy's post-conversion stage (objections there cannot be resolved)."""
    folder = settings.tagging.taxonomy_dir if isinstance(settings, Settings) else None
    stage = _post_conversion_stage(str(folder) if folder else None)
    return (stage,) if stage else ()


@functools.lru_cache(maxsize=8)
def _post_conversion_stage(folder: str | None) -> str | None:
    """``post_conversion_stage`` of the stages file of ``folder`` (None: the packaged one).

    A plain YAML read when the file names it; the full, validated taxonomy load otherwise (for a
    file that ``extends`` another).
    """
    path = Path(folder or taxonomy.default_dir()) / "stages.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        data = {}
    if isinstance(data, dict) and "post_conversion_stage" in data:
        return data["post_conversion_stage"]
    return taxonomy.load_taxonomy(folder).stages.post_conversion_stage


def objection_outcomes(t: pd.DataFrame, j: pd.DataFrame, exclude: tuple[str, ...] = ()
                       ) -> pd.DataFrame:
    """One row per customer objection: ``category``, ``stage``, ``strategy``, ``resolved``.

    ``strategy`` is the first classified reply's strategy (NA when unanswered or unclassified).

    Args:
        t: Prepared tags with ``replies_to`` filled in.
        j: Journeys (``_data.journeys``).
        exclude: Stages whose objections are left out.

    Returns:
        The objections with ``message_id``, ``journey_id``, ``timestamp`` as well.
    """
    order = _data.stage_order(t["stage"])
    res = resolution_flags(t, j, order)
    by_id = t.set_index("message_id")
    res["stage"] = res["message_id"].map(by_id["stage"])
    res["timestamp"] = res["message_id"].map(by_id["timestamp"])
    res = res[~res["stage"].isin(list(exclude)).fillna(False).astype(bool)]
    replies = t[(t["role"] == "agent") & t["replies_to"].notna() & t["reply_strategy"].notna()]
    first = replies.groupby("replies_to", sort=False)["reply_strategy"].first()
    res["strategy"] = res["message_id"].map(first)
    return res.reset_index(drop=True)


def _best(cells: pd.DataFrame, min_support: int) -> tuple[Any, Any]:
    """The best and the weakest well-supported strategy rows (by Wilson lower/upper bound)."""
    ok = cells[cells["cases"] >= min_support]
    if ok.empty:
        ok = cells
    best = ok.sort_values(["lo", "rate", "cases"], ascending=False, kind="mergesort").iloc[0]
    weak = ok.sort_values(["hi", "rate"], kind="mergesort").iloc[0]
    return best, (weak if weak["action"] != best["action"] else None)


def reply_rules(obj: pd.DataFrame, min_support: int, confidence: float) -> list[dict]:
    """The best reply per (category, stage) and per category (see the module docstring)."""
    cls = obj[obj["strategy"].notna()].copy()
    rows = []
    for stage_level in (True, False):
        keys = ["category", "stage"] if stage_level else ["category"]
        for key, grp in cls.groupby(keys, sort=True):
            cat = key[0] if isinstance(key, tuple) else key
            stage = key[1] if stage_level else ANY_STAGE
            g = grp.groupby("strategy")["resolved"].agg(["sum", "size"]).reset_index()
            g.columns = ["action", "successes", "cases"]
            g["rate"] = stats.rate(g["successes"], g["cases"])
            g["lo"], g["hi"] = stats.wilson_interval(g["successes"], g["cases"], confidence)
            best, weak = _best(g, min_support)
            k2 = int(g["successes"].sum() - best["successes"])
            n2 = int(g["cases"].sum() - best["cases"])
            rows.append({
                "kind": "reply", "objection_category": cat, "stage": stage,
                "action": best["action"], "successes": int(best["successes"]),
                "cases": int(best["cases"]), "compared_with": "other replies",
                "_k2": k2, "compared_cases": n2,
                "weakest": weak["action"] if weak is not None else pd.NA,
                "weakest_rate": float(weak["rate"]) if weak is not None else np.nan,
                "_weak_lo": float(weak["lo"]) if weak is not None else np.nan,
                "_weak_hi": float(weak["hi"]) if weak is not None else np.nan,
            })
    return rows


def _followup_table(tags: pd.DataFrame, outcomes: Any, events: Any, cfg: Any, as_of: Any,
                    max_followups: int = 3) -> pd.DataFrame:
    """Journeys with a complete follow-up window: ``bucket``, ``first_channel``, ``converted``."""
    t = _data.prepare_tags(tags)
    j = journey_cadence(tags, outcomes, followup_days=cfg.followup_days,
                        definition=cfg.followup_definition)
    end = _data.resolve_as_of(as_of, t, _data.prepare_events(events),
                              _data.prepare_outcomes(outcomes, t))
    done = (j["first_customer_ts"] + pd.Timedelta(days=cfg.followup_days) <= end) | j["converted"]
    j = j[done].copy()
    cust = t[(t["role"] == "customer") & t["timestamp"].notna()]
    j["first_channel"] = cust.groupby("journey_id")["channel"].first().reindex(j.index) \
        .fillna("unknown").astype(str)
    j["bucket"] = j["followups"].clip(upper=max_followups).map(
        lambda n: f"{max_followups}+" if n >= max_followups else str(int(n)))
    return j


def cadence_rules(fj: pd.DataFrame, min_support: int, confidence: float,
                  followup_days: float) -> list[dict]:
    """Per first channel: the follow-up bucket that converted best, against one follow-up."""
    rows = []
    for chan, grp in fj.groupby("first_channel", sort=True):
        g = grp.groupby("bucket")["converted"].agg(["sum", "size"]).reset_index()
        g.columns = ["action", "successes", "cases"]
        g["rate"] = stats.rate(g["successes"], g["cases"])
        g["lo"], g["hi"] = stats.wilson_interval(g["successes"], g["cases"], confidence)
        best, weak = _best(g, min_support)
        ref = g[g["action"] == ("1" if best["action"] != "1" else "0")]
        k2 = int(ref["successes"].sum())
        n2 = int(ref["cases"].sum())
        rows.append({
            "kind": "cadence", "objection_category": pd.NA, "stage": ANY_STAGE,
            "action": f"{best['action']} follow-ups in {followup_days:g} days",
            "successes": int(best["successes"]), "cases": int(best["cases"]),
            "compared_with": f"{ref['action'].iloc[0]} follow-ups ({chan} journeys)"
            if len(ref) else f"({chan} journeys)", "_k2": k2, "compared_cases": n2,
            "weakest": f"{weak['action']} follow-ups" if weak is not None else pd.NA,
            "weakest_rate": float(weak["rate"]) if weak is not None else np.nan,
            "_channel": chan,
        })
    return rows



def playbook_report(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    settings: Any = None,
    *,
    as_of: Any = None,
) -> pd.DataFrame:
    """The playbook's rules: best reply per objection and stage, best cadence per channel.

    Args:
        tags: The tags table.
        outcomes: The outcomes table.
        events: The events table or None (end of the data only).
        messages: Unused (same signature as every report).
        settings: ``Settings`` or ``ReportSettings`` or None.
        as_of: End of observation for complete follow-up windows.

    Returns:
        A DataFrame with :data:`COLUMNS`: reply rules (stage level, then ``(any)``), then
        cadence rules; ``rule`` is the sentence the HTML report shows.
    """
    cfg = _data.report_settings(settings)
    t = _data.prepare_tags(tags)
    if t.empty:
        return _data.empty_report(COLUMNS)
    if t["replies_to"].notna().sum() == 0:
        t["replies_to"] = derive_replies_to(t)
    j = _data.journeys(t, _data.prepare_outcomes(outcomes, t))
    obj = objection_outcomes(t, j, _post_conversion_stages(settings))
    rows = reply_rules(obj, cfg.min_support, cfg.confidence) if len(obj) else []
    if t["timestamp"].notna().any():
        fj = _followup_table(tags, outcomes, events, cfg, as_of)
        rows += cadence_rules(fj, cfg.min_support, cfg.confidence, cfg.followup_days)
    if not rows:
        return _data.empty_report(COLUMNS)
    df = pd.DataFrame(rows)
    df["rate"] = stats.rate(df["successes"], df["cases"])
    df["rate_lo"], df["rate_hi"] = stats.wilson_interval(df["successes"], df["cases"],
                                                         cfg.confidence)
    df["compared_rate"] = stats.rate(df["_k2"], df["compared_cases"])
    df["p_value"] = stats.fisher_exact_many(df["successes"], df["cases"], df["_k2"],
                                            df["compared_cases"])
    df["q_value"] = stats.bh_qvalues(df["p_value"])
    df["enough_data"] = (df["cases"] >= cfg.min_support) & \
        ((df["rate_hi"] - df["rate_lo"]) <= MAX_WIDTH)
    df["rule"] = [_sentence(r) for r in df.to_dict("records")]
    out = df[COLUMNS].reset_index(drop=True)
    for c in ("kind", "objection_category", "stage", "action", "compared_with", "weakest",
              "rule"):
        out[c] = out[c].astype("string")
    return out


def _pct(x: float) -> str:
    return "" if x != x else f"{x:.0%}"


def _sentence(r: dict) -> str:
    """The rule in words, with its interval and comparison (or "not enough data")."""
    ev = f"{_pct(r['rate'])} [{_pct(r['rate_lo'])}-{_pct(r['rate_hi'])}] of {r['cases']}"
    if r["kind"] == "reply":
        where = "" if r["stage"] == ANY_STAGE else f" at {r['stage']}"
        head = f"answer {r['objection_category']} objections{where} with {r['action']}: " \
               f"{ev} resolved"
    else:
        head = f"{r['_channel']} leads: {r['action']}: {ev} converted"
    if not r["enough_data"]:
        return f"{head} ({NOT_ENOUGH})"
    weak = r.get("weakest")
    if isinstance(weak, str) and r.get("weakest_rate") == r.get("weakest_rate"):
        return f"{head} vs {_pct(r['weakest_rate'])} for {weak}"
    return f"{head} vs {_pct(r['compared_rate'])} for {r['compared_with']}"


def next_actions(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    settings: Any = None,
    *,
    journeys: Any = None,
    as_of: Any = None,
    rules: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The next best action for each of ``journeys`` (see the module docstring).

    Args:
        tags: The tags table.
        outcomes: The outcomes table.
        events: The events table or None.
        settings: ``Settings`` or None.
        journeys: The journey ids to advise (the open journeys of ``predict``).
        as_of: End of observation.
        rules: Output of :func:`playbook_report` on the same data (computed when None).

    Returns:
        A DataFrame with :data:`ACTION_COLUMNS`, one row per journey.
    """
    ids = [str(x) for x in (journeys if journeys is not None else [])]
    if not ids:
        return _data.empty_report(ACTION_COLUMNS)
    if rules is None:
        rules = playbook_report(tags, outcomes, events, settings=settings, as_of=as_of)
    t = _data.prepare_tags(tags)
    if t["replies_to"].notna().sum() == 0:
        t["replies_to"] = derive_replies_to(t)
    j = _data.journeys(t, _data.prepare_outcomes(outcomes, t))
    obj = objection_outcomes(t[t["journey_id"].isin(ids)], j.loc[j.index.isin(ids)],
                             _post_conversion_stages(settings))
    pending = obj[~obj["raised_again"] & ~obj["later_stage"]]
    last = pending.sort_values("timestamp", kind="mergesort").groupby("journey_id").last()
    cust = t[(t["role"] == "customer") & t["timestamp"].notna()]
    first_channel = cust.groupby("journey_id")["channel"].first()
    out = pd.DataFrame({"journey_id": pd.Series(ids, dtype="string")})
    out["open_objection"] = out["journey_id"].map(last["category"]).astype("string")
    out["objection_stage"] = out["journey_id"].map(last["stage"]).astype("string")
    advice = [_reply_for(rules, c, s) for c, s in zip(out["open_objection"],
                                                      out["objection_stage"], strict=True)]
    out["suggested_reply"] = pd.Series([a[0] for a in advice], dtype="string")
    out["suggested_reply_evidence"] = pd.Series([a[1] for a in advice], dtype="string")
    cad = rules[(rules["kind"] == "cadence")] if len(rules) else rules
    out["suggested_cadence"] = pd.Series(
        [_cadence_for(cad, first_channel.get(jid)) for jid in out["journey_id"]], dtype="string")
    out["next_action"] = pd.Series(
        [_action_text(r) for r in out.to_dict("records")], dtype="string")
    return out[ACTION_COLUMNS]


def _reply_for(rules: pd.DataFrame, category: Any, stage: Any) -> tuple[Any, str]:
    """Best reply for an objection (stage rule, else the any-stage rule), with its evidence."""
    if not isinstance(category, str) or not len(rules):
        return pd.NA, ""
    cand = rules[(rules["kind"] == "reply") & (rules["objection_category"] == category)]
    for st in (stage, ANY_STAGE):
        hit = cand[(cand["stage"] == st) & cand["enough_data"]]
        if len(hit):
            r = hit.iloc[0]
            return r["action"], str(r["rule"])
    return pd.NA, NOT_ENOUGH


def _cadence_for(cad: pd.DataFrame, channel: Any) -> Any:
    if not len(cad) or not isinstance(channel, str):
        return pd.NA
    hit = cad[cad["rule"].str.startswith(f"{channel} leads:") & cad["enough_data"]]
    return hit.iloc[0]["rule"] if len(hit) else NOT_ENOUGH


def _action_text(r: dict) -> str:
    parts = []
    if isinstance(r["open_objection"], str):
        if isinstance(r["suggested_reply"], str):
            parts.append(f"answer the {r['open_objection']} objection with {r['suggested_reply']}")
        else:
            parts.append(f"resolve the {r['open_objection']} objection ({NOT_ENOUGH} for a "
                         "best reply)")
    cad = r["suggested_cadence"]
    if isinstance(cad, str) and cad != NOT_ENOUGH:
        parts.append("follow up: " + cad.split(": ", 1)[1].split(":")[0])
    return "; ".join(parts)
