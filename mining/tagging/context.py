"""The one object every tagging step reads and fills in: :class:`TagContext`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from mining.config import Settings
    from mining.progress import Progress
    from mining.taxonomy import Taxonomy


@dataclass
class TagContext:
    """The state of one tagging run, filled in step by step (see ``mining.tagging.STEPS``).

    Inputs (set before the first step):

    Attributes:
        corpus: The corpus (``.messages``, ``.events``, ``.outcomes``).
        settings: The resolved settings.
        taxonomy: The loaded taxonomy.
        embedder: Embedder name or object (``encode``) used for every vector.
        model_dir: Folder of saved models to reuse, or None to fit.
        progress: Progress display and per-step timings.
        fit_themes: Fit (or load) theme models; False leaves theme columns empty.
        plugins: ``reducer``/``clusterer`` objects (or names) that replace the settings' names.
        theme_models: Fitted ``ThemeModel`` per kind to assign with instead of fitting.
        theme_assigner: Where units are assigned to theme centroids: None in this process, or
            the function ``mining.distributed`` sets to do it on the Dask workers.

    Filled in by the steps, in order:

    Attributes:
        journeys: Messages in journey order with context columns (``build_journeys``).
        authors: Names of the corpus's people, kept out of theme keywords (``build_journeys``).
        units: Sentence units; objection and theme columns are added as steps run.
        unit_vectors: ``(n_units, dim)`` float32 vectors (``embed``).
        message_vectors: ``(n_messages, dim)`` mean unit vector per message (``embed``).
        unit_roles: Role of each unit's message (``embed``).
        unit_is_objection: Per unit: the detector calls it an objection.
        unit_evidence: Customer unit position -> the detector's evidence.
        models: Fitted models by name (``objections``, ``stages``, ``themes_<kind>``).
        theme_frames: One themes table per fitted kind.
        theme_work: The theme fits running in the background (``start_themes``), taken by
            ``fit_or_assign_themes``.
        objection_probability: Per message: the highest unit probability (NaN: none).
        best_unit: Per message: the unit with that probability (-1: none).
        is_customer: Per message: written by the customer.
        is_objection: Per message: nullable boolean objection flag.
        staged: The stage tagger's output (``stage``, ``stage_confidence``, ``evidence``).
        replies_to: Per message: the objection message an agent reply answers.
        intents: Per customer message: the intents.yaml category (or NA) and its evidence.
        strategies: Per agent message: the reply strategy and its evidence.
        tags: The tags table (``assemble_tags``).
        themes: The themes table (``assemble_tags``).
    """

    corpus: Any
    settings: Settings
    taxonomy: Taxonomy
    embedder: Any
    model_dir: Path | None
    progress: Progress
    fit_themes: bool = True
    plugins: dict[str, Any] = field(default_factory=dict)
    theme_models: dict[str, Any] = field(default_factory=dict)
    theme_assigner: Any = None
    journeys: pd.DataFrame | None = None
    authors: list[str] = field(default_factory=list)
    units: pd.DataFrame | None = None
    unit_vectors: np.ndarray | None = None
    message_vectors: np.ndarray | None = None
    unit_roles: np.ndarray | None = None
    unit_is_objection: np.ndarray | None = None
    unit_evidence: dict[int, dict[str, Any]] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    theme_frames: list[pd.DataFrame] = field(default_factory=list)
    theme_work: Any = None
    objection_probability: np.ndarray | None = None
    best_unit: np.ndarray | None = None
    is_customer: np.ndarray | None = None
    is_objection: Any = None
    staged: pd.DataFrame | None = None
    replies_to: pd.Series | None = None
    intents: tuple[list[Any], list[dict[str, Any]]] | None = None
    strategies: tuple[list[Any], list[dict[str, Any]]] | None = None
    tags: pd.DataFrame | None = None
    themes: pd.DataFrame | None = None

    @property
    def message_ids(self) -> list[str]:
        """Message ids in journey order."""
        assert self.journeys is not None
        return self.journeys["message_id"].astype(str).tolist()

    def rows_with_role(self, role: str) -> np.ndarray:
        """Positions (in journey order) of the messages with ``role``."""
        assert self.journeys is not None
        return np.flatnonzero((self.journeys["role"].astype("string") == role).fillna(False))

    def saved(self, name: str) -> Path | None:
        """The folder of a saved model named ``name`` in ``model_dir``, when there is one."""
        if self.model_dir is not None and (self.model_dir / name / "config.json").is_file():
            return self.model_dir / name
        return None
