"""Event logs for process-mining and journey tools: a flat table, and XES (IEEE 1849-2016).

One row per tagged message (its activity is the journey stage, or ``objection: <category>`` when
the customer raised an objection), per event (its ``event_type``) and per conversion (activity
``converted`` at ``converted_at``). Columns follow the process-mining naming convention:

- ``case:concept:name``: the journey (case) id
- ``concept:name``: the activity
- ``time:timestamp``: when it happened (UTC; empty when unknown)
- ``org:resource``: who acted (the message role: customer, agent, bot, system)
- ``channel``, ``theme``, ``stage``, ``kind`` (message, objection, event, outcome), ``message_id``

XES is written with the standard library (``xml.etree``), streaming one trace at a time, and is
valid against the IEEE 1849-2016 XML schema (checked in the tests). No process-mining library is
needed to write it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from mining.io.writers import atomic_path

CASE, ACTIVITY, TIMESTAMP, RESOURCE = (
    "case:concept:name",
    "concept:name",
    "time:timestamp",
    "org:resource",
)
#: The event log columns, in order.
COLUMNS = (CASE, ACTIVITY, TIMESTAMP, RESOURCE, "channel", "theme", "stage", "kind", "message_id")

#: XES extensions used by the writer (name, prefix, URI).
XES_EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
)

# Characters XML 1.0 cannot carry at all (control characters other than tab, LF, CR).
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _nonempty(series: pd.Series) -> pd.Series:
    """Return ``series`` as strings with empty strings turned into NA."""
    s = series.astype("string")
    return s.mask(s.str.len() == 0)


def to_event_log(
    tags: pd.DataFrame,
    events: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Build the event log table from tags, and optionally events and outcomes.

    Args:
        tags: The tags table (columns of ``mining.schema.TAGS``).
        events: The events table (``journey_id``, ``timestamp``, ``event_type``, ``channel``), or
            None.
        outcomes: The outcomes table; converted journeys with a ``converted_at`` get a final
            ``converted`` activity. None adds nothing.

    Returns:
        One row per activity with the columns of :data:`COLUMNS`, sorted by case, then time
        (unknown times last), then input order.
    """
    parts = [_message_rows(tags)]
    if events is not None and not events.empty:
        parts.append(
            pd.DataFrame(
                {
                    CASE: events["journey_id"].astype("string"),
                    ACTIVITY: _nonempty(events["event_type"]).fillna("event"),
                    TIMESTAMP: events["timestamp"],
                    "channel": events["channel"].astype("string"),
                    "kind": "event",
                }
            )
        )
    if outcomes is not None and not outcomes.empty:
        conv = outcomes[outcomes["converted"].fillna(False).astype(bool)]
        conv = conv[conv["converted_at"].notna()]
        parts.append(
            pd.DataFrame(
                {
                    CASE: conv["journey_id"].astype("string"),
                    ACTIVITY: "converted",
                    TIMESTAMP: conv["converted_at"],
                    "kind": "outcome",
                }
            )
        )
    log = pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)
    for col in COLUMNS:
        if col not in log:
            log[col] = pd.NA
    log[TIMESTAMP] = pd.to_datetime(log[TIMESTAMP], utc=True)
    log = log[list(COLUMNS)].astype({c: "string" for c in COLUMNS if c != TIMESTAMP})
    log["_order"] = range(len(log))
    log = log.sort_values([CASE, TIMESTAMP, "_order"], na_position="last", kind="stable")
    return log.drop(columns="_order").reset_index(drop=True)


