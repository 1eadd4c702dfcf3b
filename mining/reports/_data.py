"""Input preparation shared by the reports: tags, outcomes and events joined per journey.

Every report calls these helpers, so the definitions they encode hold everywhere:

- A journey is a ``journey_id`` of the tags table. Journeys with no outcome row count as not
  converted (value 0); outcome rows for journeys with no tagged message are ignored.
- Duplicate outcome rows of one journey are merged: converted if any row says so, the earliest
  ``converted_at``, the summed ``value``.
- Messages are ordered by timestamp, then by their row order in the tags table (messages without
  a timestamp keep their row order and sort after timed ones of the same journey).
- Stages are ordered as in the stages taxonomy (``mining.taxonomy.stage_order``: the run's
  ``tagging.taxonomy_dir`` when full ``Settings`` are given, else the packaged taxonomy); labels
  the taxonomy does not have sort after its stages, by their median relative position in the
  journeys (alphabetically without journeys); tags whose labels are all outside the taxonomy
  (made with another taxonomy, reported without it) are ordered by that position alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mining import schema
from mining.config import ReportSettings, Settings
from mining.errors import Errors, InputError
from mining.taxonomy import stage_order as taxonomy_stage_order
from mining.text.redact import redact_quotes

#: Columns of the tags table the reports need (a subset of ``mining.schema.TAGS``).
REQUIRED_TAG_COLUMNS = ("message_id", "journey_id", "role", "stage")


def report_settings(settings: Settings | ReportSettings | dict | None) -> ReportSettings:
    """Return the report section of ``settings`` (defaults when None).

    Args:
        settings: Full settings, the report section, a mapping of report settings, or None.

    Returns:
        The report settings.
    """
    if settings is None:
        return ReportSettings()
    if isinstance(settings, Settings):
        return settings.reports
    if isinstance(settings, ReportSettings):
        return settings
    return ReportSettings.model_validate(settings)


def stage_names(settings: Any = None) -> list[str]:
    """The taxonomy's stage names in order (see :func:`mining.taxonomy.stage_order`).

    Args:
        settings: Full ``Settings`` (their ``tagging.taxonomy_dir`` is used), or anything else
            (report settings, a mapping, None) for the packaged taxonomy.

    Returns:
        Stage names in journey order.
    """
    tagging = getattr(settings, "tagging", None)
    return list(taxonomy_stage_order(getattr(tagging, "taxonomy_dir", None)).names)


def post_conversion_stage(settings: Any = None) -> str:
    """The taxonomy's post-conversion stage, or its last stage when it names none."""
    tagging = getattr(settings, "tagging", None)
    order = taxonomy_stage_order(getattr(tagging, "taxonomy_dir", None))
    return order.post_conversion or order.names[-1]


def stage_order(stages: Any, settings: Any = None) -> list[str]:
    """The taxonomy's stages in order, followed by any other labels found in ``stages``.

    Args:
        stages: Iterable of stage labels (missing values ignored), or a tags frame (``stage``;
            with ``journey_id``, other labels are ordered by median relative position).
        settings: Chooses the taxonomy (see :func:`stage_names`).

    Returns:
        Ordered list of stage labels; when no label found is a stage of the taxonomy (tags made
        with another taxonomy, reported without it), only the labels found.
    """
    names = stage_names(settings)
    frame = stages if isinstance(stages, pd.DataFrame) else None
    labels = frame["stage"] if frame is not None else stages
    if isinstance(labels, pd.Series) and isinstance(labels.dtype, pd.StringDtype):
        found = set(labels.dropna().unique().tolist())  # already str: no python loop per row
    else:
        found = {str(s) for s in pd.Series(list(labels), dtype="object").dropna()}
    extra = sorted(found - set(names))
    if extra and frame is not None and "journey_id" in frame:
        g = frame.groupby("journey_id", sort=False)
        pos = g.cumcount() / (g["stage"].transform("size") - 1).clip(lower=1)
        med = pos.groupby(frame["stage"].astype("object")).median()
        extra.sort(key=lambda s: (float(med.get(s, 1.0)), s))
    if found and not found & set(names):
        return extra
    return names + extra


