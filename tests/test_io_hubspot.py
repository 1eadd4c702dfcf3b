"""HubSpot conversations (thread messages, threads) and engagements."""

from __future__ import annotations

import json
from pathlib import Path

from mining.io.corpus import load_corpus
from mining.text.pseudonyms import pseudonym

DATA = Path(__file__).resolve().parent / "data" / "exports"


def test_io_hubspot_thread_messages_actor_types():
    c = load_corpus(DATA / "hubspot_messages.json")
    assert c.reconciles() and (c.n_read, c.n_accepted, c.n_rejected) == (6, 5, 1)
    assert c.rejects[["record", "code"]].values.tolist() == [["6", "E166"]]
    m = c.messages.set_index("message_id")
    assert m["role"].tolist() == ["customer", "bot", "system", "agent", "system"]
    assert m.loc["hubspot-a4", "text"] == "Yes, Pro includes phone support 9-5."  # richText
    assert set(m["journey_id"]) == {pseudonym("noah.smith@example.com")}
    assert set(m["channel"]) == {"chat"} and set(m["conversation_id"]) == {"hubspot-thread-4410"}


def test_io_hubspot_threads_with_messages_use_the_contact(tmp_path):
    msgs = json.loads((DATA / "hubspot_messages.json").read_text(encoding="utf-8"))["results"]
    doc = {"results": [{"id": "4410", "associatedContactId": "901", "threadStatus": "CLOSED",
                        "messages": {"results": msgs[:5]}}]}
    p = tmp_path / "threads.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    c = load_corpus(p)
    assert c.n_accepted == 5 and set(c.messages["journey_id"]) == {"hubspot-contact-901"}
    assert c.rejects.empty


def test_io_hubspot_engagements():
    c = load_corpus(DATA / "hubspot_engagements.json")
    assert c.reconciles() and c.n_accepted == 4
    m = c.messages.set_index("message_id")
    assert m["role"].tolist() == ["customer", "agent", "system", "system"]
    assert m["channel"].tolist() == ["email", "email", "crm", "phone"]
    assert m.loc["hubspot-engagement-1001", "author"] == "Noah Smith"
    assert set(m["journey_id"]) == {"hubspot-contact-501"}


def test_io_hubspot_crm_v3_activities():
    c = load_corpus(DATA / "hubspot_v3_emails.json")
    assert c.reconciles() and c.n_accepted == 3 and c.sources["format"].tolist() == ["hubspot"]
    m = c.messages.set_index("message_id")
    assert m["role"].tolist() == ["customer", "agent", "system"]
    assert m.loc["hubspot-engagement-51002", "text"] == "Yes, seats can be added at any time."
    assert m.loc["hubspot-engagement-51001", "author"] == "Noah Smith"
    assert set(m["journey_id"]) == {"hubspot-contact-501"}
