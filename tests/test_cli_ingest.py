"""`journeymine validate` through CliRunner."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mining.cli import app

runner = CliRunner()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def clean_file(tmp_path) -> Path:
    return write(tmp_path / "ok.csv", "conversation_id,role,text\nc1,user,How much?\nc1,rep,$40\n")


@pytest.fixture()
def messy_file(tmp_path) -> Path:
    return write(tmp_path / "messy.jsonl",
                 '{"message_id": "a", "role": "user", "text": "fine"}\n'
                 '{"message_id": "a", "role": "user", "text": "dup"}\n'
                 '{"role": "wizard", "text": "=cmd secret"}\n'
                 "not json\n")


def test_cli_ingest_validate_summary_table(clean_file, messy_file):
    result = runner.invoke(app, ["validate", str(clean_file), str(messy_file)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    lines = out.splitlines()
    assert lines[0].split()[:6] == ["source", "kind", "format", "read", "accepted", "rejected"]
    row = next(line for line in lines if line.startswith(str(messy_file)))
    assert row.split()[1:6] == ["messages", "jsonl", "4", "1", "3"]
    assert "E110:1" in row and "E114:1" in row and "E117:1" in row
    assert "read 6 = accepted 3 + rejected 3 (reconciled)" in out
    assert "secret" not in result.output


def test_cli_ingest_validate_json(clean_file, messy_file):
    result = runner.invoke(app, ["validate", str(clean_file), str(messy_file), "--json"])
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["totals"] == {"read": 6, "accepted": 3, "rejected": 3, "reconciled": True}
    assert summary["rejects_by_code"]["E114"]["count"] == 1
    assert [s["read"] for s in summary["sources"]] == [2, 4]


def test_cli_ingest_strict_exit_codes(clean_file, messy_file):
    assert runner.invoke(app, ["validate", str(clean_file), "--strict"]).exit_code == 0
    result = runner.invoke(app, ["validate", str(messy_file), "--strict"])
    assert result.exit_code == 1
    assert "E005" in result.stderr and "Traceback" not in result.output


def test_cli_ingest_rejects_out_csv(tmp_path, messy_file):
    out = tmp_path / "rejects.csv"
    result = runner.invoke(app, ["validate", str(messy_file), "--rejects-out", str(out)])
    assert result.exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["code"] for r in rows] == ["E114", "E117", "E110"]
    assert [r["record"] for r in rows] == ["2", "3", "4"]
    assert all("secret" not in r["reason"] for r in rows)
    nowhere = str(tmp_path / "no" / "r.csv")
    bad = runner.invoke(app, ["validate", str(messy_file), "--rejects-out", nowhere])
    assert bad.exit_code == 2 and "E109" in bad.stderr


def test_cli_ingest_options_map_timezone_events_outcomes(tmp_path):
    m = write(tmp_path / "m.csv", "thread,sender_type,body,when\nt1,staff,Hi,2024-01-15 09:00\n")
    e = write(tmp_path / "e.csv", "journey_id,event_type,timestamp\nt1,visit,2024-01-14\n")
    o = write(tmp_path / "o.csv", "conversation_id,converted\nt1,yes\n")
    result = runner.invoke(app, [
        "validate", str(m),
        "--map", "text=body,conversation_id=thread,role=sender_type,timestamp=when",
        "--timezone", "Europe/Berlin", "--events", str(e), "--outcomes", str(o), "--json",
    ])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [s["kind"] for s in summary["sources"]] == ["messages", "events", "outcomes"]
    assert summary["tables"] == {"messages": 1, "events": 1, "outcomes": 1}


@pytest.mark.parametrize(
    ("args", "code"),
    [(["--map", "text"], "E003"), (["--timezone", "Moon/Base"], "E004"),
     (["--map", "txt=body"], "E002"), (["--max-message-chars", "0"], "E001")],
)
def test_cli_ingest_bad_options_exit_2(clean_file, args, code):
    result = runner.invoke(app, ["validate", str(clean_file), *args])
    assert result.exit_code == 2
    assert code in result.stderr and "Traceback" not in result.output


def test_cli_ingest_no_input_exit_2():
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2 and "E006" in result.stderr


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [("binary.jsonl", b"\x00\x9f\x92\x96" * 100, "E105"),
     ("truncated.csv.gz", gzip.compress(b"text\n" + b"hello there\n" * 500)[:-40], "E104"),
     ("noheader.csv", b"c1,customer,I would like a refund please\n", "E103"),
     ("missing.jsonl", None, "E100")],
)
def test_cli_ingest_bad_files_one_line_exit_2(tmp_path, name, content, code):
    f = tmp_path / name
    if content is not None:
        f.write_bytes(content)
    result = runner.invoke(app, ["validate", str(f)])
    assert result.exit_code == 2
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and code in err[0] and name in err[0]
    assert "Traceback" not in result.output


def test_cli_ingest_folder_with_a_bad_file_reports_the_rest(tmp_path, clean_file):
    d = tmp_path / "mixed"
    d.mkdir()
    (d / "ok.csv").write_text(clean_file.read_text(encoding="utf-8"), encoding="utf-8")
    write(d / "events_noheader.csv", "j1,2024-03-01T09:00:00Z,visit,web,\n")
    write(d / "settings.json", '{"threshold": 0.5}')  # some other JSON: skipped with a note
    result = runner.invoke(app, ["validate", str(d)])
    assert result.exit_code == 2
    assert "read 2 = accepted 2 + rejected 0" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "E103" in errors[0] and "events_noheader.csv" in errors[0]
    assert "settings.json: skipped" in result.stderr


def test_cli_ingest_validate_sample_transcripts(samples_dir):
    businesses = [d for d in sorted(samples_dir.glob("*")) if (d / "outcomes.csv").is_file()]
    if not businesses:
        pytest.skip("sample_transcripts/ holds no data yet")
    for folder in businesses:
        result = runner.invoke(app, ["validate", str(folder), "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert summary["totals"]["reconciled"] and summary["tables"]["messages"] > 0
        assert {s["kind"] for s in summary["sources"]} == {"messages", "events", "outcomes"}


def test_cli_ingest_sample_bad_records_match_expectations(samples_dir, tmp_path):
    bad = samples_dir / "bad"
    if not (bad / "EXPECTED.json").is_file():
        pytest.skip("sample_transcripts/bad/ is absent")
    expected = json.loads((bad / "EXPECTED.json").read_text(encoding="utf-8"))
    out = tmp_path / "rejects.csv"
    result = runner.invoke(app, ["validate", str(bad / "chat_bad.jsonl"), "--outcomes",
                                 str(bad / "outcomes_bad.csv"), "--rejects-out", str(out)])
    assert result.exit_code == 0, result.output
    rejected = {(Path(r["source"]).name, int(r["record"]))
                for r in csv.DictReader(out.open(encoding="utf-8"))}
    for name in ("chat_bad.jsonl", "outcomes_bad.csv"):
        for case in expected[name]:
            assert ((name, case["line"]) in rejected) == (case["expect"] == "reject"), case
    noheader = runner.invoke(app, ["validate", str(bad / "chat_bad.jsonl"),
                                   "--events", str(bad / "events_noheader.csv")])
    assert noheader.exit_code == 2 and "E103" in noheader.stderr


def test_cli_ingest_help_does_not_import_pandas():
    code = "import sys, mining.cli; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
