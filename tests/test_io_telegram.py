"""Telegram Desktop export: entities, service messages, replies, forwards, roles, times."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mining.io.corpus import load_corpus
from mining.io.telegram import entity_text

DATA = Path(__file__).resolve().parent / "data" / "exports"
FULL = DATA / "telegram_result.json"


def test_io_telegram_entity_text():
    assert entity_text("plain") == "plain"
    assert entity_text(["Is the ", {"type": "bold", "text": "plan"}, " on?"]) == "Is the plan on?"
    assert entity_text(None) == ""


def test_io_telegram_account_export_counts_roles_and_ids():
    c = load_corpus(FULL, timezone="Europe/Berlin")
    assert c.reconciles() and (c.n_read, c.n_accepted, c.n_rejected) == (10, 9, 1)
    r = c.rejects.iloc[0]
    assert (r["record"], r["code"]) == ("2.3", "E118")
    m = c.messages.set_index("message_id")
    assert m.loc["telegram-5550001-2", "text"].startswith("Hi! Is the family plan still 20% off?")
    assert m.loc["telegram-5550001-2", "role"] == "customer"
    assert m.loc["telegram-5550001-3", "role"] == "agent"  # the exporting account
    assert m.loc["telegram-5550001-3", "text"].count("\n") == 1
    assert m.loc["telegram-7770001-2", "role"] == "bot"  # the bot in its own chat
    assert m.loc["telegram-7770001-1", "role"] == "agent"
    assert set(m["channel"]) == {"telegram"}
    assert m.groupby("conversation_id").ngroups == 2


def test_io_telegram_service_forward_media_are_system():
    c = load_corpus(FULL)
    m = c.messages.set_index("message_id")
    assert m.loc["telegram-5550001-1", "role"] == "system"  # a missed call (service)
    assert m.loc["telegram-5550001-4", ["role", "text"]].tolist() == ["system", "<photo>"]
    assert m.loc["telegram-5550001-5", "role"] == "system"  # forwarded: not her words
    notes = " ".join(c.notes)
    for what in ("service message", "forwarded message", "media-only", "replies"):
        assert what in notes


@pytest.mark.parametrize(("tz", "want"), [("UTC", "10:15"), ("Europe/Berlin", "09:15")])
def test_io_telegram_times_unixtime_utc_or_local_date(tz, want):
    c = load_corpus(FULL, timezone=tz)
    m = c.messages.set_index("message_id")
    assert m.loc["telegram-5550001-2", "timestamp"] == pd.Timestamp("2024-03-04 09:05", tz="UTC")
    # message 7 has no date_unixtime: its local 'date' is taken in the time zone given
    assert m.loc["telegram-5550001-7", "timestamp"] == pd.Timestamp(f"2024-03-04 {want}", tz="UTC")


def test_io_telegram_single_chat_and_same_ids_in_two_exports():
    c = load_corpus(DATA / "telegram_chat.json")
    assert any("W122" in n and "FitLoop Studio" in n for n in c.notes)
    assert set(c.messages.loc[c.messages["role"] == "agent", "author"]) == {"FitLoop Studio"}
    both = load_corpus([DATA / "telegram_chat.json", FULL])
    assert both.reconciles()
    assert (both.rejects["code"] == "E114").sum() == 4  # the same messages, the same ids


def test_io_telegram_agent_name_option(tmp_path):
    chat = {"name": "Support group", "type": "private_supergroup", "id": 42, "messages": [
        {"id": 1, "type": "message", "date": "2024-01-01T10:00:00", "date_unixtime": "1704103200",
         "from": "Ana", "from_id": "user1", "text": "Any discount for students?"},
        {"id": 2, "type": "message", "date": "2024-01-01T10:01:00", "date_unixtime": "1704103260",
         "from": "Shop Team", "from_id": "user2", "text": "Yes, 10% with a student card."}]}
    p = tmp_path / "result.json"
    p.write_text(json.dumps(chat), encoding="utf-8")
    assert load_corpus(p).messages["role"].tolist() == ["customer", "customer"]
    c = load_corpus(p, agent_names=["shop team"])
    assert c.messages["role"].tolist() == ["customer", "agent"]
