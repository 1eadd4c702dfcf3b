"""Score open journeys: who is likely to convert within the horizon, why, and what it is worth.

Definitions (also in docs/predict.md):

- **as_of**: the scoring time; default the last timestamp in the data.
- **closed** journey: converted (per the outcomes), or not converted and silent (no message or
  event) for at least ``cold_after_days`` before ``as_of``. **Open**: every other journey with a
  dated message.
- **snapshot**: a closed journey seen at ``cut = start + d`` for each ``d`` in
  ``predict.snapshot_days`` (start = its first message), kept when the journey was still open at
  the cut (not yet converted, activity within ``cold_after_days`` before it) and ``cut < as_of``.
  Features come only from messages and events up to the cut (:mod:`mining.leads.features`).
- **label**: the journey converted in ``(cut, cut + horizon_days]``. Converted journeys without
  ``converted_at`` cannot be placed in time and are left out of training.
- **out-of-time validation**: journeys whose start is before the ``train_share`` quantile of
  training journeys' starts train the model, later ones test it. The model that scores the open
  journeys is then refitted on every closed journey.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mining.background import Background
from mining.config import ReportSettings, Settings
from mining.errors import Errors, InputError, JourneymineError, Warnings
from mining.leads import features as feats
from mining.leads import model as lm
from mining.reports import _data
from mining.reports.playbook import next_actions
from mining.reports.replies import derive_replies_to

SCORE_COLUMNS = [
    "journey_id", "probability", "expected_value", "stage", "days_since_customer_message",
    "days_since_start", "last_activity", "reason_1", "reason_2", "reason_3",
]


@dataclass
class LeadScores:
    """What :func:`predict_leads` returns.

    Attributes:
        scores: One row per open journey (:data:`SCORE_COLUMNS`), most likely first.
        meta: Settings, counts, split, metrics of the model and both baselines, calibration.
        model: The :class:`~mining.leads.model.LeadScorer` fitted on every closed journey.
        features: Feature matrix of the open journeys (index ``journey_id``).
    """

    scores: pd.DataFrame
    meta: dict[str, Any]
    model: Any = None
    features: Any = field(default=None, repr=False)


def journey_status(j: pd.DataFrame, as_of: Any, cold_after_days: float) -> pd.Series:
    """``"converted"``, ``"cold"`` or ``"open"`` for every journey of ``_data.journeys``."""
    cold = j["last_activity"] <= as_of - pd.Timedelta(days=cold_after_days)
    status = np.where(j["converted"], "converted", np.where(cold.fillna(True), "cold", "open"))
    return pd.Series(status, index=j.index, dtype="string")


def training_snapshots(j: pd.DataFrame, status: pd.Series, as_of: Any,
                       days: list[float]) -> pd.DataFrame:
    """Candidate snapshots of closed journeys (before the open-at-cut check on features)."""
    closed = j[(status != "open") & j["first_ts"].notna()]
    closed = closed[~(closed["converted"] & closed["converted_at"].isna())]
    if closed.empty or not len(days):
        return pd.DataFrame([], columns=["journey_id", "cut", "converted_at"])
    # journey by journey, each journey's days in order (one row per journey and day)
    k = len(days)
    offsets = pd.TimedeltaIndex([pd.Timedelta(days=d) for d in days])
    start = pd.DatetimeIndex(closed["first_ts"]).repeat(k)
    s = pd.DataFrame({
        "journey_id": np.repeat(closed.index.to_numpy(dtype=object), k),
        "cut": pd.to_datetime(start + np.tile(offsets, len(closed)), utc=True),
        "converted_at": pd.to_datetime(pd.DatetimeIndex(closed["converted_at"]).repeat(k),
                                       utc=True),
    })
    keep = (s["cut"] < as_of) & ~(s["converted_at"] <= s["cut"]).fillna(False)
    return s[keep].reset_index(drop=True)


def _label(s: pd.DataFrame, horizon_days: float) -> np.ndarray:
    end = s["cut"] + pd.Timedelta(days=horizon_days)
    return ((s["converted_at"] > s["cut"]) & (s["converted_at"] <= end)).fillna(False) \
        .to_numpy(dtype=int)


def _prepare(tags: pd.DataFrame, outcomes: Any, events: Any) -> tuple:
    t = _data.prepare_tags(tags)
    if t["timestamp"].notna().sum() == 0:
        raise InputError(Errors.E612)
    if t["replies_to"].notna().sum() == 0:
        t["replies_to"] = derive_replies_to(t)
    o = _data.prepare_outcomes(outcomes, t)
    ev = _data.prepare_events(events)
    j = _data.journeys(t, o, ev)
    return t, o, ev, j


def predict_leads(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    settings: Any = None,
    *,
    as_of: Any = None,
) -> LeadScores:
    """Fit on closed journeys, validate out of time, score the open journeys.

    Args:
        tags: The tags table (``mining.schema.TAGS``).
        outcomes: The outcomes table (``converted``, ``converted_at``, ``value``).
        events: The events table or None.
        settings: ``mining.config.Settings`` (its ``reports`` and ``predict`` sections) or None.
        as_of: Scoring time (default: the end of the data).

    Returns:
        The :class:`LeadScores`.

    Raises:
        InputError: [E612] when no message has a timestamp; [E610] when no closed journey can
            be learned from; [E611] when every training snapshot has the same label.
    """
    settings = settings if isinstance(settings, Settings) else Settings()
    rep, cfg = settings.reports, settings.predict
    t, o, ev, j = _prepare(tags, outcomes, events)
    as_of = _data.resolve_as_of(as_of, t, ev, o)
    t, o, ev, j = _as_known_at(t, o, ev, as_of)
    status = journey_status(j, as_of, rep.cold_after_days)
    vocab = feats.vocabulary(t, ev)
    snaps = training_snapshots(j, status, as_of, cfg.snapshot_days)
    if len(snaps):
        X = feats.snapshot_features(t, ev, snaps, vocab, followup_days=rep.followup_days,
                                    stages=cfg.stage_features)
        alive = (X["days_since_activity"] <= rep.cold_after_days).to_numpy()
        snaps, X = snaps[alive].reset_index(drop=True), X[alive].reset_index(drop=True)
    if not len(snaps):
        n_closed = int((status != "open").sum())
        raise InputError(Errors.E610.format(
            detail=f"{n_closed} closed of {len(j)} journeys, none with a dated snapshot"
            if n_closed else f"all {len(j)} journeys are still open", cold=rep.cold_after_days))
    y = _label(snaps, cfg.horizon_days)
    if len(np.unique(y)) < 2:
        raise InputError(Errors.E611.format(
            snapshots=len(y), journeys=snaps["journey_id"].nunique(),
            label="converted" if y[0] else "not converted", horizon=cfg.horizon_days))
    per_class = [snaps.loc[y == c, "journey_id"].nunique() for c in (1, 0)]
    if min(per_class) < 2:
        raise InputError(Errors.E613.format(converted=per_class[0], other=per_class[1],
                                            horizon=cfg.horizon_days))
    log = logging.getLogger("mining.leads")
    validation, final = _validate_and_fit(snaps, X, y, j, cfg)
    if validation.get("skipped"):
        log.warning(Warnings.W610.format(detail=validation["skipped"]))
    reference = np.nanmedian(np.where(np.isfinite(X.to_numpy()), X.to_numpy(), np.nan), axis=0)
    typical_value = _typical_value(o, j, status)
    open_ids = j.index[status == "open"]
    if not len(open_ids):
        log.warning(Warnings.W611.format(as_of=as_of.isoformat(), cold=rep.cold_after_days))
    scores, Xo = _score_open(t, ev, j, open_ids, as_of, vocab, final, reference, typical_value,
                             settings)
    meta = {
        "as_of": as_of.isoformat(), "settings": {"predict": cfg.model_dump(mode="json"),
                                                 "reports": rep.model_dump(mode="json")},
        "journeys": {k: int(v) for k, v in status.value_counts().items()},
        "training": {"snapshots": int(len(y)), "positives": int(y.sum()),
                     "journeys": int(snaps["journey_id"].nunique())},
        "typical_value": typical_value, "features": list(X.columns),
        "validation": validation,
    }
    return LeadScores(scores=scores, meta=meta, model=final, features=Xo)


def _validate_and_fit(snaps: pd.DataFrame, X: pd.DataFrame, y: np.ndarray, j: pd.DataFrame,
                      cfg: Any) -> tuple[dict[str, Any], lm.LeadScorer]:
    """The out-of-time validation and the final model, fitted side by side on two threads.

    They are independent and each fit is seeded (same models as one after the other); the
    trees' Cython code releases the GIL, so the second core does half the work.
    """
    validation = Background(validate_out_of_time, snaps, X, y, j, cfg)
    final = _scorer(cfg).fit(X.to_numpy(), y, groups=snaps["journey_id"].to_numpy())
    return validation.result(), final


def _scorer(cfg: Any) -> lm.LeadScorer:
    """An unfitted :class:`~mining.leads.model.LeadScorer` with the settings' parameters."""
    return lm.LeadScorer(calibration=cfg.calibration, max_iter=cfg.max_iter,
                         random_state=cfg.seed)


