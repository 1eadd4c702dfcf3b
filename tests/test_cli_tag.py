from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from mining.cli import app
from mining.schema import TAGS, TAGS_SCHEMA_VERSION

CHAT = [
    ("c1", "customer", "Hi, I saw your ad. What do you offer for small salons?"),
    ("c1", "agent", "Hello! We run online bookings and reminders for salons."),
    ("c1", "customer", "How much is the basic plan?"),
    ("c1", "agent", "It's 39 a month."),
    ("c1", "customer", "Honestly that's too expensive for a shop our size."),
    ("c1", "agent", "I understand. I can offer you 20% off for the first year."),
    ("c1", "customer", "OK, let's go ahead."),
    ("c1", "customer", "How do I add my second location?"),
    ("c2", "customer", "Hello, a friend recommended you."),
    ("c2", "customer", "I need to check with my business partner first."),
    ("c2", "agent", "Of course. Shall we book a call with both of you next week?"),
    ("c2", "customer", "The price isn't an issue, but we're not ready yet."),
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("tag_in")
    t0 = pd.Timestamp("2026-01-05 09:00", tz="UTC")
    lines = []
    for i, (conv, role, text) in enumerate(CHAT):
        lines.append(json.dumps({"message_id": f"m{i}", "conversation_id": conv,
                                 "journey_id": f"lead-{conv}", "channel": "chat", "role": role,
                                 "timestamp": (t0 + pd.Timedelta(days=i)).isoformat(),
                                 "text": text}))
    (d / "chats.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (d / "events.csv").write_text("journey_id,timestamp,event_type,channel,value\n"
                                  "lead-c1,2026-01-11T12:00:00Z,purchase,web,39\n")
    (d / "outcomes.csv").write_text("journey_id,converted,converted_at,value\n"
                                    "lead-c1,true,2026-01-11T12:00:00Z,39\nlead-c2,false,,\n")
    return d


@pytest.fixture(scope="module")
def tagged(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("tag_out")
    res = CliRunner().invoke(app, ["--no-progress", "tag", str(inputs / "chats.jsonl"),
                                   "--events", str(inputs / "events.csv"),
                                   "--outcomes", str(inputs / "outcomes.csv"),
                                   "--embedder", "hash", "-o", str(out)])
    assert res.exit_code == 0, res.output
    return out, res


def test_cli_tag_writes_csv_and_parquet_with_the_schema_columns(tagged):
    out, res = tagged
    assert res.stdout.strip().endswith("tags.csv")
    pq = pd.read_parquet(out / "tags.parquet")
    csv = pd.read_csv(out / "tags.csv", dtype=str)
    assert list(pq.columns) == list(TAGS) == list(csv.columns)
    assert len(pq) == len(CHAT) and pq["message_id"].tolist() == [f"m{i}" for i in range(12)]
    assert (pq["schema_version"] == TAGS_SCHEMA_VERSION).all()


def test_cli_tag_tags_say_what_a_user_relies_on(tagged):
    out, _ = tagged
    t = pd.read_parquet(out / "tags.parquet").set_index("message_id")
    assert t.loc["m4", "is_objection"] and t.loc["m4", "objection_category"] == "price"
    assert t.loc["m5", "replies_to"] == "m4" and t.loc["m5", "reply_strategy"] == "discount"
    assert t.loc["m9", "is_objection"] and t.loc["m9", "objection_category"] == "authority"
    assert t.loc["m10", "replies_to"] == "m9"
    assert t.loc["m2", "is_objection"] == False  # noqa: E712 - a question
    assert pd.isna(t.loc["m1", "is_objection"])  # agents get no objection flag
    assert t.loc["m7", "stage"] == "retention"  # after converted_at
    assert t["stage_confidence"].between(0, 1).all()
    ev = json.loads(t.loc["m4", "evidence"])
    assert ev["objection"]["cues"][0]["category"] == "price"
    assert "nearest_example" in ev["objection"] and "stage_similarity" in ev


def test_cli_tag_rows_validate_against_the_json_schema(tagged, root):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((root / "docs" / "tags.schema.json").read_text())
    out, _ = tagged
    rows = json.loads(pd.read_parquet(out / "tags.parquet").to_json(orient="records",
                                                                     date_format="iso"))
    validator = jsonschema.Draft202012Validator(schema)
    for row in rows:
        validator.validate(row)
        json.loads(row["evidence"])
    bad = dict(rows[0], stage_confidence=1.5)
    assert list(validator.iter_errors(bad))


def test_cli_tag_errors_are_one_line_with_exit_code_2(inputs, tmp_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["tag", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path)])
    assert missing.exit_code == 2 and "Traceback" not in missing.output
    bad_tax = tmp_path / "tax"
    bad_tax.mkdir()
    (bad_tax / "objections.yaml").write_text("kind: objections\ncategories:\n  price:\n"
                                             "    description: x\n    examples: [a, b, c]\n"
                                             "    cues: [[{LEMMAX: price}]]\n")
    res = runner.invoke(app, ["tag", str(inputs / "chats.jsonl"), "--embedder", "hash",
                              "--taxonomy", str(bad_tax), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "objections.yaml: price -> cues[0]: unknown token attribute 'LEMMAX'" in res.output
