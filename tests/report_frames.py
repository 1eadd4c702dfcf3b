"""Hand-made tags / outcomes / events frames for the report tests (tiny, every number countable)."""

from __future__ import annotations

import pandas as pd

T0 = pd.Timestamp("2024-03-01 09:00", tz="UTC")


def at(days: float = 0.0, hours: float = 0.0) -> pd.Timestamp:
    """A time ``days`` + ``hours`` after T0."""
    return T0 + pd.Timedelta(days=days, hours=hours)


def msg(mid: str, journey: str, when: pd.Timestamp, role: str = "customer", stage: str | None =
        "awareness", objection: str | None = None, theme: str | None = None,
        strategy: str | None = None, replies_to: str | None = None, channel: str = "chat",
        conversation: str | None = None) -> dict:
    """One tags row."""
    return {
        "message_id": mid, "conversation_id": conversation or journey, "journey_id": journey,
        "timestamp": when, "role": role, "channel": channel, "stage": stage,
        "is_objection": (objection is not None) if role == "customer" else None,
        "objection_category": objection, "objection_theme": theme or objection,
        "reply_strategy": strategy, "replies_to": replies_to,
    }


def tags(*rows: dict) -> pd.DataFrame:
    """A tags frame in the schema's dtypes from :func:`msg` rows."""
    from mining import schema

    return schema.conform(pd.DataFrame(list(rows)), "tags")


def outcomes(**journeys: tuple) -> pd.DataFrame:
    """``outcomes(A=(True, at(3), 100.0), B=(False, None, None))``."""
    rows = [{"journey_id": j, "converted": c, "converted_at": w, "value": v}
            for j, (c, w, v) in journeys.items()]
    df = pd.DataFrame(rows)
    df["converted_at"] = pd.to_datetime(df["converted_at"], utc=True)
    return df


def events(*rows: tuple) -> pd.DataFrame:
    """``events(("A", at(1), "visit", "web"), ...)``."""
    return pd.DataFrame([{"journey_id": j, "timestamp": w, "event_type": e, "channel": c,
                          "value": None} for j, w, e, c in rows])
