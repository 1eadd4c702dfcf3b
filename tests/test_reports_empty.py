"""Every report on empty input: no rows, its usual columns, never an exception."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest
from report_frames import at, msg, outcomes, tags
from typer.testing import CliRunner

from mining import schema
from mining.cli import app
from mining.reports import REPORTS, get_report, run_reports


def _columns(name: str) -> list[str]:
    """The documented COLUMNS of report ``name``."""
    return list(importlib.import_module(REPORTS[name].split(":")[0]).COLUMNS)


EMPTY_INPUTS = {
    "empty tables": lambda: (schema.empty("tags"), schema.empty("outcomes"),
                             schema.empty("events")),
    "no outcomes or events": lambda: (schema.empty("tags"), None, None),
}


@pytest.mark.parametrize("inputs", list(EMPTY_INPUTS))
@pytest.mark.parametrize("name", list(REPORTS))
def test_reports_empty_tags_give_no_rows_and_the_usual_columns(name, inputs):
    t, o, e = EMPTY_INPUTS[inputs]()
    df = get_report(name)(t, o, events=e)
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 0
    assert list(df.columns) == _columns(name)


@pytest.mark.parametrize("name", list(REPORTS))
def test_reports_empty_outcomes_and_events_still_report_the_messages(name):
    t = tags(msg("a1", "A", at(0), stage="consideration", objection="price"),
             msg("a2", "A", at(0, 1), "agent", "consideration", strategy="value",
                 replies_to="a1"),
             msg("b1", "B", at(1), stage="awareness"))
    df = get_report(name)(t, schema.empty("outcomes"), events=schema.empty("events"))
    assert list(df.columns) == _columns(name)
    if name in ("funnel", "channels", "paths", "cadence"):  # one row per stage/channel/path…
        assert len(df) > 0


@pytest.mark.parametrize("name", list(REPORTS))
def test_reports_empty_journeys_without_customer_messages(name):
    # Only agent messages: cadence and the touchpoint paths look up journeys that have no
    # customer message, an empty lookup that used to raise "Cannot cast DatetimeArray".
    t = tags(msg("a1", "A", at(0), "agent", "awareness"),
             msg("a2", "A", at(2), "agent", "awareness"))
    df = get_report(name)(t, outcomes(A=(True, at(1), 10.0)))
    assert list(df.columns) == _columns(name)


def test_reports_empty_run_reports_returns_every_report():
    got = run_reports(schema.empty("tags"), schema.empty("outcomes"), schema.empty("events"))
    assert list(got) == list(REPORTS)
    assert all(len(df) == 0 and list(df.columns) == _columns(n) for n, df in got.items())


def test_reports_empty_cli_report_all_on_empty_tags_file(tmp_path):
    schema.empty("tags").to_csv(tmp_path / "tags.csv", index=False)
    out = tmp_path / "reports"
    res = CliRunner().invoke(app, ["report", "all", "--tags", str(tmp_path / "tags.csv"),
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    for name in REPORTS:
        df = pd.read_csv(out / f"{name}.csv")
        assert len(df) == 0 and list(df.columns) == _columns(name)