def validate_out_of_time(snaps: pd.DataFrame, X: pd.DataFrame, y: np.ndarray,
                         j: pd.DataFrame, cfg: Any) -> dict[str, Any]:
    """Train on the older journeys, test on the newer ones; the model against two baselines.

    Args:
        snaps: Training snapshots (``journey_id``, ``cut``).
        X: Their features.
        y: Their labels.
        j: The journey table (``first_ts``).
        cfg: ``PredictSettings``.

    Returns:
        ``{"split_start", "train", "test", "model", "base_rate", "recency", "calibration"}``, or
        ``{"skipped": reason}`` when the newer journeys hold one class only.
    """
    start = snaps["journey_id"].map(j["first_ts"])
    starts = j.loc[snaps["journey_id"].unique(), "first_ts"].sort_values()
    split = starts.iloc[min(len(starts) - 1, int(len(starts) * cfg.train_share))]
    train = (start < split).to_numpy()
    test = ~train
    jid = snaps["journey_id"].to_numpy()
    if min(len(np.unique(jid[train & (y == c)])) for c in (0, 1)) < 2 or \
            len(np.unique(y[test])) < 2:
        return {"skipped": f"the journeys before and after {split.isoformat()} must each hold "
                           "converted and unconverted snapshots"}
    Xa = X.to_numpy()
    scorer = _scorer(cfg).fit(Xa[train], y[train], groups=snaps["journey_id"].to_numpy()[train])
    p = scorer.predict_proba(Xa[test])[:, 1]
    rec = lm.RecencyBaseline(column=list(X.columns).index("days_since_customer")) \
        .fit(Xa[train], y[train])
    p_rec = rec.predict_proba(Xa[test])[:, 1]
    p_base = np.full(int(test.sum()), y[train].mean())
    return {
        "split_start": split.isoformat(),
        "train": {"snapshots": int(train.sum()), "positives": int(y[train].sum()),
                  "journeys": int(snaps["journey_id"][train].nunique())},
        "test": {"snapshots": int(test.sum()), "positives": int(y[test].sum()),
                 "journeys": int(snaps["journey_id"][test].nunique())},
        "model": lm.metrics(y[test], p), "base_rate": lm.metrics(y[test], p_base),
        "recency": lm.metrics(y[test], p_rec),
        "calibration": lm.calibration_table(y[test], p),
    }


