from __future__ import annotations

import json

import numpy as np
import pytest

from mining.embed import (
    EMBEDDERS,
    Embedder,
    HashEmbedder,
    VectorCache,
    _fingerprint,
    default_cache_dir,
    embed_texts,
    get_embedder,
    text_keys,
)
from mining.errors import ConfigError


class Counting:
    """Wraps an embedder and records every call, to prove what was (not) embedded."""

    def __init__(self, inner: Embedder | None = None) -> None:
        self.inner = inner or HashEmbedder()
        self.name, self.dim, self.identity = self.inner.name, self.inner.dim, self.inner.identity
        self.calls: list[list[str]] = []

    def encode(self, texts, batch_size=64):
        self.calls.append(list(texts))
        return self.inner.encode(texts, batch_size=batch_size)

    @property
    def embedded(self) -> list[str]:
        return [t for call in self.calls for t in call]


TEXTS = ["I want a refund", "The price is too high", "I want a refund", "", "Shipping is slow",
         "The price is too high", "Can I pay by card?"]


def test_embed_hash_vectors_are_normalised_and_deterministic():
    emb = get_embedder("hash")
    a, b = emb.encode(TEXTS), HashEmbedder().encode(TEXTS)
    assert a.shape == (len(TEXTS), 256) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(a, b)
    sims = emb.encode(["refund my order please", "please refund my order", "what time is it"])
    assert sims[0] @ sims[1] > sims[0] @ sims[2]


def test_embed_identical_texts_are_embedded_once_and_order_is_kept(tmp_path):
    emb = Counting()
    out = embed_texts(TEXTS, model=emb, cache_dir=tmp_path, progress=False)
    assert sorted(emb.embedded) == sorted(set(TEXTS))
    np.testing.assert_allclose(out, HashEmbedder().encode(TEXTS), atol=1e-6)


def test_embed_cache_hit_means_no_model_call(tmp_path):
    first = Counting()
    a = embed_texts(TEXTS, model=first, cache_dir=tmp_path, progress=False)
    second = Counting()
    b = embed_texts(list(reversed(TEXTS)), model=second, cache_dir=tmp_path, progress=False)
    assert second.calls == []
    np.testing.assert_array_equal(b, a[::-1])
    third = Counting()
    embed_texts(TEXTS + ["A brand new question"], model=third, cache_dir=tmp_path, progress=False)
    assert third.embedded == ["A brand new question"]


def test_embed_cache_off_writes_nothing(tmp_path):
    emb = Counting()
    embed_texts(TEXTS, model=emb, cache_dir=tmp_path, cache=False, progress=False)
    embed_texts(TEXTS, model=emb, cache_dir=tmp_path, cache=False, progress=False)
    assert len(emb.calls) == 2
    assert not (tmp_path / "embeddings").exists()


def test_embed_batches_are_sorted_by_length(tmp_path):
    emb = Counting()
    texts = [("word " * (i % 17 + 1)).strip() + f" {i}" for i in range(300)]
    out = embed_texts(texts, model=emb, cache_dir=tmp_path, batch_size=4, progress=False)
    lengths = [len(t) for t in emb.embedded]
    assert lengths == sorted(lengths, reverse=True)
    assert len(emb.calls) > 1
    np.testing.assert_allclose(out, HashEmbedder().encode(texts), atol=1e-6)


def test_embed_cache_is_keyed_by_model_identity(tmp_path):
    embed_texts(TEXTS, model=Counting(HashEmbedder(256)), cache_dir=tmp_path, progress=False)
    other = Counting(HashEmbedder(64))
    out = embed_texts(TEXTS, model=other, cache_dir=tmp_path, progress=False)
    assert out.shape == (len(TEXTS), 64)
    assert sorted(other.embedded) == sorted(set(TEXTS))


def test_embed_cache_files_are_plain_arrays_and_json(tmp_path):
    embed_texts(TEXTS, model="hash", cache_dir=tmp_path, progress=False)
    folder = tmp_path / "embeddings" / HashEmbedder().identity
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["dim"] == 256
    (shard,) = folder.glob("shard-*.npz")
    with np.load(shard, allow_pickle=False) as z:
        assert z["keys"].shape == (len(set(TEXTS)), 32) and z["vectors"].dtype == np.float32


def test_embed_cache_ignores_a_damaged_shard(tmp_path):
    embed_texts(TEXTS, model="hash", cache_dir=tmp_path, progress=False)
    folder = tmp_path / "embeddings" / HashEmbedder().identity
    (folder / "shard-0-damaged.npz").write_bytes(b"not a zip file")
    emb = Counting()
    out = embed_texts(TEXTS, model=emb, cache_dir=tmp_path, progress=False)
    assert emb.calls == []
    np.testing.assert_allclose(out, HashEmbedder().encode(TEXTS), atol=1e-6)


