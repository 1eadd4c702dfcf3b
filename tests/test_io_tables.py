"""Readers of message tables, chat exports, events and outcomes (mining.io.*)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from mining import schema
from mining.config import IngestSettings
from mining.errors import ConfigError, InputError
from mining.io.chat import read_chat_export
from mining.io.events import read_events
from mining.io.outcomes import read_outcomes
from mining.io.tables import read_message_table


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(path: Path, rows: list) -> Path:
    return write(path, "".join(json.dumps(r) + "\n" for r in rows))


def codes(result) -> list[str]:
    return result.rejects["code"].tolist()


def test_io_tables_jsonl_canonical_fields(tmp_path):
    f = jsonl(tmp_path / "chats.jsonl", [
        {"message_id": "m1", "conversation_id": "c1", "journey_id": "lead-7",
         "timestamp": "2024-03-01T10:00:00Z", "channel": "Chat", "role": "customer",
         "author": "Dana", "text": "How much is the annual plan?"},
        {"message_id": "m2", "conversation_id": "c1", "timestamp": "2024-03-01T10:01:00+02:00",
         "role": "agent", "text": "It is $480 a year."},
    ])
    res = read_message_table(f)
    assert schema.check(res.table, "messages") == []
    t = res.table
    assert t["message_id"].tolist() == ["m1", "m2"]
    assert t["journey_id"].tolist() == ["lead-7", "c1"]  # defaults to the conversation
    assert t["channel"].tolist()[0] == "chat"
    expected = [pd.Timestamp("2024-03-01T10:00Z"), pd.Timestamp("2024-03-01T08:01Z")]
    assert t["timestamp"].tolist() == expected
    assert t["source"].tolist() == [f"{f}:1", f"{f}:2"]
    assert res.n_read == 2 and res.rejects.empty and res.fmt == "jsonl"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("user", "customer"), ("Client", "customer"), ("lead", "customer"), ("prospect", "customer"),
     ("visitor", "customer"), ("rep", "agent"), ("Staff", "agent"), ("assistant", "agent"),
     ("persuader", "agent"), ("sales", "agent"), ("support", "agent"), ("Sales Rep", "agent"),
     ("bot", "bot"), ("chatbot", "bot"), ("system", "system"), ("AGENT", "agent")],
)
def test_io_tables_role_synonyms(tmp_path, given, expected):
    f = jsonl(tmp_path / "r.jsonl", [{"conversation_id": "c", "role": given, "text": "hello"}])
    assert read_message_table(f).table["role"].tolist() == [expected]


def test_io_tables_unknown_and_missing_role_rejected(tmp_path):
    f = jsonl(tmp_path / "r.jsonl", [
        {"conversation_id": "c", "role": "martian", "text": "secret words"},
        {"conversation_id": "c", "text": "more secret words"},
        {"conversation_id": "c", "role": "user", "text": "ok"},
    ])
    res = read_message_table(f)
    assert codes(res) == ["E117", "E111"]
    assert res.rejects["record"].tolist() == ["1", "2"]
    assert "martian" in res.rejects["reason"][0] and "secret" not in " ".join(res.rejects["reason"])
    assert len(res.table) == 1 and res.n_read == 3


def test_io_tables_naive_timestamps_use_timezone(tmp_path):
    f = write(tmp_path / "t.csv", "conversation_id,role,text,timestamp\n"
              "c,user,winter,2024-01-15 09:00\n"
              "c,user,summer,2024-07-15T09:00:00\n"
              "c,user,aware,2024-07-15T09:00:00Z\n"
              "c,user,no time,\n")
    res = read_message_table(f, IngestSettings(timezone="Europe/Berlin"))
    ts = res.table["timestamp"].tolist()
    assert ts[0] == pd.Timestamp("2024-01-15T08:00Z")  # CET = UTC+1
    assert ts[1] == pd.Timestamp("2024-07-15T07:00Z")  # CEST = UTC+2
    assert ts[2] == pd.Timestamp("2024-07-15T09:00Z")  # explicit offset wins
    assert pd.isna(ts[3])
    assert str(res.table["timestamp"].dtype) == "datetime64[ns, UTC]"


def test_io_tables_epoch_numbers_and_bad_timestamps(tmp_path):
    f = jsonl(tmp_path / "t.jsonl", [
        {"conversation_id": "c", "role": "user", "text": "a", "timestamp": 1709287200},
        {"conversation_id": "c", "role": "user", "text": "b", "timestamp": 1709287200000},
        {"conversation_id": "c", "role": "user", "text": "c", "timestamp": "yesterday"},
        {"conversation_id": "c", "role": "user", "text": "d", "timestamp": "2024-13-45T00:00"},
    ])
    res = read_message_table(f)
    assert res.table["timestamp"].tolist() == [pd.Timestamp("2024-03-01T10:00Z")] * 2
    assert codes(res) == ["E112", "E112"]
    assert "yesterday" in res.rejects["reason"][0]


def test_io_tables_unknown_timezone_is_config_error(tmp_path):
    f = jsonl(tmp_path / "t.jsonl", [{"text": "a"}])
    with pytest.raises(ConfigError, match="E004"):
        read_message_table(f, IngestSettings(timezone="Mars/Olympus"))


def test_io_tables_column_map_and_aliases(tmp_path):
    f = write(tmp_path / "m.csv", "thread,sender_type,body,speaker\nt1,rep,Hello there,ignored\n")
    mapping = {"text": "body", "conversation_id": "thread"}
    res = read_message_table(f, IngestSettings(column_map=mapping))
    row = res.table.iloc[0]
    assert (row["text"], row["conversation_id"], row["role"]) == ("Hello there", "t1", "agent")
    # without --map the alias 'body' is recognised, 'thread' is not a known alias
    res2 = read_message_table(f)
    assert res2.table["text"].tolist() == ["Hello there"]
    assert any("sender_type" in n for n in res2.notes)


def test_io_tables_unknown_map_field_is_config_error(tmp_path):
    f = jsonl(tmp_path / "t.jsonl", [{"text": "a"}])
    with pytest.raises(ConfigError, match="E002"):
        read_message_table(f, IngestSettings(column_map={"txt": "body"}))


def test_io_tables_generated_ids_are_deterministic(tmp_path):
    rows = [{"text": "same words"}, {"text": "same words"}, {"text": "other"}]
    a = read_message_table(jsonl(tmp_path / "x.jsonl", rows)).table
    (tmp_path / "copy").mkdir()
    b = read_message_table(jsonl(tmp_path / "copy" / "x.jsonl", rows)).table
    assert a["message_id"].tolist() == b["message_id"].tolist()  # same file name, other folder
    assert a["message_id"].is_unique  # identical texts in different rows still differ
    assert all(m.startswith("m-") for m in a["message_id"])
    c = read_message_table(jsonl(tmp_path / "y.jsonl", rows)).table
    assert set(c["message_id"]).isdisjoint(a["message_id"])  # another source, other ids


def test_io_tables_text_only_csv_is_customer_conversations(tmp_path):
    f = write(tmp_path / "feedback.csv", "text\nToo expensive for us\nDo you do Xero?\n")
    res = read_message_table(f)
    t = res.table
    assert t["role"].tolist() == ["customer", "customer"]
    assert t["conversation_id"].is_unique
    assert t["journey_id"].tolist() == t["conversation_id"].tolist()
    assert t["source"].tolist() == [f"{f}:2", f"{f}:3"]


def test_io_tables_csv_dialects_and_multiline_fields(tmp_path):
    body = 'conversation_id;role;text\nc1;user;"line one\nline two"\nc1;agent;ok\n'
    f = write(tmp_path / "semi.csv", body)
    res = read_message_table(f)
    assert res.table["text"].tolist() == ["line one\nline two", "ok"]
    assert res.table["source"].tolist() == [f"{f}:2", f"{f}:4"]
    tsv = write(tmp_path / "t.tsv", "role\ttext\nuser\thi, there\n")
    assert read_message_table(tsv).table["text"].tolist() == ["hi, there"]


def test_io_tables_csv_wrong_field_count_rejected(tmp_path):
    f = write(tmp_path / "m.csv", "role,text\nuser,fine\nuser,one,extra\n")
    res = read_message_table(f)
    assert codes(res) == ["E121"] and res.rejects["record"].tolist() == ["3"]
    assert len(res.table) == 1 and res.n_read == 2


def test_io_tables_parquet(tmp_path):
    f = tmp_path / "m.parquet"
    pd.DataFrame({
        "conversation_id": ["c1", "c1"], "role": ["user", "rep"], "text": ["price?", "$10"],
        "timestamp": pd.to_datetime(["2024-03-01 10:00", "2024-03-01 10:05"]),
    }).to_parquet(f)
    res = read_message_table(f, IngestSettings(timezone="America/New_York"))
    assert res.fmt == "parquet"
    assert res.table["role"].tolist() == ["customer", "agent"]
    assert res.table["timestamp"].iloc[0] == pd.Timestamp("2024-03-01T15:00Z")
    assert res.table["source"].tolist() == [f"{f}#1", f"{f}#2"]


def test_io_tables_json_array_and_non_objects(tmp_path):
    f = write(tmp_path / "m.json", json.dumps([{"text": "a"}, "oops", {"text": "b"}, [1]]))
    res = read_message_table(f)
    assert res.table["text"].tolist() == ["a", "b"]
    assert codes(res) == ["E118", "E118"] and res.rejects["record"].tolist() == ["2", "4"]
    assert res.n_read == 4


def test_io_tables_bad_json_line_and_undecodable_bytes(tmp_path):
    f = tmp_path / "m.jsonl"
    f.write_bytes(b'{"text": "fine"}\n{"text": broken\n{"text": "caf\xe9"}\n\n{"text": "ok"}\n')
    res = read_message_table(f)
    assert codes(res) == ["E110", "E115"]
    assert res.rejects["record"].tolist() == ["2", "3"]
    assert res.table["text"].tolist() == ["fine", "ok"] and res.n_read == 4
    c = tmp_path / "m.csv"
    c.write_bytes(b"text\nfine\ncaf\xe9\n")
    assert codes(read_message_table(c)) == ["E115"]


def test_io_tables_gzip_and_truncated_gzip(tmp_path):
    data = "".join(json.dumps({"text": f"message {i}"}) + "\n" for i in range(200)).encode()
    good = tmp_path / "m.jsonl.gz"
    good.write_bytes(gzip.compress(data))
    assert len(read_message_table(good).table) == 200
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(gzip.compress(data)[:-30])
    with pytest.raises(InputError, match=r"E104.*bad\.jsonl\.gz"):
        read_message_table(bad)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [("bin.csv", b"\x00\x01\x02PK\x03\x04" * 50, "E105"),
     ("nohead.csv", b"c1,user,I want a refund\nc1,agent,Sure\n", "E103"),
     ("nohead2.csv", b"2024-03-01,hello\n", "E103"),
     ("broken.json", b'[{"text": "a"', "E102"),
     ("fake.parquet", b"not parquet at all", "E102"),
     ("notext.csv", b"role,who\nuser,x\n", "E106"),
     ("what.xlsx", b"x", "E101")],
)
def test_io_tables_bad_files_raise_one_clear_error(tmp_path, name, content, code):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_message_table(f)
    assert code in str(err.value) and name in str(err.value)


def test_io_tables_empty_files_read_nothing(tmp_path):
    for name in ("e.csv", "e.jsonl"):
        res = read_message_table(write(tmp_path / name, ""))
        assert res.n_read == 0 and res.table.empty


def test_io_chat_export_metadata_and_records(tmp_path):
    doc = {"conversations": [
        {"conversation_id": "c-1", "customer_id": "lead-9", "channel": "web",
         "messages": [
             {"message_id": "a", "timestamp": "2024-03-01T10:00:00Z", "role": "visitor",
              "author": "Dana", "text": "Do you ship to Canada?"},
             {"timestamp": "2024-03-01T10:01:00Z", "role": "bot", "text": "Yes.", "channel": "sms"},
             {"role": "visitor"},
             "junk",
         ]},
        {"id": "c-2", "messages": [{"role": "user", "text": "hi"}]},
        {"messages": [{"role": "user", "text": "anon"}]},
        {"conversation_id": "c-4", "messages": "nope"},
        {"conversation_id": "c-5", "messages": []},
    ]}
    f = write(tmp_path / "export.json", json.dumps(doc))
    res = read_chat_export(f)
    t = res.table
    assert res.fmt == "chat" and res.n_read == 7
    assert t["conversation_id"].tolist()[:3] == ["c-1", "c-1", "c-2"]
    assert t["journey_id"].tolist()[:2] == ["lead-9", "lead-9"]
    assert t["channel"].tolist() == ["web", "sms", "chat", "chat"]
    assert t["role"].tolist() == ["customer", "bot", "customer", "customer"]
    assert t["source"].tolist()[:2] == [f"{f}#1.1", f"{f}#1.2"]
    assert t["conversation_id"].iloc[3].startswith("c-")
    assert codes(res) == ["E111", "E118", "E122"]
    assert res.rejects["record"].tolist() == ["1.3", "1.4", "4"]
    # the same conversations as a bare array, or one conversation, read the same way
    bare = read_message_table(write(tmp_path / "bare.json", json.dumps(doc["conversations"])))
    assert len(bare.table) == 4
    one = read_message_table(write(tmp_path / "one.json", json.dumps(doc["conversations"][0])))
    assert one.table["conversation_id"].tolist() == ["c-1", "c-1"]


def test_io_chat_export_conversation_per_jsonl_line(tmp_path):
    f = jsonl(tmp_path / "convs.jsonl", [
        {"conversation_id": "c1",
         "messages": [{"role": "user", "text": "a"}, {"role": "rep", "text": "b"}]},
        {"conversation_id": "c2", "messages": [{"role": "user", "text": "c"}]},
    ])
    res = read_message_table(f)
    assert res.table["conversation_id"].tolist() == ["c1", "c1", "c2"] and res.n_read == 3


def test_io_events_reader(tmp_path):
    f = write(tmp_path / "events.csv", "journey_id,timestamp,event_type,channel,value\n"
              "j1,2024-03-01T09:00:00,Visit,Web,\n"
              "j1,2024-03-05T12:00:00Z,purchase,web,\"1,200.50\"\n"
              ",2024-03-05,visit,,\n"
              "j2,2024-03-05,,,\n"
              "j2,someday,visit,,\n"
              "j2,2024-03-05,purchase,,lots\n")
    res = read_events(f, IngestSettings(timezone="Europe/London"))
    assert schema.check(res.table, "events") == []
    assert res.table["event_type"].tolist() == ["visit", "purchase"]
    assert res.table["value"].tolist()[1] == 1200.5
    assert res.table["timestamp"].iloc[0] == pd.Timestamp("2024-03-01T09:00Z")
    assert codes(res) == ["E111", "E111", "E112", "E120"]
    assert res.n_read == 6


def test_io_events_missing_event_type_column(tmp_path):
    f = write(tmp_path / "events.csv", "journey_id,timestamp\nj1,2024-03-01\n")
    with pytest.raises(InputError, match="E106.*event_type"):
        read_events(f)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("False", False), ("1", True), ("0", False), ("yes", True), ("NO", False)],
)
def test_io_outcomes_converted_values(tmp_path, value, expected):
    f = write(tmp_path / "o.csv", f"journey_id,converted\nj1,{value}\n")
    assert read_outcomes(f).table["converted"].tolist() == [expected]


def test_io_outcomes_rejects_and_keys(tmp_path):
    f = jsonl(tmp_path / "o.jsonl", [
        {"conversation_id": "c1", "converted": True, "converted_at": "2024-03-02", "value": 9},
        {"conversation_id": "c1", "converted": False},
        {"conversation_id": "c2", "converted": "maybe"},
        {"conversation_id": "c3"},
        {"converted": 1},
        {"conversation_id": "c4", "converted": 0, "value": "n/a"},
    ])
    res = read_outcomes(f)
    assert schema.check(res.table.drop(columns="conversation_id"), "outcomes") == []
    assert res.table["conversation_id"].tolist() == ["c1"]
    assert codes(res) == ["E114", "E119", "E111", "E111", "E120"]
    assert "line 1" not in res.rejects["reason"][0] and f"{f}:1" in res.rejects["reason"][0]
    with pytest.raises(InputError, match="E106"):
        read_outcomes(write(tmp_path / "nokey.csv", "who,converted\nx,1\n"))


@pytest.mark.parametrize(
    "value",
    ["2024-03-01T10:00:00Z", "2024-03-01 10:00:00 UTC", "2024-03-01T11:00:00+01:00",
     "1709287200", "1709287200000", "2024-03-01T05:00:00-05:00"],
)
def test_io_tables_timestamp_forms_in_csv(tmp_path, value):
    f = write(tmp_path / "t.csv", f"text,timestamp\nhi,{value}\n")
    res = read_message_table(f, IngestSettings(timezone="Asia/Tokyo"))  # none of these is naive
    assert res.table["timestamp"].tolist() == [pd.Timestamp("2024-03-01T10:00Z")]


@pytest.mark.parametrize("value", ["2024", "03/01/2024", "tomorrow", "2024-02-30"])
def test_io_tables_timestamp_non_iso_rejected(tmp_path, value):
    f = write(tmp_path / "t.csv", f"text,timestamp\nhi,{value}\n")
    assert codes(read_message_table(f)) == ["E112"]


def test_io_tables_one_column_can_feed_two_fields(tmp_path):
    f = write(tmp_path / "m.csv", "conversation_id,lead,text\nc1,L9,hi\nc2,,hello\n")
    res = read_message_table(f, IngestSettings(column_map={"journey_id": "conversation_id"}))
    assert res.table["conversation_id"].tolist() == ["c1", "c2"]
    assert res.table["journey_id"].tolist() == ["c1", "c2"]
    mapped = read_message_table(f, IngestSettings(column_map={"journey_id": "lead"}))
    assert mapped.table["journey_id"].tolist() == ["L9", "c2"]  # blank falls back to conversation


@pytest.mark.parametrize(
    ("given", "expected"),
    [("1,200.50", 1200.5), ("1.200,50", 1200.5), ("12,5", 12.5), ("$40", 40.0), ("40 €", 40.0)],
)
def test_io_events_value_number_formats(tmp_path, given, expected):
    f = write(tmp_path / "e.csv", f'journey_id,event_type,value\nj,purchase,"{given}"\n')
    assert read_events(f).table["value"].tolist() == [expected]


def test_io_tables_reasons_do_not_quote_sentences(tmp_path):
    f = write(tmp_path / "m.csv", "text,role,timestamp\n"
              "hi,please call me back about the invoice,\n"
              "hi,user,my order number is in the email I sent\n")
    res = read_message_table(f)
    assert codes(res) == ["E117", "E112"]
    joined = " ".join(res.rejects["reason"])
    assert "invoice" not in joined and "order number" not in joined
    assert "characters, not shown" in joined


def test_io_tables_csv_headers_pandas_index_and_repeated_names(tmp_path):
    f = tmp_path / "indexed.csv"
    pd.DataFrame({"role": ["user"], "text": ["hi"]}).to_csv(f)  # first header cell is empty
    assert read_message_table(f).table["text"].tolist() == ["hi"]
    with pytest.raises(InputError, match="E102.*'text' more than once"):
        read_message_table(write(tmp_path / "rep.csv", "text,role,text\na,user,b\n"))
