"""Intercom conversations: source and parts, author types, notes, events, HTML, channels."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mining.io.corpus import load_corpus
from mining.text.pseudonyms import pseudonym

DATA = Path(__file__).resolve().parent / "data" / "exports"


def test_io_intercom_conversation_list():
    c = load_corpus(DATA / "intercom_conversations.json")
    assert c.reconciles() and (c.n_read, c.n_accepted, c.n_rejected) == (8, 8, 0)
    m = c.messages.set_index("message_id")
    first = m.loc["intercom-147-source-403918"]
    assert first["role"] == "customer" and first["timestamp"] == pd.Timestamp(
        "2024-03-04 09:05", tz="UTC")
    assert first["text"] == "Hi there, do you integrate with Xero?\n\nWe're on the Starter plan."
    assert m.loc["intercom-part-70001", "role"] == "bot"
    assert m.loc["intercom-part-70002", ["role", "text"]].tolist() == ["system", "(assignment)"]
    assert m.loc["intercom-part-70003", "role"] == "system"  # a note
    assert m.loc["intercom-part-70004", "text"] == "Yes — Xero sync is on the Growth plan ($49/mo)."
    assert m.loc["intercom-part-70005", "role"] == "customer"
    assert m.loc["intercom-part-70101", "role"] == "agent"  # unknown type: counted in a note
    assert any("unknown author type" in n for n in c.notes)
    assert set(m.loc[m["conversation_id"] == "intercom-147", "journey_id"]) == {
        pseudonym("marta@example.org")}
    assert set(m.loc[m["conversation_id"] == "intercom-148", "journey_id"]) == {
        "intercom-contact-61aa"}
    assert dict(m.groupby("conversation_id")["channel"].first()) == {
        "intercom-147": "chat", "intercom-148": "email"}


def test_io_intercom_single_conversation_and_jsonl(tmp_path):
    import json

    doc = json.loads((DATA / "intercom_conversations.json").read_text(encoding="utf-8"))
    one = tmp_path / "conversation.json"
    one.write_text(json.dumps(doc["conversations"][0]), encoding="utf-8")
    assert load_corpus(one).n_accepted == 6
    lines = tmp_path / "conversations.jsonl"
    lines.write_text("\n".join(json.dumps(x) for x in doc["conversations"]) + "\n{oops\n",
                     encoding="utf-8")
    c = load_corpus(lines)
    assert c.reconciles() and c.n_accepted == 8 and c.rejects["code"].tolist() == ["E110"]
    assert c.sources["format"].tolist() == ["intercom"]


def test_io_intercom_list_without_conversations_is_a_file_error(tmp_path):
    import json

    import pytest

    from mining.errors import InputError

    p = tmp_path / "list.json"
    p.write_text(json.dumps({"type": "conversation.list", "conversations": None}), encoding="utf-8")
    with pytest.raises(InputError, match="E163"):
        load_corpus(p)
