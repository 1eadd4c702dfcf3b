"""mining.distributed: the tagging steps on a local Dask cluster give the single-process tags."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _handmade import write_mini_corpus

from mining.config import Settings
from mining.errors import ConfigError

pytest.importorskip("dask.distributed")


def _fast(**scale) -> Settings:
    settings = Settings()
    settings.embed.model = "hash"
    settings.themes.reducer = "pca"
    settings.embed.use_cache = False  # embed on the workers, not from the session's cache
    for key, value in scale.items():
        setattr(settings.scale, key, value)
    return settings


def test_distributed_journey_blocks_keep_journeys_whole():
    from mining.distributed import journey_blocks

    ids = ["a"] * 5 + ["b"] * 1 + ["c"] * 7 + ["d"] * 2 + ["e"] * 3
    frame = pd.DataFrame({"journey_id": ids})
    for n_blocks in (1, 2, 3, 4, 10, 40):
        blocks = journey_blocks(frame, n_blocks)
        assert 1 <= len(blocks) <= min(n_blocks, 5)
        assert [i for b in blocks for i in range(b.start, b.stop)] == list(range(len(ids)))
        seen = [set(ids[b]) for b in blocks]
        assert all(not (x & y) for k, x in enumerate(seen) for y in seen[k + 1:])
    assert journey_blocks(frame.iloc[:0], 4) == []


def test_distributed_unreachable_scheduler_is_e222():
    from mining.distributed import connect

    settings = _fast(cluster="tcp://127.0.0.1:9", connect_timeout=2)
    with pytest.raises(ConfigError, match="E222"):
        connect(settings)


def test_distributed_local_cluster_equals_single_process(tmp_path, hash_detector, caplog):
    """Two worker processes on localhost: same tags, theme ids and stages as one process."""
    import logging

    import mining
    from mining.pipeline import run
    from mining.tagging import tag

    data = write_mini_corpus(tmp_path / "data", n_journeys=40)
    corpus = mining.load_corpus([data["chats"]], outcomes=data["outcomes"],
                                events=data["events"])
    models = tmp_path / "model"
    hash_detector.save(models / "objections")  # fitted once per session, loaded by both runs
    single = tag(corpus, settings=_fast(), model_dir=models, progress=False)
    with caplog.at_level(logging.INFO, logger="mining.distributed"):
        dask = run(corpus, tmp_path / "out", settings=_fast(workers=2, partitions_per_worker=3),
                   model_dir=models, progress=False)
    pd.testing.assert_frame_equal(dask.tags.reset_index(drop=True),
                                  single.tags.reset_index(drop=True))
    pd.testing.assert_frame_equal(dask.themes, single.themes)
    pd.testing.assert_frame_equal(dask.tag_result.units, single.units)
    assert len(single.tags) > 300 and single.tags["stage"].nunique() > 1
    # stages decoded per journey on the workers: the same path and confidence
    assert dask.tags["stage"].tolist() == single.tags["stage"].tolist()
    np.testing.assert_allclose(dask.tags["stage_confidence"], single.tags["stage_confidence"],
                               rtol=1e-12)  # (block-wise matrix products: last-digit noise)
    # themes fitted on the client, every unit assigned on the workers: the same ids
    kinds = [k for k in ("objection", "intent", "reply") if f"themes_{k}" in single.models]
    assert "intent" in kinds and "reply" in kinds
    for kind in kinds:
        ours, theirs = dask.tag_result.models[f"themes_{kind}"], single.models[f"themes_{kind}"]
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
        np.testing.assert_allclose(ours.probabilities_, theirs.probabilities_, rtol=1e-12)
        assert (ours.labels_ >= 0).sum() > 0
    assert f"assignment ran on the workers {len(kinds)} time(s)" in caplog.text
    doc = json.loads((tmp_path / "out" / "run.json").read_text())
    assert doc["scale"]["workers"] == 2 and doc["scale"]["peak_rss_mb"] > 0
    assert "tag.dask_setup" in doc["timings_seconds"]
    assert doc["scale"]["embed_backend"] is None  # the hash embedder has no backend
    assert np.isfinite(doc["timings_seconds"]["tag.embed_units"])


def test_distributed_block_assigner_equals_in_process():
    """Theme assignment in blocks on (in-process) workers: the ids and probabilities of one call."""
    from dask.distributed import Client, LocalCluster

    from mining.distributed import BlockAssigner
    from mining.themes.cluster import assign, unit

    rng = np.random.default_rng(0)
    X = unit(rng.normal(size=(203, 16))).astype(np.float32)
    C = unit(rng.normal(size=(7, 16))).astype(np.float32)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        blocks = BlockAssigner(client, n_blocks=5)
        for threshold in (-1.0, 0.3):
            got, want = blocks(X, C, threshold), assign(X, C, threshold)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
        assert blocks.calls == 2
        empty = blocks(X[:0], C, 0.3)
        assert len(empty[0]) == 0 and blocks.calls == 2  # nothing sent for no rows


@pytest.mark.slow
def test_distributed_real_model_loaded_once_per_worker(st_embedder):
    """Each worker loads the packaged model once and keeps it; its vectors are one process's."""
    from mining.distributed import DistributedEmbedder, connect, loaded_embedders
    from mining.embed import _encode_sorted

    asks = ("Can you send me the price list", "Is there a discount for a team of ten",
            "We are still comparing you with another vendor", "How long does setup take",
            "My manager has to approve anything over budget", "Could we move the call to Friday")
    tails = ("", " please", " before the end of the month?", ", thanks", " for our Leeds office",
             " if we sign this week?", " — no rush")
    texts = [a + t for a in asks for t in tails] * 2 + [f"order {i} has not arrived" for i in
                                                         range(120)]
    client, cluster = connect(_settings_workers(2))
    try:
        spec = (st_embedder.name, Settings().embed.backend, 1)  # as distributed_embedder
        emb = DistributedEmbedder(client, st_embedder, spec)
        first = _encode_sorted(emb, texts, 8, False)  # 4 chunks of 64 texts over 2 workers
        loaded = client.run(loaded_embedders)
        _encode_sorted(emb, texts[::-1], 8, False)
        assert client.run(loaded_embedders) == loaded  # the same model objects: not reloaded
        assert sum(len(v) for v in loaded.values()) >= 1
        assert all(len(v) <= 1 for v in loaded.values())  # one model per worker process
    finally:
        client.close()
        cluster.close()
    np.testing.assert_allclose(first, _encode_sorted(st_embedder, texts, 8, False), atol=1e-5)


def _settings_workers(n: int) -> Settings:
    settings = Settings()
    settings.scale.workers = n
    return settings
