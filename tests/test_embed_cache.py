"""Integrity of the on-disk embedding cache (issue 15): damage is a miss, never a crash."""

from __future__ import annotations

import logging
import multiprocessing

import numpy as np
import pytest

from mining.embed import HashEmbedder, embed_texts
from mining.embed_cache import VectorCache, text_keys

TEXTS = ["Too expensive for us", "Do you integrate with Xero?", "Can I pay monthly?", "Thanks!"]


class Counting(HashEmbedder):
    """The hash embedder, counting the texts it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def encode(self, texts, **kwargs):  # noqa: ANN001, ANN003, ANN201 - test double
        self.calls.extend(texts)
        return super().encode(texts, **kwargs)


def _shard(tmp_path):
    embed_texts(TEXTS, model="hash", cache_dir=tmp_path, progress=False)
    folder = tmp_path / "embeddings" / HashEmbedder().identity
    (shard,) = folder.glob("shard-*.npz")
    return shard


@pytest.mark.parametrize("damage", ["truncate", "garbage_zip", "empty", "wrong_shapes"])
def test_embed_cache_damaged_shard_is_a_miss_and_removed(tmp_path, caplog, damage):
    shard = _shard(tmp_path)
    data = shard.read_bytes()
    if damage == "truncate":  # a crash or a full disk during the write
        shard.write_bytes(data[: len(data) // 2])
    elif damage == "garbage_zip":
        shard.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    elif damage == "empty":
        shard.write_bytes(b"")
    else:
        with open(shard, "wb") as fh:
            np.savez(fh, keys=text_keys(TEXTS), vectors=np.zeros((2, 8), np.float32))
    emb = Counting()
    with caplog.at_level(logging.WARNING, logger="mining"):
        out = embed_texts(TEXTS, model=emb, cache_dir=tmp_path, progress=False)
    assert sorted(emb.calls) == sorted(TEXTS)  # embedded again
    np.testing.assert_allclose(out, HashEmbedder().encode(TEXTS), atol=1e-6)
    assert not shard.exists()
    assert any("W201" in r.getMessage() for r in caplog.records)
    again = Counting()  # the next run finds the fresh shard and does not warn again
    caplog.clear()
    embed_texts(TEXTS, model=again, cache_dir=tmp_path, progress=False)
    assert again.calls == [] and not any("W201" in r.getMessage() for r in caplog.records)


def _writer(root: str, start: int) -> None:
    cache = VectorCache(root, "concurrent")
    texts = [f"text {i}" for i in range(start, start + 40)]
    keys = text_keys(texts)
    for i in range(0, 40, 2):  # many small shards: compaction runs while the other one writes
        cache.add(keys[i:i + 2], np.full((2, 4), start + i, dtype=np.float32))


def test_embed_cache_concurrent_writers_lose_nothing(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), s)) for s in (0, 1000)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    cache = VectorCache(tmp_path, "concurrent")
    texts = [f"text {i}" for s in (0, 1000) for i in range(s, s + 40)]
    found, vecs = cache.lookup(text_keys(texts))
    assert found.all()
    assert len(list(cache.folder.glob("shard-*.npz"))) <= 33
