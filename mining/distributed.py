"""The tagging steps on a Dask cluster: ``journeymine run ... --workers N`` or ``--cluster ADDR``.

The same steps as :func:`mining.tagging.tag` run over the same :class:`TagContext`; three kinds
of work go to the workers, in pieces made so that every result equals the single-process run:

- **segmentation**: blocks of whole journeys (``segment`` is row by row);
- **embedding**: the client still deduplicates texts and reads and writes the vector cache; the
  texts left to embed are sorted and cut into the same chunks of ``8 * batch_size`` as in one
  process (:func:`mining.embed._encode_sorted`), so every model batch is the same and so are the
  vectors, bit for bit. Each worker loads the embedding model once and keeps it;
- **scoring**: the objection detector (per customer unit, in row blocks) and the stage tagger
  (per journey: scores and sequence decoding, in blocks of whole journeys), fitted or loaded once
  on the client and sent to every worker;
- **theme assignment**: each theme model is fitted on the client on the capped sample the theme
  settings choose (``themes.fit_sample_max``; the same sample as in one process), and every unit
  is assigned to its nearest centroid on the workers (:class:`BlockAssigner`, also for models
  loaded from ``model_dir``). Labels, keywords and examples are then written on the client.

Requires ``dask[distributed]`` (``pip install journeymine[scale]``); workers of an existing
cluster need ``pip install journeymine`` in the same version. README: "Scaling out".
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import mining
from mining.embed import _LOADED, get_embedder
from mining.errors import ConfigError, Errors
from mining.progress import Progress, peak_rss_mb
from mining.schema import conform, empty
from mining.tagging import STEPS, TagResult, make_context, run_steps
from mining.tagging.steps import load_or_fit, segment_units
from mining.text.segment import segment

if TYPE_CHECKING:
    from mining.config import Settings
    from mining.tagging.context import TagContext

log = logging.getLogger("mining.distributed")


def enabled(settings: Settings) -> bool:
    """Whether ``settings`` ask for a Dask run (``scale.workers`` > 0 or ``scale.cluster``)."""
    return bool(settings.scale.workers or settings.scale.cluster)


def connect(settings: Settings) -> tuple[Any, Any]:
    """Start a local cluster or connect to a scheduler; return ``(client, cluster_or_None)``.

    A local cluster has ``scale.workers`` worker processes with one thread each, listens on
    127.0.0.1 only and has no dashboard; its workers import ``mining`` from where this process
    does.

    Raises:
        ConfigError: [E221] when dask.distributed is not installed; [E222] when the scheduler
            cannot be reached or the local cluster does not start.
    """
    try:
        # optional: dask.distributed is the `scale` extra (E221 when absent)
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(Errors.E221) from None
    sc = settings.scale
    try:
        if sc.cluster:
            return Client(sc.cluster, timeout=sc.connect_timeout), None

        src = str(Path(mining.__file__).resolve().parent.parent)
        path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
        logging.getLogger("distributed").setLevel(logging.ERROR)  # its start/stop chatter
        cluster = LocalCluster(n_workers=sc.workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               env={"PYTHONPATH": path}, silence_logs=logging.ERROR)
        return Client(cluster, timeout=sc.connect_timeout), cluster
    except (OSError, TimeoutError) as err:
        where = sc.cluster or f"a local cluster of {sc.workers} workers"
        raise ConfigError(Errors.E222.format(where=where, detail=err)) from None


def _n_workers(client: Any) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def gather_in_order(futures: list[Any], progress: Any, what: str) -> list[Any]:
    """Results of ``futures`` in their order, counting finished blocks in ``progress``.

    Args:
        futures: Submitted tasks.
        progress: A ``mining.progress.Progress`` (or bool).
        what: What the blocks are, for the progress display (no message text).
    """
    # heavy: dask.distributed loads only when gather_in_order() runs
    from dask.distributed import as_completed

    order = {f.key: i for i, f in enumerate(futures)}
    out: list[Any] = [None] * len(futures)
    with Progress.coerce(progress).task(what, total=len(futures)) as task:
        for fut in as_completed(futures):
            out[order[fut.key]] = fut.result()
            task.advance(1)
    return out


# --------------------------------------------------------------------------- embedding


class DistributedEmbedder:
    """An embedder whose batches run on the workers (same name, dimension and cache identity).

    Args:
        client: The Dask client.
        base: The local embedder (its ``identity`` keys the cache on the client).
        spec: What a worker builds its own embedder from: ``(name, backend, threads)`` for a
            named model (loaded once per worker), or the embedder object itself.
    """

    def __init__(self, client: Any, base: Any, spec: Any) -> None:
        self.client = client
        self.base = base
        self.spec = spec
        self.name = base.name
        self.identity = getattr(base, "identity", "") or base.name
        self.backend = getattr(base, "backend", None)

    @property
    def dim(self) -> int:
        """The base embedder's dimension."""
        return int(self.base.dim)

    def __reduce__(self) -> tuple[Any, tuple[Any]]:
        # a model holding this embedder is rebuilt on a worker with the worker's own embedder
        return (_worker_embedder, (self.spec,))

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Embed one list of texts on one worker."""
        return self.encode_many([list(texts)], batch_size)[0]

    def encode_many(self, chunks: list[list[str]], batch_size: int = 64,
                    advance: Any = None) -> list[np.ndarray]:
        """Embed each chunk on a worker, all at once; return the vectors in chunk order.

        Args:
            chunks: Lists of texts (each is embedded in batches of ``batch_size``).
            batch_size: Texts per model batch.
            advance: Called with the number of texts of each finished chunk (progress).
        """
        # heavy: dask.distributed loads only when encode_many() runs
        from dask.distributed import as_completed

        # (not batch_size=: Client.map has a parameter of that name)
        futures = self.client.map(_encode_on_worker, chunks, spec=self.spec,
                                  model_batch=batch_size, pure=False)
        order = {f.key: i for i, f in enumerate(futures)}
        out: list[Any] = [None] * len(chunks)
        for fut in as_completed(futures):
            i = order[fut.key]
            out[i] = fut.result()
            if advance is not None:
                advance(len(chunks[i]))
        return out


def _worker_embedder(spec: Any) -> Any:
    if isinstance(spec, tuple):
        name, backend, threads = spec
        return get_embedder(name, backend, threads=threads)
    return spec


def _encode_on_worker(texts: list[str], spec: Any, model_batch: int) -> np.ndarray:
    """Embed texts with the worker's embedder (created once per worker process)."""
    return np.asarray(_worker_embedder(spec).encode(texts, batch_size=model_batch),
                      dtype=np.float32)


