"""Table columns and dtypes, defined once.

Every table journeymine produces is a pandas DataFrame whose columns and dtypes are listed here.
Use :func:`empty` to make an empty table, :func:`conform` to give a frame the declared columns (in
order, with the declared dtypes), and :func:`check` to validate one.
"""

from __future__ import annotations

import pandas as pd

#: Version of the tags table layout; bump on any change to TAGS and document it in
#: docs/tags-schema.md.
TAGS_SCHEMA_VERSION = "1.0"

ROLES = ("customer", "agent", "bot", "system")

STR = "string"
TS = "datetime64[ns, UTC]"
FLOAT = "float64"
INT = "Int64"  # nullable integer
BOOL = "boolean"  # nullable boolean

#: Messages: one row per message, the corpus.
MESSAGES: dict[str, str] = {
    "message_id": STR,  # unique
    "conversation_id": STR,
    "journey_id": STR,  # customer or lead; defaults to conversation_id
    "timestamp": TS,  # tz-aware UTC, may be missing (NaT)
    "channel": STR,  # chat, email, sms, social, phone, web, ...
    "role": STR,  # one of ROLES
    "author": STR,
    "text": STR,  # as given
    "clean_text": STR,  # quotes, signatures, HTML removed; PII redacted unless turned off
    "source": STR,  # "file:line" or "file#record"
}

#: Events: touchpoints that are not messages.
EVENTS: dict[str, str] = {
    "journey_id": STR,
    "timestamp": TS,
    "event_type": STR,  # visit, booking, demo_request, purchase, support_ticket, ...
    "channel": STR,
    "value": FLOAT,
    "source": STR,
}

#: Outcomes: one row per journey (or conversation).
OUTCOMES: dict[str, str] = {
    "journey_id": STR,
    "converted": BOOL,
    "converted_at": TS,
    "value": FLOAT,
    "source": STR,
}

#: Rejects: every input record that did not make it into the corpus, and why.
REJECTS: dict[str, str] = {
    "source": STR,  # file path
    "record": STR,  # line number (1-based) or record index / message key
    "code": STR,  # E1xx from mining.errors
    "reason": STR,  # human-readable reason (never the message text itself)
}

#: Units: sentence-level spans of a message.
UNITS: dict[str, str] = {
    "unit_id": STR,  # "<message_id>:<n>"
    "message_id": STR,
    "text": STR,
    "start": INT,  # character offsets into messages.clean_text
    "end": INT,
}

#: Themes: one row per theme found by a ThemeModel.
THEMES: dict[str, str] = {
    "theme_id": INT,
    "kind": STR,  # objection, intent, reply
    "label": STR,
    "taxonomy_category": STR,  # empty when the theme is new
    "keywords": STR,  # comma-separated
    "size": INT,
    "examples": STR,  # " | "-separated, redacted
    # the coarse theme this fine theme belongs to (mining.themes.hierarchy); empty on coarse rows
    "parent_theme_id": INT,
    "parent_label": STR,
}

#: Tags: the main output, one row per message. Documented in docs/tags-schema.md.
TAGS: dict[str, str] = {
    "message_id": STR,
    "conversation_id": STR,
    "journey_id": STR,
    "timestamp": TS,
    "role": STR,
    "channel": STR,
    "stage": STR,
    "stage_confidence": FLOAT,
    "is_objection": BOOL,  # empty (NA) for non-customer messages
    "objection_probability": FLOAT,
    "objection_theme": STR,
    "objection_category": STR,
    "intent_theme": STR,
    "reply_theme": STR,  # agent messages
    "reply_strategy": STR,  # agent messages: replies.yaml category
    "replies_to": STR,  # message_id of the objection an agent reply answers
    "evidence": STR,  # JSON object: cues, nearest examples, scores, events
    "schema_version": STR,
}

TABLES: dict[str, dict[str, str]] = {
    "messages": MESSAGES,
    "events": EVENTS,
    "outcomes": OUTCOMES,
    "rejects": REJECTS,
    "units": UNITS,
    "themes": THEMES,
    "tags": TAGS,
}


def empty(table: str) -> pd.DataFrame:
    """Return an empty DataFrame with the columns and dtypes of ``table``.

    Args:
        table: A key of :data:`TABLES`.

    Returns:
        An empty DataFrame.
    """
    cols = TABLES[table]
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in cols.items()})


def conform(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Return ``df`` with exactly the columns of ``table``, in order, cast to the declared dtypes.

    Missing columns are added empty; extra columns are dropped.

    Args:
        df: Any DataFrame.
        table: A key of :data:`TABLES`.

    Returns:
        A new DataFrame.
    """
    cols = TABLES[table]
    out = {}
    for c, d in cols.items():
        if c in df.columns:
            s = df[c]
            if d == TS:
                s = pd.to_datetime(s, utc=True, errors="coerce").astype(TS)
            else:
                s = s.astype(d)
        else:
            fill = pd.NaT if d == TS else (float("nan") if d == FLOAT else pd.NA)
            s = pd.Series([fill] * len(df), index=df.index, dtype=d)
        out[c] = s
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


def check(df: pd.DataFrame, table: str) -> list[str]:
    """List the ways ``df`` differs from the declared layout of ``table``.

    Args:
        df: The frame to check.
        table: A key of :data:`TABLES`.

    Returns:
        Problems as short strings; empty when the frame conforms.
    """
    problems = []
    cols = TABLES[table]
    for c, d in cols.items():
        if c not in df.columns:
            problems.append(f"missing column '{c}'")
        elif str(df[c].dtype) != d:
            problems.append(f"column '{c}' has dtype {df[c].dtype}, expected {d}")
    return problems
