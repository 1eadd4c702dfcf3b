"""Pipeline settings: one pydantic model, every default in one place.

``Settings()`` gives the defaults; ``Settings.model_validate(dict)`` or :func:`load_settings`
checks a user's settings and reports every problem at once, each with its ``section -> key`` path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mining.errors import ConfigError, Errors


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class IngestSettings(_Section):
    """How raw files become the corpus."""

    timezone: str = "UTC"  # applied to naive timestamps
    column_map: dict[str, str] = Field(default_factory=dict)  # canonical name -> input column
    agent_domains: list[str] = Field(default_factory=list)
    agent_addresses: list[str] = Field(default_factory=list)
    max_message_chars: int = Field(20_000, gt=0)  # longer messages are rejected (E1xx)
    redact: bool = True


class EmbedSettings(_Section):
    """Which embedder, and how to batch and cache."""

    model: str = "all-MiniLM-L6-v2"  # the packaged model; or any sentence-transformers name/path
    batch_size: int = Field(64, gt=0)
    cache_dir: Path | None = None  # default: $JOURNEYMINE_CACHE or ~/.cache/journeymine
    use_cache: bool = True  # read and write the on-disk vector cache
    spacy_model: str = ""  # empty: spacy.blank("en") + sentencizer + lookup lemmatizer


class ThemeSettings(_Section):
    """ThemeModel defaults: reduce, cluster, represent."""

    reducer: str = "umap"
    clusterer: str = "hdbscan"
    min_theme_size: int | None = None  # None: automatic (see docs)
    n_themes: int | None = None  # a target number of themes; None: automatic
    seed: int = 42
    n_keywords: int = 8
    n_examples: int = 3


class TaggingSettings(_Section):
    """Objection detection and stage tagging."""

    taxonomy_dir: Path | None = None  # None: the packaged taxonomies/
    objection_threshold: float = Field(0.5, ge=0.0, le=1.0)


class ReportSettings(_Section):
    """Report parameters."""

    cold_after_days: float = Field(14.0, gt=0)
    followup_days: float = Field(7.0, gt=0)
    sequence_days: float = Field(14.0, gt=0)  # sequences report: fixed window from the start
    # follow-up = agent message sent without a customer reply since the previous agent message
    # ("unanswered"), or any agent message ("agent_messages"); see docs/reports.md
    followup_definition: Literal["unanswered", "agent_messages"] = "unanswered"
    min_support: int = Field(10, ge=1)
    confidence: float = Field(0.95, gt=0, lt=1)
    attribution: Literal["first", "last", "linear", "position", "markov"] = "linear"


class PredictSettings(_Section):
    """Lead scoring (``journeymine predict``; definitions in docs/predict.md)."""

    horizon_days: float = Field(30.0, gt=0)  # P(convert within this many days of the cut-off)
    # training snapshots: each closed journey seen at these ages (days after its first message)
    snapshot_days: list[float] = Field(
        default_factory=lambda: [1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 14.0, 21.0, 28.0, 42.0])
    train_share: float = Field(0.7, gt=0, lt=1)  # out-of-time split: oldest share of journeys
    calibration: Literal["sigmoid", "isotonic"] = "sigmoid"
    max_iter: int = Field(150, ge=1)  # boosting iterations
    # stage features (stage reached, last stage): off by default because the stage tagger uses
    # the outcome (a converted journey's last messages lean to the conversion stage), which
    # leaks the label into them; see docs/predict.md
    stage_features: bool = False
    top_reasons: int = Field(3, ge=1)
    seed: int = 0


class Settings(_Section):
    """All settings of a journeymine run."""

    ingest: IngestSettings = Field(default_factory=IngestSettings)
    embed: EmbedSettings = Field(default_factory=EmbedSettings)
    themes: ThemeSettings = Field(default_factory=ThemeSettings)
    tagging: TaggingSettings = Field(default_factory=TaggingSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    predict: PredictSettings = Field(default_factory=PredictSettings)


def format_validation_error(err: ValidationError) -> str:
    """Render every problem of a pydantic error on its own line as ``section -> key: message``.

    Args:
        err: The pydantic validation error.

    Returns:
        One line per problem.
    """
    lines = []
    for e in err.errors():
        loc = " -> ".join(str(p) for p in e["loc"]) or "(top)"
        lines.append(f"  {loc}: {e['msg']}")
    return "\n".join(lines)


def load_settings(data: dict | None = None) -> Settings:
    """Validate a settings mapping, reporting every problem at once.

    Args:
        data: Nested mapping like ``{"themes": {"seed": 1}}``; None gives the defaults.

    Returns:
        The validated settings.

    Raises:
        ConfigError: [E001] listing every problem with its path.
    """
    try:
        return Settings.model_validate(data or {})
    except ValidationError as err:
        raise ConfigError(Errors.E001.format(problems=format_validation_error(err))) from None