def _as_known_at(t: pd.DataFrame, o: pd.DataFrame, ev: pd.DataFrame, as_of: Any) -> tuple:
    """The data as it was known at ``as_of``: later messages, events and conversions removed."""
    t = t[~(t["timestamp"] > as_of).fillna(False).astype(bool)].reset_index(drop=True)
    ev = ev[~(ev["timestamp"] > as_of).fillna(False).astype(bool)].reset_index(drop=True)
    o = o.copy()
    later = (o["converted_at"] > as_of).fillna(False).astype(bool)
    o.loc[later, "converted"] = False
    o.loc[later, "converted_at"] = pd.NaT
    o.loc[later, "value"] = np.nan
    return t, o, ev, _data.journeys(t, o, ev)



def _typical_value(o: pd.DataFrame, j: pd.DataFrame, status: pd.Series) -> float | None:
    """Mean ``value`` of the converted journeys that have one (None when none has)."""
    conv = o.reindex(j.index[status == "converted"])
    v = conv["value"].dropna()
    v = v[v > 0]
    return round(float(v.mean()), 2) if len(v) else None


def _score_open(t: pd.DataFrame, ev: pd.DataFrame, j: pd.DataFrame, open_ids: Any, as_of: Any,
                vocab: dict, model: Any, reference: np.ndarray, typical_value: float | None,
                settings: Any) -> tuple:
    if not len(open_ids):
        return _data.empty_report(SCORE_COLUMNS), None
    snaps = pd.DataFrame({"journey_id": list(open_ids), "cut": as_of})
    snaps["cut"] = pd.to_datetime(snaps["cut"], utc=True)
    X = feats.snapshot_features(t, ev, snaps, vocab, followup_days=settings.reports.followup_days,
                                stages=settings.predict.stage_features)
    p = model.predict_proba(X.to_numpy())[:, 1]
    contrib = lm.local_contributions(model, X.to_numpy(), reference)
    reasons = [_reasons(X.iloc[i], contrib[i], settings.predict.top_reasons)
               for i in range(len(X))]
    out = pd.DataFrame({
        "journey_id": snaps["journey_id"].astype("string"),
        "probability": np.round(p, 4),
        "expected_value": np.round(p * typical_value, 2) if typical_value else np.nan,
        "stage": j.loc[open_ids, "last_stage"].to_numpy(),
        "days_since_customer_message": np.round(X["days_since_customer"].to_numpy(), 2),
        "days_since_start": np.round(X["age_days"].to_numpy(), 2),
        "last_activity": j.loc[open_ids, "last_activity"].to_numpy(),
    })
    for k in range(3):
        out[f"reason_{k + 1}"] = [r[k] if k < len(r) else "" for r in reasons]
    X.index = out["journey_id"].to_numpy()
    order = np.argsort(-out["probability"].to_numpy(), kind="mergesort")
    return out.iloc[order].reset_index(drop=True)[SCORE_COLUMNS], X.iloc[order]


