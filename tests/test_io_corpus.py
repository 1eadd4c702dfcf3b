"""load_corpus: dispatch, cleaning, corpus-level rejects and reconciled counts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import mining
from mining import schema
from mining.config import IngestSettings, Settings
from mining.errors import ConfigError, InputError
from mining.io.corpus import Corpus, load_corpus, split_source

SECRET = "my card is 4111 1111 1111 1111 and mail dana@example.org"


def jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def folder(tmp_path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    jsonl(d / "chats.jsonl", [
        {"message_id": "m1", "conversation_id": "c1", "journey_id": "j1", "role": "user",
         "timestamp": "2024-03-01T10:00:00Z", "text": "How much does it cost?"},
        {"message_id": "m2", "conversation_id": "c1", "journey_id": "j1", "role": "rep",
         "timestamp": "2024-03-01T10:02:00Z", "text": "It is $40 a month."},
        {"message_id": "m3", "conversation_id": "c2", "role": "user", "text": SECRET},
        {"message_id": "m4", "conversation_id": "c2", "role": "user", "text": "   "},
    ])
    write(d / "more.csv", "message_id,conversation_id,role,text\n"
          "m1,c9,user,a duplicate id\n"
          "m5,c3,customer,Too expensive for us\n")
    write(d / "events.csv", "journey_id,timestamp,event_type\nj1,2024-03-02T09:00:00Z,purchase\n")
    write(d / "outcomes.csv", "conversation_id,converted,value\nc1,yes,40\nc2,no,\n")
    write(d / "README.txt", "not data")
    write(d / "labels.csv", "message_id,stage\nm1,consideration\n")  # neither kind: skipped
    (d / "truth").mkdir()
    write(d / "truth" / "journeys.csv", "journey_id,converted\nj1,no\n")  # not named outcomes
    return d


def test_io_corpus_folder_dispatch_and_reconcile(folder):
    corpus = load_corpus([folder])
    assert isinstance(corpus, Corpus)
    assert schema.check(corpus.messages, "messages") == []
    assert schema.check(corpus.events, "events") == []
    assert schema.check(corpus.outcomes, "outcomes") == []
    assert schema.check(corpus.rejects, "rejects") == []
    kinds = dict(zip(corpus.sources["source"].map(lambda s: Path(s).name), corpus.sources["kind"],
                     strict=True))
    assert kinds == {"chats.jsonl": "messages", "events.csv": "events", "more.csv": "messages",
                     "outcomes.csv": "outcomes"}
    assert corpus.reconciles()
    assert corpus.n_read == 9 == corpus.n_accepted + corpus.n_rejected
    assert corpus.messages["message_id"].tolist() == ["m1", "m2", "m3", "m5"]
    assert any("README.txt" in n for n in corpus.notes)
    assert any("labels.csv: skipped" in n for n in corpus.notes)
    assert any("journeys.csv: skipped" in n for n in corpus.notes)
    truth = folder / "truth" / "journeys.csv"
    assert load_corpus(folder / "chats.jsonl", outcomes=truth).reconciles()
    named = load_corpus(folder / "truth" / "journeys.csv")  # named explicitly: columns decide
    assert named.sources["kind"].tolist() == ["outcomes"]
    with pytest.raises(InputError, match="E106"):  # named explicitly, it must be messages
        load_corpus(folder / "labels.csv")


def test_io_corpus_duplicate_ids_keep_first_and_name_it(folder):
    corpus = load_corpus([folder])
    dup = corpus.rejects[corpus.rejects["code"] == "E114"]
    assert len(dup) == 1
    row = dup.iloc[0]
    assert row["source"].endswith("more.csv") and row["record"] == "2"
    assert f"{folder / 'chats.jsonl'}:1" in row["reason"]  # where the kept copy came from
    kept = corpus.messages.set_index("message_id").loc["m1"]
    assert kept["conversation_id"] == "c1"


def test_io_corpus_duplicates_across_file_order(tmp_path):
    a = jsonl(tmp_path / "a.jsonl", [{"message_id": "x", "text": "first"}])
    b = jsonl(tmp_path / "b.jsonl", [{"message_id": "x", "text": "second"}])
    corpus = load_corpus([b, a])
    assert corpus.messages["text"].tolist() == ["second"]
    assert corpus.rejects["source"].tolist() == [str(a)]


def test_io_corpus_empty_after_cleaning_rejected(folder):
    corpus = load_corpus([folder])
    empty = corpus.rejects[corpus.rejects["code"] == "E113"]
    assert empty["record"].tolist() == ["4"]
    # markup without words, or only a mobile signature, is empty once cleaned
    f = jsonl(folder.parent / "q.jsonl", [{"text": "<div><br></div>"}, {"text": "\u200b"},
                                          {"text": "Sent from my iPhone"}, {"text": "ok"}])
    corpus = load_corpus(f)
    assert corpus.rejects["code"].tolist() == ["E113"] * 3
    assert corpus.messages["text"].tolist() == ["ok"]


def test_io_corpus_oversized_messages_rejected(tmp_path):
    f = jsonl(tmp_path / "m.jsonl", [{"text": "short"}, {"text": "x" * 501}])
    corpus = load_corpus(f, max_message_chars=500)
    assert corpus.rejects["code"].tolist() == ["E116"]
    assert "501" in corpus.rejects["reason"][0] and "xxxx" not in corpus.rejects["reason"][0]
    assert len(load_corpus(f).messages) == 2  # the default limit is 20,000


def test_io_corpus_redaction_default_on(folder):
    on = load_corpus([folder]).messages.set_index("message_id")
    assert "4111" not in on.loc["m3", "clean_text"] and "<CARD>" in on.loc["m3", "clean_text"]
    assert "<EMAIL>" in on.loc["m3", "clean_text"]
    assert on.loc["m3", "text"] == SECRET  # text stays as given
    off = load_corpus([folder], redact=False).messages.set_index("message_id")
    assert "dana@example.org" in off.loc["m3", "clean_text"]


def test_io_corpus_explicit_redact_overrides_settings(folder):
    off = Settings.model_validate({"ingest": {"redact": False}})
    kept = load_corpus([folder], settings=off).messages.set_index("message_id")
    assert "dana@example.org" in kept.loc["m3", "clean_text"]  # None: the settings decide
    for settings in (off, off.ingest):
        on = load_corpus([folder], settings=settings, redact=True).messages
        m3 = on.set_index("message_id").loc["m3", "clean_text"]
        assert "dana@example.org" not in m3 and "<EMAIL>" in m3  # the explicit argument wins
    on_cfg = Settings.model_validate({"ingest": {"redact": True}})
    forced = load_corpus([folder], settings=on_cfg, redact=False).messages
    assert "4111" in forced.set_index("message_id").loc["m3", "clean_text"]


def test_io_corpus_reasons_never_hold_message_text(folder, tmp_path):
    f = write(tmp_path / "x.csv", "role,text\nwizard," + SECRET.replace(",", "") + "\n")
    corpus = load_corpus([folder, f], max_message_chars=10)
    assert len(corpus.rejects) >= 4
    joined = " ".join(corpus.rejects["reason"])
    for word in ("4111", "dana@", "cost", "expensive", "duplicate id"):
        assert word not in joined


def test_io_corpus_outcomes_keyed_by_conversation_join_journeys(folder):
    corpus = load_corpus([folder])
    out = corpus.outcomes.set_index("journey_id")
    assert out.loc["j1", "converted"] == True  # noqa: E712 - c1 belongs to journey j1
    assert out.loc["j1", "value"] == 40.0
    assert out.loc["c2", "converted"] == False  # noqa: E712 - c2 has no journey: its own
    assert corpus.events["journey_id"].tolist() == ["j1"]


def test_io_corpus_outcomes_of_one_journey_are_merged(tmp_path):
    m = jsonl(tmp_path / "m.jsonl", [
        {"conversation_id": "c1", "journey_id": "j", "text": "hi"},
        {"conversation_id": "c2", "journey_id": "j", "text": "hello again"},
    ])
    o = write(tmp_path / "o.csv", "conversation_id,converted,converted_at,value\n"
              "c1,no,,\nc2,yes,2024-03-05T10:00:00Z,120\n")
    corpus = load_corpus(m, outcomes=o)
    assert len(corpus.outcomes) == 1
    row = corpus.outcomes.iloc[0]
    assert row["journey_id"] == "j" and bool(row["converted"]) and row["value"] == 120.0
    assert row["converted_at"] == pd.Timestamp("2024-03-05T10:00Z")
    assert corpus.reconciles() and corpus.sources["accepted"].tolist() == [2, 2]


def test_io_corpus_duplicate_outcomes_across_files(tmp_path):
    m = jsonl(tmp_path / "m.jsonl", [{"text": "hi"}])
    o1 = write(tmp_path / "o1.csv", "journey_id,converted\nj1,yes\n")
    o2 = write(tmp_path / "o2.csv", "journey_id,converted\nj1,no\nj2,no\n")
    corpus = load_corpus(m, outcomes=[o1, o2])
    assert corpus.rejects["code"].tolist() == ["E114"]
    assert f"{o1}:2" in corpus.rejects["reason"][0]
    assert corpus.outcomes["journey_id"].tolist() == ["j1", "j2"] and corpus.reconciles()


def test_io_corpus_settings_and_overrides(tmp_path):
    f = write(tmp_path / "m.csv", "body,when\nhello,2024-01-15 09:00\n")
    s = Settings.model_validate({"ingest": {"timezone": "Europe/Berlin",
                                            "column_map": {"text": "body", "timestamp": "when"}}})
    corpus = load_corpus(f, settings=s)
    assert corpus.messages["timestamp"].iloc[0] == pd.Timestamp("2024-01-15T08:00Z")
    utc = load_corpus(f, settings=s.ingest, timezone="Asia/Tokyo")  # keyword overrides setting
    assert utc.messages["timestamp"].iloc[0] == pd.Timestamp("2024-01-15T00:00Z")
    mapped = load_corpus(f, column_map={"timestamp": "when"}, settings=IngestSettings())
    assert mapped.messages["timestamp"].iloc[0] == pd.Timestamp("2024-01-15T09:00Z")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [({"timezone": "Nowhere/City"}, "E004"), ({"column_map": {"bogus": "x"}}, "E002"),
     ({"max_message_chars": 0}, "E001")],
)
def test_io_corpus_bad_config(tmp_path, kwargs, code):
    f = jsonl(tmp_path / "m.jsonl", [{"text": "hi"}])
    with pytest.raises(ConfigError, match=code):
        load_corpus(f, **kwargs)


def test_io_corpus_bad_paths(tmp_path):
    with pytest.raises(ConfigError, match="E006"):
        load_corpus([])
    with pytest.raises(InputError, match="E100"):
        load_corpus(tmp_path / "missing.jsonl")
    (tmp_path / "empty").mkdir()
    write(tmp_path / "empty" / "notes.txt", "x")
    with pytest.raises(InputError, match="E108"):
        load_corpus(tmp_path / "empty")
    with pytest.raises(InputError, match="E101"):
        load_corpus(write(tmp_path / "x.docx", "x"))


def test_io_corpus_public_api_is_lazy():
    assert mining.load_corpus is load_corpus


def test_io_corpus_split_source():
    assert split_source("a/b.jsonl:12") == ("a/b.jsonl", "12")
    assert split_source("exp.json#3.2") == ("exp.json", "3.2")
    assert split_source("inbox/x.eml") == ("inbox/x.eml", "")


EML = """From: Dana Lee <dana@client.example>
To: sales@acme.example
Subject: Pricing
Date: Fri, 01 Mar 2024 10:00:00 +0000
Message-ID: <a1@client.example>
Content-Type: text/plain; charset=utf-8

