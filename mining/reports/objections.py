"""Objections by stage: which objections appear where, and how the journeys that raise them convert.

One row per (level, objection, stage), where level is ``category`` (the taxonomy category,
``objection_category``) or ``theme`` (the discovered theme, ``objection_theme``) and stage is a
journey stage or ``(any)``. An objection is a customer message with ``is_objection`` true; its stage
is the stage tagged on that message. Definitions (also in docs/reports.md):

- ``journeys_at_stage``: journeys with at least one message (any role) tagged with that stage
  (for ``(any)``: all journeys).
- ``journeys``: of those, journeys with at least one customer message raising this objection at
  that stage; ``messages`` counts those messages.
- ``conv_with``: share of ``journeys`` that converted; ``conv_without``: share of the other
  ``journeys_at_stage`` (at the stage, did not raise it there) that converted. Both with Wilson
  intervals; ``lift = conv_with / conv_without``; ``p_value``: two-sided Fisher exact test of the
  2x2 table; ``q_value``: Benjamini-Hochberg over every row of the report.
- ``median_days_to_convert``: median days from a journey's first message to ``converted_at`` over
  the converted journeys that raised it.
- ``low_support``: ``journeys < min_support``. Such rows are kept, never hidden.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mining.reports import _data, stats

ANY_STAGE = "(any)"

COLUMNS = [
    "level", "objection", "category", "stage", "messages", "journeys", "journeys_at_stage",
    "share_of_stage", "conv_with", "conv_with_lo", "conv_with_hi", "conv_without",
    "conv_without_lo", "conv_without_hi", "lift", "p_value", "q_value", "median_days_to_convert",
    "low_support", "example_1", "example_2",
]


def _row(
    level: str, key: str, stage: str, grp: dict, base: np.ndarray, j: dict, texts,
    base_converted: int,
) -> dict:
    """Counts of one (level, objection, stage) row, before rates and tests.

    Args:
        level: ``"category"`` or ``"theme"``.
        key: The objection (category or theme).
        stage: The stage, or :data:`ANY_STAGE`.
        grp: The objection messages of this row, in example order: ``"journey"`` (position of
            the journey in ``j``) and ``"message_id"`` arrays, ``"category"`` (their
            ``objection_category`` Series).
        base: Boolean mask over the journeys of ``j``: those at this stage.
        j: One entry per journey, by position: ``"converted"`` (bool array) and
            ``"days_to_convert"`` (float array).
        texts: Message id -> redacted text, for examples.
        base_converted: Converted journeys in ``base`` (the conversions of the journeys without
            the objection are that count less the raised ones in ``base``).

    Returns:
        The row, with helper counts ``_k1``, ``_n2``, ``_k2``.
    """
    converted = j["converted"]
    raised = np.unique(grp["journey"])
    in_base = raised[base[raised]]
    n_rest = int(base.sum()) - len(in_base)
    k1 = int(converted[raised].sum())
    k2 = 0 if not n_rest else base_converted - int(converted[in_base].sum())
    days = j["days_to_convert"][raised[converted[raised]]]
    days = days[~np.isnan(days)]
    cats = grp["category"].dropna()
    ex = _data.pick_examples(grp["message_id"], texts)
    return {
        "level": level, "objection": key,
        "category": str(cats.mode().iloc[0]) if len(cats) else pd.NA,
        "stage": stage, "messages": len(grp["message_id"]), "journeys": len(raised),
        "journeys_at_stage": int(base.sum()), "_k1": k1, "_n2": n_rest, "_k2": k2,
        "median_days_to_convert": float(pd.Series(days).median()) if len(days) else np.nan,
        "example_1": ex[0], "example_2": ex[1],
    }


def _add_rates(df: pd.DataFrame, cfg) -> None:
    """Add shares, conversion rates with intervals, lift and tests to the rows, in place.

    Args:
        df: The rows from :func:`_row`.
        cfg: ``ReportSettings`` (``confidence``, ``min_support``).
    """
    df["share_of_stage"] = stats.rate(df["journeys"], df["journeys_at_stage"])
    df["conv_with"] = stats.rate(df["_k1"], df["journeys"])
    df["conv_with_lo"], df["conv_with_hi"] = stats.wilson_interval(df["_k1"], df["journeys"],
                                                                   cfg.confidence)
    df["conv_without"] = stats.rate(df["_k2"], df["_n2"])
    df["conv_without_lo"], df["conv_without_hi"] = stats.wilson_interval(df["_k2"], df["_n2"],
                                                                         cfg.confidence)
    df["lift"] = stats.lift(df["conv_with"], df["conv_without"])
    df["p_value"] = stats.fisher_exact_many(df["_k1"], df["journeys"], df["_k2"], df["_n2"])
    df["q_value"] = stats.bh_qvalues(df["p_value"])
    df["low_support"] = df["journeys"] < cfg.min_support


def _journey_mask(journeys: pd.Index, ids: pd.Series) -> np.ndarray:
    """Boolean mask over ``journeys``: True for the journeys named in ``ids``."""
    mask = np.zeros(len(journeys), dtype=bool)
    pos = journeys.get_indexer(pd.unique(ids.to_numpy(dtype=object)))
    mask[pos[pos >= 0]] = True
    return mask


def _groups(keys: pd.Series, pos: np.ndarray):
    """``(key, positions)`` per distinct key in sorted key order, positions in their given order.

    The same groups, in the same order, as ``frame.groupby(keys, sort=True)`` would give, without
    slicing a frame per group.
    """
    if not len(keys):
        return []
    keys = keys.reset_index(drop=True)
    gb = keys.groupby(keys, sort=True)
    codes = gb.ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return zip(gb.size().index, np.split(pos[order], bounds), strict=True)


def objections_by_stage(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    settings=None,
    *,
    levels: tuple[str, ...] = ("category", "theme"),
) -> pd.DataFrame:
    """Objections per category and theme × stage, joined to conversion outcomes.

    Args:
        tags: The tags table (``mining.schema.TAGS``).
        outcomes: The outcomes table (``mining.schema.OUTCOMES``); missing journeys did not convert.
        events: Unused (accepted so every report has the same signature).
        messages: Optional messages table; its ``clean_text`` (redacted) gives two example quotes
            per row (default: a ``clean_text`` column of the tags, if any). The raw ``text``
            column is never read.
        settings: ``Settings``/``ReportSettings`` (``confidence``, ``min_support``) or None.
        levels: Which groupings to report: ``"category"`` and/or ``"theme"``.

    Returns:
        A DataFrame with :data:`COLUMNS`, one row per (level, objection, stage) that occurs
        (no rows when nothing occurs or the tags are empty).
    """
    cfg = _data.report_settings(settings)
    t = _data.prepare_tags(tags)
    if t.empty:  # no messages (every record rejected, an empty tags file)
        return _data.empty_report(COLUMNS)
    order = _data.stage_order(t, settings)
    j = _data.journeys(t, _data.prepare_outcomes(outcomes, t), order=order)
    texts = _data.quotes(messages if messages is not None else tags)
    jpos = pd.Index(j.index)
    at_stage = {s: _journey_mask(jpos, t.loc[t["stage"] == s, "journey_id"]) for s in order}
    at_stage[ANY_STAGE] = np.ones(len(jpos), dtype=bool)
    obj = t[(t["role"] == "customer") & t["is_objection"]].copy()
    if "objection_probability" in obj:
        obj = obj.sort_values("objection_probability", ascending=False, kind="mergesort",
                              na_position="last")
    conv = j["converted"].to_numpy(dtype=bool)
    jd = {"converted": conv, "days_to_convert": j["days_to_convert"].to_numpy(dtype=float)}
    base_converted = {s: int(conv[b].sum()) for s, b in at_stage.items()}
    rows = []
    for level in levels:
        col = {"category": "objection_category", "theme": "objection_theme"}[level]
        sub = obj[obj[col].notna()]
        journey = jpos.get_indexer(sub["journey_id"])
        mids, cats = sub["message_id"].to_numpy(dtype=object), sub["objection_category"]
        stages = sub["stage"]
        for stage in order + [ANY_STAGE]:
            here = np.arange(len(sub)) if stage == ANY_STAGE else \
                np.flatnonzero((stages == stage).fillna(False).to_numpy(dtype=bool))
            for key, pos in _groups(sub[col].iloc[here], here):
                grp = {"journey": journey[pos], "message_id": mids[pos],
                       "category": cats.iloc[pos]}
                rows.append(_row(level, str(key), stage, grp, at_stage[stage], jd, texts,
                                 base_converted[stage]))
    if not rows:
        return _data.empty_report(COLUMNS)
    df = pd.DataFrame(rows)
    _add_rates(df, cfg)
    rank = {s: i for i, s in enumerate(order + [ANY_STAGE])}
    df["_stage_rank"] = df["stage"].map(rank)
    df = df.sort_values(["level", "_stage_rank", "journeys", "objection"],
                        ascending=[True, True, False, True], kind="mergesort")
    out = df[COLUMNS].reset_index(drop=True)
    for c in ("level", "objection", "category", "stage", "example_1", "example_2"):
        out[c] = out[c].astype("string")
    for c in ("messages", "journeys", "journeys_at_stage"):
        out[c] = out[c].astype("int64")
    return out
