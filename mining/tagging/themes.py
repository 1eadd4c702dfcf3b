"""The themes step: fit (or load) one ``ThemeModel`` per kind and label each unit's theme.

Kinds and the units they are found in: ``objection`` (customer units the detector accepts),
``intent`` (the other customer units), ``reply`` (agent units). Objection themes are mapped to
the nearest taxonomy category (or kept as discovered). ``journeymine themes`` runs the same
function for a single kind (:func:`theme_kind`).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mining.background import Background
from mining.embed import embed_texts
from mining.schema import conform

if TYPE_CHECKING:
    from mining.tagging.context import TagContext

#: Theme kinds in the order they are fitted.
KINDS = ("objection", "intent", "reply")


def theme_rows(ctx: TagContext, kind: str) -> np.ndarray:
    """Positions of the units a kind's themes are found in."""
    roles = ctx.unit_roles
    if kind == "objection":
        return np.flatnonzero(ctx.unit_is_objection)
    if kind == "intent":
        return np.flatnonzero((roles == "customer") & ~ctx.unit_is_objection)
    return np.flatnonzero(roles == "agent")


def start_themes(ctx: TagContext) -> TagContext:
    """Start fitting (or assigning) the themes on a background thread, when there are 2+ threads.

    The steps up to :func:`fit_or_assign_themes` do not read themes, so they run meanwhile and
    the second core has work while the theme fits hold the GIL. The thread reads only the texts
    handed to it and read-only fields of ``ctx``; it writes nothing until
    :func:`fit_or_assign_themes` takes its result, so the tags are those of fitting in turn.
    """
    ctx.units["theme"] = pd.Series(pd.NA, index=ctx.units.index, dtype="string")
    if ctx.fit_themes and _threads(ctx) >= 2:
        ctx.theme_work = Background(_fit_kinds, ctx, _kind_texts(ctx), True)
    return ctx


def fit_or_assign_themes(ctx: TagContext) -> TagContext:
    """Fit or load objection, intent and reply themes; set ``units["theme"]`` to the label.

    Takes the result of :func:`start_themes`' background work (waiting for it), or does the work
    here when nothing was started. The kinds' models are fitted side by side on
    ``tagging.theme_threads`` threads (each fit is seeded and uses only its own data, so the
    result is the one of fitting them in turn; the UMAP layout, most of a fit, releases the GIL:
    ``mining.reduce``). Tables and labels are then recorded in :data:`KINDS` order.
    """
    if "theme" not in ctx.units.columns:
        ctx.units["theme"] = pd.Series(pd.NA, index=ctx.units.index, dtype="string")
    work, ctx.theme_work = ctx.theme_work, None
    if not ctx.fit_themes:
        return ctx
    rows, done = work.result() if work is not None else _fit_kinds(ctx, _kind_texts(ctx), False)
    for kind in KINDS:
        if kind in done:
            theme_kind(ctx, kind, rows[kind], fitted=done[kind])
    return ctx


def _threads(ctx: TagContext) -> int:
    return ctx.settings.tagging.theme_threads or os.cpu_count() or 1