Hi, is there a discount for annual billing? Call me on +1 415 555 0134.

Dana
"""

REPLY = """From: Sam <sam@acme.example>
To: dana@client.example
Subject: Re: Pricing
Date: Fri, 01 Mar 2024 11:00:00 +0000
Message-ID: <b2@acme.example>
In-Reply-To: <a1@client.example>
Content-Type: text/plain; charset=utf-8

Yes, 15% off.

On Fri, 1 Mar 2024 at 10:00, Dana Lee <dana@client.example> wrote:
> Hi, is there a discount for annual billing?
"""


def test_io_corpus_email_folder_with_tables(tmp_path):
    pytest.importorskip("mining.io.email")
    d = tmp_path / "mixed"
    (d / "mail").mkdir(parents=True)
    write(d / "mail" / "1.eml", EML)
    write(d / "mail" / "2.eml", REPLY)
    jsonl(d / "chat.jsonl", [{"text": "hello from chat"}])
    corpus = load_corpus(d, agent_domains=["acme.example"])
    assert corpus.reconciles()
    emails = corpus.messages[corpus.messages["channel"] == "email"].set_index("message_id")
    from mining.text.pseudonyms import MESSAGE_PREFIX, pseudonym

    # Message-IDs are shaped like addresses: the corpus holds their msg- pseudonyms
    a1, b2 = (pseudonym(m, prefix=MESSAGE_PREFIX) for m in ("a1@client.example", "b2@acme.example"))
    assert emails.loc[b2, "role"] == "agent"
    assert emails.loc[a1, "role"] == "customer"
    assert "<PHONE>" in emails.loc[a1, "clean_text"]  # the corpus redacts
    assert "wrote:" not in emails.loc[b2, "clean_text"]
    assert emails["conversation_id"].nunique() == 1
    assert set(corpus.sources["format"]) == {"email", "jsonl"}


def test_io_corpus_email_threads_span_mbox_and_eml(tmp_path):  # mbox without extension
    pytest.importorskip("mining.io.email")
    d = tmp_path / "inbox"
    (d / "sent").mkdir(parents=True)
    write(d / "sent" / "reply.eml", REPLY)
    write(d / "Archive", "From dana@client.example Fri Mar  1 10:00:00 2024\n" + EML + "\n")
    corpus = load_corpus(d, agent_domains=["acme.example"])
    assert len(corpus.sources) == 1 and corpus.sources["format"].iloc[0] == "email"
    assert corpus.messages["conversation_id"].nunique() == 1  # one thread across both files
    assert sorted(corpus.messages["role"]) == ["agent", "customer"]
    assert corpus.reconciles()


def test_io_corpus_settings_lists_survive_default_keywords(tmp_path):
    f = jsonl(tmp_path / "m.jsonl", [{"text": "hi"}])
    s = Settings.model_validate({"ingest": {"agent_domains": ["acme.example"], "redact": False}})
    from mining.io.corpus import _ingest_settings

    kept = _ingest_settings(s, {"agent_domains": [], "redact": None, "column_map": None})
    assert kept.agent_domains == ["acme.example"] and kept.redact is False
    assert load_corpus(f, settings=s).reconciles()


def test_io_corpus_from_frames(tmp_path):
    from mining.io.corpus import corpus_from_frames

    messages = pd.DataFrame({
        "conversation_id": ["c1", "c1", "c2", "c3"],
        "sender_type": ["lead", "sales", None, "user"],
        "body": ["Is there a setup fee?", "No setup fee.", "hello", "  "],
        "sent": [pd.Timestamp("2024-01-15 09:00"), pd.NaT, pd.Timestamp("2024-01-15 10:00"),
                 pd.Timestamp("2024-01-15 11:00")],
    })
    outcomes = pd.DataFrame({"conversation_id": ["c1"], "converted": ["yes"]})
    corpus = corpus_from_frames(
        messages, outcomes=outcomes, column_map={"text": "body", "timestamp": "sent"},
        timezone="Europe/Berlin",
    )
    m = corpus.messages
    assert m["role"].tolist() == ["customer", "agent"]
    assert m["timestamp"].iloc[0] == pd.Timestamp("2024-01-15T08:00Z")
    assert pd.isna(m["timestamp"].iloc[1])
    assert corpus.rejects[["source", "record", "code"]].values.tolist() == [
        ["<messages>", "3", "E111"], ["<messages>", "4", "E113"]]
    assert corpus.outcomes["journey_id"].tolist() == ["c1"] and corpus.reconciles()
    assert schema.check(m, "messages") == []
    # the same rows written to a file give the same messages (ids aside)
    messages.to_csv(tmp_path / "m.csv", index=False)
    from_file = load_corpus(tmp_path / "m.csv", column_map={"text": "body", "timestamp": "sent"},
                            timezone="Europe/Berlin").messages
    assert from_file["clean_text"].tolist() == m["clean_text"].tolist()
