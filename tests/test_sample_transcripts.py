"""The sample data set: reproducible byte for byte, big enough, well-formed, and its planted
effects are what its README and planted_effects.json say."""

from __future__ import annotations

import csv
import itertools
import json
import mailbox
import re
import sys
from email.utils import getaddresses
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "sample_transcripts"
GENERATED_EXT = {".jsonl", ".mbox", ".csv", ".json"}
sys.path.insert(0, str(SAMPLES))

from _gen import dental_objections, dental_talk, effects, saas_objections, saas_talk  # noqa: E402

BUSINESSES = {"brightsmile": "brightsmile-dental.example", "ledgerly": "ledgerly.example"}
CHAT_FIELDS = ["message_id", "conversation_id", "journey_id", "timestamp", "channel", "role",
               "author", "text"]
KINDS = {"price", "timing", "authority", "trust", "competitor", "need", "contract",
         "implementation", "feature", "security"}


def _data_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix in GENERATED_EXT and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    import generate

    out = tmp_path_factory.mktemp("samples")
    generate.generate(str(out))
    return out


@pytest.fixture(scope="module")
def effects_json() -> dict:
    return json.loads((SAMPLES / "planted_effects.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def labels() -> list[dict]:
    with open(SAMPLES / "ground_truth" / "labels.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_sample_transcripts_regenerate_byte_for_byte(regenerated):
    committed, fresh = _data_files(SAMPLES), _data_files(regenerated)
    assert sorted(fresh) == sorted(committed)
    differing = [name for name in committed if committed[name] != fresh[name]]
    assert differing == [], f"generator output differs from the committed files: {differing}"


def test_sample_transcripts_scale_and_channels(effects_json, labels):
    counts = effects_json["files"]
    n_messages = sum(v for k, v in counts.items() if k.endswith(("chat.jsonl", "inbox.mbox")))
    assert n_messages >= 8000
    assert len(labels) == n_messages
    assert effects_json["all"]["journeys"] >= 600
    for biz in BUSINESSES:
        assert counts[f"{biz}/chat.jsonl"] > 1000 and counts[f"{biz}/inbox.mbox"] > 1000
    chans = {}
    for r in labels:
        chans.setdefault(r["journey_id"], set()).add(r["channel"])
    assert sum(c == {"chat", "email"} for c in chans.values()) >= 50  # journeys span channels
    stages = {r["stage"] for r in labels}
    assert stages == {"awareness", "consideration", "decision", "purchase", "retention"}
    kinds = {r["objection_kind"] for r in labels if r["is_objection"] == "true"}
    assert kinds == KINDS
    strategies = {r["reply_strategy"] for r in labels if r["reply_strategy"]}
    assert len(strategies) == 8


@pytest.mark.parametrize("bank", [dental_objections.OBJECTIONS, saas_objections.OBJECTIONS],
                         ids=["brightsmile", "ledgerly"])
def test_sample_transcripts_objection_phrasings_are_distinct(bank):
    assert set(bank) == KINDS

    def words(s):
        return set(re.findall(r"[a-z0-9']+", s.lower()))

    seen = set()
    for kind, phrasings in bank.items():
        distinct = {p.strip().lower() for p in phrasings}
        assert len(distinct) >= 25, kind
        assert not (distinct & seen), f"{kind} shares a phrasing with another kind"
        seen |= distinct
        for a, b in itertools.combinations(phrasings, 2):
            wa, wb = words(a), words(b)
            jaccard = len(wa & wb) / len(wa | wb)
            assert jaccard < 0.6, f"near-duplicate {kind} phrasings: {a!r} / {b!r}"


@pytest.mark.parametrize("talk", [dental_talk, saas_talk], ids=["brightsmile", "ledgerly"])
def test_sample_transcripts_reply_strategies_and_hedges_are_varied(talk):
    assert set(talk.REPLIES) == {"discount", "value", "social_proof", "guarantee", "payment",
                                 "clarification", "scheduling", "empathy"}
    for strategy, phrasings in talk.REPLIES.items():
        assert len(set(phrasings)) >= 12, strategy
    assert len(set(talk.NON_OBJECTIONS)) >= 20
    assert all(len(v) >= 3 for v in talk.CLARIFY.values())


def test_sample_transcripts_chat_follows_the_contract():
    from datetime import datetime

    for biz in BUSINESSES:
        ids = set()
        with open(SAMPLES / biz / "chat.jsonl", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                assert list(rec) == CHAT_FIELDS
                assert rec["channel"] == "chat"
                assert rec["role"] in {"customer", "agent", "bot", "system"}
                assert rec["text"].strip()
                assert datetime.fromisoformat(rec["timestamp"]).utcoffset() is not None
                assert rec["message_id"] not in ids
                ids.add(rec["message_id"])
        assert b"\r" not in (SAMPLES / biz / "chat.jsonl").read_bytes()


def test_sample_transcripts_email_is_realistic():
    for biz, domain in BUSINESSES.items():
        raw = (SAMPLES / biz / "inbox.mbox").read_bytes()
        assert b"=?utf-8?" in raw  # RFC 2047 display names
        assert b"multipart/alternative" in raw and b"text/html" in raw
        assert b" wrote:\n" in raw and b"-----Original Message-----" in raw
        assert b"\n-- \n" in raw or b"--=20" in raw
        assert b"\nSubject: Re: " in raw
        box = mailbox.mbox(SAMPLES / biz / "inbox.mbox")
        agent_domains = set()
        for msg in box:
            assert msg["Message-ID"] and msg["Date"]
            frm = getaddresses([msg["From"]])[0][1]
            to = getaddresses([msg["To"]])[0][1]
            if frm.endswith("@" + domain):
                agent_domains.add(frm.split("@")[1])
                assert not to.endswith("@" + domain)
            else:
                assert to.endswith("@" + domain)
                assert frm.split("@")[1].endswith((".example", ".test", "example.com",
                                                   "example.net", "example.org"))
        box.close()
        assert agent_domains == {domain}


def test_sample_transcripts_labels_match_the_files(labels):
    by_id = {r["message_id"]: r for r in labels}
    assert len(by_id) == len(labels)
    msgs = effects.read_messages(str(SAMPLES))
    assert {m["id"] for m in msgs} == set(by_id)
    for m in msgs:
        lab = by_id[m["id"]]
        assert (lab["journey_id"], lab["role"], lab["channel"]) == (m["journey"], m["role"],
                                                                     m["channel"])
        assert "<" not in lab["message_id"]
    for r in labels:
        if r["reply_strategy"]:
            target = by_id[r["replies_to"]]
            assert target["is_objection"] == "true" and target["journey_id"] == r["journey_id"]
        if r["role"] == "customer":
            assert r["is_objection"] in ("true", "false")
            assert (r["objection_kind"] != "") == (r["is_objection"] == "true")


def test_sample_transcripts_follow_up_labels_match_unanswered_agent_messages(labels):
    by_journey: dict[str, list[dict]] = {}
    for r in labels:
        if r["role"] in ("customer", "agent"):
            by_journey.setdefault(r["journey_id"], []).append(r)
    for rows in by_journey.values():
        rows.sort(key=lambda r: r["timestamp"])
        for prev, cur in zip(rows, rows[1:], strict=False):
            unanswered = cur["role"] == "agent" and prev["role"] == "agent"
            if unanswered:  # agents only write twice in a row when chasing
                assert cur["is_follow_up"] == "true", cur["message_id"]
            if cur["is_follow_up"] == "true" and not unanswered:
                # the first chaser after the customer's last word (or an ignored objection)
                assert prev["act"] in ("unresolved", "ack", "objection"), cur["message_id"]


def test_sample_transcripts_planted_effects_recomputed_from_files(effects_json):
    fresh = effects.compute(str(SAMPLES))
    stored = {k: v for k, v in effects_json.items() if k not in ("files", "seed")}
    assert fresh == stored


def test_sample_transcripts_planted_effects_have_the_documented_sizes(effects_json):
    a = effects_json["all"]
    price = a["resolution_headlines"]["price"]
    assert price["best"]["objections"] >= 40 and price["baseline"]["objections"] >= 25
    assert price["ratio"] >= 2.0
    for kind in ("trust", "security", "feature"):
        assert a["resolution_headlines"][kind]["ratio"] >= 1.5, kind
    fu = a["followups"]["unanswered"]
    assert fu["buckets"]["1"]["journeys"] >= 100 and fu["buckets"]["3+"]["journeys"] >= 100
    assert 1.7 <= fu["ratio_3plus_vs_1"] <= 3.0
    assert a["first_channel_ratio_chat_vs_email"] >= 1.5
    assert a["cold"]["top_stage"] == "consideration"
    assert a["cold"]["by_stage"]["consideration"]["share"] >= 0.4
    for biz in BUSINESSES:  # the direction holds in each business too
        b = effects_json[biz]
        assert b["resolution_headlines"]["price"]["ratio"] > 1.5
        assert b["followups"]["unanswered"]["ratio_3plus_vs_1"] > 1.3
        assert b["first_channel_ratio_chat_vs_email"] > 1.2
        assert b["cold"]["top_stage"] == "consideration"


def test_sample_transcripts_readme_quotes_the_realised_sizes(effects_json):
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for line in effects.headline_lines(effects_json):
        assert line in readme, f"README is out of date; expected the row:\n{line}"
    assert "brightsmile-dental.example" in readme and "ledgerly.example" in readme


def test_sample_transcripts_bad_records_are_described():
    expected = json.loads((SAMPLES / "bad" / "EXPECTED.json").read_text(encoding="utf-8"))
    lines = (SAMPLES / "bad" / "chat_bad.jsonl").read_bytes().split(b"\n")[:-1]
    assert len(lines) == len(expected["chat_bad.jsonl"])
    assert sum(e["expect"] == "reject" for e in expected["chat_bad.jsonl"]) >= 8
    first = (SAMPLES / "bad" / "events_noheader.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "journey_id" not in first


def test_sample_transcripts_main_files_load_with_zero_rejects(effects_json):
    mining = pytest.importorskip("mining")
    for biz, domain in BUSINESSES.items():
        corpus = mining.load_corpus([SAMPLES / biz], agent_domains=[domain])
        assert len(corpus.rejects) == 0
        # every closed journey has an outcome row; the open ones (no outcome yet) have none
        n_open = effects_json[biz]["open_journeys"]
        assert n_open >= 10
        assert corpus.messages["journey_id"].nunique() == len(corpus.outcomes) + n_open
        assert set(corpus.outcomes["journey_id"]) <= set(corpus.messages["journey_id"])


def test_sample_transcripts_bad_records_are_rejected():
    mining = pytest.importorskip("mining")
    expected = json.loads((SAMPLES / "bad" / "EXPECTED.json").read_text(encoding="utf-8"))
    corpus = mining.load_corpus([SAMPLES / "bad" / "chat_bad.jsonl"],
                                outcomes=SAMPLES / "bad" / "outcomes_bad.csv")
    rejected = {(Path(r.source).name, int(r.record)) for r in corpus.rejects.itertuples()}
    want = {("chat_bad.jsonl", e["line"]) for e in expected["chat_bad.jsonl"]
            if e["expect"] == "reject"}
    want |= {("outcomes_bad.csv", e["line"]) for e in expected["outcomes_bad.csv"]
             if e["expect"] == "reject"}
    assert rejected == want