def stage_rank(stage: pd.Series, order: list[str]) -> pd.Series:
    """Position of each stage label in ``order`` (float, ``nan`` when missing)."""
    ranks = {s: float(i) for i, s in enumerate(order)}
    return stage.astype("object").map(
        lambda s: ranks.get(s, np.nan) if isinstance(s, str) else np.nan)


def empty_report(columns: list[str]) -> pd.DataFrame:
    """Return the report with no rows: ``columns`` in order, every one of dtype object.

    Every report returns this when the tags have no message (an input whose records were all
    rejected, an empty tags file), so callers can always rely on the report's columns.
    """
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values[key]`` for every key (missing keys give NA), aligned to ``keys``' index.

    Like ``keys.map(values)``, but keeps ``values``' dtype when ``keys`` is empty (pandas cannot
    map an empty series onto datetimes: "Cannot cast DatetimeArray to dtype float64").
    """
    out = values.reindex(pd.Index(keys.to_numpy(dtype=object, na_value=None), dtype=object))
    # .array, not .to_numpy(): timezone-aware times would become one Timestamp object each
    return pd.Series(out.array, index=keys.index, dtype=values.dtype, name=keys.name)


def prepare_tags(tags: pd.DataFrame) -> pd.DataFrame:
    """Normalise a tags table for the reports.

    Args:
        tags: The tags table (``mining.schema.TAGS``); extra columns are kept.

    Returns:
        A copy with the declared dtypes, a ``_row`` column (original order), sorted by journey and
        time, and ``is_objection`` as plain bool (missing means no). A missing ``journey_id`` is
        the conversation (or, failing that, the message itself).

    Raises:
        InputError: [E601] when a required column is missing.
    """
    missing = [c for c in REQUIRED_TAG_COLUMNS if c not in tags.columns]
    if missing:
        raise InputError(Errors.E601.format(table="tags", columns=", ".join(missing)))
    df = tags.copy()
    for col, dtype in schema.TAGS.items():
        if col not in df.columns:
            fill = pd.NaT if dtype == schema.TS else (np.nan if dtype == schema.FLOAT else pd.NA)
            df[col] = pd.Series(fill, index=df.index, dtype=dtype)
        elif dtype == schema.TS:
            df[col] = pd.to_datetime(df[col], utc=True, errors="coerce")
        elif dtype == schema.BOOL:
            df[col] = _to_bool(df[col])
        elif dtype == schema.FLOAT:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        else:
            df[col] = df[col].astype("string")
    df["is_objection"] = df["is_objection"].fillna(False).astype(bool)
    df["journey_id"] = df["journey_id"].fillna(df["conversation_id"]).fillna(df["message_id"])
    df["_row"] = np.arange(len(df))
    df = df.sort_values(["journey_id", "timestamp", "_row"], na_position="last", kind="mergesort")
    return df.reset_index(drop=True)


def _to_bool(s: pd.Series) -> pd.Series:
    """Parse a column of booleans given as bools, 0/1 or true/false/yes/no strings."""
    if str(s.dtype) in ("bool", "boolean"):
        return s.astype("boolean")
    mapping = {"true": True, "1": True, "yes": True, "y": True, "t": True, "1.0": True,
               "false": False, "0": False, "no": False, "n": False, "f": False, "0.0": False}
    out = s.astype("object").map(
        lambda v: mapping.get(str(v).strip().lower(), pd.NA) if not _isna(v) else pd.NA)
    return out.astype("boolean")


def _isna(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def prepare_outcomes(outcomes: pd.DataFrame | None, tags: pd.DataFrame | None = None
                     ) -> pd.DataFrame:
    """One row per journey: ``converted`` (bool), ``converted_at`` (UTC), ``value`` (float).

    Outcomes keyed by conversation (a non-empty ``conversation_id`` column, as
    ``mining.io.outcomes`` writes for such files) are mapped to the journey of that conversation in
    ``tags``.

    Args:
        outcomes: The outcomes table (``mining.schema.OUTCOMES``) or None.
        tags: Prepared tags, used to map conversation keys to journeys.

    Returns:
        A frame indexed by ``journey_id``.

    Raises:
        InputError: [E601] when ``journey_id`` or ``converted`` is missing.
    """
    cols = ["converted", "converted_at", "value"]
    if outcomes is None or len(outcomes) == 0:
        return pd.DataFrame({"converted": pd.Series(dtype=bool),
                             "converted_at": pd.Series(dtype="datetime64[ns, UTC]"),
                             "value": pd.Series(dtype=float)},
                            index=pd.Index([], name="journey_id", dtype="string"))
    missing = [c for c in ("journey_id", "converted") if c not in outcomes.columns]
    if missing:
        raise InputError(Errors.E601.format(table="outcomes", columns=", ".join(missing)))
    df = pd.DataFrame({"journey_id": outcomes["journey_id"].astype("string")})
    if tags is not None and "conversation_id" in outcomes.columns:
        conv = outcomes["conversation_id"].astype("string")
        to_journey = tags.drop_duplicates("conversation_id").set_index("conversation_id")[
            "journey_id"]
        mapped = conv.map(to_journey)
        df["journey_id"] = mapped.where(conv.notna() & mapped.notna(), df["journey_id"]) \
            .astype("string")
    df["converted"] = _to_bool(outcomes["converted"]).fillna(False).astype(bool)
    df["converted_at"] = (pd.to_datetime(outcomes["converted_at"], utc=True, errors="coerce")
                          if "converted_at" in outcomes.columns else pd.NaT)
    df["value"] = (pd.to_numeric(outcomes["value"], errors="coerce")
                   if "value" in outcomes.columns else np.nan)
    df["converted_at"] = df["converted_at"].where(df["converted"])
    g = df.groupby("journey_id", sort=False)
    out = pd.DataFrame({
        "converted": g["converted"].any(),
        "converted_at": g["converted_at"].min(),
        "value": g["value"].sum(min_count=1),
    })
    return out[cols]


def prepare_events(events: pd.DataFrame | None) -> pd.DataFrame:
    """Events with UTC timestamps and string columns; an empty frame when None.

    Args:
        events: The events table (``mining.schema.EVENTS``) or None.

    Returns:
        A frame with ``journey_id``, ``timestamp``, ``event_type``, ``channel``, ``value``.
    """
    if events is None or len(events) == 0:
        return schema.empty("events")
    df = pd.DataFrame(index=events.index)
    df["journey_id"] = events["journey_id"].astype("string")
    df["timestamp"] = pd.to_datetime(events.get("timestamp"), utc=True, errors="coerce")
    for c in ("event_type", "channel"):
        df[c] = events[c].astype("string") if c in events.columns else pd.NA
    df["value"] = pd.to_numeric(events["value"], errors="coerce") if "value" in events.columns \
        else np.nan
    return df.reset_index(drop=True)


def journeys(tags: pd.DataFrame, outcomes: pd.DataFrame, events: pd.DataFrame | None = None,
             order: list[str] | None = None) -> pd.DataFrame:
    """One row per journey of the (prepared) tags, joined to its outcome.

    Args:
        tags: Output of :func:`prepare_tags`.
        outcomes: Output of :func:`prepare_outcomes`.
        events: Output of :func:`prepare_events` (adds event times to ``last_activity``).
        order: Stage order (default: :func:`stage_order` of the tags, packaged taxonomy).

    Returns:
        A frame indexed by ``journey_id`` with ``first_ts``, ``last_activity``,
        ``first_customer_ts``, ``n_messages``, ``converted``, ``converted_at``, ``value``
        (0 when unknown), ``furthest_stage``, ``last_stage`` and ``days_to_convert``.
    """
    order = order or stage_order(tags)
    g = tags.groupby("journey_id", sort=True)
    j = pd.DataFrame({"first_ts": g["timestamp"].min(), "last_ts": g["timestamp"].max(),
                      "n_messages": g.size()})
    cust = tags[tags["role"] == "customer"]
    j["first_customer_ts"] = cust.groupby("journey_id")["timestamp"].min().reindex(j.index)
    last = j["last_ts"]
    if events is not None and len(events):
        ev_last = events.groupby("journey_id")["timestamp"].max().reindex(j.index)
        last = pd.concat([last, ev_last], axis=1).max(axis=1)
    j["last_activity"] = last
    o = outcomes.reindex(j.index)
    j["converted"] = o["converted"].fillna(False).astype(bool)
    j["converted_at"] = o["converted_at"]
    j["value"] = o["value"].fillna(0.0).astype(float)
    staged = tags[tags["stage"].notna()].copy()
    staged["_rank"] = stage_rank(staged["stage"], order)
    furthest = staged.groupby("journey_id")["_rank"].max().reindex(j.index)
    j["furthest_stage"] = furthest.map(lambda r: order[int(r)] if r == r else pd.NA) \
        .astype("string")
    j["last_stage"] = staged.groupby("journey_id")["stage"].last().reindex(j.index) \
        .astype("string")
    j["days_to_convert"] = (j["converted_at"] - j["first_ts"]).dt.total_seconds() / 86400.0
    return j


def data_end(tags: pd.DataFrame, events: pd.DataFrame | None, outcomes: pd.DataFrame) -> Any:
    """The last timestamp anywhere in the data (messages, events, conversions), or NaT."""
    stamps = [tags["timestamp"].max()]
    if events is not None and len(events):
        stamps.append(events["timestamp"].max())
    if len(outcomes):
        stamps.append(outcomes["converted_at"].max())
    stamps = [s for s in stamps if not pd.isna(s)]
    return max(stamps) if stamps else pd.NaT


def resolve_as_of(as_of: Any, tags: pd.DataFrame, events: pd.DataFrame | None,
                  outcomes: pd.DataFrame) -> Any:
    """``as_of`` as a UTC timestamp (naive means UTC), or the data's end (:func:`data_end`)."""
    if as_of is None:
        return data_end(tags, events, outcomes)
    ts = pd.Timestamp(as_of)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def quotes(messages: pd.DataFrame | None, max_chars: int = 160) -> Mapping[str, str] | None:
    """Map ``message_id`` to its redacted ``clean_text`` (never the raw ``text``), shortened.

    Personal names found anywhere in ``messages`` are replaced by ``<NAME>``.

    Args:
        messages: A messages table with ``message_id`` and ``clean_text``, or None.
        max_chars: Longer quotes are cut at a word boundary and end with an ellipsis.

    Returns:
        The mapping, or None when no usable messages were given.
    """
    if messages is None or "clean_text" not in messages.columns or "message_id" not in messages:
        return None
    out = {}
    for mid, txt in zip(messages["message_id"].astype(str), messages["clean_text"], strict=True):
        if not isinstance(txt, str) or not txt.strip():
            continue
        t = " ".join(txt.split())
        if len(t) > max_chars:
            t = t[: max_chars - 1].rsplit(" ", 1)[0] + "…"
        out[mid] = t

    return redact_quotes(out, messages)  # personal names too, not only authors


def pick_examples(ids: list[str], texts: Mapping[str, str] | None, n: int = 2) -> list[str]:
    """Up to ``n`` quotes for ``ids`` (in the given order), padded with empty strings."""
    found: list[str] = []
    if texts:
        for i in ids:
            t = texts.get(i)
            if t and t not in found:
                found.append(t)
            if len(found) == n:
                break
    return found + [""] * (n - len(found))
