"""The last step: one row per message with every tag and its evidence (``mining.schema.TAGS``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pandas as pd

from mining.schema import TAGS_SCHEMA_VERSION, conform, empty

if TYPE_CHECKING:
    from mining.tagging.context import TagContext


def _message_themes(ctx: TagContext) -> dict[str, list[str]]:
    """Message id -> the theme labels of its units, in unit order."""
    out: dict[str, list[str]] = {}
    unit_message = ctx.units["message_id"].astype(str).to_numpy()
    for u, theme in enumerate(ctx.units["theme"].tolist()):
        if isinstance(theme, str):
            out.setdefault(unit_message[u], []).append(theme)
    return out


def _columns(ctx: TagContext) -> dict[str, list[Any]]:
    """The per-message theme, category, strategy and evidence columns."""
    n, ids = len(ctx.journeys), ctx.message_ids
    unit_theme = ctx.units["theme"].tolist()
    by_message = _message_themes(ctx)
    cols = {k: [pd.NA] * n for k in ("objection_theme", "objection_category", "intent_theme",
                                     "reply_theme", "reply_strategy")}
    evidence: list[dict[str, Any]] = [dict(e) for e in ctx.staged["evidence"]]
    for i in range(n):
        best = int(ctx.best_unit[i])
        if ctx.is_customer[i] and best >= 0:
            evidence[i]["objection"] = ctx.unit_evidence.get(best, {})
            if ctx.is_objection[i]:
                cols["objection_category"][i] = ctx.units["objection_category"].iat[best]
                theme = unit_theme[best]
                cols["objection_theme"][i] = theme if isinstance(theme, str) else pd.NA
    intents, intent_evidence = ctx.intents
    for k, i in enumerate(ctx.rows_with_role("customer")):
        if not ctx.is_objection[i]:
            themes = by_message.get(ids[i])
            cols["intent_theme"][i] = themes[0] if themes else intents[k]
        if isinstance(intents[k], str):
            evidence[i]["intent"] = intents[k]
            evidence[i].update({f"intent_{key[6:]}": v for key, v in intent_evidence[k].items()
                                if key.startswith("reply_") and key != "reply_strategies"})
    strategies, reply_evidence = ctx.strategies
    for k, i in enumerate(ctx.rows_with_role("agent")):
        cols["reply_strategy"][i] = strategies[k]
        evidence[i].update(reply_evidence[k])
        themes = by_message.get(ids[i])
        if themes:
            cols["reply_theme"][i] = themes[0]
    cols["evidence"] = [json.dumps(e, ensure_ascii=False, sort_keys=True) for e in evidence]
    return cols


def assemble_tags(ctx: TagContext) -> TagContext:
    """Build the tags table (input row order) and the themes table."""
    journeys, cols = ctx.journeys, _columns(ctx)
    tags = pd.DataFrame({
        "message_id": journeys["message_id"], "conversation_id": journeys["conversation_id"],
        "journey_id": journeys["journey_id"], "timestamp": journeys["timestamp"],
        "role": journeys["role"], "channel": journeys["channel"],
        "stage": ctx.staged["stage"].to_numpy(), "stage_confidence": ctx.staged["stage_confidence"],
        "is_objection": ctx.is_objection, "objection_probability": ctx.objection_probability,
        "objection_theme": cols["objection_theme"],
        "objection_category": cols["objection_category"],
        "intent_theme": cols["intent_theme"], "reply_theme": cols["reply_theme"],
        "reply_strategy": cols["reply_strategy"], "replies_to": ctx.replies_to.to_numpy(),
        "evidence": cols["evidence"], "schema_version": TAGS_SCHEMA_VERSION,
    })
    tags["_row"] = journeys["_row"].to_numpy()
    tags = tags.sort_values("_row", kind="stable").drop(columns="_row")
    ctx.tags = conform(tags, "tags")
    themes = (pd.concat(ctx.theme_frames, ignore_index=True) if ctx.theme_frames
              else empty("themes"))
    ctx.themes = conform(themes, "themes")
    return ctx
