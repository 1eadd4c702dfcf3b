"""Shared fixtures.

Expensive objects (the real model, fitted pipelines) are loaded once per session.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Tests never read or fill the user's embedding cache: one fresh cache per test session.
if "JOURNEYMINE_CACHE" not in os.environ:
    import tempfile

    os.environ["JOURNEYMINE_CACHE"] = tempfile.mkdtemp(prefix="journeymine-test-cache-")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_transcripts"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``journeymine demo`` once per session: the whole pipeline with default settings (the real
    model, UMAP, HDBSCAN) on sample_transcripts/, written into a temporary folder. Slow: use it
    only from tests marked ``@pytest.mark.slow``. Returns the ``RunResult`` (``.out_dir`` holds
    every output: tags, themes, reports/, model/, report.html, run.json)."""
    from mining.demo import business_dirs, demo_inputs
    from mining.pipeline import run

    if not business_dirs(SAMPLES):
        pytest.skip("sample_transcripts/ is not there")
    d = demo_inputs(SAMPLES)
    out = tmp_path_factory.mktemp("demo_run")
    return run(d.messages, out, events=d.events or None, outcomes=d.outcomes,
               agent_domains=d.agent_domains, progress=False)


@pytest.fixture(scope="session")
def st_embedder():
    """The packaged all-MiniLM-L6-v2 embedder with its model loaded, once per session. Slow: use
    it only from tests marked ``@pytest.mark.slow``. ``.encode(texts)`` gives float32 (n, 384)
    L2-normalised rows; pass it as ``embed_texts(texts, model=st_embedder)``."""
    from mining.embed import get_embedder

    emb = get_embedder("all-MiniLM-L6-v2")
    emb.encode(["warm up"])  # load the model now, not inside the first test that uses it
    return emb


@pytest.fixture(scope="session")
def hash_detector():
    """An ObjectionDetector fitted from the packaged taxonomy with the "hash" embedder (fast)."""
    from mining.objections import ObjectionDetector

    return ObjectionDetector(embedder="hash").fit()


@pytest.fixture(scope="session")
def st_detector(st_embedder):
    """An ObjectionDetector fitted with the packaged real model (slow tests only)."""
    from mining.objections import ObjectionDetector

    return ObjectionDetector(embedder=st_embedder).fit()


@pytest.fixture(scope="session")
def themes_real_fit(st_embedder):
    """A ThemeModel fitted with the real model and UMAP on the hand-written intents of
    ``tests/_themes_data.py``; returns ``(texts, intents, vectors, model)``. Slow: UMAP and the
    real model; use it only from tests marked ``@pytest.mark.slow``."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from _themes_data import texts_and_labels

    from mining.embed import embed_texts
    from mining.themes import ThemeModel

    texts, intents = texts_and_labels()
    model = ThemeModel(min_theme_size=5)
    vectors = embed_texts(model.focus(texts), model=st_embedder, progress=False, cache=False)
    return texts, intents, vectors, model.fit(texts, vectors=vectors)
