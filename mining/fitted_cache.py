"""On-disk cache of the built-in models (objection detector, stage tagger) fitted by a run.

Fitting the built-in models embeds their ~1-2k written examples, matches cues on them and fits
and calibrates the classifiers: the same work on every run, since it depends only on the
package, the taxonomy and the embedder. :func:`fit_or_reuse` fits a model once and keeps it in
``<cache_dir>/models/fitted/<ClassName>-<key>/`` (the model's own ``save`` format: JSON and
``.npy``, no pickles); later runs load it. The key is a sha256 over everything the fitted state
depends on:

- the model class and its hyper-parameters (``get_params`` without the taxonomy, embedder and
  settings objects; a file parameter such as ``examples`` by its content);
- the taxonomy in use (every file, as validated JSON);
- the embedder's identity (model weights fingerprint and backend: the vectors differ);
- the embedding settings (model, backend, batch size) and the spaCy pipeline of the cue matcher;
- the source of the ``mining`` package and its ``data/`` files (examples, word lists), and the
  versions of numpy, scipy and scikit-learn.

So editing an example, a cue, a stance pattern or the fitting code gives a new key; nothing is
ever served stale. A folder is written under a temporary name and renamed into place (concurrent
runs never read half a model). A folder that cannot be read is a cache miss: it is removed with
a warning (W211) and the model is fitted again. ``embed.use_cache = false`` turns the cache off.
A model loaded from the cache makes the same predictions as the freshly fitted one (its arrays are
stored at full precision; ``tests/test_fitted_cache.py``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from mining.config import EmbedSettings
from mining.cues import spacy_name
from mining.embed import get_embedder
from mining.embed_cache import default_cache_dir
from mining.errors import Warnings

log = logging.getLogger(__name__)

#: Bumped when the layout of a cached folder changes.
CACHE_FORMAT = 1
#: Parameters that are objects, not hyper-parameters (the key hashes them separately).
_OBJECT_PARAMS = ("taxonomy", "embedder", "settings")


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 of the ``mining`` package's ``.py`` files and ``data/`` files, and library versions.

    Computed once per process (a few hundred small files).
    """
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and (path.suffix == ".py" or "data" in path.relative_to(root).parts) \
                and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(root)).encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    for dist in ("numpy", "scipy", "scikit-learn", "spacy"):
        try:
            h.update(f"{dist}={version(dist)}".encode())
        except PackageNotFoundError:
            h.update(f"{dist}=-".encode())
    return h.hexdigest()


def _taxonomy_json(taxonomy: Any) -> Any:
    """The taxonomy as JSON-able data (every file), or None when it cannot be dumped."""
    files = getattr(taxonomy, "files", None)
    if isinstance(files, dict):
        return {k: v.model_dump(mode="json") for k, v in sorted(files.items())}
    if hasattr(taxonomy, "model_dump"):
        return taxonomy.model_dump(mode="json")
    return None


def _embedder_identity(embedder: Any, settings: Any) -> str | None:
    """The identity of the embedder a model embeds its examples with (None: unknown)."""
    if embedder is None or isinstance(embedder, str):
        es = getattr(settings, "embed", settings) or EmbedSettings()
        embedder = get_embedder(embedder or es.model, es.backend, threads=es.threads,
                                cache_dir=es.cache_dir)
    return getattr(embedder, "identity", None)


def _param(value: Any) -> Any:
    """A parameter for the key: a file (e.g. the ``examples`` file) counts by its content."""
    if isinstance(value, (str, Path)) and str(value) and Path(value).is_file():
        return {"file": str(value), "sha256": hashlib.sha256(Path(value).read_bytes()).hexdigest()}
    return str(value) if isinstance(value, Path) else value


