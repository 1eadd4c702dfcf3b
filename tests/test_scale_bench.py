"""The scale benchmark's corpus writer and its per-step memory table (benchmarks/scale*.py)."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

scale_corpus = pytest.importorskip("scale_corpus")
scale = pytest.importorskip("scale")


def test_scale_corpus_is_mostly_distinct_and_whole_journeys(tmp_path):
    stats = scale_corpus.write_corpus(tmp_path, n_messages=1500, seed=3)
    rows = [json.loads(line) for line in (tmp_path / "messages.jsonl").open()]
    assert stats["messages"] == len(rows) >= 1500
    assert stats["distinct_share"] >= 0.9
    assert len({r["text"] for r in rows}) == stats["distinct_texts"]
    assert {r["role"] for r in rows} <= {"customer", "agent", "bot"}
    again = scale_corpus.write_corpus(tmp_path / "again", n_messages=1500, seed=3)
    assert again == stats  # seeded: the same corpus


def test_scale_corpus_varies_every_customer_and_agent_message():
    rng = random.Random(1)
    me = scale_corpus.profile(rng, "Dana", "O'Neil")
    who = {"first": "Dana", "last": "O'Neil", "agent": "Sam", "business": "Ledgerly", **me}
    assert "'" not in me["email"] and me["email"].endswith(".example")
    for role in ("customer", "agent"):
        for _ in range(200):
            assert scale_corpus.vary("Thanks, that helps.", role, rng, who) != \
                "Thanks, that helps."
    assert scale_corpus.vary("Welcome!", "bot", rng, who) == "Welcome!"


def test_scale_peak_lines_name_the_step_that_set_the_peak():
    run = {"n_requested": 10, "workers": 0, "backend": "auto", "run_json_scale": {
        "peak_rss_mb_by_step": {"ingest": 300.0, "tag": 900.0, "tag.embed_units": 600.0,
                                "tag.fit_or_assign_themes": 900.0, "reports": 900.0,
                                "write": 900.0}}}
    lines = scale.peak_lines([run])
    table = [ln for ln in lines if ln.startswith("| ")]
    assert [ln.split(" | ")[0][2:] for ln in table[1:]] == [
        "ingest", "tag.embed_units", "tag.fit_or_assign_themes", "tag", "reports", "write"]
    assert lines[-1].endswith("reached in `tag.fit_or_assign_themes` (from 600 MB at the end "
                              "of the step before).")
    assert scale.peak_lines([{**run, "run_json_scale": {}}]) == []
