"""Small aggregations of the tags table that the HTML report draws.

These are descriptive views (counts and conversion shares per stage), computed straight from the
tags and outcomes so the report can show them even when a statistical report is empty. The
statistics with intervals and tests live in the report modules beside this one.
"""

from __future__ import annotations

import pandas as pd

from mining.reports import _data

#: Columns of the objection views.
COLUMNS = ["stage", "category", "journeys", "converted_share", "others_share", "impact"]

def stage_order(tags: pd.DataFrame, stages: list[str] | None = None) -> list[str]:
    """Return the stages present in ``tags`` in journey order.

    Args:
        tags: The tags table (needs ``stage``; ``journey_id`` helps order labels the taxonomy
            does not have).
        stages: The taxonomy's stage names in order (None: the packaged taxonomy's, see
            :func:`mining.reports._data.stage_order`).

    Returns:
        Stage names: the taxonomy's in its order, then other labels by median position.
    """
    present = {str(s) for s in tags["stage"].dropna().unique().tolist() if str(s)}
    order = list(stages) if stages else []
    order += [s for s in _data.stage_order(tags) if s not in order]
    return [s for s in order if s in present]


def journey_outcomes(tags: pd.DataFrame, outcomes: pd.DataFrame | None) -> pd.Series:
    """Return converted (bool) per journey of ``tags``; journeys without an outcome count as False.

    Args:
        tags: The tags table.
        outcomes: The outcomes table (``journey_id``, ``converted``), or None.

    Returns:
        A boolean Series indexed by journey_id.
    """
    journeys = pd.Index(tags["journey_id"].dropna().unique(), name="journey_id")
    if outcomes is None or outcomes.empty or "converted" not in outcomes:
        return pd.Series(False, index=journeys, dtype=bool)
    conv = outcomes.assign(converted=outcomes["converted"].fillna(False).astype(bool))
    conv = conv.groupby("journey_id")["converted"].any()
    return conv.reindex(journeys, fill_value=False).astype(bool)


def objections_by_stage(tags: pd.DataFrame, outcomes: pd.DataFrame | None) -> pd.DataFrame:
    """Count journeys raising each objection category at each stage, with conversion shares.

    Args:
        tags: The tags table.
        outcomes: The outcomes table, or None.

    Returns:
        Columns ``stage``, ``category``, ``journeys`` (raising it there), ``converted_share``
        (share of those journeys that converted), ``others_share`` (share converted among the
        other journeys that reached the stage) and ``impact`` (the difference, in points 0-1).
    """
    conv = journey_outcomes(tags, outcomes)
    obj = tags[tags["is_objection"].fillna(False).astype(bool)]
    cat = obj["objection_category"].fillna(obj["objection_theme"]).fillna("(unassigned)")
    obj = obj.assign(category=cat.astype(str))
    rows = []
    at_stage = tags.groupby("stage")["journey_id"].unique()
    for (stage, category), grp in obj.groupby(["stage", "category"]):
        raised = set(grp["journey_id"].dropna())
        reached = set(at_stage.get(stage, []))
        others = list(reached - raised)
        share = float(conv.reindex(list(raised)).mean()) if raised else float("nan")
        other_share = float(conv.reindex(others).mean()) if others else float("nan")
        rows.append(
            {
                "stage": stage,
                "category": category,
                "journeys": len(raised),
                "converted_share": share,
                "others_share": other_share,
                "impact": share - other_share,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def intents_by_stage(tags: pd.DataFrame, outcomes: pd.DataFrame | None) -> pd.DataFrame:
    """Count journeys expressing each intent theme at each stage, with their conversion share.

    Args:
        tags: The tags table.
        outcomes: The outcomes table, or None.

    Returns:
        Columns ``stage``, ``intent``, ``journeys``, ``converted_share``.
    """
    conv = journey_outcomes(tags, outcomes)
    it = tags.dropna(subset=["intent_theme"])
    it = it[it["intent_theme"].astype(str).str.len() > 0]
    keys = ["stage", "intent_theme"]
    groups = it.groupby(keys).size().index  # every (stage, intent) in order, as grouped
    # each group's distinct journeys (a journey counts once per group) and their outcome
    once = it.loc[it["journey_id"].notna(), keys + ["journey_id"]].drop_duplicates()
    once = once.assign(_conv=once["journey_id"].map(conv).astype(float))
    per = once.groupby(keys)["_conv"].agg(["size", "mean"]).reindex(groups)
    rows = [
        {
            "stage": stage,
            "intent": str(intent),
            "journeys": int(n) if n == n else 0,
            "converted_share": float(share) if n == n else float("nan"),
        }
        for (stage, intent), n, share in zip(groups, per["size"], per["mean"], strict=True)
    ]
    return pd.DataFrame(rows, columns=["stage", "intent", "journeys", "converted_share"])


def stage_paths(
    tags: pd.DataFrame, outcomes: pd.DataFrame | None, max_steps: int = 5
) -> pd.DataFrame:
    """Return the stage sequence of each journey (repeats collapsed) and its outcome.

    Args:
        tags: The tags table.
        outcomes: The outcomes table, or None.
        max_steps: Keep at most this many stages per journey (the rest is cut).

    Returns:
        Columns ``journey_id``, ``steps`` (tuple of stage names), ``converted``.
    """
    conv = journey_outcomes(tags, outcomes)
    t = tags.dropna(subset=["stage"]).reset_index(drop=True)
    t = t.assign(_row=range(len(t))).sort_values(
        ["journey_id", "timestamp", "_row"], na_position="last"
    )
    t = t[t["journey_id"].notna()]
    paths: dict = {}  # journey -> its stages, repeats collapsed; journeys in order of appearance
    for jid, s in zip(t["journey_id"].tolist(), t["stage"].astype(str).tolist(), strict=True):
        steps = paths.setdefault(jid, [])
        if not steps or steps[-1] != s:
            steps.append(s)
    rows = [
        {"journey_id": jid, "steps": tuple(steps[:max_steps]),
         "converted": bool(conv.get(jid, False))}
        for jid, steps in paths.items()
    ]
    return pd.DataFrame(rows, columns=["journey_id", "steps", "converted"])


def objection_view(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    reports: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Objection categories per stage, from the objections report when it is there.

    The objections report (``level == "category"`` rows) carries the same figures with
    intervals and tests; using it keeps the page consistent with ``reports/objections.csv``.
    Without it, :func:`objections_by_stage` computes them from the tags.

    Args:
        tags: The tags table.
        outcomes: The outcomes table, or None.
        reports: Report name -> DataFrame, or None.

    Returns:
        Columns of :func:`objections_by_stage`, plus ``q_value`` (Benjamini-Hochberg) when the
        objections report supplies it.
    """
    rep = (reports or {}).get("objections")
    need = {"level", "objection", "stage", "journeys", "conv_with", "conv_without"}
    if rep is None or rep.empty or not need <= set(rep.columns):
        return objections_by_stage(tags, outcomes)
    rep = rep[
        (rep["level"].astype(str) == "category") & ~rep["stage"].astype(str).str.startswith("(")
    ]
    with_ = rep["conv_with"].astype(float)
    without = rep["conv_without"].astype(float)
    return rep.assign(
        category=rep["objection"].astype(str),
        journeys=rep["journeys"].astype(int),
        converted_share=with_,
        others_share=without,
        impact=with_ - without,
        q_value=rep["q_value"].astype(float) if "q_value" in rep else float("nan"),
    )[COLUMNS + ["q_value"]].reset_index(drop=True)
