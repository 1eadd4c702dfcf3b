"""Lead scoring: no leakage from after the cut-off, honest validation, clear edge cases."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _leads_data import T0, _row, corpus
from typer.testing import CliRunner

from mining import schema
from mining.cli import app
from mining.config import load_settings
from mining.errors import InputError
from mining.leads import SCORE_COLUMNS, predict_leads
from mining.leads import features as feats
from mining.reports import _data

FAST = {"predict": {"snapshot_days": [1.0, 3.0, 7.0, 14.0], "max_iter": 40}}


@pytest.fixture(scope="module")
def data():
    return corpus()


@pytest.fixture(scope="module")
def scored(data):
    return predict_leads(*data, load_settings(FAST))


def _features(tags, events, cut):
    t = _data.prepare_tags(tags)
    ev = _data.prepare_events(events)
    snaps = pd.DataFrame({"journey_id": ["J005"], "cut": [cut]})
    return feats.snapshot_features(t, ev, snaps, feats.vocabulary(t, ev))


def test_leads_message_after_the_cut_off_cannot_enter_the_features(data):
    tags, _, events = data
    cut = T0 + pd.Timedelta(days=5, hours=12)  # J005 started on day 5
    before = _features(tags, events, cut)
    later = pd.DataFrame([
        _row("late-1", "J005", cut + pd.Timedelta(seconds=1), "customer", "purchase",
             objection="price", channel="sms"),
        _row("late-2", "J005", cut + pd.Timedelta(hours=1), "agent", "purchase",
             strategy="payment", replies_to="late-1", channel="sms"),
    ])
    more_events = pd.concat([events, pd.DataFrame([{
        "journey_id": "J005", "timestamp": cut + pd.Timedelta(minutes=1),
        "event_type": "visit", "channel": "web", "value": None}])], ignore_index=True)
    after = _features(pd.concat([tags, schema.conform(later, "tags")], ignore_index=True),
                      more_events, cut)
    pd.testing.assert_frame_equal(before, after[before.columns])
    # and the same message before the cut-off does change them (the test can fail)
    earlier = later.assign(timestamp=[cut - pd.Timedelta(hours=2), cut - pd.Timedelta(hours=1)])
    moved = _features(pd.concat([tags, schema.conform(earlier, "tags")], ignore_index=True),
                      events, cut)
    assert moved.loc[0, "stage_reached"] > before.loc[0, "stage_reached"]
    assert moved.loc[0, "objections"] == before.loc[0, "objections"] + 1


def test_leads_scores_ignore_everything_after_as_of(data):
    tags, outcomes, events = data
    as_of = T0 + pd.Timedelta(days=100)
    settings = load_settings(FAST)
    a = predict_leads(tags, outcomes, events, settings, as_of=as_of)
    # after as_of, an open journey writes again and converts: none of it may show at as_of
    jid = a.scores["journey_id"].iloc[0]
    extra = schema.conform(pd.DataFrame([_row("x-1", jid, as_of + pd.Timedelta(hours=3),
                                              "customer", "decision")]), "tags")
    out2 = outcomes[outcomes["journey_id"] != jid]
    out2 = pd.concat([out2, pd.DataFrame([{"journey_id": jid, "converted": True,
                                           "converted_at": as_of + pd.Timedelta(days=1),
                                           "value": 999.0}])], ignore_index=True)
    b = predict_leads(pd.concat([tags, extra], ignore_index=True), out2, events, settings,
                      as_of=as_of)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    assert a.meta["validation"] == b.meta["validation"]


def test_leads_scores_open_journeys_with_reasons_and_metrics(data, scored):
    tags, outcomes, _ = data
    s = scored.scores
    assert list(s.columns) == SCORE_COLUMNS
    open_ids = set(tags["journey_id"]) - set(outcomes["journey_id"])
    assert set(s["journey_id"]) == open_ids and len(open_ids) >= 3
    assert s["probability"].between(0, 1).all()
    assert s["probability"].is_monotonic_decreasing
    assert (s["reason_1"].str.contains(r"\(\+|\(-", regex=True)).all()
    assert s["expected_value"].notna().all()  # outcomes carry values
    val = scored.meta["validation"]
    for key in ("model", "recency", "base_rate"):
        assert {"roc_auc", "pr_auc", "brier", "ece"} <= set(val[key])
    assert val["base_rate"]["roc_auc"] == 0.5
    # engagement and follow-ups drive conversion here: the model must beat chance clearly
    assert val["model"]["roc_auc"] > 0.75
    assert val["calibration"] and sum(r["snapshots"] for r in val["calibration"]) \
        == val["test"]["snapshots"]
    starts = tags.groupby("journey_id")["timestamp"].min()
    assert val["train"]["journeys"] + val["test"]["journeys"] == scored.meta["training"][
        "journeys"]
    assert pd.Timestamp(val["split_start"]) > starts.min()


def test_leads_no_closed_journey_is_a_numbered_error(data):
    tags, _, events = data
    recent = tags[tags["journey_id"] >= "J112"]
    with pytest.raises(InputError, match=r"\[E610\]"):
        predict_leads(recent, schema.empty("outcomes"), events)


def test_leads_one_class_only_is_a_numbered_error(data):
    tags, outcomes, events = data
    never = outcomes.assign(converted=False, converted_at=pd.NaT, value=np.nan)
    with pytest.raises(InputError, match=r"\[E611\].*not converted"):
        predict_leads(tags, never, events)


def _write(tmp_path, tags, outcomes):
    tags.to_csv(tmp_path / "tags.csv", index=False)
    outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    return ["predict", "--tags", str(tmp_path / "tags.csv"), "--outcomes",
            str(tmp_path / "outcomes.csv")]


def test_leads_cli_writes_scores_and_meta(tmp_path, data):
    tags, outcomes, events = data
    events.to_csv(tmp_path / "events.csv", index=False)
    args = _write(tmp_path, tags, outcomes) + ["--events", str(tmp_path / "events.csv"),
                                               "-o", str(tmp_path / "scores.csv")]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "ROC AUC" in res.stdout and "recency only" in res.stdout and "base rate" in res.stdout
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert {"probability", "expected_value", "reason_1", "next_action"} <= set(scores.columns)
    meta = json.loads((tmp_path / "scores.meta.json").read_text())
    assert meta["validation"]["model"]["roc_auc"] is not None
    assert meta["settings"]["predict"]["horizon_days"] == 30


def test_leads_cli_no_open_journeys_says_so_and_exits_0(tmp_path, data):
    tags, outcomes, _ = data
    end = tags["timestamp"].max() + pd.Timedelta(days=60)  # everyone unconverted is cold by then
    args = _write(tmp_path, tags, outcomes) + ["--as-of", end.isoformat(),
                                               "-o", str(tmp_path / "scores.csv")]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "[W611] No open journey to score" in res.stderr
    assert len(pd.read_csv(tmp_path / "scores.csv")) == 0


def test_leads_cli_no_closed_journeys_exits_2_with_the_code(tmp_path, data):
    tags, _, _ = data
    recent = tags[tags["journey_id"] >= "J112"]
    res = CliRunner().invoke(app, _write(tmp_path, recent, schema.empty("outcomes")))
    assert res.exit_code == 2
    assert "[E610]" in res.stderr and "Traceback" not in res.output


def test_leads_cli_one_class_exits_2_with_the_code(tmp_path, data):
    tags, outcomes, _ = data
    never = outcomes.assign(converted=False, converted_at=pd.NaT, value=np.nan)
    res = CliRunner().invoke(app, _write(tmp_path, tags, never))
    assert res.exit_code == 2
    assert "[E611]" in res.stderr