def loaded_embedders() -> dict[str, int]:
    """The embedding models this process has loaded, to check that a worker loads each once.

    Run on every worker with ``client.run(loaded_embedders)``.

    Returns:
        ``{"<name>:<backend>": id of the loaded model object}`` (torch model or ONNX session);
        embedders not loaded yet, or without a model (``"hash"``), are left out.
    """
    out: dict[str, int] = {}
    for (name, _), emb in _LOADED.items():
        inner = getattr(emb, "_model", None) or getattr(emb, "_session", None)
        if inner is not None:
            out[f"{name}:{getattr(emb, 'backend', '')}"] = id(inner)
    return out


def distributed_embedder(client: Any, ctx: TagContext, local: bool) -> DistributedEmbedder:
    """Wrap the run's embedder so its batches run on the workers."""
    es = ctx.settings.embed
    if isinstance(ctx.embedder, str):
        threads = max(1, (os.cpu_count() or 1) // _n_workers(client)) if local else es.threads
        base = get_embedder(ctx.embedder, es.backend, cache_dir=es.cache_dir, threads=threads)
        spec: Any = (ctx.embedder, es.backend, threads)
    else:
        base = spec = ctx.embedder
    return DistributedEmbedder(client, base, spec)


# --------------------------------------------------------------------------- models


def journey_blocks(journeys: pd.DataFrame, n_blocks: int) -> list[slice]:
    """Cut rows in journey order into at most ``n_blocks`` slices of whole journeys."""
    n = len(journeys)
    if n == 0:
        return []
    codes = journeys["journey_id"].astype("string").fillna("").to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])  # first row of each journey
    first = np.searchsorted(starts, np.arange(1, n_blocks) * n / n_blocks)
    bounds = [0, *sorted({int(starts[i]) for i in first if i < len(starts)} - {0}), n]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