def test_embed_cache_compacts_many_shards_without_losing_vectors(tmp_path):
    cache = VectorCache(tmp_path, "test-id")
    texts = [f"text {i}" for i in range(40)]
    vecs = HashEmbedder().encode(texts)
    keys = text_keys(texts)
    for i in range(40):  # one shard per run, as 40 small runs would write
        cache.add(keys[i:i + 1], vecs[i:i + 1])
    assert len(list(cache.folder.glob("shard-*.npz"))) <= 33
    found, got = cache.lookup(keys)
    assert found.all()
    np.testing.assert_array_equal(got, vecs)


def test_embed_default_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("JOURNEYMINE_CACHE", str(tmp_path / "jm"))
    assert default_cache_dir() == tmp_path / "jm"
    embed_texts(["hello"], model="hash", progress=False)
    assert (tmp_path / "jm" / "embeddings").is_dir()


def test_embed_empty_input_gives_empty_matrix(tmp_path):
    out = embed_texts([], model="hash", cache_dir=tmp_path, progress=False)
    assert out.shape == (0, 256) and out.dtype == np.float32


def test_embed_unknown_name_lists_the_choices():
    with pytest.raises(ConfigError, match=r"E002.*hash") as err:
        get_embedder("hsah")
    for name in EMBEDDERS:
        assert name in str(err.value)


@pytest.mark.parametrize("name", ["some-org/some-model-that-is-not-here", "./no/such/folder"])
def test_embed_missing_model_fails_fast_offline(name):
    with pytest.raises(ConfigError, match="E200"):
        get_embedder(name)


def test_embed_fingerprint_changes_with_model_config(tmp_path):
    (tmp_path / "config.json").write_text('{"hidden_size": 384}')
    (tmp_path / "model.safetensors").write_bytes(b"x" * 10)
    before = _fingerprint(tmp_path)
    assert _fingerprint(tmp_path) == before
    (tmp_path / "config.json").write_text('{"hidden_size": 768}')
    assert _fingerprint(tmp_path) != before


@pytest.mark.slow
def test_embed_packaged_model_gives_normalised_384d_semantic_vectors(st_embedder, tmp_path):
    texts = ["Can I get my money back?", "I would like a refund, please.",
             "What time does the store open on Sundays?"]
    vecs = embed_texts(texts, model=st_embedder, cache_dir=tmp_path, progress=False)
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.2
    assert st_embedder.dim == 384 and st_embedder.name == "all-MiniLM-L6-v2"
    assert get_embedder() is st_embedder  # loaded once per process
    again = embed_texts(texts, model="all-MiniLM-L6-v2", cache_dir=tmp_path, progress=False)
    np.testing.assert_array_equal(again, vecs)


def test_embed_fully_cached_run_never_loads_the_model(tmp_path):
    from mining.embed import SentenceTransformerEmbedder

    folder = tmp_path / "not-a-real-model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    emb = SentenceTransformerEmbedder("fake", folder)
    vecs = HashEmbedder(8).encode(TEXTS)
    unique = list(dict.fromkeys(TEXTS))
    cache = VectorCache(tmp_path / "cache", emb.identity)
    cache.add(text_keys(unique), HashEmbedder(8).encode(unique))
    out = embed_texts(TEXTS, model=emb, cache_dir=tmp_path / "cache", progress=False)
    np.testing.assert_allclose(out, vecs, atol=1e-6)
    assert emb._model is None
    with pytest.raises(ConfigError, match="E200.*fake"):
        embed_texts(["not cached"], model=emb, cache_dir=tmp_path / "cache", progress=False)


def test_embed_accepts_a_minimal_user_embedder(tmp_path):
    class Mine:
        name, dim = "mine", 256

        def encode(self, texts):
            return HashEmbedder().encode(texts)

    out = embed_texts(TEXTS, model=Mine(), cache_dir=tmp_path, progress=False)
    np.testing.assert_allclose(out, HashEmbedder().encode(TEXTS), atol=1e-6)
    assert (tmp_path / "embeddings" / "mine").is_dir()


def test_embed_settings_choose_model_batch_and_cache(tmp_path):
    from mining.config import load_settings

    settings = load_settings({"embed": {"model": "hash", "cache_dir": str(tmp_path),
                                        "use_cache": False}})
    out = embed_texts(TEXTS, settings=settings, progress=False)
    assert out.shape == (len(TEXTS), 256)
    assert not (tmp_path / "embeddings").exists()
    embed_texts(TEXTS, settings=settings.embed.model_copy(update={"use_cache": True}),
                progress=False)
    assert (tmp_path / "embeddings" / HashEmbedder().identity).is_dir()


