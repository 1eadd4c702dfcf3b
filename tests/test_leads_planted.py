"""`predict` recovers the effects planted in sample_transcripts/ (its README, "What predict
should recover"): on the ground-truth tags, the fitted model gives a higher chance to journeys
with three follow-ups than with one, to chat-first than to e-mail-first journeys, and beats both
baselines out of time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "sample_transcripts"
LABELS = SAMPLES / "ground_truth" / "labels.csv"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not LABELS.is_file(), reason="sample ground truth is absent")]


def _read(name: str) -> pd.DataFrame:
    return pd.concat([pd.read_csv(SAMPLES / b / name, dtype=str, keep_default_na=False,
                                  na_values=[""]) for b in ("brightsmile", "ledgerly")])


@pytest.fixture(scope="module")
def result():
    from mining.leads import predict_leads

    labels = pd.read_csv(LABELS, dtype=str, keep_default_na=False, na_values=[""])
    tags = labels.rename(columns={"objection_kind": "objection_category"})
    return predict_leads(tags, _read("outcomes.csv"), _read("events.csv"))


def _mean_p(result, **values) -> float:
    X = result.features.copy()
    for col, v in values.items():
        X[col] = v
    return float(np.mean(result.model.predict_proba(X.to_numpy())[:, 1]))


def test_leads_planted_open_journeys_are_scored(result):
    assert len(result.scores) == result.meta["journeys"]["open"] >= 30


def test_leads_planted_more_followups_raise_the_chance(result):
    assert _mean_p(result, followups=3.0) > _mean_p(result, followups=1.0)


def test_leads_planted_chat_first_beats_email_first(result):
    chat = {"first_channel:chat": 1.0, "first_channel:email": 0.0}
    email = {"first_channel:chat": 0.0, "first_channel:email": 1.0}
    assert _mean_p(result, **chat) > _mean_p(result, **email)


def test_leads_planted_model_beats_both_baselines_out_of_time(result):
    v = result.meta["validation"]
    assert v["model"]["roc_auc"] >= 0.75
    assert v["model"]["roc_auc"] - v["recency"]["roc_auc"] >= 0.05
    assert v["model"]["ece"] <= 0.05
