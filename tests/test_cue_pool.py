"""Cue matching shared with helper processes (mining.cue_pool) gives the one-process result."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from types import SimpleNamespace

import numpy as np
import pytest
from _cue_texts import TEXTS

from mining import cue_pool
from mining.cues import CueMatcher, CueResult, cue_processes
from mining.taxonomy import load_taxonomy


def _same(a: CueResult, b: CueResult) -> None:
    assert a.matches == b.matches
    for name in ("counts", "negated", "cancelled", "first_cancel"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def test_parts_cover_the_batch_in_order():
    for n, k in [(10, 3), (2000, 2), (7, 7), (5, 9), (1, 2)]:
        got = cue_pool.parts(n, k)
        assert got[0][0] == 0 and got[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(got, got[1:], strict=False))
        sizes = [b - a for a, b in got]
        assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def test_processes_follow_the_setting_and_stay_single_in_daemons(monkeypatch):
    monkeypatch.setattr(cue_pool.os, "cpu_count", lambda: 4)
    assert [cue_pool.processes(s) for s in (0, 1, 2, 9)] == [4, 1, 2, 4]
    settings = SimpleNamespace(tagging=SimpleNamespace(cue_processes=3))
    assert cue_processes(settings) == 3
    monkeypatch.setattr(cue_pool.multiprocessing, "current_process",
                        lambda: SimpleNamespace(daemon=True))  # e.g. a Dask worker
    assert cue_pool.processes(0) == 1


def test_a_sharing_matcher_sent_to_a_daemonic_process_matches_there(taxonomy, monkeypatch):
    """A model fitted on the client with sharing on is pickled to Dask workers as it is: in a
    daemonic process its matcher matches every text itself (no helper may be started there)."""
    monkeypatch.setattr(cue_pool, "SPLIT_MIN", 8)
    texts = TEXTS * 3
    alone = CueMatcher(taxonomy.objections).match(texts)
    shared = CueMatcher(taxonomy.objections, processes=2)
    monkeypatch.setattr(cue_pool.multiprocessing, "current_process",
                        lambda: SimpleNamespace(daemon=True))

    def no_helper(*args, **kwargs):
        raise AssertionError("daemonic processes are not allowed to have children")

    monkeypatch.setattr(cue_pool, "submit", no_helper)
    _same(shared.match(texts), alone)


@pytest.mark.parametrize("kind", ["objections", "stages"])
def test_a_batch_shared_with_a_helper_matches_like_one_process(taxonomy, kind, monkeypatch):
    monkeypatch.setattr(cue_pool, "SPLIT_MIN", 8)  # small batches split too
    texts = TEXTS * 3  # this process matches the first half, a spawned helper the rest
    alone = CueMatcher(getattr(taxonomy, kind)).match(texts)
    shared = CueMatcher(getattr(taxonomy, kind), processes=2).match(texts)
    _same(shared, alone)
    assert sum(len(m) for m in alone.matches[len(texts) // 2:]) > 0  # the helper had some


def test_a_dead_helper_is_replaced_by_matching_here(taxonomy, caplog):
    matcher = CueMatcher(taxonomy.objections, processes=2)
    dead: Future = Future()
    dead.set_exception(BrokenProcessPool("killed"))
    with caplog.at_level(logging.WARNING, logger="mining.cue_pool"):
        got = cue_pool.result(dead, matcher, TEXTS, 256)
    _same(got, matcher.match_here(TEXTS))
    assert "W212" in caplog.text


def test_concat_joins_results_in_order(taxonomy):
    matcher = CueMatcher(taxonomy.objections)
    _same(CueResult.concat([matcher.match(TEXTS[:5]), matcher.match(TEXTS[5:])]),
          matcher.match(TEXTS))


def test_repeated_texts_are_matched_once_with_the_same_result(taxonomy, monkeypatch):
    matcher = CueMatcher(taxonomy.objections)
    texts = [t.upper() if i % 3 == 0 and t else t for i, t in enumerate(TEXTS * 4)]
    seen = []
    here = matcher.match_here
    monkeypatch.setattr(matcher, "match_here", lambda t, b=256: seen.append(len(t)) or here(t, b))
    got = matcher.match(texts)
    assert seen == [len({t.lower() if t else "" for t in texts})]  # each distinct text once
    _same(got, here(texts))
    a, b = got.matches[0], got.matches[len(TEXTS)]  # one text, two rows: equal, not shared
    assert a == b and (not a or a[0] is not b[0])


def test_prestart_builds_each_matcher_once_and_needs_two_processes(taxonomy, monkeypatch):
    monkeypatch.setattr(cue_pool, "_matchers", {})
    tfs = [(cue_pool.key_of(tf, ""), tf) for tf in (taxonomy.objections, taxonomy.stages)]
    assert cue_pool._build_in_helper(tfs, "") == 2  # what a helper runs when prestarted
    assert cue_pool._build_in_helper(tfs, "") == 0
    started = []
    monkeypatch.setattr(cue_pool, "_executor", lambda n: started.append(n))
    cue_pool.prestart([taxonomy.objections], "", 1)  # one process: no helper at all
    assert started == []


def test_models_without_settings_use_the_default_and_a_run_applies_its_own(taxonomy):
    from mining.config import Settings
    from mining.tagging.steps import _run_settings

    assert cue_processes(None) == cue_pool.processes(Settings().tagging.cue_processes)
    model = SimpleNamespace(matcher_=CueMatcher(taxonomy.stages, processes=2))  # as loaded
    settings = Settings()
    settings.tagging.cue_processes = 1
    assert _run_settings(model, SimpleNamespace(settings=settings)).matcher_.processes == 1
