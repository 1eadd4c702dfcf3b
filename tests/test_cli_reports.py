import json

import pandas as pd
import pytest
from report_frames import at, msg, tags
from typer.testing import CliRunner

from mining.cli import app

runner = CliRunner()


@pytest.fixture()
def files(tmp_path):
    t = tags(
        msg("a1", "A", at(0), stage="consideration", objection="price"),
        msg("a2", "A", at(0, 1), "agent", "consideration", strategy="value", replies_to="a1"),
        msg("a3", "A", at(1), stage="decision", channel="email"),
        msg("b1", "B", at(0), stage="consideration", objection="price"),
        msg("b2", "B", at(0, 1), "agent", "consideration", strategy="discount",
            replies_to="b1"),
        msg("c1", "C", at(0), stage="awareness"),
    )
    t.to_parquet(tmp_path / "tags.parquet")
    t.to_csv(tmp_path / "tags.csv", index=False)
    (tmp_path / "outcomes.csv").write_text(
        "journey_id,converted,converted_at,value\nA,yes,2024-03-04T09:00:00Z,120\nB,no,,\n",
        encoding="utf-8")
    (tmp_path / "events.csv").write_text(
        "journey_id,timestamp,event_type,channel\nC,2024-03-02T09:00:00Z,visit,web\n",
        encoding="utf-8")
    pd.DataFrame({"message_id": ["a1", "a2"], "clean_text": ["=too dear", "worth it"]}) \
        .to_parquet(tmp_path / "messages.parquet")
    return tmp_path


def _args(d, *extra):
    return ["report", *extra, "--tags", str(d / "tags.parquet"), "--outcomes",
            str(d / "outcomes.csv"), "--events", str(d / "events.csv")]


@pytest.mark.parametrize("name", ["objections", "replies", "funnel", "channels", "cadence",
                                  "paths"])
def test_cli_reports_each_command_prints_a_table(files, name):
    res = runner.invoke(app, _args(files, name))
    assert res.exit_code == 0, res.output
    assert f"{name} (" in res.output


def test_cli_reports_output_file_csv_with_meta(files):
    out = files / "out" / "replies.csv"
    extra = ["--messages", str(files / "messages.parquet"), "-o", str(out), "--min-support", "1"]
    res = runner.invoke(app, _args(files, "replies") + extra)
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    row = df[df["reply_strategy"] == "value"].iloc[0]
    assert row["resolved"] == 1 and row["example_1"] == "'=too dear → worth it"
    assert not df["low_support"].any()
    meta = json.loads((files / "out" / "replies.meta.json").read_text())
    assert meta["report"] == "replies" and meta["settings"]["min_support"] == 1
    assert meta["inputs"]["tags"].endswith("tags.parquet")


def test_cli_reports_all_to_folder_and_csv_tags(files):
    res = runner.invoke(app, ["report", "all", "--tags", str(files / "tags.csv"), "--outcomes",
                              str(files / "outcomes.csv"), "-o", str(files / "rep"),
                              "--format", "jsonl", "--cold-after", "1"])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (files / "rep").glob("*.jsonl"))
    assert names == sorted(f"{n}.jsonl" for n in ("objections", "replies", "funnel",
                                                   "channels", "cadence", "paths", "sequences",
                                                   "playbook", "leads"))
    funnel = pd.read_json(files / "rep" / "funnel.jsonl", lines=True)
    # data end: A converts on day 3; B (not converted) and C have been silent ~3 days > 1
    assert funnel.set_index("stage").loc["(all)", "cold_here"] == 2


def test_cli_reports_stdout_csv_is_machine_readable(files):
    res = runner.invoke(app, _args(files, "funnel") + ["--format", "csv"])
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0].startswith("stage,journeys_at_stage")


@pytest.mark.parametrize("extra, code, text", [
    (["--tags", "missing.parquet"], 2, "E100"),
    (["--format", "xlsx"], 2, "E603"),
    (["--as-of", "not a time"], 2, "E604"),
    (["--cold-after", "-3"], 2, "E001"),
])
def test_cli_reports_errors_are_one_line(files, extra, code, text):
    args = _args(files, "funnel")
    if extra[0] == "--tags":
        args[args.index("--tags") + 1] = str(files / extra[1])
    else:
        args += extra
    res = runner.invoke(app, args)
    assert res.exit_code == code
    assert text in res.output and "Traceback" not in res.output


def test_cli_reports_raw_messages_are_ingested_and_redacted(files):
    raw = files / "chat.jsonl"
    raw.write_text(
        '{"message_id": "a1", "conversation_id": "A", "role": "customer", '
        '"timestamp": "2024-03-01T09:00:00Z", "text": "Too dear. Mail me at jo@example.com"}\n'
        '{"message_id": "b1", "conversation_id": "B", "role": "customer", '
        '"timestamp": "2024-03-01T09:00:00Z", "text": "No budget this year"}\n',
        encoding="utf-8")
    out = files / "obj.csv"
    res = runner.invoke(app, _args(files, "objections") + ["--messages", str(raw), "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "jo@example.com" not in text and "<EMAIL>" in text
    assert "No budget this year" in text
