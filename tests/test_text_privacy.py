"""Privacy hardening (issue 15): pseudonymous ids, names in examples, more PII formats."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pandas as pd
import pytest

from mining.io.corpus import load_corpus
from mining.text import pseudonyms
from mining.text.redact import redact, redact_names, redact_quotes


@pytest.fixture()
def key_home(tmp_path, monkeypatch):
    """A fresh cache folder, so the key is made here and not in the user's home."""
    monkeypatch.setenv("JOURNEYMINE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(pseudonyms, "_key_cache", {})
    return tmp_path / "cache"


@pytest.mark.parametrize("text", [
    "write to zoe@zoë.example please", "jürgen@müller.de", "用户@例子.广告",
    "a@xn--mller-kva.de", "call +7 495 123-45-67 now", "8 (495) 123-45-67",
    "mobile 612 345 678", "+34 612 345 678",
])
def test_text_privacy_more_pii_formats_are_redacted(text):
    out = redact(text)
    assert "<EMAIL>" in out or "<PHONE>" in out
    assert not re.search(r"\d{3}", out) and "@" not in out


@pytest.mark.parametrize("text", [
    "612 345 678 €", "we have 612 345 678 users", "1 299 000 €", "on 2026-01-05 at 10",
    "order 612 345 678",
])
def test_text_privacy_amounts_and_ids_stay(text):
    assert redact(text) == text


@pytest.mark.parametrize(("text", "gone"), [
    ("Hi, this is Emeka Souza.", ["Emeka", "Souza"]),
    ("Juniper, we can offer 10% off.", ["Juniper"]),
    ("Please ask Mr Brown about the invoice.", ["Brown"]),
    ("my name is Grace, I need a quote", ["Grace"]),
    ("Emeka here, quick question", ["Emeka"]),
    ("Thanks, Anika Ashworth", ["Anika", "Ashworth"]),
])
def test_text_privacy_names_in_one_text(text, gone):
    out = redact_names(text)
    assert "<NAME>" in out and not any(g in out for g in gone)


def test_text_privacy_common_words_and_days_are_not_names():
    for text in ("This is Urgent, please", "I am Happy with it", "Monday works for us"):
        assert redact_names(text) == text


def test_text_privacy_rare_names_never_label_a_theme():
    from mining.themes.names import find_names

    people = ["Adeyemi", "Anika", "Ashworth", "Okonkwo", "Bergström", "Tanaka"]
    texts = [f"Hello, I'm looking at the annual plan. Regards {p}" for p in people]
    texts += [f"Can we connect Xero to the billing page? case {i}" for i in range(150)]
    names = find_names(texts)
    assert {p.lower() for p in people} <= names
    assert "xero" not in names  # a product many customers name is not a person


def test_text_privacy_report_quotes_hide_names_not_only_authors():
    from mining.reports import _data

    messages = pd.DataFrame({
        "message_id": ["m1", "m2", "m3"],
        "author": ["Dana Lee", "Sam Ortiz", "Dana Lee"],
        "text": ["Hi, this is Emeka Souza, the price is too high for us",
                 "Dana, we can offer 10% off", "Thanks Sam"],
        "clean_text": ["Hi, this is Emeka Souza, the price is too high for us",
                       "Dana, we can offer 10% off", "Thanks Sam"],
    })
    quotes = _data.quotes(messages)
    shown = " ".join(quotes.values())
    for name in ("Emeka", "Souza", "Dana", "Sam"):
        assert name not in shown
    assert "price is too high" in shown
    assert redact_quotes({}, messages) == {}


def test_text_privacy_pseudonym_key_is_private_and_stable(key_home):
    a = pseudonyms.pseudonym("Dana@Client.example")
    b = pseudonyms.pseudonym(" dana@client.example ")
    assert a == b and re.fullmatch(r"cust-[0-9a-f]{16}", a)
    key = key_home / "pseudonym.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    pseudonyms._key_cache.clear()  # another run on the same machine: same id
    assert pseudonyms.pseudonym("dana@client.example") == a
    assert pseudonyms.pseudonym("dana@client.example", key=b"x" * 32) != a


def test_text_privacy_email_journey_ids_are_pseudonyms_and_still_join(key_home, tmp_path):
    eml = ("From: Dana Lee <dana@client.example>\nTo: sales@acme.example\nSubject: price\n"
           "Date: Fri, 1 Mar 2024 10:00:00 +0000\nMessage-ID: <a1@client.example>\n\n"
           "How much is the annual plan? Call me on +44 20 7946 0958.\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.eml").write_text(eml)
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("journey_id,converted\ndana@client.example,yes\n"
                        "dana@client.example,no\n")
    corpus = load_corpus(tmp_path / "in", outcomes=outcomes, agent_domains=["acme.example"])
    jid = corpus.messages["journey_id"].iloc[0]
    assert jid.startswith("cust-") and corpus.outcomes["journey_id"].tolist() == [jid]
    assert "dana@" not in " ".join(corpus.rejects["reason"])  # the duplicate key is not shown
    raw = load_corpus(tmp_path / "in", agent_domains=["acme.example"], redact=False)
    assert raw.messages["journey_id"].iloc[0] == "dana@client.example"


def test_text_privacy_message_ids_are_pseudonyms_and_threads_still_link(key_home):
    thread = Path(__file__).parent / "data" / "email" / "thread"
    red = load_corpus(thread, agent_domains=["acme-tools.com"]).messages
    raw = load_corpus(thread, agent_domains=["acme-tools.com"], redact=False).messages
    assert raw["message_id"].str.contains("@").all()  # Message-IDs look like addresses
    assert red["message_id"].str.fullmatch(r"msg-[0-9a-f]{16}").all()
    red, raw = red.sort_values("source"), raw.sort_values("source")
    want = [pseudonyms.pseudonym(m, prefix=pseudonyms.MESSAGE_PREFIX) for m in raw["message_id"]]
    assert red["message_id"].tolist() == want
    # the same threads: conversations group the same messages
    assert red.groupby("conversation_id").size().sort_values().tolist() == \
        raw.groupby("conversation_id").size().sort_values().tolist()


def test_text_privacy_message_pseudonyms_keep_case_and_join_reply_links(key_home):
    msg = pseudonyms.MESSAGE_PREFIX
    a, b = (pseudonyms.pseudonym(v, prefix=msg) for v in ("A1@x.example", "a1@x.example"))
    assert a != b and re.fullmatch(r"msg-[0-9a-f]{16}", a)  # two Message-IDs stay two messages
    assert pseudonyms.pseudonym("A1@x.example") == pseudonyms.pseudonym("a1@x.example")
    assert pseudonyms.pseudonym("a1@x.example") != "cust-" + b[4:]
    tags = pd.DataFrame({"message_id": ["q1@x.example", "r1@y.example", "plain-3"],
                         "replies_to": [None, "q1@x.example", "plain-3"],
                         "journey_id": ["dana@x.example"] * 3})
    out = pseudonyms.pseudonymize_frame(tags)
    assert out["replies_to"].iloc[1] == out["message_id"].iloc[0]
    assert out["message_id"].iloc[0].startswith("msg-") and out["message_id"].iloc[2] == "plain-3"
    assert out["journey_id"].iloc[0].startswith("cust-")
    assert pseudonyms.pseudonymize_frame(out).equals(out)  # pseudonyms are left alone


def test_text_privacy_raw_message_ids_in_a_labels_file_meet_a_redacted_corpus(key_home, tmp_path):
    from mining.labels import read_labels

    msg = pseudonyms.MESSAGE_PREFIX
    known = [pseudonyms.pseudonym(m, prefix=msg) for m in ("a@x.example", "b@x.example")]
    path = tmp_path / "labels.csv"
    path.write_text(f"message_id,is_objection\na@x.example,yes\n{known[1]},no\n")
    labels, _ = read_labels(path, known_ids=known)
    assert labels["message_id"].tolist() == known
    raw_known = ["a@x.example", "b@x.example"]  # a --no-redact corpus: raw ids stay raw
    path.write_text("message_id,is_objection\na@x.example,yes\nb@x.example,no\n")
    assert read_labels(path, known_ids=raw_known)[0]["message_id"].tolist() == raw_known


def test_text_privacy_themes_table_ids_that_are_addresses_become_pseudonyms(key_home, tmp_path):
    from mining.themes.run import read_table_rows

    path = tmp_path / "t.csv"
    path.write_text("id,body\ndana@x.example,too expensive\n+44 20 7946 0958,call me\nT-7,ok\n")
    rows, _ = read_table_rows([path], "body", "id")
    ids = rows["message_id"].tolist()
    assert ids[0].startswith("msg-") and ids[1].startswith("msg-") and ids[2] == "T-7"
    raw, _ = read_table_rows([path], "body", "id", redact=False)
    assert raw["message_id"].tolist()[:2] == ["dana@x.example", "+44 20 7946 0958"]


def test_text_privacy_mapping_file_only_on_request(key_home, tmp_path, monkeypatch):
    from _handmade import handmade_tables

    from mining import schema
    from mining.config import Settings
    from mining.io import output_dir
    from mining.pipeline import RunResult, write_outputs

    monkeypatch.setattr(output_dir, "write_report_html",
                        lambda path, **kw: path.write_text("<html></html>", encoding="utf-8"))
    t = handmade_tables(4, seed=1)
    tags = pseudonyms.pseudonymize_frame(t["tags"].assign(journey_id="ann@x.example"))
    res = RunResult(tags=tags, themes=t["themes"], reports={}, rejects=schema.empty("rejects"),
                    messages=tags, events=t["events"], outcomes=t["outcomes"])
    settings = Settings()
    write_outputs(res, tmp_path / "plain", settings=settings)
    assert not (tmp_path / "plain" / "pseudonyms.csv").exists()
    settings.ingest.pseudonym_map = True
    write_outputs(res, tmp_path / "mapped", settings=settings)
    mapping = pd.read_csv(tmp_path / "mapped" / "pseudonyms.csv")
    assert mapping.values.tolist() == [[tags["journey_id"].iloc[0], "ann@x.example"]]


def test_text_privacy_quotes_and_theme_examples_mask_alike():
    from mining.text.redact import corpus_person_names

    texts = ["Hi, this is Emeka Souza-Okafor.", "Dana's team said no", "Ms O'Neill called",
             "Thanks Dana!", "Jean-Luc, we can offer a trial", "my name is Grace"]
    messages = pd.DataFrame({"text": texts, "author": ["Dana Lee"] * len(texts)})
    names, vocatives = corpus_person_names(messages)
    quotes = redact_quotes(dict(enumerate(texts)), messages)
    assert [quotes[i] for i in range(len(texts))] == \
        [redact_names(t, names, vocatives) for t in texts]
    assert "Dana" not in " ".join(quotes.values())


def test_text_privacy_staff_addresses_in_recorded_settings_and_command(monkeypatch):
    from mining.config import Settings
    from mining.io import output_dir

    argv = ["journeymine", "run", "in/", "--agent-address", "sales@acme.example", "-o", "out"]
    monkeypatch.setattr("sys.argv", argv)
    settings = Settings.model_validate({"ingest": {"agent_addresses": ["sales@acme.example"]}})
    recorded = json.dumps([output_dir.recorded_settings(settings), output_dir._command(settings)])
    assert "sales@" not in recorded and "<EMAIL>" in recorded and "in/" in recorded
    settings.ingest.redact = False  # --no-redact records them as given
    assert output_dir.recorded_settings(settings)["ingest"]["agent_addresses"] == \
        ["sales@acme.example"]
    assert output_dir._command(settings) == argv