def _reasons(x: pd.Series, contrib: np.ndarray, top: int) -> list[str]:
    """The ``top`` features that move this journey's probability most, as readable text."""
    order = np.argsort(-np.abs(contrib), kind="mergesort")
    out = []
    for f in order[:top]:
        if abs(contrib[f]) < 0.005:
            break
        v = x.iloc[f]
        shown = "unknown" if v != v else (f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}")
        out.append(f"{feats.feature_label(x.index[f])} = {shown} "
                   f"({contrib[f] * 100:+.0f} pts)")
    return out


LEADS_COLUMNS = SCORE_COLUMNS + ["open_objection", "objection_stage", "suggested_reply",
                                 "suggested_reply_evidence", "suggested_cadence", "next_action"]
COLUMNS = LEADS_COLUMNS  # the report's columns (every report module has COLUMNS)


def leads_report(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    settings: Any = None,
    *,
    as_of: Any = None,
    rules: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The open journeys most worth a call today: scores with their next best action.

    The report form of :func:`predict_leads` (``journeymine report leads``, the HTML playbook):
    when no model can be fitted (no closed journey, one class only, no timestamps) it returns no
    rows, and ``attrs["note"]`` says why, instead of failing the whole run.

    Args:
        tags: The tags table.
        outcomes: The outcomes table.
        events: The events table or None.
        messages: Unused (same signature as every report).
        settings: ``Settings`` or None.
        as_of: Scoring time (default: the end of the data).
        rules: The playbook report of the same inputs and ``as_of``, when already computed
            (``run_reports`` passes it); None computes it.

    Returns:
        A DataFrame with :data:`LEADS_COLUMNS`, most likely to convert first.
    """
    if isinstance(settings, ReportSettings):
        settings = Settings(reports=settings)
    if _data.prepare_tags(tags).empty:
        return _data.empty_report(LEADS_COLUMNS)
    try:
        res = predict_leads(tags, outcomes, events, settings, as_of=as_of)
    except JourneymineError as err:
        out = _data.empty_report(LEADS_COLUMNS)
        out.attrs["note"] = str(err)
        return out
    if res.scores.empty:
        return _data.empty_report(LEADS_COLUMNS)
    acts = next_actions(tags, outcomes, events, settings, journeys=res.scores["journey_id"],
                        as_of=as_of, rules=rules)
    out = res.scores.merge(acts, on="journey_id", how="left")[LEADS_COLUMNS]
    out.attrs["validation"] = res.meta["validation"]
    return out