class DistributedModel:
    """A fitted model whose ``transform`` runs on the workers in blocks; other attributes pass.

    Args:
        model: The fitted model (sent to every worker once).
        client: The Dask client.
        by_journey: Split ``transform(journeys, vectors)`` into blocks of whole journeys (stage
            tagger); otherwise split ``transform(texts, vectors)`` by rows (objection detector).
        n_blocks: Number of blocks.
        progress: ``mining.progress.Progress`` counting finished blocks.
    """

    def __init__(self, model: Any, client: Any, by_journey: bool, n_blocks: int,
                 progress: Any = False) -> None:
        self.model = model
        self.client = client
        self.by_journey = by_journey
        self.n_blocks = n_blocks
        self.progress = progress
        self._shipped: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["model"], name)

    def transform(self, data: Any, vectors: np.ndarray, **kwargs: Any) -> pd.DataFrame:
        """The wrapped model's ``transform``, block by block on the workers, concatenated.

        Keyword arguments that are per-row lists (e.g. the detector's ``context``) are cut with
        the rows; others go to every block as they are.
        """
        if len(data) == 0:
            return self.model.transform(data, vectors, **kwargs)
        if self._shipped is None:
            [self._shipped] = self.client.scatter([self.model], broadcast=True, hash=False)
        if self.by_journey:
            blocks = journey_blocks(data, self.n_blocks)
        else:
            edges = np.linspace(0, len(data), min(self.n_blocks, len(data)) + 1).astype(int)
            blocks = [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]
        rows = {k for k, v in kwargs.items()
                if isinstance(v, (list, tuple)) and len(v) == len(data)}
        futures = [self.client.submit(
            _transform_on_worker, data.iloc[b] if self.by_journey else list(data[b]), vectors[b],
            model=self._shipped, pure=False,
            **{k: (list(v[b]) if k in rows else v) for k, v in kwargs.items()})
            for b in blocks]
        what = f"{type(self.model).__name__} on the workers ({len(blocks)} blocks)"
        out = pd.concat(gather_in_order(futures, self.progress, what))
        return out if self.by_journey else out.reset_index(drop=True)


def _transform_on_worker(data: Any, vectors: np.ndarray, model: Any, **kwargs: Any) -> Any:
    return model.transform(data, vectors, **kwargs)


# --------------------------------------------------------------------------- themes


