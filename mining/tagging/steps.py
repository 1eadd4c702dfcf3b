"""The tagging steps before and after themes, one function each, in the order the data flows.

Every step takes the :class:`~mining.tagging.context.TagContext`, fills in its fields and returns
it. The objection detector and the stage tagger are built from the settings (or loaded from
``model_dir``) and called through their own ``fit``/``transform``, so a step stays a few lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mining import cue_pool
from mining.cues import CueMatcher, cue_processes, spacy_name
from mining.embed import embed_texts
from mining.errors import ConfigError, Errors
from mining.journeys import build_journeys as _build
from mining.journeys import classify_replies
from mining.journeys import link_replies as _link
from mining.labels import fit_with_labels
from mining.prototypes import Prototypes
from mining.text.segment import segment

if TYPE_CHECKING:
    from mining.tagging.context import TagContext

#: Customer units scored by the objection detector per call (bounds its float64 working set).
OBJECTION_BLOCK = 20_000
#: Messages given to the stage tagger per call, rounded up to whole journeys.
STAGE_BLOCK = 20_000


def build_journeys(ctx: TagContext) -> TagContext:
    """Order messages by journey and time and join events and outcomes (``journeys``)."""
    corpus = ctx.corpus
    ctx.journeys = _build(corpus.messages, getattr(corpus, "events", None),
                          getattr(corpus, "outcomes", None))
    journeys = ctx.journeys
    if "author" in journeys.columns:
        people = journeys["role"].astype("string").isin(["customer", "agent"]).fillna(False)
        ctx.authors = journeys.loc[people.to_numpy(bool), "author"].dropna().astype(str) \
            .unique().tolist()
    return ctx


def segment_units(ctx: TagContext) -> TagContext:
    """Split each message into sentence units (``units``)."""
    ctx.units = segment(ctx.journeys, nlp_name=ctx.settings.embed.spacy_model)
    return ctx


def embed_units(ctx: TagContext) -> TagContext:
    """Embed the units; a message's vector is the normalised mean of its units' vectors."""
    units, journeys = ctx.units, ctx.journeys
    assert units is not None and journeys is not None
    if len(units) >= cue_pool.SPLIT_MIN:  # cue matching will be shared: start its helpers now
        tax = ctx.taxonomy
        cue_pool.prestart([tax.objections, tax.stages, tax.replies, tax.intents],
                          spacy_name(ctx.settings), cue_processes(ctx.settings))
    ctx.unit_vectors = embed_texts(units["text"].tolist(), model=ctx.embedder,
                                   settings=ctx.settings, progress=ctx.progress)
    dim = ctx.unit_vectors.shape[1] if len(ctx.unit_vectors) else 1
    ctx.message_vectors = message_vectors(units, ctx.unit_vectors, ctx.message_ids, dim)
    roles = journeys.set_index("message_id")["role"].astype("string")
    ctx.unit_roles = roles.reindex(units["message_id"]).fillna("").to_numpy()
    return ctx


def message_vectors(units: Any, unit_vectors: np.ndarray, message_ids: list[str],
                    dim: int) -> np.ndarray:
    """Mean of a message's unit vectors, L2-normalised (zero for messages without units).

    Args:
        units: Units with a ``message_id`` column, row-aligned with ``unit_vectors``.
        unit_vectors: ``(n_units, dim)`` vectors.
        message_ids: The messages, in output order.
        dim: Vector width (used when there are no units).

    Returns:
        float32 ``(len(message_ids), dim)``.
    """
    index = {m: i for i, m in enumerate(message_ids)}
    rows = np.array([index.get(m, -1) for m in units["message_id"].astype(str)], dtype=np.int64)
    out = np.zeros((len(message_ids), dim), dtype=np.float32)
    ok = rows >= 0
    np.add.at(out, rows[ok], unit_vectors[ok])
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def check_taxonomy(model: Any, name: str, current: Any, ctx: TagContext) -> Any:
    """Refuse a saved model fitted with other taxonomy categories than the ones in use.

    Args:
        model: A loaded model with a ``taxonomy_`` (``TaxonomyFile``).
        name: The model's sub-folder name (for the message).
        current: The ``TaxonomyFile`` of this run.
        ctx: The context (for the model folder).

    Returns:
        ``model``.

    Raises:
        ConfigError: [E502] naming the saved and the current categories.
    """
    saved = list(getattr(getattr(model, "taxonomy_", None), "names", []) or [])
    if saved != list(current.names):
        gone = [c for c in saved if c not in current.names]
        new = [c for c in current.names if c not in saved]
        detail = (f"{', '.join(saved)} (not in the current taxonomy: {', '.join(gone) or '-'})",
                  f"{', '.join(current.names)} (new: {', '.join(new) or '-'}; order matters)")
        raise ConfigError(Errors.E502.format(name=name, path=ctx.model_dir / name,
                                             saved=detail[0], current=detail[1]))
    return model


def load_or_fit(ctx: TagContext, cls: Any, name: str, taxonomy_file: Any,
                **params: Any) -> Any:
    """Load ``cls`` from ``model_dir/name`` (checking its taxonomy) or build and fit it.

    A model already in ``ctx.models[name]`` is used as it is (``mining.distributed`` fits once
    and wraps it so that its ``transform`` runs on the workers).
    """
    if name in ctx.models:
        return ctx.models[name]
    folder = ctx.saved(name)
    if folder is not None:
        return _run_settings(check_taxonomy(cls.load(folder), name, taxonomy_file, ctx), ctx)
    from mining.fitted_cache import fit_or_reuse  # fitted once per package version (cached)

    return _run_settings(fit_or_reuse(cls(taxonomy=ctx.taxonomy, embedder=ctx.embedder,
                                          settings=ctx.settings, **params),
                                      progress=bool(ctx.progress)), ctx)


def _run_settings(model: Any, ctx: TagContext) -> Any:
    """A loaded model's cue matcher shares batches as this run's settings say (not as saved)."""
    matcher = getattr(model, "matcher_", None)
    if matcher is not None:
        matcher.processes = cue_processes(ctx.settings)
    return model


def detect_objections(ctx: TagContext) -> TagContext:
    """Score every customer unit with the objection detector; add its columns to ``units``."""
    # heavy: mining.objections loads sklearn; only when detect_objections() runs
    from mining.objections import ObjectionDetector, reply_context

    if ctx.settings.tagging.labels is not None:  # the user's labels: refit (saved in model/)
        detector = fit_with_labels(
            ObjectionDetector(taxonomy=ctx.taxonomy, embedder=ctx.embedder, settings=ctx.settings,
                              threshold=ctx.settings.tagging.objection_threshold),
            ctx.journeys, ctx.settings.tagging.labels, progress=bool(ctx.progress))
    else:
        detector = load_or_fit(ctx, ObjectionDetector, "objections", ctx.taxonomy.objections,
                               threshold=ctx.settings.tagging.objection_threshold)
    ctx.models["objections"] = detector
    units = ctx.units.copy()
    customer = np.flatnonzero(ctx.unit_roles == "customer")
    turn = reply_context(ctx.journeys).set_axis(ctx.journeys["message_id"].astype(str).to_numpy())
    texts = units["text"].iloc[customer].tolist()
    context = turn.reindex(units["message_id"].iloc[customer].astype(str)).fillna("").tolist()
    # in blocks: the detector's float64 design rows and example similarities of one block at a
    # time, not of the whole corpus (every row is scored on its own: same result)
    step = OBJECTION_BLOCK
    parts = [detector.transform(texts[lo:lo + step], ctx.unit_vectors[customer[lo:lo + step]],
                                context=context[lo:lo + step])
             for lo in range(0, max(len(texts), 1), step)]
    scored = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    units["objection_probability"] = np.nan
    units["objection_category"] = pd.Series(pd.NA, index=units.index, dtype="string")
    units.loc[units.index[customer], "objection_probability"] = scored["probability"].to_numpy()
    units.loc[units.index[customer], "objection_category"] = scored["category"].to_numpy()
    ctx.unit_is_objection = np.zeros(len(units), dtype=bool)
    ctx.unit_is_objection[customer] = scored["is_objection"].to_numpy(bool)
    ctx.unit_evidence = dict(zip(customer.tolist(), scored["evidence"].tolist(), strict=True))
    ctx.units = units
    return ctx


def summarise_objections(ctx: TagContext) -> TagContext:
    """Per message: the most probable customer unit, its probability and the objection flag."""
    journeys, units = ctx.journeys, ctx.units
    n = len(journeys)
    position = {m: i for i, m in enumerate(ctx.message_ids)}
    unit_message = units["message_id"].astype(str).to_numpy()
    prob = np.full(n, np.nan)
    best = np.full(n, -1)
    for u in np.flatnonzero(ctx.unit_roles == "customer"):
        i = position.get(unit_message[u], -1)
        p = units["objection_probability"].iat[u]
        if i >= 0 and (np.isnan(prob[i]) or p > prob[i]):
            prob[i], best[i] = p, u
    is_customer = (journeys["role"].astype("string") == "customer").fillna(False).to_numpy(bool)
    threshold = ctx.models["objections"].threshold
    flags = [bool(p >= threshold) if c and not np.isnan(p) else (False if c else pd.NA)
             for p, c in zip(prob, is_customer, strict=True)]
    ctx.is_objection = pd.array(flags, dtype="boolean")
    journeys["is_objection"] = ctx.is_objection  # the stage tagger and reply linking read it
    ctx.objection_probability, ctx.best_unit, ctx.is_customer = prob, best, is_customer
    return ctx


def tag_stages(ctx: TagContext) -> TagContext:
    """Tag a journey stage per message with the stage tagger (scores + sequence decoding)."""
    # heavy: mining.stages loads scipy, sklearn; only when tag_stages() runs
    from mining.stages import StageTagger

    tagger = load_or_fit(ctx, StageTagger, "stages", ctx.taxonomy.stages)
    ctx.models["stages"] = tagger
    journeys, vectors = ctx.journeys, ctx.message_vectors
    # in blocks of whole journeys (each is decoded on its own: same result), so the tagger's
    # float64 features exist for one block at a time
    parts = [tagger.transform(journeys.iloc[lo:hi], vectors[lo:hi])
             for lo, hi in journey_blocks(journeys["journey_id"], STAGE_BLOCK)]
    ctx.staged = pd.concat(parts) if len(parts) > 1 else parts[0]
    return ctx


def journey_blocks(journey_ids: pd.Series, size: int) -> list[tuple[int, int]]:
    """``(start, stop)`` row ranges of about ``size`` rows that never split a journey.

    One range of everything when the journeys' rows are not contiguous (or there are none).
    """
    n = len(journey_ids)
    codes = pd.factorize(journey_ids.astype("string").fillna(""))[0]
    if n <= size or np.any(np.diff(codes) < 0):
        return [(0, n)]
    starts = np.flatnonzero(np.diff(codes)) + 1  # first row of every journey but the first
    blocks, lo = [], 0
    while lo < n:
        later = starts[starts >= lo + size]
        hi = int(later[0]) if len(later) else n
        blocks.append((lo, hi))
        lo = hi
    return blocks


def link_replies(ctx: TagContext) -> TagContext:
    """Find, for every agent message, the customer objection message it answers."""
    ctx.replies_to = _link(ctx.journeys)
    return ctx


def classify_intents_and_replies(ctx: TagContext) -> TagContext:
    """Name the reply strategy of agent messages and the intent category of customer messages."""
    texts = ctx.journeys["clean_text"].fillna("").astype(str)
    min_similarity = ctx.settings.tagging.min_category_similarity
    agent = ctx.rows_with_role("agent")
    answers = ctx.replies_to.iloc[agent].notna().to_numpy(bool)
    replies = Prototypes.from_taxonomy(ctx.taxonomy.replies, embedder=ctx.embedder,
                                       settings=ctx.settings)
    nlp_name, procs = spacy_name(ctx.settings), cue_processes(ctx.settings)
    ctx.strategies = classify_replies(texts.iloc[agent].tolist(), ctx.message_vectors[agent],
                                      replies, CueMatcher(ctx.taxonomy.replies, nlp_name, procs),
                                      min_similarity=min_similarity, always=answers)
    customer = np.flatnonzero(ctx.is_customer)
    intents = Prototypes.from_taxonomy(ctx.taxonomy.intents, embedder=ctx.embedder,
                                       settings=ctx.settings)
    ctx.intents = classify_replies(texts.iloc[customer].tolist(), ctx.message_vectors[customer],
                                   intents, CueMatcher(ctx.taxonomy.intents, nlp_name, procs),
                                   min_similarity=min_similarity)
    return ctx