def cache_key(model: Any) -> str | None:
    """The key of an unfitted model's fitted state, or None when it cannot be cached.

    Not cacheable: a taxonomy that is not a loaded ``Taxonomy`` (a path would be read later), an
    embedder without an ``identity``, parameters that are not plain JSON values.
    """
    params = model.get_params(deep=False)
    taxonomy = _taxonomy_json(params.get("taxonomy"))
    identity = _embedder_identity(params.get("embedder"), params.get("settings"))
    if taxonomy is None or not identity:
        return None
    settings = params.get("settings")
    embed = getattr(settings, "embed", None)
    doc = {
        "format": CACHE_FORMAT,
        "model": type(model).__name__,
        "params": {k: _param(v) for k, v in sorted(params.items()) if k not in _OBJECT_PARAMS},
        "taxonomy": taxonomy,
        "embedder": identity,
        "embed": None if embed is None else {k: str(v) for k, v in sorted(
            embed.model_dump().items()) if k in ("model", "backend", "batch_size")},
        "spacy": spacy_name(settings),
        "code": code_fingerprint(),
    }
    try:
        blob = json.dumps(doc, sort_keys=True, allow_nan=True)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def cache_folder(settings: Any = None) -> Path:
    """``<cache_dir>/models/fitted``: ``settings.embed.cache_dir`` or the user cache folder."""
    embed = getattr(settings, "embed", None)
    root = Path(embed.cache_dir) if embed is not None and embed.cache_dir else default_cache_dir()
    return root / "models" / "fitted"


def _load(cls: Any, folder: Path, model: Any) -> Any | None:
    """Load a cached model and give it the run's objects; None (and W211) when it is damaged."""
    try:
        fitted = cls.load(folder)
    except FileNotFoundError:
        return None  # removed by a concurrent run
    except Exception as err:  # noqa: BLE001 - any unreadable folder is a miss
        detail = " ".join(str(err).split())[:100] or type(err).__name__
        log.warning(Warnings.W211.format(path=folder, detail=detail))
        shutil.rmtree(folder, ignore_errors=True)
        return None
    params = model.get_params(deep=False)
    # the objects the cached state was keyed on, so transform uses the run's own
    fitted.set_params(**{k: params[k] for k in _OBJECT_PARAMS if k in params})
    return fitted


def _store(model: Any, folder: Path) -> None:
    """Save ``model`` into ``folder`` atomically (a temporary folder renamed into place)."""
    tmp = folder.with_name(f".tmp-{os.getpid()}-{os.urandom(4).hex()}-{folder.name}")
    try:
        model.save(tmp)
        os.replace(tmp, folder)
    except OSError as err:  # a read-only cache, or a concurrent run stored it first
        shutil.rmtree(tmp, ignore_errors=True)
        if not folder.is_dir():
            log.warning("fitted model not cached in %s: %s", folder.parent, err)


def fit_or_reuse(model: Any, *, progress: bool = False) -> Any:
    """Return ``model`` fitted on its built-in examples, loading the fit from the cache if there.

    Args:
        model: An unfitted ``ObjectionDetector`` or ``StageTagger`` (any estimator with
            ``fit(progress=)``, ``save`` and a classmethod ``load``) built with the run's
            taxonomy, embedder and settings.
        progress: Passed to ``fit`` (progress while embedding the examples).

    Returns:
        The fitted model: loaded from the cache (with the run's taxonomy, embedder and settings
        objects as parameters), or ``model`` itself, fitted now and stored.
    """
    settings = getattr(model, "settings", None)
    embed = getattr(settings, "embed", None)
    use = embed is None or embed.use_cache
    # a loaded model's cue matcher uses the default spaCy pipeline (its save does not record it)
    key = cache_key(model) if use and spacy_name(settings) == spacy_name(None) else None
    if key is None:
        return model.fit(progress=progress)
    folder = cache_folder(settings) / f"{type(model).__name__}-{key}"
    if folder.is_dir():
        fitted = _load(type(model), folder, model)
        if fitted is not None:
            log.debug("%s loaded from the fitted-model cache %s", type(model).__name__, folder)
            return fitted
    model.fit(progress=progress)
    folder.parent.mkdir(parents=True, exist_ok=True)
    _store(model, folder)
    return model