class BlockAssigner:
    """Nearest-centroid theme assignment in row blocks on the workers.

    Has the signature and result of ``mining.themes.cluster.assign``; ``ThemeModel.fit`` and
    ``ThemeModel.assign`` take it as ``assign_with``. The model is fitted on the client (on its
    capped sample, ``themes.fit_sample_max``); the centroids are broadcast to every worker once
    per call and each block of centred unit vectors is assigned there. Rows are independent, so
    the result equals the single-process one.

    Args:
        client: The Dask client.
        n_blocks: Number of row blocks.
    """

    def __init__(self, client: Any, n_blocks: int) -> None:
        self.client = client
        self.n_blocks = n_blocks
        self.calls = 0

    def __call__(self, X: np.ndarray, C: np.ndarray, threshold: float
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Assign each row of ``X`` to its nearest centroid of ``C`` (see the class)."""
        # heavy: the mining.themes package loads sklearn (ThemeModel); only when themes are fitted
        from mining.themes.cluster import assign

        if len(X) == 0 or len(C) == 0:
            return assign(X, C, threshold)
        self.calls += 1
        [centroids] = self.client.scatter([np.asarray(C)], broadcast=True, hash=False)
        edges = np.linspace(0, len(X), min(self.n_blocks, len(X)) + 1).astype(int)
        futures = [self.client.submit(_assign_on_worker, X[a:b], centroids, float(threshold),
                                      pure=False)
                   for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]
        # (no progress of its own: the themes step shows a status line meanwhile)
        parts = gather_in_order(futures, False, "Assigning themes on the workers")
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))


def _assign_on_worker(X: np.ndarray, C: np.ndarray, threshold: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    # heavy: the mining.themes package loads sklearn (ThemeModel); runs on a worker
    from mining.themes.cluster import assign

    return assign(X, C, threshold)


# --------------------------------------------------------------------------- steps


def _segment_block(block: pd.DataFrame, nlp_name: str) -> pd.DataFrame:
    return segment(block, nlp_name=nlp_name)


def make_segment_step(client: Any, n_blocks: int) -> Any:
    """A ``segment_units`` step that splits blocks of whole journeys on the workers."""

    def segment_units(ctx: TagContext) -> TagContext:
        journeys = ctx.journeys
        blocks = [journeys.iloc[b] for b in journey_blocks(journeys, n_blocks)]
        if not blocks:
            ctx.units = empty("units")
            return ctx
        futures = client.map(_segment_block, blocks, nlp_name=ctx.settings.embed.spacy_model,
                             pure=False)
        parts = gather_in_order(futures, ctx.progress,
                                f"Segmenting on the workers ({len(blocks)} blocks)")
        ctx.units = conform(pd.concat(parts, ignore_index=True), "units")
        return ctx

    return segment_units


def prepare(ctx: TagContext, client: Any, local: bool) -> TagContext:
    """Set up the context for the workers: embedder, taggers (fitted once) and theme assignment."""
    # heavy: mining.objections and mining.stages load sklearn; only when prepare() runs
    from mining.objections import ObjectionDetector
    from mining.stages import StageTagger

    ctx.embedder = distributed_embedder(client, ctx, local)
    n_blocks = _n_workers(client) * ctx.settings.scale.partitions_per_worker
    det = load_or_fit(ctx, ObjectionDetector, "objections", ctx.taxonomy.objections,
                      threshold=ctx.settings.tagging.objection_threshold)
    stager = load_or_fit(ctx, StageTagger, "stages", ctx.taxonomy.stages)
    ctx.models["objections"] = DistributedModel(det, client, False, n_blocks, ctx.progress)
    ctx.models["stages"] = DistributedModel(stager, client, True, n_blocks, ctx.progress)
    ctx.theme_assigner = BlockAssigner(client, n_blocks)
    return ctx


def tag(corpus: Any, *, settings: Settings, taxonomy_dir: str | Path | None = None,
        model_dir: str | Path | None = None, progress: Any = True) -> TagResult:
    """:func:`mining.tagging.tag` with the per-message work on a Dask cluster.

    Args:
        corpus: The corpus (``.messages``, ``.events``, ``.outcomes``).
        settings: Settings; ``settings.scale`` says which cluster.
        taxonomy_dir: Taxonomy folder (None: the setting or the packaged one).
        model_dir: Saved models to reuse (as in ``mining.tagging.tag``).
        progress: Progress flag or a shared ``mining.progress.Progress``.

    Returns:
        The same :class:`~mining.tagging.TagResult` as the single-process run.

    Raises:
        ConfigError: [E221]/[E222] (see :func:`connect`), and what ``tag`` raises.
    """
    ctx = make_context(corpus, settings=settings, taxonomy_dir=taxonomy_dir,
                       model_dir=model_dir, progress=progress)
    if len(corpus.messages) == 0:
        return TagResult(empty("tags"), empty("themes"), empty("units"))
    client, cluster = connect(settings)
    try:
        with ctx.progress.stage("dask_setup", "Starting workers, fitting the taggers once"):
            ctx = prepare(ctx, client, local=cluster is not None)
        n_blocks = _n_workers(client) * settings.scale.partitions_per_worker
        seg = make_segment_step(client, n_blocks)
        steps = tuple((seg if f is segment_units else f, what) for f, what in STEPS)
        ctx = run_steps(ctx, steps)
        log.info("theme assignment ran on the workers %d time(s)", ctx.theme_assigner.calls)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    models = {k: getattr(m, "model", m) if isinstance(m, DistributedModel) else m
              for k, m in ctx.models.items()}
    names = ["dask_setup", *(f.__name__ for f, _ in STEPS)]
    timings = {k: ctx.progress.timings[k] for k in names if k in ctx.progress.timings}
    return TagResult(tags=ctx.tags, themes=ctx.themes, units=ctx.units, models=models,
                     timings=timings)


def run_facts(settings: Settings) -> dict[str, Any]:
    """What ``run.json`` records about scale: peak memory, embedding backend, workers.

    Returns:
        ``peak_rss_mb`` (this process; Dask workers are separate processes), ``embed_backend``
        (the backend of the embedder used, e.g. ``onnx-int8``/``torch``, None when not loaded),
        ``workers`` (0: in process) and ``cluster``.
    """
    emb = _LOADED.get((settings.embed.model, settings.embed.backend))
    return {"peak_rss_mb": peak_rss_mb(),
            "embed_backend": getattr(emb, "backend", None) if emb is not None else None,
            "workers": settings.scale.workers, "cluster": settings.scale.cluster}
