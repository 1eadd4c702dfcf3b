from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from _handmade import handmade_tables
from typer.testing import CliRunner

from mining import schema
from mining.cli import app
from mining.io.eventlog import COLUMNS, to_event_log, write_xes
from mining.io.exports import export, read_tags

XSD = "xes/xes-ieee-1849-2016.xsd"


@pytest.fixture(scope="module")
def tables():
    return handmade_tables(6)


def _xsd(root):
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(str(root / "tests" / "data" / XSD))


def test_io_eventlog_columns_and_activities(tables):
    tags, events, outcomes = tables["tags"], tables["events"], tables["outcomes"]
    log = to_event_log(tags, events, outcomes)
    assert list(log.columns) == list(COLUMNS)
    assert str(log["time:timestamp"].dtype) == "datetime64[ns, UTC]"
    n_conv = int((outcomes["converted"] & outcomes["converted_at"].notna()).sum())
    assert len(log) == len(tags) + len(events) + n_conv
    msgs = log[log["message_id"].notna()].set_index("message_id")
    for row in tags.itertuples():
        got = msgs.loc[row.message_id]
        if not pd.isna(row.is_objection) and bool(row.is_objection):
            assert got["concept:name"] == f"objection: {row.objection_category}"
            assert got["kind"] == "objection"
        else:
            assert got["concept:name"] == row.stage
        assert got["org:resource"] == row.role
        assert got["case:concept:name"] == row.journey_id
    assert set(log.loc[log["kind"] == "event", "concept:name"]) == {"visit"}
    assert (log.loc[log["kind"] == "outcome", "concept:name"] == "converted").all()


def test_io_eventlog_sorted_by_case_then_time_with_unknown_times_last(tables):
    tags = tables["tags"].copy()
    tags.loc[0, "timestamp"] = pd.NaT
    log = to_event_log(tags)
    for _, grp in log.groupby("case:concept:name"):
        ts = grp["time:timestamp"]
        known = ts.dropna()
        assert known.is_monotonic_increasing
        assert ts.isna().sum() == 0 or ts.iloc[-1] is pd.NaT


def test_io_eventlog_xes_is_valid_against_the_ieee_schema(tables, tmp_path, root):
    tags = tables["tags"].copy()
    # hostile text: markup, quotes, ampersands, a control character, non-ASCII
    tags.loc[1, "objection_category"] = "price <\"&'> \x07 Zürich"
    tags.loc[1, "is_objection"] = True
    tags.loc[2, "timestamp"] = pd.NaT
    log = to_event_log(tags, tables["events"], tables["outcomes"])
    path = write_xes(log, tmp_path / "log.xes")
    _xsd(root).validate(str(path))  # raises on any violation
    doc = ET.parse(path).getroot()
    traces = doc.findall("trace")
    assert len(traces) == log["case:concept:name"].nunique()
    assert sum(len(t.findall("event")) for t in traces) == len(log)
    names = [s.get("value") for s in doc.iter("string") if s.get("key") == "concept:name"]
    assert "objection: price <\"&'> \ufffd Zürich" in names
    # an event without a known time has no time:timestamp (not an invalid date)
    dates = [d.get("value") for d in doc.iter("date")]
    assert len(dates) == int(log["time:timestamp"].notna().sum())


def test_io_eventlog_xes_schema_rejects_a_broken_log(tmp_path, root):
    bad = tmp_path / "bad.xes"
    bad.write_text(
        '<log xes.version="2.0"><trace><event><date key="time:timestamp" '
        'value="yesterday"/></event></trace></log>',
        encoding="utf-8",
    )
    schema_ = _xsd(root)
    assert not schema_.is_valid(str(bad))


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_io_eventlog_tags_round_trip(tables, tmp_path, fmt):
    path = export("tags", tables["tags"], tmp_path / f"tags.{fmt}", fmt=fmt)
    back = read_tags(path)
    assert schema.check(back, "tags") == []
    assert back["message_id"].tolist() == tables["tags"]["message_id"].tolist()
    assert back["is_objection"].isna().sum() == tables["tags"]["is_objection"].isna().sum()


def test_io_eventlog_export_cli(tables, tmp_path):
    tags_path = tmp_path / "tags.parquet"
    tables["tags"].to_parquet(tags_path)
    runner = CliRunner()
    out = tmp_path / "log.csv"
    res = runner.invoke(app, ["export", "eventlog", "--tags", str(tags_path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == str(out)
    df = pd.read_csv(out)
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == len(tables["tags"])
    # with events and outcomes files, visits and conversions join the log
    ev, oc = tmp_path / "events.csv", tmp_path / "outcomes.csv"
    tables["events"].drop(columns="source").to_csv(ev, index=False)
    tables["outcomes"].drop(columns="source").to_csv(oc, index=False)
    full = tmp_path / "full.csv"
    res = runner.invoke(
        app,
        [
            "export",
            "eventlog",
            "--tags",
            str(tags_path),
            "--events",
            str(ev),
            "--outcomes",
            str(oc),
            "-o",
            str(full),
        ],
    )
    assert res.exit_code == 0, res.output
    acts = pd.read_csv(full)["concept:name"].value_counts()
    assert acts["visit"] == len(tables["events"])
    assert acts["converted"] == int(tables["outcomes"]["converted"].sum())
    meta = json.loads(out.with_name("log.meta.json").read_text())
    assert meta["rows"] == len(df) and meta["export"] == "eventlog"
    xes = tmp_path / "log.xes"
    res = runner.invoke(app, ["export", "xes", "--tags", str(tags_path), "-o", str(xes)])
    assert res.exit_code == 0 and xes.exists()
    res = runner.invoke(
        app, ["export", "xes", "--tags", str(tags_path), "-f", "csv", "-o", str(xes)]
    )
    assert res.exit_code == 2 and "[E704]" in res.output
    res = runner.invoke(
        app, ["export", "tags", "--tags", str(tmp_path / "nope.parquet"), "-o", "x"]
    )
    assert res.exit_code == 2 and "[E100]" in res.output


def test_io_eventlog_tags_jsonl_rows_follow_the_json_schema(tables, tmp_path, root):
    jsonschema = pytest.importorskip("jsonschema")
    schema_file = root / "docs" / "tags.schema.json"
    if not schema_file.is_file():
        pytest.skip("docs/tags.schema.json is not there")
    validator = jsonschema.Draft202012Validator(json.loads(schema_file.read_text()))
    path = export("tags", tables["tags"], tmp_path / "tags.jsonl", fmt="jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(tables["tags"])
    for row in rows:
        errors = [e.message for e in validator.iter_errors(row)]
        assert errors == [], (row["message_id"], errors)