def _message_rows(tags: pd.DataFrame) -> pd.DataFrame:
    """The event-log rows of the tagged messages: one activity per message.

    Args:
        tags: The tags table (columns of ``mining.schema.TAGS``).

    Returns:
        The message rows (objections as ``objection: <category>`` activities).
    """
    is_obj = tags["is_objection"].fillna(False).astype(bool)
    category = _nonempty(tags["objection_category"]).fillna(_nonempty(tags["objection_theme"]))
    stage = _nonempty(tags["stage"])
    activity = stage.fillna("(no stage)").where(
        ~is_obj, "objection: " + category.fillna("(uncategorised)")
    )
    theme = (
        _nonempty(tags["objection_theme"])
        .where(is_obj)
        .fillna(_nonempty(tags["intent_theme"]).where(tags["role"] == "customer"))
        .fillna(_nonempty(tags["reply_theme"]).where(tags["role"] != "customer"))
    )
    return pd.DataFrame(
        {
            CASE: tags["journey_id"].astype("string"),
            ACTIVITY: activity.astype("string"),
            TIMESTAMP: tags["timestamp"],
            RESOURCE: tags["role"].astype("string"),
            "channel": tags["channel"].astype("string"),
            "theme": theme.astype("string"),
            "stage": stage,
            "kind": pd.Series("message", index=tags.index, dtype="string").where(
                ~is_obj, "objection"
            ),
            "message_id": tags["message_id"].astype("string"),
        }
    )


def _clean(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _xes_attr(parent: ET.Element, key: str, value: Any) -> None:
    """Append a typed XES attribute element for ``value`` (skipped when missing)."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return
    if isinstance(value, pd.Timestamp):
        ts = value.tz_convert("UTC") if value.tzinfo else value.tz_localize("UTC")
        ET.SubElement(parent, "date", key=key, value=ts.isoformat(timespec="milliseconds"))
    elif isinstance(value, bool):
        ET.SubElement(parent, "boolean", key=key, value="true" if value else "false")
    elif isinstance(value, int):
        ET.SubElement(parent, "int", key=key, value=str(value))
    elif isinstance(value, float):
        ET.SubElement(parent, "float", key=key, value=repr(value))
    else:
        ET.SubElement(parent, "string", key=key, value=_clean(value))


def write_xes(
    log: pd.DataFrame, path: str | PathLike[str], *, name: str = "journeymine event log"
) -> Path:
    """Write an event log table as an XES file (IEEE 1849-2016 XML serialization).

    Each case becomes a ``<trace>`` named by its ``case:concept:name``; each row an ``<event>``
    with ``concept:name``, ``time:timestamp`` (omitted when unknown), ``org:resource`` and the
    other columns as string attributes. Text is escaped by ``xml.etree``; characters XML cannot
    carry are replaced by U+FFFD.

    Args:
        log: A table from :func:`to_event_log` (other columns become event attributes too).
        path: The ``.xes`` file to write.
        name: The log's ``concept:name``.

    Returns:
        The written path.
    """
    out = Path(path)
    head = ET.Element("log", {"xes.version": "2.0"})
    for ext_name, prefix, uri in XES_EXTENSIONS:
        ET.SubElement(head, "extension", name=ext_name, prefix=prefix, uri=uri)
    for scope, keys in (("trace", (ACTIVITY,)), ("event", (ACTIVITY,))):
        glob = ET.SubElement(head, "global", scope=scope)
        for key in keys:
            ET.SubElement(glob, "string", key=key, value="__INVALID__")
    ET.SubElement(head, "classifier", name="Activity", keys=ACTIVITY)
    ET.SubElement(head, "classifier", name="Activity_and_resource", keys=f"{ACTIVITY} {RESOURCE}")
    ET.SubElement(head, "string", key=ACTIVITY, value=_clean(name))
    head_xml = ET.tostring(head, encoding="unicode")
    opening = head_xml[: -len("</log>")]  # the log element and its header, left open
    attr_cols = [c for c in log.columns if c != CASE]

    with atomic_path(out) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write(opening + "\n")
        for case, grp in log.groupby(CASE, sort=False, dropna=True):
            trace = ET.Element("trace")
            ET.SubElement(trace, "string", key=ACTIVITY, value=_clean(case))
            for row in grp[attr_cols].itertuples(index=False, name=None):
                ev = ET.SubElement(trace, "event")
                for key, value in zip(attr_cols, row, strict=True):
                    _xes_attr(ev, key, value)
            fh.write(ET.tostring(trace, encoding="unicode"))
            fh.write("\n")
        fh.write("</log>\n")
    return out
