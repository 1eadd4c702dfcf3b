"""Meta "Download your information" (Messenger, Instagram): layout, mojibake, roles, rejects."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mining.io.corpus import load_corpus
from mining.io.meta_export import fix_mojibake

DATA = Path(__file__).resolve().parent / "data" / "exports"
META = DATA / "meta"
THREAD = META / "your_facebook_activity/messages/inbox/josealvarez_10158"
BUSINESS = ["Bright Smile Dental", "brightsmiledental"]


def test_io_meta_fix_mojibake():
    assert fix_mojibake("Jos\u00c3\u00a9 \u00f0\u009f\u0091\u008d") == "José 👍"
    assert fix_mojibake("José") == "José"  # proper text is left alone
    assert fix_mojibake({"a": ["Zo\u00c3\u00ab"], "n": 3}) == {"a": ["Zoë"], "n": 3}


def test_io_meta_archive_folder_reads_messenger_and_instagram():
    raw = (THREAD / "message_1.json").read_text(encoding="utf-8")
    assert "\\u00c3\\u00a9" in raw  # the fixture carries Meta's escaping
    c = load_corpus(META, agent_names=BUSINESS)
    assert c.reconciles()
    assert set(c.sources["format"]) == {"meta"} and len(c.sources) == 3
    assert (c.n_read, c.n_accepted, c.n_rejected) == (12, 10, 2)
    assert sorted(c.rejects["code"]) == ["E111", "E118"]
    m = c.messages
    assert set(m["channel"]) == {"social"}
    assert m["author"].isin(["José Álvarez", "Zoë Müller", *BUSINESS]).all()
    assert "Hola, ¿cuánto cuesta el blanqueamiento? Is it expensive?" in set(m["text"])
    assert "Gracias! I'll think about it 👍" in set(m["text"])
    # both files of the thread form one conversation
    jose = m[m["author"] == "José Álvarez"]
    assert jose["conversation_id"].nunique() == 1 and len(jose) == 5
    assert m.groupby("conversation_id").ngroups == 2


def test_io_meta_roles_system_lines_shares_and_times():
    c = load_corpus(THREAD / "message_1.json", agent_names=["Bright Smile Dental"])
    m = c.messages.set_index("timestamp").sort_index()
    assert m.index[0] == pd.Timestamp("2024-03-04 09:05", tz="UTC")  # timestamp_ms in UTC
    assert m["role"].tolist() == ["customer", "system", "agent", "system", "agent", "customer"]
    link = m[m["text"].str.contains("brightsmile.example/whitening")]
    assert len(link) == 1 and link["role"].iloc[0] == "agent"
    assert m[m["role"] == "agent"]["text"].str.contains("\n").any()  # multi-line kept
    assert any("reaction" in n for n in c.notes) and any("call" in n for n in c.notes)


def test_io_meta_business_from_thread_title_and_e2ee_format():
    c = load_corpus(DATA / "meta_e2ee.json")
    m = c.messages
    assert dict(zip(m["author"], m["role"], strict=True)) == {
        "Kai Nakamura": "customer", "Bright Smile Dental": "agent"}
    assert any("W122" in n for n in c.notes)
    assert m["timestamp"].min() == pd.Timestamp("2024-03-04 09:06:40", tz="UTC")


def test_io_meta_ids_stable_and_unsent_is_system(tmp_path):
    ig = META / "your_instagram_activity/messages/inbox/zoemuller_17845/message_1.json"
    a = load_corpus(ig).messages
    copy = tmp_path / "elsewhere" / "message_1.json"
    copy.parent.mkdir()
    copy.write_bytes(ig.read_bytes())
    b = load_corpus(copy).messages
    assert list(a["message_id"]) == list(b["message_id"])  # thread_path, not the file's place
    assert a.loc[a["text"] == "Liked a message", "role"].item() == "system"


def test_io_meta_no_business_found_is_said(tmp_path):
    doc = {"participants": [{"name": "A"}, {"name": "B"}, {"name": "C"}], "title": "Group",
           "thread_path": "inbox/group_1",
           "messages": [{"sender_name": "A", "timestamp_ms": 1709543100000, "content": "hi"}]}
    p = tmp_path / "message_1.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    c = load_corpus(p)
    assert any("W121" in n for n in c.notes) and c.messages["role"].tolist() == ["customer"]


def test_io_meta_message_with_nothing_to_read_is_a_reject(tmp_path):
    doc = {"participants": [{"name": "A"}, {"name": "Shop"}], "title": "A",
           "messages": [{"sender_name": "A", "timestamp_ms": 1709543100000,
                         "is_geoblocked_for_viewer": False},
                        {"sender_name": "A", "timestamp_ms": 1709543000000, "content": "hi"}]}
    p = tmp_path / "message_1.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    c = load_corpus(p)
    assert c.reconciles() and c.rejects[["record", "code"]].values.tolist() == [["1", "E165"]]