# --------------------------------------------------------------------------- backends (issue 14)


def test_embed_backend_unknown_name_lists_the_choices():
    with pytest.raises(ConfigError, match="E002.*auto, onnx, torch"):
        get_embedder("hash", "tensorrt")


def test_embed_backend_is_ignored_by_model_free_embedders():
    assert get_embedder("hash", "onnx") is get_embedder("hash", "torch")


def test_embed_backend_setting_is_validated():
    from pydantic import ValidationError

    from mining.config import EmbedSettings

    assert EmbedSettings().backend == "auto"  # int8 ONNX where it loads, else torch (README)
    with pytest.raises(ValidationError):
        EmbedSettings(backend="gpu")


def _fake_st_folder(tmp_path, pooling="pooling_mode_mean_tokens"):
    folder = tmp_path / "fake-st"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"}]))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": 8, pooling: True}))
    (folder / "tokenizer.json").write_text("{}")
    return folder


def test_embed_onnx_eligibility_needs_mean_pooling(tmp_path):
    from mining.embed_onnx import ineligible

    assert ineligible(_fake_st_folder(tmp_path)) is None
    assert "mean" in ineligible(_fake_st_folder(tmp_path / "cls", "pooling_mode_cls_token"))
    assert "modules" in ineligible(tmp_path)


def test_embed_auto_falls_back_to_torch_without_onnxruntime(tmp_path, monkeypatch):
    from mining import embed, embed_onnx

    monkeypatch.setattr(embed_onnx, "onnx_runtime_loads", lambda: False)
    monkeypatch.setitem(embed.EMBEDDERS, "fake-st", lambda: embed.SentenceTransformerEmbedder(
        "fake-st", _fake_st_folder(tmp_path)))
    monkeypatch.setattr(embed, "_LOADED", {})
    emb = get_embedder("fake-st", "auto")
    assert emb.backend == "torch" and emb._model is None  # chosen without loading anything
    with pytest.raises(ConfigError, match="E220.*onnxruntime"):
        get_embedder("fake-st", "onnx")


def test_embed_auto_warns_and_uses_torch_when_the_onnx_build_fails(tmp_path, monkeypatch, caplog):
    from mining import embed, embed_onnx

    def broken(*args, **kwargs):
        raise RuntimeError("export exploded")

    monkeypatch.setattr(embed_onnx, "build_int8", broken)
    monkeypatch.setitem(embed.EMBEDDERS, "fake-st", lambda: embed.SentenceTransformerEmbedder(
        "fake-st", _fake_st_folder(tmp_path)))
    monkeypatch.setattr(embed, "_LOADED", {})
    with caplog.at_level("WARNING", logger="mining.embed"):
        emb = get_embedder("fake-st", "auto", cache_dir=tmp_path / "cache")
    assert emb.backend == "torch" and "W210" in caplog.text and "export exploded" in caplog.text


@pytest.mark.slow
def test_embed_onnx_int8_matches_torch_fp32_and_has_its_own_cache_key(st_embedder, tmp_path):
    torch_emb = get_embedder("all-MiniLM-L6-v2", "torch")
    onnx_emb = get_embedder("all-MiniLM-L6-v2", "onnx")
    assert onnx_emb.backend == "onnx-int8" and onnx_emb.identity != torch_emb.identity
    texts = ["Can I get my money back?", "too expensive tbh",
             "We'd need SSO and an audit log before security signs off on this.",
             "  Hi there, is the dental clinic open on Saturdays?  ", "ok"]
    q, ref = onnx_emb.encode(texts, batch_size=2), torch_emb.encode(texts)
    assert q.shape == ref.shape == (5, 384) and q.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    cos = (q * ref).sum(axis=1)
    assert cos.mean() >= 0.98 and cos.min() >= 0.95
    # each text runs alone: its vector does not depend on its neighbours or the batch size
    np.testing.assert_array_equal(onnx_emb.encode(["ok"])[0], q[4])
    np.testing.assert_array_equal(onnx_emb.encode(texts[::-1], batch_size=3)[::-1], q)
    # a loaded embedder pickles without its session (Dask ships fitted models holding it)
    import pickle

    copy = pickle.loads(pickle.dumps(onnx_emb))
    assert copy._session is None and onnx_emb._session is not None
    np.testing.assert_allclose(copy.encode(texts, batch_size=2), q, atol=1e-6)
