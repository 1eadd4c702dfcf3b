"""The sequences report: fixed windows (no survivorship), patterns, tests and value."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from report_frames import at, msg, outcomes, tags

from mining.reports.sequences import COLUMNS, sequences_report, subsequences

SAMPLES = Path(__file__).resolve().parent.parent / "sample_transcripts"
LABELS = SAMPLES / "ground_truth" / "labels.csv"


def _journeys(n_chased: int, n_plain: int, conv_chased: int, conv_plain: int):
    """Chased journeys get three unanswered follow-ups in their first days, plain ones none."""
    rows, outs = [], {}
    for i in range(n_chased + n_plain):
        j, chased = f"J{i:02d}", i < n_chased
        rows.append(msg(f"{j}a", j, at(i % 5), "customer", "awareness"))
        rows.append(msg(f"{j}b", j, at(i % 5, 1), "agent", "awareness"))
        if chased:
            rows += [msg(f"{j}f{k}", j, at(i % 5 + k + 1), "agent", "awareness")
                     for k in range(3)]
        won = i < conv_chased if chased else i - n_chased < conv_plain
        outs[j] = (True, at(i % 5 + 6), 500.0) if won else (False, None, None)
    return tags(*rows), outcomes(**outs)


def test_reports_sequences_subsequences_keep_order():
    got = subsequences(["a", "b", "c"], 2)
    assert ("a", "c") in got and ("c", "a") not in got and len(got) == 6


def test_reports_sequences_finds_the_followup_pattern_with_value():
    t, o = _journeys(20, 20, conv_chased=14, conv_plain=3)
    df = sequences_report(t, o, as_of=at(40))
    assert list(df.columns) == COLUMNS
    row = df.set_index("pattern").loc["follow-ups in 7 days: 3+"]
    assert row["journeys"] == 20 and row["conversions"] == 14
    assert row["q_value"] < 0.05 and row["lift"] > 1 and bool(row["actionable"])
    assert row["value_per_journey"] == pytest.approx(14 * 500.0 / 20)
    assert row["mean_value"] == pytest.approx(500.0)
    chain = df.set_index("pattern").loc["follow-up chat → wait 1-3 days → follow-up chat"]
    assert chain["journeys"] == 20
    assert df.attrs["journeys"] == 40


def test_reports_sequences_counts_only_journeys_with_a_complete_window():
    t, o = _journeys(20, 20, conv_chased=14, conv_plain=3)
    # as_of 16 days after T0: journeys that started on day 3 or 4 have not had 14 days yet
    df = sequences_report(t, o, as_of=at(16))
    assert df.attrs["journeys"] == 24 and df.attrs["incomplete_window"] == 16


def test_reports_sequences_without_timestamps_is_empty():
    t, o = _journeys(5, 5, 3, 1)
    t["timestamp"] = pd.NaT
    assert sequences_report(t, o).empty


@pytest.mark.skipif(not LABELS.is_file(), reason="sample_transcripts/ ground truth is absent")
def test_reports_sequences_recover_the_planted_cadence_effect():
    def read(name):
        return pd.concat([pd.read_csv(SAMPLES / b / name, dtype=str, keep_default_na=False,
                                      na_values=[""]) for b in ("brightsmile", "ledgerly")])

    labels = pd.read_csv(LABELS, dtype=str, keep_default_na=False, na_values=[""])
    df = sequences_report(labels.rename(columns={"objection_kind": "objection_category"}),
                          read("outcomes.csv"), read("events.csv"))
    top = df.head(10).set_index("pattern")
    assert "follow-ups in 7 days: 3+" in top.index  # a top pattern
    row = top.loc["follow-ups in 7 days: 3+"]
    assert row["q_value"] < 0.05 and row["lift"] > 1.2
    one = df.set_index("pattern").loc["follow-ups in 7 days: 1"]
    assert row["conversion_rate"] / one["conversion_rate"] > 2  # 3+ vs 1, as planted
    assert df["value_per_journey"].notna().all()