def _kind_texts(ctx: TagContext) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Per kind: the unit positions and texts (all kinds' positions; texts where enough)."""
    need = ctx.settings.tagging.min_theme_texts
    out = {}
    for kind in KINDS:
        rows = theme_rows(ctx, kind)
        out[kind] = (rows, ctx.units["text"].iloc[rows].tolist() if len(rows) >= need else [])
    return out


def _fit_kinds(ctx: TagContext, kinds: dict[str, tuple[np.ndarray, list[str]]],
               background: bool) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Prepare and fit every kind with texts (enough units): ``(rows by kind, fitted by kind)``."""
    jobs = {k: _prepare(ctx, k, texts, show=not background)
            for k, (_, texts) in kinds.items() if texts}
    return {k: rows for k, (rows, _) in kinds.items()}, _fit_all(ctx, jobs, background)


def _fit_all(ctx: TagContext, jobs: dict[str, tuple[Any, bool, list[str], np.ndarray]],
             background: bool = False) -> dict[str, tuple[Any, np.ndarray, np.ndarray]]:
    """Fit (or assign) every prepared kind, several at once; ``kind -> (model, ids, probs)``.

    In the background one line per kind is noted (a spinner belongs to the running step).
    """
    # one line per kind ("Finding intent themes (3,080 units)"), as when fitted in turn
    what = "\n".join(f"{'Assigning' if j[1] else 'Finding'} {k} themes ({len(j[2]):,} units)"
                     for k, j in jobs.items())
    if background:
        ctx.progress.note("\n".join(f"In the background: {line}" for line in what.splitlines()))
        return _fit_jobs(ctx, jobs)
    with ctx.progress.status(what):
        return _fit_jobs(ctx, jobs)


def _fit_jobs(ctx: TagContext, jobs: dict[str, tuple[Any, bool, list[str], np.ndarray]]
              ) -> dict[str, tuple[Any, np.ndarray, np.ndarray]]:
    """Fit the jobs, at most ``_threads(ctx)`` at a time, each on a daemon thread.

    Daemon threads (not a ``ThreadPoolExecutor``, whose threads the interpreter waits for at
    exit): a run stopped with Ctrl-C exits at once instead of after the fits.
    """
    threads = _threads(ctx)
    if threads < 2 or len(jobs) < 2:
        return {k: _fit_one(ctx, *j) for k, j in jobs.items()}
    slots = threading.Semaphore(min(threads, len(jobs)))

    def fit(job: tuple[Any, bool, list[str], np.ndarray]) -> tuple[Any, np.ndarray, np.ndarray]:
        with slots:
            return _fit_one(ctx, *job)

    work = {k: Background(fit, j) for k, j in jobs.items()}
    return {k: w.result() for k, w in work.items()}


def theme_kind(ctx: TagContext, kind: str, rows: np.ndarray, min_texts: int | None = None,
               fitted: tuple[Any, np.ndarray, np.ndarray] | None = None
               ) -> tuple[np.ndarray, np.ndarray] | None:
    """Fit or load the ``kind`` themes of the units at ``rows``; record model, table and labels.

    Args:
        ctx: The context (``units`` with a ``theme`` column, ``unit_vectors``, ``models``).
        kind: Theme kind.
        rows: Unit positions to theme.
        min_texts: Fewest units to fit themes on; None uses ``settings.tagging.min_theme_texts``.
        fitted: ``(model, ids, probs)`` already fitted for these units (:func:`_fit_all`);
            None fits (or loads) here.

    Returns:
        ``(theme_ids, probabilities)`` of the units at ``rows`` (-1 and 0.0: none), or None when
        there are too few units.
    """
    texts = ctx.units["text"].iloc[rows].tolist()
    if fitted is None and len(texts) < (ctx.settings.tagging.min_theme_texts
                                        if min_texts is None else min_texts):
        return None
    model, ids, probs = fitted or _fit_or_load(ctx, kind, texts)
    table = conform(model.themes_, "themes")
    if kind == "objection" and "objections" in ctx.models and len(table):
        table = map_objection_themes(table, ids, ctx.unit_vectors[rows], ctx.models["objections"],
                                     ctx.settings.tagging.theme_match_similarity)
    label = dict(zip(table["theme_id"].astype("Int64").tolist(), table["label"].tolist(),
                     strict=True))
    ctx.units.loc[ctx.units.index[rows], "theme"] = [label.get(int(t), pd.NA) if t >= 0
                                                     else pd.NA for t in ids]
    ctx.theme_frames.append(table)
    ctx.models[f"themes_{kind}"] = model
    return ids, probs


def _model(ctx: TagContext, kind: str) -> tuple[Any, bool]:
    """A kind's ThemeModel: given, loaded from ``model_dir``, or built from settings (unfitted)."""
    # heavy: mining.themes loads sklearn; only when _model() runs
    from mining.themes import ThemeModel

    if kind in ctx.theme_models:
        return ctx.theme_models[kind], True
    folder = ctx.saved(f"themes_{kind}")
    if folder is not None:
        return ThemeModel.load(folder), True
    embedder = ctx.embedder if isinstance(ctx.embedder, str) else None
    return ThemeModel.from_settings(ctx.settings.themes, kind=kind, embedder=embedder,
                                    **ctx.plugins), False


def _prepare(ctx: TagContext, kind: str, texts: list[str], show: bool = True
             ) -> tuple[Any, bool, list[str], np.ndarray]:
    """A kind's model (and whether it is fitted already), its texts and their focus vectors.

    ``show``: the embedding may show its progress (not from a background thread).
    """
    model, fitted = _model(ctx, kind)
    vectors = embed_texts(model.focus(texts), model=ctx.embedder, settings=ctx.settings,
                          progress=show and bool(ctx.progress))
    return model, fitted, texts, vectors


def _fit_one(ctx: TagContext, model: Any, fitted: bool, texts: list[str], vectors: np.ndarray
             ) -> tuple[Any, np.ndarray, np.ndarray]:
    """Assign ``texts`` to a fitted model's themes, or fit it on them; ``(model, ids, probs)``."""
    if fitted:
        ids, probs = model.assign(texts, vectors=vectors, assign_with=ctx.theme_assigner)
        return model, np.asarray(ids, dtype=np.int64), probs
    model.fit(texts, vectors=vectors, authors=ctx.authors,  # names stay out of keywords
              assign_with=ctx.theme_assigner)
    return model, np.asarray(model.labels_, dtype=np.int64), model.probabilities_


def _fit_or_load(ctx: TagContext, kind: str, texts: list[str]
                 ) -> tuple[Any, np.ndarray, np.ndarray]:
    """A kind's fitted ThemeModel and each text's theme id and membership probability."""
    model, fitted, texts, vectors = _prepare(ctx, kind, texts)
    verb = "Assigning" if fitted else "Finding"
    # the embedding bar above has stopped: only one live display on stderr at a time
    with ctx.progress.status(f"{verb} {kind} themes ({len(texts):,} units)…"):
        return _fit_one(ctx, model, fitted, texts, vectors)


def map_objection_themes(themes: pd.DataFrame, ids: np.ndarray, vectors: np.ndarray,
                         detector: Any, min_similarity: float) -> pd.DataFrame:
    """Map each objection theme to the nearest taxonomy category, or keep it as discovered.

    Args:
        themes: The objection themes table.
        ids: Theme id per unit.
        vectors: The units' vectors, row-aligned with ``ids``.
        detector: The fitted objection detector (``prototypes_``, ``categories_``, ``top_k``).
        min_similarity: Centroid-to-category similarity needed for a mapping.

    Returns:
        A copy of ``themes`` with ``taxonomy_category`` set (NA: discovered).
    """
    themes = themes.copy()
    categories: list[Any] = []
    for tid in themes["theme_id"].astype("Int64").tolist():
        rows = np.flatnonzero(ids == tid)
        if tid is None or tid is np.nan or len(rows) == 0:
            categories.append(pd.NA)
            continue
        centroid = vectors[rows].mean(axis=0, keepdims=True)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        sim, _ = detector.prototypes_.scores(centroid, top_k=detector.top_k)
        best = int(np.argmax(sim[0]))
        categories.append(detector.categories_[best] if sim[0, best] >= min_similarity
                          else pd.NA)
    themes["taxonomy_category"] = categories
    themes["taxonomy_category"] = themes["taxonomy_category"].astype("string")
    return themes
