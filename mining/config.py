"""Pipeline settings: one pydantic model, every default in one place.

``Settings()`` gives the defaults; ``Settings.model_validate(dict)`` or :func:`load_settings`
checks a user's settings and reports every problem at once, each with its ``section -> key`` path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mining.errors import ConfigError, Errors, InputError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class IngestSettings(_Section):
    """How raw files become the corpus."""

    timezone: str = "UTC"  # applied to naive timestamps
    column_map: dict[str, str] = Field(default_factory=dict)  # canonical name -> input column
    agent_domains: list[str] = Field(default_factory=list)
    agent_addresses: list[str] = Field(default_factory=list)
    # names of the business in chat-app exports (WhatsApp, Messenger, Telegram): their messages
    # are agent messages (issue 17)
    agent_names: list[str] = Field(default_factory=list)
    # WhatsApp dates: "auto" decides per file from the values; "dmy"/"mdy" force an order
    date_order: Literal["auto", "dmy", "mdy"] = "auto"
    max_message_chars: int = Field(20_000, gt=0)  # longer messages are rejected (E1xx)
    redact: bool = True  # also: e-mail/phone ids become keyed pseudonyms (cust-…)
    pseudonym_map: bool = False  # write pseudonyms.csv (pseudonym -> original id) into the run


class EmbedSettings(_Section):
    """Which embedder, and how to batch and cache."""

    model: str = "all-MiniLM-L6-v2"  # the packaged model; or any sentence-transformers name/path
    # "auto": int8 ONNX Runtime where it loads and the model is eligible, else torch fp32 (a
    # text's vector depends on the text only on both: ONNX runs each text alone); "onnx": ONNX or
    # error E220; "torch": always fp32 (docs/decisions.md)
    backend: Literal["auto", "onnx", "torch"] = "auto"
    threads: int = Field(0, ge=0)  # ONNX backend: texts run at once, one core each; 0: every core
    batch_size: int = Field(64, gt=0)
    cache_dir: Path | None = None  # default: $JOURNEYMINE_CACHE or ~/.cache/journeymine
    use_cache: bool = True  # read and write the on-disk vector cache
    spacy_model: str = ""  # empty: spacy.blank("en") + sentencizer + lookup lemmatizer


class ThemeSettings(_Section):
    """ThemeModel defaults: reduce, cluster, represent (``ThemeModel``'s own defaults read these).

    ``reducer`` and ``clusterer`` are names registered in :mod:`mining.registry` (``umap``,
    ``pca``; ``hdbscan``, ``fast_hdbscan``, ``kmeans``); objects can be passed to ``ThemeModel``
    directly.
    """

    reducer: str = "umap"
    clusterer: str = "hdbscan"
    min_theme_size: int | None = Field(None, ge=2)  # None: automatic (see docs/themes.md)
    n_themes: int | None = Field(None, ge=1)  # a target number of themes; None: automatic
    seed: int = 42
    n_keywords: int = Field(8, ge=1)
    n_examples: int = Field(3, ge=0)
    # smallest cosine similarity to the nearest theme centroid for an item to join that theme
    threshold: float = Field(0.3, ge=-1.0, le=1.0)
    merge_similarity: float | None = None  # merge themes this similar after clustering (None: no)
    n_components: int = Field(5, ge=1)  # dimensions of the reduced space
    n_neighbors: int = Field(15, ge=2)  # neighbourhood size of the reducer (UMAP)
    center: bool = False  # subtract the corpus mean before clustering (measured neutral/harmful)
    # fit on at most this many items (seeded sample, distinct texts first) and assign the rest
    # to the nearest theme; None: cluster everything (docs/themes.md, "Fit on a sample")
    fit_sample_max: int | None = Field(20_000, ge=100)
    # largest number of coarse themes per kind (parent_theme_id; docs/themes.md, "Two levels")
    coarse_max_themes: int = Field(25, ge=1)


class TaggingSettings(_Section):
    """Objection detection and stage tagging."""

    taxonomy_dir: Path | None = None  # None: the packaged taxonomies/
    objection_threshold: float = Field(0.5, ge=0.0, le=1.0)
    # cosine similarity between an objection theme's centroid and a category's examples above
    # which the theme is mapped to that taxonomy category; below it the theme is "discovered"
    theme_match_similarity: float = Field(0.45, ge=-1.0, le=1.0)
    # similarity at which an intent or reply strategy qualifies without a cue (real model scale)
    min_category_similarity: float = Field(0.45, ge=-1.0, le=1.0)
    min_theme_texts: int = Field(10, ge=3)  # fewest texts of a kind for which themes are fitted
    # theme kinds (objection, intent, reply) fitted at once on threads, beside the stage and
    # intent steps when 2+; 0: one per core, 1: in turn in the themes step (same themes either
    # way: each fit is seeded and independent)
    theme_threads: int = Field(0, ge=0)
    # processes that share the cue matching of a large batch (spaCy holds the GIL); 0: one per
    # core, 1: this process only (same tags either way: mining.cue_pool)
    cue_processes: int = Field(0, ge=0)
    labels: Path | None = None  # a filled-in `journeymine label` CSV: teach the detector (#11)
    # with labels: the corpus's unlabelled customer messages (at most this many, a seeded random
    # sample) the detector self-trains on (docs/objections.md, "Teaching"); 0: off
    unlabelled_max: int = Field(5000, ge=0)


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


class ScaleSettings(_Section):
    """Where the tagging steps run: this process, or a Dask cluster (``mining.distributed``)."""

    workers: int = Field(0, ge=0)  # 0: in this process; N: a local Dask cluster of N processes
    cluster: str | None = None  # address of a running Dask scheduler, e.g. tcp://host:8786
    partitions_per_worker: int = Field(4, ge=1)  # blocks of journeys per worker and step
    connect_timeout: float = Field(60.0, gt=0)  # seconds to reach the scheduler


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
    scale: ScaleSettings = Field(default_factory=ScaleSettings)
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


def default(section: str, key: str) -> object:
    """Return the default of one setting, e.g. ``default("themes", "seed")`` (for CLI help).

    Args:
        section: Section name (``ingest``, ``embed``, ``themes``, ``tagging``, ``reports``).
        key: Setting name within the section.

    Returns:
        The default value.
    """
    return getattr(getattr(Settings(), section), key)


def read_config_file(path: str | Path) -> Settings:
    """Read a TOML settings file (``journeymine.toml``) into validated settings.

    The file has one table per section, e.g.::

        [themes]
        reducer = "pca"
        seed = 7

        [tagging]
        objection_threshold = 0.6

    Args:
        path: The TOML file.

    Returns:
        The validated settings (defaults for everything the file does not set).

    Raises:
        InputError: [E100] when the file does not exist, [E007] when it is not valid TOML.
        ConfigError: [E001] listing every invalid setting with its ``section -> key`` path.
    """
    # startup: tomllib stays off `journeymine --help`
    import tomllib

    path = Path(path)
    if not path.is_file():
        raise InputError(Errors.E100.format(path=path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(Errors.E007.format(path=path, detail=err)) from None
    return load_settings(data)


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
