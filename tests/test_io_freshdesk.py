"""Freshdesk tickets with conversations: description, incoming/private, sources, requester."""

from __future__ import annotations

from pathlib import Path

from mining.io.corpus import load_corpus
from mining.text.pseudonyms import pseudonym

DATA = Path(__file__).resolve().parent / "data" / "exports"


def test_io_freshdesk_tickets_with_conversations():
    c = load_corpus(DATA / "freshdesk_tickets.json")
    assert c.reconciles() and (c.n_read, c.n_accepted, c.n_rejected) == (7, 6, 1)
    assert c.rejects[["record", "code"]].values.tolist() == [["3.2", "E118"]]
    m = c.messages.set_index("message_id")
    assert m.loc["freshdesk-20-description", ["role", "channel"]].tolist() == ["customer", "chat"]
    assert m.loc["freshdesk-conversation-3001", "role"] == "agent"
    assert m.loc["freshdesk-conversation-3002", "role"] == "system"  # private note
    reply = m.loc["freshdesk-conversation-3003"]
    assert reply["role"] == "customer" and reply["text"].count("\n") == 1  # HTML <br> kept
    assert set(m.loc[m["conversation_id"] == "freshdesk-20", "journey_id"]) == {
        pseudonym("aoife.byrne@example.ie")}
    # outbound e-mail (source 10): the description is the agent's; empty text falls back to HTML
    out = m.loc["freshdesk-21-description"]
    assert out[["role", "channel"]].tolist() == ["agent", "email"] and "€640" in out["text"]
    assert m.loc["freshdesk-22-description", "channel"] == "phone"
    assert m.loc["freshdesk-22-description", "journey_id"] == "freshdesk-contact-1003"


def test_io_freshdesk_conversations_list_without_ticket(tmp_path):
    import json

    tickets = json.loads((DATA / "freshdesk_tickets.json").read_text(encoding="utf-8"))
    p = tmp_path / "20_conversations.json"
    p.write_text(json.dumps(tickets[0]["conversations"] + [{"id": 9, "incoming": True,
                                                            "private": False}]),
                 encoding="utf-8")
    c = load_corpus(p)
    assert c.reconciles() and (c.n_accepted, c.n_rejected) == (3, 1)
    assert c.rejects["code"].tolist() == ["E166"]  # no ticket_id: cannot be placed
    m = c.messages
    assert m["role"].tolist() == ["agent", "system", "customer"]
    assert set(m["conversation_id"]) == {"freshdesk-20"}
    assert set(m["journey_id"]) == {"freshdesk-contact-1001"}
