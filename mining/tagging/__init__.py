"""Tagging: one row per message with stage, objection, intent, reply strategy and evidence.

:func:`tag` runs :data:`STEPS` in order over one :class:`TagContext`; each step is a plain
function ``step(ctx) -> ctx`` in :mod:`mining.tagging.steps`, :mod:`mining.tagging.themes` or
:mod:`mining.tagging.assemble`, timed and reported by ``mining.progress``::

    build_journeys -> segment_units -> embed_units -> detect_objections -> start_themes
        -> summarise_objections -> tag_stages -> link_replies -> classify_intents_and_replies
        -> fit_or_assign_themes -> assemble_tags

``start_themes`` starts the theme fits on a background thread; the steps after it do not read
themes and run meanwhile, and ``fit_or_assign_themes`` waits for the fits and labels the units.

``journeymine run``, ``journeymine tag`` and ``journeymine themes`` all run these steps. The
result's ``tags`` frame has exactly the columns of ``mining.schema.TAGS``
(``docs/tags-schema.md``); ``evidence`` is a JSON object per message. See
``docs/architecture.md`` for how to add a step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mining.config import Settings
from mining.progress import Progress
from mining.schema import empty
from mining.tagging.assemble import assemble_tags
from mining.tagging.context import TagContext
from mining.tagging.steps import (
    build_journeys,
    classify_intents_and_replies,
    detect_objections,
    embed_units,
    link_replies,
    segment_units,
    summarise_objections,
    tag_stages,
)
from mining.tagging.themes import fit_or_assign_themes, start_themes
from mining.taxonomy import load_taxonomy

if TYPE_CHECKING:
    import pandas as pd

Step = Callable[[TagContext], TagContext]

#: The steps of :func:`tag`, in order, with what each tells the user.
STEPS: tuple[tuple[Step, str], ...] = (
    (build_journeys, "Joining messages, events and outcomes into journeys"),
    (segment_units, "Splitting messages into sentences"),
    (embed_units, "Embedding sentences"),
    (detect_objections, "Detecting objections"),
    (start_themes, "Starting the theme fits beside the next steps"),
    (summarise_objections, "Summarising objections per message"),
    (tag_stages, "Tagging journey stages"),
    (link_replies, "Linking agent replies to objections"),
    (classify_intents_and_replies, "Classifying intents and reply strategies"),
    (fit_or_assign_themes, "Finding themes"),
    (assemble_tags, "Assembling the tags table"),
)


@dataclass
class TagResult:
    """What :func:`tag` returns.

    Attributes:
        tags: One row per message, columns of ``mining.schema.TAGS``.
        themes: Objection, intent and reply themes (columns of ``mining.schema.THEMES``).
        units: The sentence units (``mining.schema.UNITS``) with ``objection_probability``,
            ``objection_category`` and ``theme`` columns added for customer units.
        models: Fitted models by name (``objections``, ``stages``, ``themes_<kind>``).
        timings: Seconds per step.
    """

    tags: pd.DataFrame
    themes: pd.DataFrame
    units: pd.DataFrame
    models: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def save_models(self, model_dir: str | Path) -> None:
        """Save every fitted model in its own sub-folder of ``model_dir``."""
        folder = Path(model_dir)
        for name, model in self.models.items():
            if hasattr(model, "save"):
                model.save(folder / name)


def make_context(corpus: Any, *, settings: Settings | None = None,
                 taxonomy_dir: str | Path | None = None, embedder: Any = None,
                 model_dir: str | Path | None = None, progress: bool | Progress = True,
                 themes: bool = True, reducer: Any = None, clusterer: Any = None) -> TagContext:
    """Resolve the inputs of a tagging run into a :class:`TagContext` (arguments as :func:`tag`).

    Raises:
        ConfigError: When the taxonomy is invalid.
    """
    settings = settings or Settings()
    return TagContext(
        corpus=corpus, settings=settings,
        taxonomy=load_taxonomy(taxonomy_dir or settings.tagging.taxonomy_dir),
        embedder=embedder if embedder is not None else settings.embed.model,
        model_dir=Path(model_dir) if model_dir is not None else None,
        progress=Progress.coerce(progress), fit_themes=themes,
        plugins={"reducer": reducer, "clusterer": clusterer})


def run_steps(ctx: TagContext, steps: tuple[tuple[Step, str], ...] = STEPS) -> TagContext:
    """Run ``steps`` over ``ctx`` in order, each timed under its function name."""
    for step, what in steps:
        with ctx.progress.stage(step.__name__, what):
            ctx = step(ctx)
    return ctx


def tag(corpus: Any, *, settings: Settings | None = None, taxonomy_dir: str | Path | None = None,
        embedder: Any = None, model_dir: str | Path | None = None,
        progress: bool | Progress = True, themes: bool = True, reducer: Any = None,
        clusterer: Any = None) -> TagResult:
    """Tag every message of a corpus.

    Args:
        corpus: A ``Corpus`` (``.messages``, ``.events``, ``.outcomes``), e.g. from
            ``mining.load_corpus``.
        settings: ``mining.Settings``; None uses the defaults.
        taxonomy_dir: Taxonomy folder; None uses ``settings.tagging.taxonomy_dir`` or the
            packaged taxonomies.
        embedder: Embedder name or object with ``encode``; None uses ``settings.embed.model``.
        model_dir: Folder of models saved by :meth:`TagResult.save_models`; models found there are
            loaded instead of fitted (so theme ids stay stable across runs).
        progress: Show progress on stderr (bool), or a ``mining.progress.Progress`` to share.
        themes: Fit (or load) objection, intent and reply themes; False leaves theme columns empty.
        reducer: Reducer name or object for the theme models (None: ``settings.themes.reducer``).
        clusterer: Clusterer name or object (None: ``settings.themes.clusterer``).

    Returns:
        A :class:`TagResult`; ``timings`` holds seconds per step.

    Raises:
        ConfigError: When settings or taxonomy are invalid, the embedder is unknown, or a saved
            model in ``model_dir`` was fitted with other taxonomy categories ([E502]).
    """
    ctx = make_context(corpus, settings=settings, taxonomy_dir=taxonomy_dir, embedder=embedder,
                       model_dir=model_dir, progress=progress, themes=themes, reducer=reducer,
                       clusterer=clusterer)
    if len(corpus.messages) == 0:
        return TagResult(empty("tags"), empty("themes"), empty("units"))
    ctx = run_steps(ctx)
    timings = {step.__name__: ctx.progress.timings[step.__name__] for step, _ in STEPS}
    return TagResult(tags=ctx.tags, themes=ctx.themes, units=ctx.units, models=ctx.models,
                     timings=timings)


__all__ = ["STEPS", "TagContext", "TagResult", "make_context", "run_steps", "tag"]
