"""Zendesk tickets and comments: API list with users, JSON export lines, comments response."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mining.io.corpus import load_corpus
from mining.text.pseudonyms import pseudonym

DATA = Path(__file__).resolve().parent / "data" / "exports"


def test_io_zendesk_tickets_api_roles_notes_html_and_journey():
    c = load_corpus(DATA / "zendesk_tickets.json")
    assert c.reconciles() and (c.n_read, c.n_accepted, c.n_rejected) == (6, 5, 1)
    assert c.sources["format"].tolist() == ["zendesk"]
    assert c.rejects[["record", "code"]].values.tolist() == [["3", "E166"]]
    m = c.messages.set_index("message_id")
    assert m.loc["zendesk-9001", "role"] == "customer"
    assert m.loc["zendesk-9002", "role"] == "system"  # private comment: an internal note
    assert m.loc["zendesk-9003", "role"] == "agent"  # side-loaded user with role agent
    assert m.loc["zendesk-9004", "role"] == "bot"  # Zendesk's own automation (author -1)
    html = m.loc["zendesk-9003", "text"]
    assert "<strong>" not in html and "$350" in html and "\n" in html
    assert m.loc["zendesk-9003", "timestamp"] == pd.Timestamp("2024-03-04 08:20", tz="UTC")
    # the requester's side-loaded address is the journey, so e-mail and tickets join
    assert set(m["journey_id"]) == {pseudonym("dana.whitfield@example.com")}
    assert m.loc["zendesk-9001", "channel"] == "email"
    # a ticket without comments contributes its description
    assert m.loc["zendesk-35437-description", ["role", "channel"]].tolist() == ["customer", "web"]
    assert any("internal note" in n for n in c.notes)


def test_io_zendesk_json_export_lines_keep_line_numbers():
    c = load_corpus(DATA / "zendesk_export.jsonl")
    assert c.reconciles() and (c.n_read, c.n_accepted) == (5, 2)
    got = c.rejects[["record", "code"]].values.tolist()
    assert got == [["1.3", "E113"], ["2", "E110"], ["3.1", "E112"]]
    m = c.messages
    assert m["role"].tolist() == ["customer", "agent"] and set(m["channel"]) == {"chat"}
    assert set(m["journey_id"]) == {"zendesk-user-52001"}
    assert any("include=users" in n for n in c.notes)


def test_io_zendesk_comments_response_alone():
    c = load_corpus(DATA / "zendesk_comments.json")
    m = c.messages
    assert m["role"].tolist() == ["customer", "agent"]
    assert m["message_id"].tolist() == ["zendesk-7001", "zendesk-7002"]
    assert m["conversation_id"].nunique() == 1
    assert m["conversation_id"].iloc[0] == "zendesk-zendesk_comments"  # no number in the name


def test_io_zendesk_comments_file_named_after_its_ticket(tmp_path):
    p = tmp_path / "35436" / "comments.json"
    p.parent.mkdir()
    p.write_bytes((DATA / "zendesk_comments.json").read_bytes())
    assert set(load_corpus(p).messages["conversation_id"]) == {"zendesk-35436"}
